"""Per-group figures of a period (R-RPT-1, and R-RPT-2/3 over several months).

A month's figures are the visits service's own (``month_compliance``:
R-VIS-2..5 on the group's assignment and contract, findings for a duty month
that has ended, warnings for the month in progress); a longer period adds
its months up. Overdue opinions, recommendations and consultations are
counted as of the earlier of the period's last day and today.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.backbone.domain import DomainError
from services.programme.calendar import Month, days_between, month_bounds, month_label, service_days
from services.programme.duty import VisitFacts, month_compliance, month_visits, required_days
from services.reporting.items import RULES, counters
from services.reporting.views.common import note
from services.reporting.views.facts import Facts, default_year_start


def month_figures(facts: Facts, group: str, month: Month) -> dict[str, Any] | None:
    """R-RPT-1's service-time figures of one group and month; None when the
    month lies outside the group's contract."""
    visits = facts.visits.get(group, [])
    info = facts.info(group)
    if info is not None:
        try:
            return month_compliance(info.assignment, month, visits, today=facts.today)
        except DomainError:
            return None
    return _unknown_group_month(group, month, visits, facts.today)


def _unknown_group_month(group: str, month: Month, visits: list[VisitFacts], today: dt.date) -> dict[str, Any]:
    """A group whose organisation events have not arrived: no duty calendar, only what was served."""
    m_first, m_last = month_bounds(*month)
    year_start = default_year_start(m_first)
    live = [v for v in visits if not v.voided]
    per_date = service_days((v.date, v.days) for v in live)
    visit_count, visit_states = month_visits(visits, m_first, m_last)
    days_in_month = days_between(per_date, m_first, m_last)
    return {
        "group": group,
        "month": month_label(month),
        "service_year": year_start.year,
        "duty_month": False,
        "visits": visit_count,
        "days_in_month": float(days_in_month),
        "days_in_service_year": float(days_between(per_date, year_start, m_last)),
        "required_days_to_date": 0.0,
        "has_visit": days_in_month > 0,
        **visit_states,
        "month_ended": m_last < today,
        "findings": [],
        "warnings": [],
    }


def item_notes(facts: Facts, group: str | None, as_of: dt.date) -> list[dict[str, Any]]:
    """Each overdue opinion, recommendation and consultation of the group as of ``as_of``."""
    out = []
    for item in facts.by_group.get(group, []):
        days = item.overdue_days(as_of)
        if days:
            out.append(
                note(RULES[item.kind], item.overdue_message(as_of), kind=item.kind, ref=item.ref, overdue_days=days)
            )
    return out


def loose_notes(facts: Facts, as_of: dt.date) -> list[dict[str, Any]]:
    """The overdue items no group serves (no group of their own, none serving their district then)."""
    return [{**n, "group": None} for n in item_notes(facts, None, as_of)]


def _split(notes: list[dict[str, Any]], ended: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return (notes, []) if ended else ([], notes)


def monthly_row(facts: Facts, group: str, month: Month) -> dict[str, Any] | None:
    figures = month_figures(facts, group, month)
    if figures is None:
        return None
    m_first, m_last = month_bounds(*month)
    as_of = min(m_last, facts.today)
    item_findings, item_warnings = _split(item_notes(facts, group, as_of), m_last < facts.today)
    month = figures["month"]
    return {
        **facts.names(group),
        "service_year": figures["service_year"],
        "duty_month": figures["duty_month"],
        "visits": figures["visits"],
        "days_in_month": figures["days_in_month"],
        "days_in_service_year": figures["days_in_service_year"],
        "required_days_to_date": figures["required_days_to_date"],
        "has_visit": figures["has_visit"],
        "leader_met": figures["leader_met"],
        "unconfirmed_visits": figures["unconfirmed_visits"],
        "disputed_visits": figures["disputed_visits"],
        "late_visits": figures["late_visits"],
        "voided_visits": figures["voided_visits"],
        **counters(facts.group_items(group), m_first, m_last, as_of),
        "publicity": facts.group_publicity(group, m_first, m_last),
        "findings": [{**n, "month": month} for n in figures["findings"]] + item_findings,
        "warnings": [{**n, "month": month} for n in figures["warnings"]] + item_warnings,
    }


def period_row(facts: Facts, group: str, months: list[Month], first: dt.date, last: dt.date) -> dict[str, Any] | None:
    """A group's figures over several months: the months added up, the service
    year to date at the period's end, items over the period."""
    per_month = [f for f in (month_figures(facts, group, m) for m in months) if f is not None]
    if not per_month:
        return None
    duty = [f for f in per_month if f["duty_month"]]
    last_duty = duty[-1] if duty else None
    findings: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for f in per_month:
        # R-VIS-2/3 for every duty month; R-VIS-4 (the year to date) only at the period's last duty month.
        findings += [{**n, "month": f["month"]} for n in f["findings"] if n["rule"] != "R-VIS-4" or f is last_duty]
        warnings += [{**n, "month": f["month"]} for n in f["warnings"] if n["rule"] != "R-VIS-4" or f is last_duty]
    as_of = min(last, facts.today)
    item_findings, item_warnings = _split(item_notes(facts, group, as_of), last < facts.today)
    end = per_month[-1]
    return {
        **facts.names(group),
        "service_year": end["service_year"],
        "duty_months": len(duty),
        "months_with_visit": sum(1 for f in duty if f["has_visit"]),
        "months_with_leader_met": sum(1 for f in duty if f["leader_met"]),
        "visits": sum(f["visits"] for f in per_month),
        "days_in_period": sum(f["days_in_month"] for f in per_month),
        "required_days_in_period": float(required_days(len(duty))),
        "days_in_service_year": end["days_in_service_year"],
        "required_days_to_date": end["required_days_to_date"],
        "unconfirmed_visits": sum(f["unconfirmed_visits"] for f in per_month),
        "disputed_visits": sum(f["disputed_visits"] for f in per_month),
        "late_visits": sum(f["late_visits"] for f in per_month),
        "voided_visits": sum(f["voided_visits"] for f in per_month),
        **counters(facts.group_items(group), first, last, as_of),
        "publicity": facts.group_publicity(group, first, last),
        "months": [
            {
                "month": f["month"],
                "duty_month": f["duty_month"],
                "visits": f["visits"],
                "days": f["days_in_month"],
                "has_visit": f["has_visit"],
                "leader_met": f["leader_met"],
            }
            for f in per_month
        ],
        "findings": findings + item_findings,
        "warnings": warnings + item_warnings,
    }


def groups_in(facts: Facts, first: dt.date, last: dt.date) -> list[str]:
    """Groups on duty at some point of ``first .. last``, or with a visit dated in it."""
    return sorted(code for code in {*facts.org.groups, *facts.visits} if takes_part(facts, code, first, last))


def takes_part(facts: Facts, group: str, first: dt.date, last: dt.date) -> bool:
    """Whether ``group`` is one of ``groups_in``: on duty in the period or with a visit dated in it."""
    info = facts.org.groups.get(group)
    if info is not None and info.on_duty_between(first, last):
        return True
    return any(first <= v.date <= last for v in facts.visits.get(group, ()))
