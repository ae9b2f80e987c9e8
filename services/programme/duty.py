"""A group's duty and service time over a service year (R-VIS-2..5, R-RPT-1).

Pure functions over a ``GroupAssignment`` and the group's visits: the duty
calendar, the service days, which duty months have a visit, and the
compliance figures of a month. Settlement (R-FEE-1) and the compliance read
use the same figures, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Sequence

from services.backbone.domain import RuleViolated
from services.programme.assignment import ContractTerms, GroupAssignment
from services.programme.calendar import (
    MONTHS_PER_YEAR,
    Month,
    as_days,
    covered_days,
    half_days_between,
    month_bounds,
    month_label,
    service_half_days,
)

DAYS_PER_YEAR = 30  # R-VIS-4


@dataclass(frozen=True)
class VisitFacts:
    """A visit as the figures see it (as last corrected)."""

    id: str
    date: dt.date
    days: Fraction
    leader_met: bool
    voided: bool = False
    confirmation: str = "unconfirmed"
    leader_met_confirmed: bool | None = None
    late: bool = False
    revision: int = 0

    @property
    def met_leader(self) -> bool:
        """R-VIS-3: the planners' word, unless the sub-district said otherwise (R-VIS-7)."""
        return self.leader_met and self.leader_met_confirmed is not False

    @property
    def meeting_counts(self) -> bool:
        """R-VIS-3 amended: a leader meeting the sub-district has not disputed (R-VIS-7)."""
        return self.met_leader and self.confirmation != "disputed"


def required_days(duty_month_count: int) -> Fraction:
    """R-VIS-4: 30 days a year, pro rata: 30 × duty months / 12."""
    return Fraction(DAYS_PER_YEAR * duty_month_count, MONTHS_PER_YEAR)


def contract_of(assignment: GroupAssignment) -> ContractTerms:
    if assignment.contract is None:
        raise RuleViolated(
            f"group：小组 {assignment.code} 的服务合同尚未登记", field="group", rule="R-CON-1"
        )
    return assignment.contract


def check_service_year(contract: ContractTerms, year: int) -> tuple[dt.date, dt.date]:
    """R-VIS-2, R-VIS-4: the dates of a service year of the group's contract (those of the months it holds)."""
    dates = contract.year_dates(year)
    if dates is None:
        first, last = contract.service_year_bounds(year)
        raise RuleViolated(
            f"service_year：{year} 服务年度（{first} 至 {last}）不在合同 {contract.id} 的期限内",
            field="service_year",
            rule="R-VIS-4",
        )
    return dates


def month_year(contract: ContractTerms, month: Month) -> tuple[int, dt.date, dt.date]:
    """R-VIS-2: the service year ``month`` belongs to, with that year's first and last date."""
    year = contract.year_of_month(month)
    if year is None:
        raise RuleViolated(
            f"period：{month_label(month)} 不在合同 {contract.id} 的期限内", field="period", rule="R-VIS-2"
        )
    first, last = check_service_year(contract, year)
    return year, first, last


def has_visit(contract: ContractTerms, month: Month, live: Iterable[VisitFacts], served_halves: int) -> bool:
    """R-VIS-2: a month has a visit when one of its dates carries service days of a visit
    that is not voided (``served_halves``: the half-days of the ``live`` visits on its
    dates); under ``leader_meeting_counts_for_visit`` (R-VIS-3) only a visit dated in it
    that met the leader, that meeting not disputed by the sub-district (R-VIS-7), makes it one."""
    if contract.leader_meeting_counts_for_visit:
        m_first, m_last = month_bounds(*month)
        return any(v.meeting_counts and m_first <= v.date <= m_last for v in live)
    return served_halves > 0


@dataclass(frozen=True)
class YearRecord:
    """One group's service year: the duty calendar and what was served (R-VIS-2, R-VIS-4, R-VIS-5)."""

    group: str
    service_year: int
    first: dt.date
    last: dt.date
    duty_months: tuple[Month, ...]
    months_with_visit: tuple[Month, ...]
    days: Fraction
    months: tuple[dict[str, Any], ...]
    counted: tuple[VisitFacts, ...]

    @property
    def required_days(self) -> Fraction:
        return required_days(len(self.duty_months))


def year_record(
    assignment: GroupAssignment,
    year: int,
    visits: Iterable[VisitFacts],
    *,
    confirmed_only: bool = False,
) -> YearRecord:
    """Figures of one service year from the visits that count (R-VIS-2, R-VIS-4, R-VIS-5).

    The year holds whole months (R-VIS-2): ``days`` counts every service day of
    the group on the dates it holds; a duty month has a visit per ``has_visit``.
    """
    contract = contract_of(assignment)
    first, last = check_service_year(contract, year)
    spans = assignment.on_duty()
    duty = assignment.duty_months(year)
    counted = tuple(
        sorted(
            (v for v in visits if not v.voided and (not confirmed_only or v.confirmation == "confirmed")),
            key=lambda v: (v.date, v.id),
        )
    )
    per_date = service_half_days((v.date, v.days) for v in counted)  # exact, in half-days
    months = []
    visited = []
    for month in contract.year_months(year):
        m_first, m_last = month_bounds(*month)
        lo, hi = max(m_first, first), min(m_last, last)
        served = half_days_between(per_date, lo, hi)
        is_duty = month in duty
        visit = has_visit(contract, month, counted, served)
        if is_duty and visit:
            visited.append(month)
        months.append(
            {
                "month": month_label(month),
                "days_in_month": (m_last - m_first).days + 1,
                "covered_days": covered_days(spans, lo, hi),
                "duty_month": is_duty,
                "days": float(as_days(served)),
                "has_visit": visit,
            }
        )
    return YearRecord(
        group=assignment.code,
        service_year=year,
        first=first,
        last=last,
        duty_months=tuple(duty),
        months_with_visit=tuple(visited),
        days=as_days(half_days_between(per_date, first, last)),
        months=tuple(months),
        counted=counted,
    )


def duty_calendar(record: YearRecord) -> dict[str, Any]:
    return {
        "group": record.group,
        "service_year": record.service_year,
        "first_date": record.first.isoformat(),
        "last_date": record.last.isoformat(),
        "duty_months": len(record.duty_months),
        "duty_month_list": [month_label(m) for m in record.duty_months],
        "months_with_visit": len(record.months_with_visit),
        "required_days": float(record.required_days),
        "days": float(record.days),
        "months": list(record.months),
    }


def month_visits(visits: Iterable[VisitFacts], m_first: dt.date, m_last: dt.date) -> tuple[int, dict[str, Any]]:
    """R-RPT-1: how many of a month's visits stand, and their states as a month's figures
    show them (a leader met; unconfirmed, disputed and late ones; the voided ones)."""
    in_month = [v for v in visits if m_first <= v.date <= m_last]
    live = [v for v in in_month if not v.voided]
    return len(live), {
        "leader_met": any(v.met_leader for v in live),
        "unconfirmed_visits": sum(1 for v in live if v.confirmation == "unconfirmed"),
        "disputed_visits": sum(1 for v in live if v.confirmation == "disputed"),
        "late_visits": sum(1 for v in live if v.late),
        "voided_visits": len(in_month) - len(live),
    }


def month_compliance(
    assignment: GroupAssignment,
    month: Month,
    visits: Sequence[VisitFacts],
    *,
    today: dt.date,
) -> dict[str, Any]:
    """R-RPT-1's figures for one group and month, with its findings or warnings.

    The month belongs wholly to one service year (``month_year``, R-VIS-2); only
    that year's first date and duty months are needed (not its ``year_record``),
    and days are counted in half-days (exact).
    """
    contract = contract_of(assignment)
    year, first, _ = month_year(contract, month)
    m_first, m_last = month_bounds(*month)
    duty = assignment.duty_months(year)
    live = [v for v in visits if not v.voided]
    visit_count, visit_states = month_visits(visits, m_first, m_last)
    per_date = service_half_days((v.date, v.days) for v in live if v.date <= m_last)
    halves_in_month = halves_to_date = 0  # one pass over the dates
    for date, halves in per_date.items():
        if first <= date <= m_last:
            halves_to_date += halves
        if m_first <= date <= m_last:
            halves_in_month += halves
    days_in_month = as_days(halves_in_month)
    days_to_date = as_days(halves_to_date)
    duty_to_date = [m for m in duty if m <= month]
    required = required_days(len(duty_to_date))
    is_duty = month in duty
    visited = has_visit(contract, month, live, halves_in_month)
    notes: list[dict[str, str]] = []
    if is_duty:
        if not visited:
            notes.append({"rule": "R-VIS-2", "message": "本月为履职月，没有到片区服务"})
        if not visit_states["leader_met"]:
            notes.append({"rule": "R-VIS-3", "message": "本月为履职月，没有与镇街（园区）主要负责同志当面交流"})
        if days_to_date < required:
            notes.append(
                {
                    "rule": "R-VIS-4",
                    "message": f"服务年度累计服务 {float(days_to_date)} 天，低于按比例应服务的 {float(required)} 天",
                }
            )
    ended = m_last < today
    return {
        "group": assignment.code,
        "district": assignment.district,
        "month": month_label(month),
        "service_year": year,
        "duty_month": is_duty,
        "visits": visit_count,
        "days_in_month": float(days_in_month),
        "days_in_service_year": float(days_to_date),
        "required_days_to_date": float(required),
        "has_visit": visited,
        **visit_states,
        "month_ended": ended,
        "findings": notes if ended else [],
        "warnings": [] if ended else notes,
    }
