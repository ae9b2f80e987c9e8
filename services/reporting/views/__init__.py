"""Report builders: read models in, report JSON out (API.md "Report JSON").

Every report has ``kind``, ``period``, ``title``, ``issuer``,
``generated_at``, ``warnings``, ``findings``, ``groups``, ``totals`` and
``issue``; quarterly, half-yearly and annual ones add ``governments``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from services.backbone import clock
from services.backbone.persistence import Database
from services.reporting import periods
from services.reporting.readmodels import ReadModels
from services.reporting.settings import ReportSettings
from services.reporting.state import BureauNotes
from services.reporting.views import annual, monthly, monthly_cache, periodic
from services.reporting.views.common import figures_digest
from services.reporting.views.facts import load

NOTED_KINDS = ("half-yearly", "annual")


def build_report_and_digest(
    db: Database,
    kind: str,
    period: str,
    *,
    today: dt.date | None = None,
    settings: ReportSettings | None = None,
    cached: bool = True,
) -> tuple[dict[str, Any], Callable[..., str]]:
    """``build_report``, and what gives its ``figures_digest`` (R-RPT-7) until anything
    is added to the report: for the cached monthly report, from its cache's parts.
    The digest takes the sections to cover (all when None), as ``figures_digest`` does."""
    if kind == "monthly" and cached:
        report, digest = monthly_cache.monthly_report(
            db, periods.parse(kind, period), today or clock.today(), settings or ReportSettings()
        )
        return warn_when_nobody_on_duty(report), digest
    report = warn_when_nobody_on_duty(build_report(db, kind, period, today=today, settings=settings))
    return report, lambda sections=None: figures_digest(report, sections)


FAMILY_RULES = {"monthly": "R-RPT-1", "quarterly": "R-RPT-2", "half-yearly": "R-RPT-3", "annual": "R-RPT-4"}


def warn_when_nobody_on_duty(report: dict[str, Any]) -> dict[str, Any]:
    """A valid period in which no group was on duty (before any contract, or after all ended)
    says so, instead of an empty report that looks valid (issue 14, Bad input)."""
    if not report.get("groups"):
        report["warnings"].insert(0, {
            "rule": FAMILY_RULES.get(report.get("kind") or "", "R-RPT-1"),
            "message": f"本期（{report.get('first_date')} 至 {report.get('last_date')}）没有履职的责任规划师小组："
                       "报告期早于所有服务合同、晚于其终止，或没有小组在岗；报告中没有小组数据",
        })
    return report


def build_report(
    db: Database,
    kind: str,
    period: str,
    *,
    today: dt.date | None = None,
    settings: ReportSettings | None = None,
) -> dict[str, Any]:
    """The live report of ``kind`` for ``period``, computed from the read models
    (``periods.BadPeriod`` when malformed)."""
    today = today or clock.today()
    settings = settings or ReportSettings()
    if kind == "monthly":
        return monthly.monthly_report(db, period, today=today, settings=settings)
    if kind == "annual":
        p = annual.period_for(ReadModels(db).organisation(), period)
    else:
        p = periods.parse(kind, period)
    facts = load(db, p.first, p.last, today, bounded=True)
    notes = BureauNotes(db).list(kind, period) if kind in NOTED_KINDS else []
    if kind == "annual":
        return annual.build(facts, p, settings, notes)
    return periodic.build(facts, p, settings, notes)
