"""Visits entrypoints: decode, call the application, encode."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Request, Response

from services.backbone.hosting import ApplicationProvider, RuntimeProvider
from services.backbone.http import BadRequest, json_response, parse_body, route
from services.backbone.operations import OperationsRoutes
from services.programme.calendar import month_bounds
from services.visits import answers
from services.visits.application import VisitsApplication
from services.visits.readmodel import BadCursor, VisitFilter
from services.visits.schemas import Confirmation, CorrectVisit, LogVisit, Settle, VisitQuery, VoidVisit

Q = TypeVar("Q", bound=BaseModel)


def parse_query(request: Request, model: type[Q]) -> Q:
    """Validate the query string; a failure names the parameter (400)."""
    try:
        return model.model_validate(dict(request.args.items()))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "query"
        code = "unknown_field" if first["type"] == "extra_forbidden" else "invalid_value"
        raise BadRequest(f"{field}：查询参数无效（{first['msg']}）", field=field, code=code) from None


def parse_period(period: str) -> tuple[int, int]:
    """``YYYY-MM`` (400 otherwise; ASCII digits only)."""
    try:
        year, month = period.split("-")
        if len(year) != 4 or len(month) != 2 or not (year + month).isascii() or not (year + month).isdigit():
            raise ValueError
        month_bounds(int(year), int(month))
        return int(year), int(month)
    except ValueError:
        raise BadRequest("period：月份格式应为 YYYY-MM", field="period", code="invalid_value") from None


def check_year(service_year: int) -> int:
    """A service year in the path: 2000..2100 as in bodies (400 otherwise, never a 500; issue 14)."""
    if not 2000 <= service_year <= 2100:
        raise BadRequest(f"service_year：{service_year} 不是存在的服务年度（应在 2000–2100 之间）", field="service_year",
                         code="invalid_value")
    return service_year


class VisitsService(OperationsRoutes):
    name = "visits"
    app = ApplicationProvider("visits")
    runtime = RuntimeProvider()

    @property
    def visits(self) -> VisitsApplication:
        return self.app  # wired once, when the runtime built it

    # -- visits ------------------------------------------------------------------

    @route("POST", "/api/v1/visits", response=answers.Visit, body=LogVisit, status=201)
    def log_visit(self, request: Request) -> Response:
        body = parse_body(request, LogVisit)
        visit = self.visits.log_visit(**body.model_dump())
        return json_response(visit.as_dict(), 201, headers={"Location": f"/api/v1/visits/{visit.id}"})

    @route("GET", "/api/v1/visits", query=VisitQuery, response=answers.VisitPage)
    def list_visits(self, request: Request) -> Response:
        query = parse_query(request, VisitQuery)
        first, last = query.from_, query.to
        if query.month:
            m_first, m_last = month_bounds(*(int(x) for x in query.month.split("-")))
            first = max(first, m_first) if first else m_first
            last = min(last, m_last) if last else m_last
        where = VisitFilter(
            group=query.group,
            district=query.district,
            first=first,
            last=last,
            status=query.status,
            late=query.late,
        )
        try:
            visits, next_cursor = self.visits.list_visits(where, limit=query.limit, cursor=query.cursor)
        except BadCursor:
            raise BadRequest("cursor：翻页游标无效", field="cursor", code="invalid_value") from None
        return json_response({"visits": visits, "next_cursor": next_cursor})

    @route("GET", "/api/v1/visits/<visit_id>", response=answers.VisitWithHistory)
    def get_visit(self, request: Request, visit_id: str) -> Response:
        visit = self.visits.get_visit(visit_id)
        return json_response({**visit.as_dict(), "history": visit.history})

    @route("POST", "/api/v1/visits/<visit_id>/corrections", response=answers.Visit, body=CorrectVisit)
    def correct_visit(self, request: Request, visit_id: str) -> Response:
        body = parse_body(request, CorrectVisit)
        changes = body.model_dump(exclude_unset=True)
        reason = changes.pop("reason")
        visit = self.visits.correct_visit(visit_id, reason=reason, changes=changes)
        return json_response(visit.as_dict())

    @route("POST", "/api/v1/visits/<visit_id>/void", response=answers.Visit, body=VoidVisit)
    def void_visit(self, request: Request, visit_id: str) -> Response:
        body = parse_body(request, VoidVisit)
        return json_response(self.visits.void_visit(visit_id, reason=body.reason).as_dict())

    @route("POST", "/api/v1/visits/<visit_id>/confirmation", response=answers.Visit, body=Confirmation)
    def confirm_visit(self, request: Request, visit_id: str) -> Response:
        body = parse_body(request, Confirmation)
        return json_response(self.visits.decide_visit(visit_id, **body.model_dump()).as_dict())

    # -- duty and compliance ---------------------------------------------------------

    @route("GET", "/api/v1/duty-calendar/<group>/<int:service_year>", response=answers.DutyCalendar)
    def duty_calendar(self, request: Request, group: str, service_year: int) -> Response:
        return json_response(self.visits.duty_calendar(group, check_year(service_year)))

    @route("GET", "/api/v1/compliance/<group>/<period>", response=answers.Compliance)
    def compliance(self, request: Request, group: str, period: str) -> Response:
        return json_response(self.visits.compliance(group, parse_period(period)))

    # -- settlements ------------------------------------------------------------------

    @route("POST", "/api/v1/settlements", response=answers.Settlement, body=Settle, status=(201, 200))
    def settle(self, request: Request) -> Response:
        body = parse_body(request, Settle)
        settlement, issued = self.visits.settle(group=body.group, service_year=body.service_year)
        location = f"/api/v1/settlements/{settlement.group}/{settlement.service_year}"
        return json_response(settlement.as_dict(), 201 if issued else 200, headers={"Location": location})

    @route("GET", "/api/v1/settlements/<group>/<int:service_year>", response=answers.Settlement)
    def get_settlement(self, request: Request, group: str, service_year: int) -> Response:
        return json_response(self.visits.settlement_view(group, check_year(service_year)))
