"""A reference computation of the per-group figures, written from DOMAIN.md alone.

R-VIS-2 (amended), R-VIS-3 (amended), R-VIS-4, R-VIS-5, R-FEE-1, R-RPT-1, R-RPT-2,
R-RPT-3. Small, slow and obviously correct: it walks every date, keeps every
number a Fraction and shares no code with ``services/``. The property tests
(tests/unit/test_reference_model.py) compare it with the production settlements
and reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

ONE_DAY = dt.timedelta(days=1)


# -- what a test sets up ------------------------------------------------------------


@dataclass(frozen=True)
class Contract:
    start: dt.date
    term_years: int = 3
    annual_fee_fen: int = 6_000_000
    rule: str = "max"  # R-FEE-1: "max" or "sum"
    basis: str = "contract"  # R-VIS-4: "contract" (from the start date) or "calendar"
    leader_meeting_counts_for_visit: bool = False  # R-VIS-3

    def anniversary(self, k: int) -> dt.date:
        """The start date k years on; a start on 29 February has its anniversaries on 28 February."""
        if (self.start.month, self.start.day) == (2, 29) and k:
            return dt.date(self.start.year + k, 2, 28)
        return dt.date(self.start.year + k, self.start.month, self.start.day)

    @property
    def end(self) -> dt.date:
        """R-CON-2: start + term years − 1 day."""
        return self.anniversary(self.term_years) - ONE_DAY


@dataclass(frozen=True)
class Visit:
    date: dt.date
    days: Fraction
    leader_met: bool = False
    voided: bool = False
    disputed: bool = False  # R-VIS-7: the sub-district disputed the visit
    leader_denied: bool = False  # R-VIS-7: confirmed, but the leader was not met


@dataclass
class Group:
    periods: list[tuple[dt.date, dt.date | None]]  # assignments, inclusive; None: until the contract ends
    visits: list[Visit] = field(default_factory=list)


# -- dates -----------------------------------------------------------------------------


def dates(first: dt.date, last: dt.date) -> list[dt.date]:
    out = []
    d = first
    while d <= last:
        out.append(d)
        d += ONE_DAY
    return out


def month_dates(month: tuple[int, int]) -> list[dt.date]:
    y, m = month
    return [d for d in dates(dt.date(y, m, 1), dt.date(y, m, 28) + 4 * ONE_DAY) if d.month == m]


def round_half_up(x: Fraction) -> int:
    n = x.numerator // x.denominator
    return n + 1 if x - n >= Fraction(1, 2) else n


# -- the model -------------------------------------------------------------------------


class Model:
    """Every figure of one group under one contract."""

    def __init__(self, contract: Contract, group: Group):
        self.c = contract
        self.g = group
        self.contract_dates = dates(contract.start, contract.end)
        self._memo: dict[object, object] = {}  # answers already worked out (the model is slow)

    def _remember(self, key: object, compute):  # type: ignore[no-untyped-def]
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # R-VIS-4: the service year (by anniversaries, or calendar years) a single date lies in.
    def year_of_date(self, d: dt.date) -> int:
        if self.c.basis == "calendar":
            return d.year
        k = 0
        while self.c.anniversary(k + 1) <= d:
            k += 1
        return self.c.start.year + k

    # R-VIS-2: every month overlapping the contract, and the service year it belongs to.
    def months(self) -> list[tuple[int, int]]:
        return self._remember("months", self._months)

    def _months(self) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for d in self.contract_dates:
            if (d.year, d.month) not in out:
                out.append((d.year, d.month))
        return out

    def year_of_month(self, month: tuple[int, int]) -> int | None:
        return self._remember(("year", month), lambda: self._year_of_month(month))

    def _year_of_month(self, month: tuple[int, int]) -> int | None:
        counts: dict[int, int] = {}
        for d in month_dates(month):
            if self.c.start <= d <= self.c.end:
                y = self.year_of_date(d)
                counts[y] = counts.get(y, 0) + 1
        if not counts:
            return None
        most = max(counts.values())
        return max(y for y, n in counts.items() if n == most)  # the later one on a tie

    def years(self) -> list[int]:
        return sorted({self.year_of_month(m) for m in self.months()})  # type: ignore[type-var]

    def year_months(self, year: int) -> list[tuple[int, int]]:
        return [m for m in self.months() if self.year_of_month(m) == year]

    def year_dates(self, year: int) -> list[dt.date]:
        """The dates a service year holds: those of its months, within the contract."""
        return [d for m in self.year_months(year) for d in month_dates(m) if self.c.start <= d <= self.c.end]

    def assigned(self, d: dt.date) -> bool:
        return any(a <= d <= (b or self.c.end) for a, b in self.g.periods)

    def half_rule(self, month: tuple[int, int]) -> bool:
        covered = sum(1 for d in month_dates(month) if self.c.start <= d <= self.c.end and self.assigned(d))
        return covered * 2 >= len(month_dates(month))

    def duty_months(self) -> list[tuple[int, int]]:
        """R-VIS-2: the half rule, at most 12 a service year and 12 × years a term
        (the contract's last month gives way)."""
        return list(self._remember("duty", self._duty_months))

    def _duty_months(self) -> list[tuple[int, int]]:
        duty = [m for m in self.months() if self.half_rule(m)]
        last = self.months()[-1]
        if last in duty:
            last_year = self.year_of_month(last)
            in_last_year = [m for m in duty if self.year_of_month(m) == last_year]
            if len(in_last_year) > 12 or len(duty) > 12 * self.c.term_years:
                duty.remove(last)
        return duty

    # R-VIS-5: service days per date, capped at 1.0.
    def live(self) -> list[Visit]:
        return [v for v in self.g.visits if not v.voided]

    def service_days(self) -> dict[dt.date, Fraction]:
        per: dict[dt.date, Fraction] = {}
        for v in self.live():
            whole = int(v.days)
            for i in range(whole):
                d = v.date + i * ONE_DAY
                per[d] = per.get(d, Fraction(0)) + 1
            if v.days != whole:
                d = v.date + whole * ONE_DAY
                per[d] = per.get(d, Fraction(0)) + Fraction(1, 2)
        return {d: min(Fraction(1), x) for d, x in per.items()}

    def days_on(self, ds: list[dt.date]) -> Fraction:
        per = self.service_days()
        return sum((per.get(d, Fraction(0)) for d in ds), Fraction(0))

    def has_visit(self, month: tuple[int, int]) -> bool:
        """R-VIS-2; R-VIS-3 amended: under the contract setting only an undisputed leader meeting counts."""
        if self.c.leader_meeting_counts_for_visit:
            return any(
                v.leader_met and not v.leader_denied and not v.disputed and (v.date.year, v.date.month) == month
                for v in self.live()
            )
        return self.days_on(month_dates(month)) > 0

    def leader_met(self, month: tuple[int, int]) -> bool:
        """R-RPT-1: a visit dated in the month met the leader (the sub-district did not deny it)."""
        return any(v.leader_met and not v.leader_denied and (v.date.year, v.date.month) == month for v in self.live())

    # R-FEE-1 per service year.
    def settlement(self, year: int) -> dict[str, object]:
        duty = [m for m in self.duty_months() if self.year_of_month(m) == year]
        n = len(duty)
        days = self.days_on(self.year_dates(year))
        visited = sum(1 for m in duty if self.has_visit(m))
        fee = round_half_up(Fraction(self.c.annual_fee_fen * n, 12))
        required = Fraction(30 * n, 12)
        day_short = max(Fraction(0), 1 - days / required) if n else Fraction(0)
        visit_short = max(Fraction(0), 1 - Fraction(visited, n)) if n else Fraction(0)
        short = max(day_short, visit_short) if self.c.rule == "max" else min(Fraction(1), day_short + visit_short)
        deduction = round_half_up(fee * short)
        ds = self.year_dates(year)
        return {
            "first_date": ds[0].isoformat(),
            "last_date": ds[-1].isoformat(),
            "duty_months": n,
            "months_with_visit": visited,
            "days": float(days),
            "required_days": float(required),
            "day_shortfall": str(day_short),
            "visit_shortfall": str(visit_short),
            "fee_fen": fee,
            "deduction_fen": deduction,
            "payable_fen": fee - deduction,
        }

    # R-RPT-1 per month.
    def month(self, month: tuple[int, int]) -> dict[str, object] | None:
        year = self.year_of_month(month)
        if year is None:
            return None
        duty = [m for m in self.duty_months() if self.year_of_month(m) == year]
        md = month_dates(month)
        to_date = [d for d in self.year_dates(year) if d <= md[-1]]
        return {
            "service_year": year,
            "duty_month": month in duty,
            "visits": sum(1 for v in self.live() if (v.date.year, v.date.month) == month),
            "days_in_month": float(self.days_on(md)),
            "days_in_service_year": float(self.days_on(to_date)),
            "required_days_to_date": float(Fraction(30 * sum(1 for m in duty if m <= month), 12)),
            "has_visit": self.has_visit(month),
            "leader_met": self.leader_met(month),
        }

    # R-RPT-2 / R-RPT-3 per group over several months.
    def period(self, months: list[tuple[int, int]]) -> dict[str, object] | None:
        rows = [(m, self.month(m)) for m in months]
        rows = [(m, r) for m, r in rows if r is not None]
        if not rows:
            return None
        duty = [(m, r) for m, r in rows if r["duty_month"]]
        end = rows[-1][1]
        return {
            "duty_months": len(duty),
            "months_with_visit": sum(1 for _, r in duty if r["has_visit"]),
            "months_with_leader_met": sum(1 for _, r in duty if r["leader_met"]),
            "visits": sum(r["visits"] for _, r in rows),  # type: ignore[misc]
            "days_in_period": sum(r["days_in_month"] for _, r in rows),  # type: ignore[misc]
            "required_days_in_period": float(Fraction(30 * len(duty), 12)),
            "days_in_service_year": end["days_in_service_year"],
            "required_days_to_date": end["required_days_to_date"],
        }
