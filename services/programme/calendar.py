"""Dates of the duty calendar: service days, service years, duty months.

Pure functions shared by the visits domain, contracts and the reports (R-VIS-2, R-VIS-4,
R-VIS-5). Counting is exact: service days are counted in whole half-days
(R-VIS-5 only ever puts 1.0 or 0.5 on a date), which are plain integers and
much cheaper than Fractions; the functions that return days give Fractions
(half-days / 2), and callers turn those into JSON numbers, which in 0.5 steps
are exact in binary floating point too.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from functools import lru_cache
from typing import Iterable, Sequence

ONE = Fraction(1)
HALF = Fraction(1, 2)

Span = tuple[dt.date, dt.date]  # inclusive first and last date
Month = tuple[int, int]  # (year, month)


def as_fraction(days: Fraction | float | int | str) -> Fraction:
    return days if isinstance(days, Fraction) else Fraction(str(days))


def contributions(start: dt.date, days: Fraction | float | str) -> list[tuple[dt.date, Fraction]]:
    """R-VIS-5: 1.0 on each of the first ⌊d⌋ dates, then 0.5 when d ends in .5."""
    d = as_fraction(days)
    whole = int(d)
    out = [(start + dt.timedelta(days=i), ONE) for i in range(whole)]
    if d - whole:
        out.append((start + dt.timedelta(days=whole), HALF))
    return out


def served_dates(start: dt.date, days: Fraction | float | str) -> list[dt.date]:
    """Every date a visit puts service days on (R-VIS-5, R-VIS-6)."""
    return [date for date, _ in contributions(start, days)]


def service_days(visits: Iterable[tuple[dt.date, Fraction | float | str]]) -> dict[dt.date, Fraction]:
    """Per calendar date, the group's contributions added up and capped at 1.0."""
    return {date: Fraction(halves, 2) for date, halves in service_half_days(visits).items()}


def days_between(per_date: dict[dt.date, Fraction], first: dt.date, last: dt.date) -> Fraction:
    return sum((v for d, v in per_date.items() if first <= d <= last), Fraction(0))


# -- the same in half-days (R-VIS-5) ------------------------------------------------

FULL_DAY = 2  # half-days: a date never carries more than 1.0 day


def _spread(days: Fraction | float | str) -> tuple[int, bool]:
    """``contributions``' reading of d: ⌊d⌋ whole dates (truncated, as ``int``), then a
    half date when d has a remainder; in integers, without Fraction arithmetic."""
    d = days if type(days) is Fraction else as_fraction(days)
    whole, rest = divmod(abs(d.numerator), d.denominator)
    return (whole if d.numerator >= 0 else -whole), rest != 0


def service_half_days(visits: Iterable[tuple[dt.date, Fraction | float | str]]) -> dict[dt.date, int]:
    """``service_days`` in half-days: per date, the contributions (2 or 1) added up and capped at 2."""
    per_date: dict[dt.date, int] = {}
    get = per_date.get
    for start, days in visits:
        whole, half = _spread(days)
        for i in range(whole):
            date = start + dt.timedelta(days=i) if i else start
            per_date[date] = FULL_DAY  # a whole day fills the date
        if half:
            date = start + dt.timedelta(days=whole)
            per_date[date] = min(FULL_DAY, get(date, 0) + 1)
    return per_date


def half_days_between(per_date: dict[dt.date, int], first: dt.date, last: dt.date) -> int:
    return sum(v for d, v in per_date.items() if first <= d <= last)


def as_days(halves: int) -> Fraction:
    """Half-days as days (exact)."""
    return Fraction(halves, 2)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def month_label(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def months_between(first: dt.date, last: dt.date) -> list[Month]:
    """The calendar months that overlap ``first .. last``, in order."""
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# -- service years (R-VIS-4) ---------------------------------------------------

CONTRACT_BASIS = "contract"
CALENDAR_BASIS = "calendar"


def add_years(day: dt.date, years: int) -> dt.date:
    """The anniversary ``years`` on: the same day, except that 29 February has its
    anniversaries on 28 February, in leap years too (R-VIS-2: 2024-02-29 → 2025-02-28,
    ..., 2028-02-28; never 2028-02-29)."""
    if years and (day.month, day.day) == (2, 29):
        return dt.date(day.year + years, 2, 28)
    return day.replace(year=day.year + years)


def term_end(start: dt.date, years: int) -> dt.date:
    """R-CON-2: a term ends on start + term years − 1 day, "start + term years" being the
    anniversary R-VIS-2 gives (a term from 2024-02-29 for 4 years ends 2028-02-27, the day
    before its fifth service year would start)."""
    return add_years(start, years) - dt.timedelta(days=1)


def service_year_bounds(contract_start: dt.date, basis: str, year: int) -> Span:
    """Service year ``year``: from the contract's anniversary in that year
    (2021-06-01 → 2021-06-01 .. 2022-05-31), or the calendar year."""
    if basis == CALENDAR_BASIS:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    offset = year - contract_start.year
    return add_years(contract_start, offset), add_years(contract_start, offset + 1) - dt.timedelta(days=1)


def service_year_of(day: dt.date, contract_start: dt.date, basis: str) -> int:
    if basis == CALENDAR_BASIS:
        return day.year
    first, _ = service_year_bounds(contract_start, basis, day.year)
    return day.year if day >= first else day.year - 1


# -- the months of a contract and the service years they belong to (R-VIS-2) --------
#
# The one definition every figure uses (settlements, the duty calendar, compliance
# and every report): each calendar month that overlaps a contract belongs wholly to
# one of its service years, the one covering more of the month's days within the
# contract (the later on a tie); a service year's dates are those of the months it
# holds (within the contract); a month is a duty month when the group's assignment
# covers at least half of the month's days (covered × 2 ≥ days in month), at most 12
# a service year and 12 × its years a contract (the contract's last month gives way).


def clip(spans: Iterable[Span], first: dt.date, last: dt.date) -> list[Span]:
    """The spans' parts inside ``first .. last``, merged, in order."""
    parts = sorted((max(a, first), min(b, last)) for a, b in spans if a <= last and b >= first)
    merged: list[Span] = []
    for a, b in parts:
        if merged and a <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def covered_days(spans: Iterable[Span], first: dt.date, last: dt.date) -> int:
    """How many dates of ``first .. last`` the spans cover (inclusive)."""
    return sum((b - a).days + 1 for a, b in clip(spans, first, last))


def days_in_month(month: Month) -> int:
    first, last = month_bounds(*month)
    return (last - first).days + 1


def contract_years(start: dt.date, end: dt.date) -> int:
    """How many (possibly partial) years a contract from ``start`` to ``end`` runs."""
    years = 0
    while add_years(start, years) <= end:
        years += 1
    return years


@lru_cache(maxsize=4096)
def contract_months(start: dt.date, end: dt.date, basis: str) -> tuple[tuple[Month, int], ...]:
    """R-VIS-2: every calendar month overlapping ``start .. end``, in order, with the
    service year it belongs to: the one covering more of its days within the
    contract, the later one on a tie."""
    out = []
    for month in months_between(start, end) if start <= end else []:
        m_first, m_last = month_bounds(*month)
        lo, hi = max(m_first, start), min(m_last, end)
        early, late = service_year_of(lo, start, basis), service_year_of(hi, start, basis)
        if early != late:  # split at the later year's first day
            boundary = service_year_bounds(start, basis, late)[0]
            if (boundary - lo).days > (hi - boundary).days + 1:
                late = early
        out.append((month, late))
    return tuple(out)


def year_of_month(start: dt.date, end: dt.date, basis: str, month: Month) -> int | None:
    """The service year ``month`` belongs to; None when it does not overlap the contract."""
    return _month_years(start, end, basis).get(month)


@lru_cache(maxsize=4096)
def _month_years(start: dt.date, end: dt.date, basis: str) -> dict[Month, int]:
    return dict(contract_months(start, end, basis))


def year_months(start: dt.date, end: dt.date, basis: str, year: int) -> tuple[Month, ...]:
    """The months service year ``year`` holds (none when it holds no month of the contract)."""
    return tuple(m for m, y in contract_months(start, end, basis) if y == year)


def year_dates(start: dt.date, end: dt.date, basis: str, year: int) -> Span | None:
    """The dates of service year ``year``: those of its months, within the contract."""
    months = year_months(start, end, basis, year)
    if not months:
        return None
    return max(month_bounds(*months[0])[0], start), min(month_bounds(*months[-1])[1], end)


def is_duty_month(spans: Sequence[Span], month: Month, start: dt.date, end: dt.date) -> bool:
    """The half rule (R-VIS-2): the assignment covers at least half of the month's days,
    counted inclusively over its days within the contract ``start .. end``."""
    m_first, m_last = month_bounds(*month)
    covered = covered_days(spans, max(m_first, start), min(m_last, end))
    return covered > 0 and covered * 2 >= days_in_month(month)


def contract_duty_months(spans: Sequence[Span], start: dt.date, end: dt.date, basis: str) -> tuple[Month, ...]:
    """Every duty month of a group under a contract, given the spans it was on duty."""
    return _contract_duty_months(tuple(clip(spans, start, end)), start, end, basis)


def year_duty_months(spans: Sequence[Span], start: dt.date, end: dt.date, basis: str, year: int) -> tuple[Month, ...]:
    """The duty months of service year ``year`` (``contract_duty_months`` of that year)."""
    return _duty_by_year(tuple(clip(spans, start, end)), start, end, basis).get(year, ())


@lru_cache(maxsize=4096)
def _duty_by_year(spans: tuple[Span, ...], start: dt.date, end: dt.date, basis: str) -> dict[int, tuple[Month, ...]]:
    years = _month_years(start, end, basis)
    out: dict[int, tuple[Month, ...]] = {}
    for month in _contract_duty_months(spans, start, end, basis):
        out[years[month]] = out.get(years[month], ()) + (month,)
    return out


@lru_cache(maxsize=4096)
def _contract_duty_months(spans: tuple[Span, ...], start: dt.date, end: dt.date, basis: str) -> tuple[Month, ...]:
    # Remembered: every report asks again for every group and month.
    months = contract_months(start, end, basis)
    duty = [m for m, _ in months if is_duty_month(spans, m, start, end)]
    if duty and duty[-1] == months[-1][0]:
        last_year = months[-1][1]
        in_last_year = sum(1 for m, y in months if y == last_year and m in duty)
        if in_last_year > MONTHS_PER_YEAR or len(duty) > MONTHS_PER_YEAR * contract_years(start, end):
            duty.pop()  # where the half rule gives more, the contract's last month does not count
    return tuple(duty)


MONTHS_PER_YEAR = 12
