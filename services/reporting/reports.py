"""Reports as the bureau uses them: the live report with its issue state,
issuing a numbered frozen copy (R-RPT-7), the issued copies, and rendering
to the formats people read (R-RPT-6; the renderer is ``services.reporting.render``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from services.backbone import clock, context
from services.backbone.domain import DomainError, NotFound
from services.backbone.persistence import Database
from services.reporting.settings import ReportSettings
from services.reporting.state import IssuedReports
from services.reporting.views import build_report_and_digest
from services.reporting.views.common import ISSUE_RULE

log = logging.getLogger(__name__)

FORMATS = ("json", "html", "xlsx", "pdf")
RENDERED = ("html", "xlsx", "pdf")


class FormatUnavailable(DomainError):
    """The renderer for a format is not installed in this deployment (501)."""

    status = 501
    code = "format_unavailable"


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str
    filename: str


def live_report(
    db: Database,
    kind: str,
    period: str,
    *,
    today: dt.date | None = None,
    settings: ReportSettings | None = None,
    cached: bool = True,
) -> dict[str, Any]:
    """The report as the events say now; ``issue`` tells whether it changed since its latest issue.
    ``cached=False``: the monthly report computed from scratch (tests, the benchmark's cold figure)."""
    report, digest = build_report_and_digest(db, kind, period, today=today, settings=settings, cached=cached)
    store = IssuedReports(db)
    latest = store.latest(kind, period)
    if latest is not None:
        # Over the sections the issued copy holds: one issued before a section was added to the
        # family changed only when figures it holds did (R-RPT-7).
        changed = digest(store.sections(int(latest["number"]))) != latest["digest"]
        report["issue"] = {
            "number": int(latest["number"]),
            "issued_at": latest["issued_at"],
            "changed_since_issue": changed,
        }
        if changed:
            report["warnings"].append(
                {"rule": ISSUE_RULE, "message": f"本报告自第 {int(latest['number'])} 号签发以来数据已有变化，可重新签发"}
            )
    return report


def issue_report(
    db: Database, kind: str, period: str, *, today: dt.date | None = None, settings: ReportSettings | None = None
) -> dict[str, Any]:
    """Freeze the report under the next number, with every format the renderer can make now."""
    report, digest = build_report_and_digest(db, kind, period, today=today, settings=settings)
    actor = context.current().actor
    store = IssuedReports(db)
    issued_at = clock.now().isoformat(timespec="seconds")
    number = store.issue(report, digest(), issued_at=issued_at, by=actor.subject, role=actor.role)
    frozen = store.get(number)
    assert frozen is not None
    for fmt in RENDERED:
        try:
            document = render(frozen, fmt)
        except FormatUnavailable:
            break  # no renderer in this deployment: the JSON is the issued copy
        except Exception:  # one format failing must not lose the issue; it can be rendered later from the JSON
            log.exception("issued report %s: rendering %s failed", number, fmt)
            continue
        store.store_file(number, fmt, document.content_type, document.filename, document.body)
    return {
        "number": number,
        "kind": kind,
        "period": period,
        "issued_at": issued_at,
        "formats": store.formats(number),
        "report": frozen,
    }


def issued(db: Database, number: int) -> dict[str, Any]:
    report = IssuedReports(db).get(number)
    if report is None:
        raise NotFound(f"number：没有第 {number} 号签发的报告", field="number")
    return report


def issued_document(db: Database, number: int, fmt: str) -> Document:
    """An issued report in ``fmt``: the bytes frozen at issue, else rendered now from the frozen JSON."""
    store = IssuedReports(db)
    stored = store.file(number, fmt)
    if stored is not None:
        body, content_type, filename = stored
        return Document(body, content_type, filename)
    return render(issued(db, number), fmt)


def render(report: dict[str, Any], fmt: str) -> Document:
    try:
        from services.reporting.render import render as renderer
    except ImportError as exc:  # not installed here, or a library it needs is missing
        log.warning("renderer unavailable: %s", exc)
        raise FormatUnavailable(f"format：本部署尚未提供 {fmt} 格式", field="format") from None
    rendered = renderer(report, fmt)
    return Document(rendered.body, rendered.content_type, rendered.filename)
