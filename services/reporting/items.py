"""Opinions, recommendations and consultations as of a business date.

An ``Item`` keeps its status history with business dates, so its status,
whether it is overdue (and by how many days) and whether it is still open
can be read as of any day: "overdue as of" is the earlier of the period's
last day and today (API.md), and a past report does not change when the
item moves on. When each kind is overdue is the programme's rule
(``services.programme.overdue``: R-OPN-2, R-REC-3, R-CSL-1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from services.programme.overdue import (
    consultation_overdue_days,
    opinion_due,
    opinion_overdue_days,
    recommendation_overdue_days,
)

DONE = ("completed", "verified")  # R-RPT-2: completed or verified; a reopened one is accepted again
OPEN = {
    "opinion": ("received", "acknowledged"),
    "recommendation": ("raised", "forwarded", "accepted"),
    "consultation": ("requested",),
}
RULES = {"opinion": "R-OPN-2", "recommendation": "R-REC-3", "consultation": "R-CSL-1"}
NAMES = {"opinion": "公众意见", "recommendation": "意见建议", "consultation": "技术咨询"}


# Slots, not frozen: a report reads tens of thousands of items and a frozen
# dataclass takes about three times as long to build; nothing changes an item.
@dataclass(slots=True)
class Item:
    kind: str  # opinion | recommendation | consultation
    ref: str  # the opinion's public reference, else the id
    group: str | None
    district: str | None
    government: str | None
    date: dt.date  # received / raised / requested
    due_date: dt.date | None  # answer due / the letter's due date / reply due
    steps: tuple[tuple[dt.date, str], ...]
    acknowledge_due: dt.date | None = None
    category: str | None = None
    resolution: str | None = None
    title: str | None = None
    letter_no: str | None = None
    forwarded_on: dt.date | None = None
    # The last day asked about and the status then: a report asks each item about
    # the same day several times (counters, findings).
    _status_memo: tuple[dt.date, str | None] | None = field(default=None, init=False, repr=False, compare=False)

    # -- status as of a day ------------------------------------------------------

    def status_on(self, day: dt.date) -> str | None:
        memo = self._status_memo
        if memo is not None and memo[0] == day:
            return memo[1]
        status = None
        for date, step in self.steps:
            if date <= day:
                status = step
        self._status_memo = (day, status)
        return status

    def stepped(self, statuses: Iterable[str], first: dt.date, last: dt.date) -> bool:
        """Whether the item took a step to one of ``statuses`` dated ``first .. last``."""
        wanted = tuple(statuses)
        return any(s in wanted and first <= d <= last for d, s in self.steps)

    def steps_between(self, first: dt.date, last: dt.date) -> set[str]:
        """The statuses the item stepped to on dates ``first .. last``."""
        return {s for d, s in self.steps if first <= d <= last}

    def last_step(self, status: str, day: dt.date) -> dt.date | None:
        dates = [d for d, s in self.steps if s == status and d <= day]
        return dates[-1] if dates else None

    def completed_on(self, day: dt.date) -> dt.date | None:
        """R-RPT-2: the completion that stands on ``day`` (None if not completed or verified then)."""
        if self.status_on(day) not in DONE:
            return None
        return self.last_step("completed", day)

    def answered_on(self, day: dt.date) -> dt.date | None:
        """Opinions: answered or escalated; consultations: answered (as of ``day``)."""
        steps = ("answered", "escalated") if self.kind == "opinion" else ("answered",)
        dates = [d for d, s in self.steps if s in steps and d <= day]
        return dates[0] if dates else None

    def is_open(self, day: dt.date) -> bool:
        return self.status_on(day) in OPEN[self.kind]

    def overdue_days(self, day: dt.date) -> int:
        """Days past the due date on ``day`` (0 when not overdue)."""
        return self._overdue_days(self.status_on(day), day)

    def _overdue_days(self, status: str | None, day: dt.date) -> int:
        """``overdue_days`` once the status on ``day`` is known."""
        if self.kind == "opinion":
            return opinion_overdue_days(status, self.acknowledge_due, self.due_date, day)
        if self.kind == "recommendation":
            return recommendation_overdue_days(status, self.due_date, day)
        return consultation_overdue_days(status, self.due_date, day)

    def overdue_due_date(self, day: dt.date) -> dt.date | None:
        """The due date an overdue item missed (the acknowledgement's while an opinion is unacknowledged)."""
        return self._overdue_due_date(self.status_on(day), day)

    def _overdue_due_date(self, status: str | None, day: dt.date) -> dt.date | None:
        if self.kind == "opinion":
            return opinion_due(status, self.acknowledge_due, self.due_date, day)
        return self.due_date

    # -- how reports show it -------------------------------------------------------

    def label(self) -> str:
        if self.kind == "opinion":
            return f"公众意见 {self.ref}"
        if self.kind == "recommendation":
            letter = f"（{self.letter_no}）" if self.letter_no else ""
            return f"意见建议“{self.title or self.ref}”{letter}"
        # R-RPT-6: a business reference people know (the subject, else the day it was asked), never the id.
        return f"技术咨询“{self.title}”" if self.title else f"{self.date.isoformat()}提出的技术咨询"

    def overdue_message(self, day: dt.date) -> str:
        status = self.status_on(day)
        days = self._overdue_days(status, day)
        due = self._overdue_due_date(status, day)
        if self.kind == "opinion":
            step = "受理" if status == "received" and due == self.acknowledge_due else "答复"
            return f"{self.label()} 超过{step}期限（{due}）{days} 天仍未{step}"
        if self.kind == "recommendation":
            return f"{self.label()} 超过办理期限（{due}）{days} 天仍未落实"
        return f"{self.label()} 超过答复期限（{due}）{days} 天仍未答复"

    def as_open_item(self, day: dt.date, group: str | None) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "title": self.title,
            "category": self.category,
            "group": group,
            "district": self.district,
            "government": self.government,
            "status": self.status_on(day),
            "date": self.date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "letter_no": self.letter_no,
            "age_days": (day - self.date).days,
            "overdue_days": self.overdue_days(day),
        }


def counters(items: Iterable[Item], first: dt.date, last: dt.date, as_of: dt.date) -> dict[str, dict[str, int]]:
    """R-RPT-1's counters over ``first .. last``; overdue and open as of ``as_of``."""
    out = zero_counters()
    for item in items:
        stepped = item.steps_between(first, last)
        if item.kind == "opinion":
            c = out["opinions"]
            c["received"] += first <= item.date <= last
            c["acknowledged"] += "acknowledged" in stepped
            c["answered"] += "answered" in stepped or "escalated" in stepped
            c["escalated"] += "escalated" in stepped
        elif item.kind == "recommendation":
            c = out["recommendations"]
            c["raised"] += first <= item.date <= last
            c["forwarded"] += "forwarded" in stepped
            c["declined"] += "declined" in stepped
            c["completed"] += "completed" in stepped
            c["verified"] += "verified" in stepped
        else:
            c = out["consultations"]
            c["requested"] += first <= item.date <= last
            answered = item.answered_on(as_of) if "answered" in stepped else None
            if answered is not None and first <= answered <= last:
                c["answered"] += 1
                c["answered_on_time"] += bool(item.due_date and answered <= item.due_date)
        status = item.status_on(as_of)
        c["overdue"] += item._overdue_days(status, as_of) > 0
        c["open"] += status in OPEN[item.kind]
    return out


def zero_counters() -> dict[str, dict[str, int]]:
    return {
        "opinions": {"received": 0, "acknowledged": 0, "answered": 0, "escalated": 0, "overdue": 0, "open": 0},
        "recommendations": {
            "raised": 0, "forwarded": 0, "declined": 0, "completed": 0, "verified": 0, "overdue": 0, "open": 0,
        },
        "consultations": {"requested": 0, "answered": 0, "answered_on_time": 0, "overdue": 0, "open": 0},
    }
