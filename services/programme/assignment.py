"""What every service knows of a group: its contract's terms, when it is on duty
and who is in it (R-CON-1, R-ORG-4, R-CON-4), as plain values read from the
projection of the contracts service's events (``services.programme.organisation``).
Visits decides its rules on them; reporting computes its figures from them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from services.programme.calendar import (
    CONTRACT_BASIS,
    Month,
    Span,
    clip,
    contract_duty_months,
    service_year_bounds,
    service_year_of,
    year_dates,
    year_duty_months,
    year_months,
    year_of_month,
)

DEDUCTION_RULES = ("max", "sum")  # R-FEE-1
DEFAULT_LATE_AFTER_DAYS = 7  # R-VIS-7: a contract setting; this when the contract names none


@dataclass(frozen=True)
class ContractTerms:
    """A contract's terms and settings as the contracts service published them (R-CON-1)."""

    id: str
    start_date: dt.date
    end_date: dt.date  # the last day, after renewals and an early end
    annual_fee_fen: int
    deduction_rule: str = "max"  # R-FEE-1
    service_year_basis: str = CONTRACT_BASIS  # R-VIS-4
    settle_confirmed_only: bool = False  # R-VIS-7
    late_after_days: int = DEFAULT_LATE_AFTER_DAYS  # R-VIS-7
    leader_meeting_counts_for_visit: bool = False  # R-VIS-3

    def service_year_bounds(self, year: int) -> Span:
        """From one anniversary to the day before the next (R-VIS-4); the dates the year
        holds are ``year_dates`` (R-VIS-2)."""
        return service_year_bounds(self.start_date, self.service_year_basis, year)

    def year_of_month(self, month: Month) -> int | None:
        """R-VIS-2: the service year ``month`` belongs to; None outside the contract."""
        return year_of_month(self.start_date, self.end_date, self.service_year_basis, month)

    def service_year_of(self, day: dt.date) -> int:
        """The service year ``day`` counts in: its month's (R-VIS-2); outside the
        contract, the one its anniversaries give."""
        year = self.year_of_month((day.year, day.month))
        return service_year_of(day, self.start_date, self.service_year_basis) if year is None else year

    def year_months(self, year: int) -> tuple[Month, ...]:
        """R-VIS-2: the months service year ``year`` holds."""
        return year_months(self.start_date, self.end_date, self.service_year_basis, year)

    def year_dates(self, year: int) -> Span | None:
        """R-VIS-2: the dates of service year ``year`` (None when it holds no month)."""
        return year_dates(self.start_date, self.end_date, self.service_year_basis, year)

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class Membership:
    planner: str
    from_date: dt.date
    to_date: dt.date | None  # the last day; None while it lasts

    def covers(self, day: dt.date) -> bool:
        return self.from_date <= day and (self.to_date is None or day <= self.to_date)


@dataclass(frozen=True)
class GroupAssignment:
    """A group, the district it serves, when it is on duty and who is in it (R-ORG-4, R-CON-4).

    ``periods`` are the group's assignments (first and last day, None while
    open); obligations are per group, so replacing a planner changes
    ``members`` and nothing else.
    """

    code: str
    district: str
    contract: ContractTerms | None
    periods: tuple[tuple[dt.date, dt.date | None], ...]
    members: tuple[Membership, ...] = field(default=())

    def on_duty(self) -> list[Span]:
        """The spans the group serves: its assignments inside its contract."""
        if self.contract is None:
            return []
        spans = [(a, b or self.contract.end_date) for a, b in self.periods]
        return clip(spans, self.contract.start_date, self.contract.end_date)

    def duty_months(self, year: int | None = None) -> tuple[Month, ...]:
        """R-VIS-2: the group's duty months under its contract (of service year ``year``)."""
        if self.contract is None:
            return ()
        c = self.contract
        if year is None:
            return contract_duty_months(self.on_duty(), c.start_date, c.end_date, c.service_year_basis)
        return year_duty_months(self.on_duty(), c.start_date, c.end_date, c.service_year_basis, year)

    def assigned_on(self, day: dt.date) -> bool:
        return any(a <= day and (b is None or day <= b) for a, b in self.periods)

    def member_on(self, planner: str, day: dt.date) -> bool:
        return any(m.planner == planner and m.covers(day) for m in self.members)

    def members_on(self, day: dt.date) -> list[str]:
        return sorted({m.planner for m in self.members if m.covers(day)})
