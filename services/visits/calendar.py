"""Service days (R-VIS-5): pure functions shared by settlement and reports.

Counting is exact (Fractions); callers turn the result into JSON numbers,
which in 0.5 steps are exact in binary floating point too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction
from typing import Iterable

ONE = Fraction(1)
HALF = Fraction(1, 2)


def contributions(start: dt.date, days: Fraction | float | str) -> list[tuple[dt.date, Fraction]]:
    """R-VIS-5: 1.0 on each of the first ⌊d⌋ dates, then 0.5 when d ends in .5."""
    d = Fraction(str(days)) if not isinstance(days, Fraction) else days
    whole = int(d)
    out = [(start + dt.timedelta(days=i), ONE) for i in range(whole)]
    if d - whole:
        out.append((start + dt.timedelta(days=whole), HALF))
    return out


def service_days(visits: Iterable[tuple[dt.date, Fraction | float | str]]) -> dict[dt.date, Fraction]:
    """Per calendar date, the group's contributions added up and capped at 1.0."""
    per_date: dict[dt.date, Fraction] = defaultdict(Fraction)
    for start, days in visits:
        for date, amount in contributions(start, days):
            per_date[date] = min(ONE, per_date[date] + amount)
    return dict(per_date)


def days_between(per_date: dict[dt.date, Fraction], first: dt.date, last: dt.date) -> Fraction:
    return sum((v for d, v in per_date.items() if first <= d <= last), Fraction(0))


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)
