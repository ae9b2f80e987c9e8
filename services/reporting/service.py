"""Reporting entrypoints: reports, issued copies, notes, the audit trail and
reminders, read from reporting's own read models."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from services.backbone import clock, context
from services.backbone.hosting import RuntimeProvider
from services.backbone.domain import NotFound, RuleViolated
from services.backbone.http import DATE_QUERY, BadRequest, choice_query, json_response, parse_body, route
from services.backbone.operations import OperationsRoutes
from services.backbone.persistence import Database
from services.reporting import answers, periods, reports
from services.reporting.audit import verify_all
from services.reporting.projections.audit_trail import ENTITIES, AuditTrailProjection
from services.reporting.reminders import reminders_on
from services.reporting.reports import FORMATS, Document
from services.reporting.schemas import AddNote
from services.reporting.settings import ReportSettings
from services.reporting.state import BureauNotes
from services.reporting.views import NOTED_KINDS

API = "/api/v1"


def _kind(kind: str) -> str:
    if kind not in periods.KINDS:
        raise NotFound(f"kind：没有 {kind} 这种报告（{'、'.join(periods.KINDS)}）", field="kind")
    return kind


def _format(request: Request) -> str:
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise BadRequest(f"format：格式应为 {'、'.join(FORMATS)} 之一", field="format", code="unknown_code")
    return fmt


def _bad_period(kind: str, period: str) -> BadRequest:
    """Issue 14 (Bad input): 400 naming the period that does not exist and what one looks like."""
    return BadRequest(
        f"period：{period} 不是存在的{periods.KIND_NAMES[kind]}报告期间（格式为 {periods.EXAMPLES[kind]}，"
        f"{periods.RANGES[kind]}）",
        field="period", code="invalid_value",
    )


def _check_period(kind: str, period: str) -> None:
    try:
        periods.parse(kind, period)
    except periods.BadPeriod:
        raise _bad_period(kind, period) from None


def _download(document: Document) -> Response:
    ascii_name = document.filename.encode("ascii", "ignore").decode() or "report"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.filename)}"
    return Response(document.body, status=200, content_type=document.content_type,
                    headers={"Content-Disposition": disposition})


class ReportingService(OperationsRoutes):
    name = "reporting"
    runtime = RuntimeProvider()

    @property
    def db(self) -> Database:
        return self.runtime.db("reporting")

    @property
    def settings(self) -> ReportSettings:
        return self.runtime.settings.of(self.name)  # read once, when the process started

    # -- reports (R-RPT-1..4, R-RPT-6, R-RPT-7) --------------------------------------

    @route("GET", f"{API}/reports/<kind>/<period>", response=answers.Report, query={"format": choice_query(*FORMATS)})
    def report(self, request: Request, kind: str, period: str) -> Response:
        """A report: monthly YYYY-MM, quarterly YYYY-Qn, half-yearly YYYY-Hn, annual YYYY; ?format=json|html|xlsx|pdf."""
        kind, fmt = _kind(kind), _format(request)
        _check_period(kind, period)
        report = reports.live_report(self.db, kind, period, settings=self.settings)
        if fmt == "json":
            return json_response(report)
        return _download(reports.render(report, fmt))

    @route("POST", f"{API}/reports/<kind>/<period>/issue", response=answers.IssuedReport, status=201)
    def issue(self, request: Request, kind: str, period: str) -> Response:
        """Issue the report of a period: a numbered frozen copy in every format (R-RPT-7)."""
        kind = _kind(kind)
        _check_period(kind, period)
        answer = reports.issue_report(self.db, kind, period, settings=self.settings)
        return json_response(answer, 201, headers={"Location": f"{API}/reports/issued/{answer['number']}"})

    @route("GET", f"{API}/reports/issued/<int:number>",
           response=answers.Report, query={"format": choice_query(*FORMATS)})
    def issued(self, request: Request, number: int) -> Response:
        """An issued report as it was frozen (R-RPT-7)."""
        if number > 2**63 - 1:  # past any stored number (BIGINT); the store would refuse the value itself
            raise NotFound(f"number：没有第 {number} 号签发的报告", field="number")
        fmt = _format(request)
        if fmt == "json":
            return json_response(reports.issued(self.db, number))
        return _download(reports.issued_document(self.db, number, fmt))

    @route("POST", f"{API}/reports/<kind>/<period>/notes", response=answers.BureauNote, body=AddNote, status=201)
    def add_note(self, request: Request, kind: str, period: str) -> Response:
        """The bureau's note on a half-yearly report (R-RPT-3) or the annual programme review (R-EVA-4)."""
        kind = _kind(kind)
        if kind not in NOTED_KINDS:
            raise NotFound(f"kind：只有{'、'.join(NOTED_KINDS)}报告可以附市局意见", field="kind")
        _check_period(kind, period)
        body = parse_body(request, AddNote)
        today = clock.today()
        date = body.date or today
        if date > today:
            raise RuleViolated(f"date：日期不能晚于今天（{today}）", field="date", rule="R-SEC-3")
        actor = context.current().actor
        saved = BureauNotes(self.db).add(
            kind, period, date=date, text=body.text, by=actor.subject, role=actor.role,
            created_at=clock.now().isoformat(timespec="seconds"),
        )
        return json_response({"kind": kind, "period": period, **saved}, 201)

    # -- audit trail (R-RPT-5) -------------------------------------------------------

    @route("GET", f"{API}/audit/verify", response=answers.AuditVerification)
    def audit_verify(self, request: Request) -> Response:
        """Recompute every service's tamper-evident chain and compare with the recorded heads."""
        return json_response(verify_all(self.runtime))

    @route("GET", f"{API}/audit/<entity>/<key>", response=answers.AuditTrail)
    def audit(self, request: Request, entity: str, key: str) -> Response:
        """Every event of an entity across services, with actor, role, correlation, causation and the change."""
        if entity not in ENTITIES:
            raise NotFound(f"entity：没有 {entity} 这种对象（{'、'.join(ENTITIES)}）", field="entity")
        events = self.runtime.read_model(AuditTrailProjection.name).history(entity, key)
        if not events:
            raise NotFound(f"id：没有 {entity} {key} 的记录", field="id")
        return json_response({"entity": entity, "id": key, "count": len(events), "events": events})

    # -- reminders (R-RPT-8) ---------------------------------------------------------

    @route("GET", f"{API}/reminders", response=answers.DueReminders, query={"date": DATE_QUERY})
    def reminders(self, request: Request) -> Response:
        """The reminders of a day (default today): visits due, days behind, items due or overdue, new letters."""
        raw = request.args.get("date")
        try:
            day = dt.date.fromisoformat(raw) if raw else clock.today()
        except ValueError:
            raise BadRequest("date：日期格式应为 YYYY-MM-DD", field="date", code="invalid_value") from None
        return json_response(reminders_on(self.db, day, settings=self.settings))
