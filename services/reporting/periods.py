"""Report periods (R-RPT-1..4): which dates a report covers, in Asia/Shanghai.

``2022-03`` (monthly), ``2022-Q1`` (quarterly), ``2022-H1`` (half-yearly:
H1 = January–June) and ``2021`` (annual: the service year starting in that
year; its dates depend on each group's contract, R-VIS-4).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from services.programme.calendar import Month, month_bounds, months_between

KINDS = ("monthly", "quarterly", "half-yearly", "annual")
# ASCII digits only: Python's \d also matches full-width and other scripts' digits.
_PATTERNS = {
    "monthly": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII),
    "quarterly": re.compile(r"^(\d{4})-Q([1-4])$", re.ASCII),
    "half-yearly": re.compile(r"^(\d{4})-H([12])$", re.ASCII),
    "annual": re.compile(r"^(\d{4})$", re.ASCII),
}
EXAMPLES = {"monthly": "YYYY-MM", "quarterly": "YYYY-Qn", "half-yearly": "YYYY-Hn", "annual": "YYYY"}
KIND_NAMES = {"monthly": "月度", "quarterly": "季度", "half-yearly": "半年", "annual": "年度"}
TITLES = {
    "monthly": "责任规划师工作月度调度",
    "quarterly": "责任规划师工作季度小结",
    "half-yearly": "责任规划师工作半年报告",
    "annual": "责任规划师工作年度报告",
}
_QUARTERS = "一二三四"
MIN_YEAR, MAX_YEAR = 2000, 2100
RANGES = {
    "monthly": f"年份 {MIN_YEAR}–{MAX_YEAR}，月份 01–12",
    "quarterly": f"年份 {MIN_YEAR}–{MAX_YEAR}，季度 Q1–Q4",
    "half-yearly": f"年份 {MIN_YEAR}–{MAX_YEAR}，H1 为上半年、H2 为下半年",
    "annual": f"服务年度起始年份 {MIN_YEAR}–{MAX_YEAR}",
}


class BadPeriod(ValueError):
    """Not a period of that kind (the entrypoint answers 400 naming ``period``)."""


@dataclass(frozen=True)
class Period:
    kind: str
    label: str
    first: dt.date
    last: dt.date
    year: int

    @property
    def months(self) -> list[Month]:
        return months_between(self.first, self.last)

    @property
    def title(self) -> str:
        return f"{TITLES[self.kind]}（{self.caption}）"

    @property
    def caption(self) -> str:
        if self.kind == "monthly":
            return f"{self.year}年{self.first.month}月"
        if self.kind == "quarterly":
            return f"{self.year}年第{_QUARTERS[(self.first.month - 1) // 3]}季度"
        if self.kind == "half-yearly":
            return f"{self.year}年{'上' if self.first.month == 1 else '下'}半年"
        return f"{self.year}服务年度"

    def as_of(self, today: dt.date) -> dt.date:
        """API.md: overdue is counted as of the earlier of the period's last day and today."""
        return min(self.last, today)

    def in_progress(self, today: dt.date) -> bool:
        return self.first <= today <= self.last


def parse(kind: str, label: str, *, year_start: tuple[int, int] = (6, 1)) -> Period:
    """The period ``label`` of ``kind``; ``year_start`` is the default service
    year's first month and day for annual reports (R-VIS-4: June 1st)."""
    if kind not in _PATTERNS:
        raise BadPeriod(kind)
    match = _PATTERNS[kind].match(label or "")
    if not match:
        raise BadPeriod(label)
    year = int(match.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadPeriod(label)
    if kind == "monthly":
        first, last = month_bounds(year, int(match.group(2)))
    elif kind == "quarterly":
        q = int(match.group(2))
        first, last = month_bounds(year, 3 * q - 2)[0], month_bounds(year, 3 * q)[1]
    elif kind == "half-yearly":
        h = int(match.group(2))
        first, last = month_bounds(year, 6 * h - 5)[0], month_bounds(year, 6 * h)[1]
    else:
        month, day = year_start
        first = dt.date(year, month, day)
        last = dt.date(year + 1, month, day) - dt.timedelta(days=1) if (month, day) != (1, 1) else dt.date(year, 12, 31)
    return Period(kind=kind, label=label, first=first, last=last, year=year)
