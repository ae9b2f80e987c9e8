"""The governments' implementation of forwarded recommendations and their
ranking (R-RPT-2, R-EVA-4), over any period.

- ``forwarded``: recommendations forwarded to the government, not withdrawn,
  whose due date lies in the period;
- ``completed``: those of them completed or verified at the period's end (a
  reopened one is accepted again and no longer counts);
- ``completion_rate`` = completed ÷ forwarded; ``on_time_rate`` = completed
  on or before the due date ÷ forwarded;
- ``median_days_to_complete``: the median of days from the letter's date to
  the completion over the government's recommendations completed in the
  period (whatever their due date);
- ``rank``: by completion rate descending, then on-time rate descending, then
  median ascending (none last), then code; a government with nothing due is
  listed unranked (``rank: null``).

"At the period's end" is as of the earlier of its last day and today, from
business dates, so the figures of a past period never change by themselves.
"""

from __future__ import annotations

import datetime as dt
import statistics
from fractions import Fraction
from typing import Any, Iterable

from services.reporting.items import Item
from services.reporting.readmodels import Organisation

INFINITY = float("inf")


def rate(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def rate_number(value: Fraction | None) -> float | None:
    """Rates as JSON numbers rounded to 4 places; ranking uses the exact fractions."""
    return None if value is None else round(float(value), 4)


def plain(value: float | int | Fraction | None) -> float | int | None:
    if value is None:
        return None
    exact = Fraction(value)
    return int(exact) if exact.denominator == 1 else float(exact)


def government_figures(
    items: Iterable[Item], org: Organisation, first: dt.date, last: dt.date, as_of: dt.date
) -> list[dict[str, Any]]:
    recs = [i for i in items if i.kind == "recommendation" and i.government and i.forwarded_on]
    codes = sorted(set(org.governments) | {i.government for i in recs if i.government})
    rows = []
    for code in codes:
        mine = [i for i in recs if i.government == code]
        due = [
            i for i in mine
            if i.due_date and first <= i.due_date <= last and i.status_on(as_of) != "withdrawn"
        ]
        completed = [i for i in due if i.completed_on(as_of) is not None]
        on_time = [i for i in completed if i.completed_on(as_of) <= i.due_date]  # type: ignore[operator]
        finished = [
            (i.completed_on(as_of) - i.forwarded_on).days  # type: ignore[operator]
            for i in mine
            if i.completed_on(as_of) is not None and first <= i.completed_on(as_of) <= last  # type: ignore[operator]
        ]
        median = statistics.median(finished) if finished else None
        rows.append(
            {
                "government": code,
                "government_name": (org.governments.get(code) or {}).get("name"),
                "forwarded": len(due),
                "completed": len(completed),
                "completed_on_time": len(on_time),
                "declined": sum(1 for i in due if i.status_on(as_of) == "declined"),
                "overdue": sum(1 for i in mine if i.overdue_days(as_of) > 0),
                "completion_rate": rate_number(rate(len(completed), len(due))),
                "on_time_rate": rate_number(rate(len(on_time), len(due))),
                "median_days_to_complete": plain(median),
                "completed_in_period": len(finished),
                "rank": None,
                "_key": (
                    -(rate(len(completed), len(due)) or 0),
                    -(rate(len(on_time), len(due)) or 0),
                    INFINITY if median is None else median,
                    code,
                ),
            }
        )
    ranked = sorted((r for r in rows if r["forwarded"]), key=lambda r: r["_key"])
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    for row in rows:
        del row["_key"]
    return sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["government"]))
