"""The monthly dispatch (每月一调度, R-RPT-1).

Per group on duty in the month (or with a visit in it): visits, service days
in the month and in the service year so far against the pro-rata target,
whether the month has a visit and a leader meeting, opinions,
recommendations and consultations; findings for a duty month that has ended,
warnings for the month in progress.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.backbone import clock
from services.backbone.persistence import Database
from services.reporting import periods
from services.reporting.settings import ReportSettings
from services.reporting.views.common import header, period_warnings, sum_counters, sum_numbers, top_level
from services.reporting.views.facts import Facts, load, sort_key
from services.reporting.views.groups import groups_in, loose_notes, monthly_row
from services.reporting.views.recruitment import recruitment_warnings

COUNTER_FAMILIES = ("opinions", "recommendations", "consultations", "publicity")


def monthly_report(
    db: Database, period: str, *, today: dt.date | None = None, settings: ReportSettings | None = None
) -> dict[str, Any]:
    """The monthly dispatch of ``period`` (YYYY-MM; ``periods.BadPeriod``, a ValueError, otherwise),
    computed from the read models (``monthly_cache`` keeps it per group for ``live_report``)."""
    p = periods.parse("monthly", period)
    today = today or clock.today()
    return build(load(db, p.first, p.last, today, bounded=True), p, settings or ReportSettings())


def build(facts: Facts, p: periods.Period, settings: ReportSettings) -> dict[str, Any]:
    month = (p.first.year, p.first.month)
    rows = [r for r in (monthly_row(facts, g, month) for g in groups_in(facts, p.first, p.last)) if r is not None]
    rows.sort(key=sort_key)
    return assemble(
        p, settings, facts.today,
        period_warnings(p, settings, facts.today) + recruitment_warnings(facts.org, p, settings, facts.today),
        rows=rows, findings=top_level(rows, "findings"), warnings=top_level(rows, "warnings"),
        loose=loose_notes(facts, p.as_of(facts.today)), totals=totals(rows),
    )


def assemble(
    p: periods.Period,
    settings: ReportSettings,
    today: dt.date,
    period_notes: list[dict[str, Any]],
    *,
    rows: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    warnings: list[dict[str, Any]],
    loose: list[dict[str, Any]],
    totals: dict[str, Any],
) -> dict[str, Any]:
    """The report's top level from its groups' rows and notes (``build``, and the cache's
    report from the parts it kept): the notes no group serves (``loose``) are findings
    once the month has ended, warnings while it runs."""
    ended = p.last < today
    return {
        **header(p, settings, today),
        "warnings": period_notes + warnings + ([] if ended else loose),
        "findings": findings + (loose if ended else []),
        "groups": rows,
        "totals": totals,
        "issue": None,
    }


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "groups": len(rows),
        "duty_groups": sum(1 for r in rows if r["duty_month"]),
        **sum_numbers(
            rows,
            (
                "visits",
                "days_in_month",
                "days_in_service_year",
                "required_days_to_date",
                "unconfirmed_visits",
                "disputed_visits",
                "late_visits",
                "voided_visits",
            ),
        ),
        "groups_with_visit": sum(1 for r in rows if r["has_visit"]),
        "groups_with_leader_met": sum(1 for r in rows if r["leader_met"]),
        **sum_counters(rows, COUNTER_FAMILIES),
        "findings": sum(len(r["findings"]) for r in rows),
    }
