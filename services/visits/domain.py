"""Visits: the aggregate and its rules (R-VIS-1, R-VIS-6).

The group's assignment and contract checks arrive with the visits issue; this
is the slice every later rule builds on.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated

MIN_DAYS = Fraction(1, 2)
MAX_DAYS = Fraction(5)
ACTIVITIES = (
    "survey",
    "publicity",
    "opinion_collection",
    "consultation",
    "evaluation",
    "community_building",
    "other",
)


def check_days(days: float) -> None:
    """R-VIS-1: 0.5 .. 5 days in 0.5 steps."""
    d = Fraction(str(days))
    if d < MIN_DAYS or d > MAX_DAYS or (d * 2).denominator != 1:
        raise RuleViolated("days：服务时长应在 0.5 到 5 天之间，以 0.5 天为单位", field="days", rule="R-VIS-1")


def check_not_future(date: dt.date, today: dt.date, days: float) -> None:
    """R-VIS-6: no date the visit serves may lie after today (Asia/Shanghai)."""
    last = date + dt.timedelta(days=max(0, int(Fraction(str(days)) + Fraction(1, 2)) - 1))
    if date > today:
        raise RuleViolated("date：服务日期不能晚于今天", field="date", rule="R-VIS-6")
    if last > today:
        raise RuleViolated("days：多日服务的最后一天不能晚于今天", field="days", rule="R-VIS-6")


class Visit(Aggregate):
    @event("Logged")
    def __init__(
        self,
        group: str,
        district: str | None,
        date: str,
        days: float,
        planners: list[str],
        activities: list[str],
        places: list[str],
        leader_met: bool,
        leader_name: str | None,
        notes: str | None,
        point: dict[str, float] | None,
        attachments: list[str],
        logged_on: str,
    ) -> None:
        self.group = group
        self.district = district
        self.date = date
        self.days = days
        self.planners = planners
        self.activities = activities
        self.places = places
        self.leader_met = leader_met
        self.leader_name = leader_name
        self.notes = notes
        self.point = point
        self.attachments = attachments
        self.logged_on = logged_on
        self.voided = False

    @classmethod
    def log(cls, *, today: dt.date, date: dt.date, days: float, **fields: Any) -> "Visit":
        check_days(days)
        check_not_future(date, today, days)
        return cls(date=date.isoformat(), days=float(days), logged_on=today.isoformat(), **fields)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "group": self.group,
            "district": self.district,
            "date": self.date,
            "days": self.days,
            "planners": self.planners,
            "activities": self.activities,
            "places": self.places,
            "leader_met": self.leader_met,
            "leader_name": self.leader_name,
            "notes": self.notes,
            "point": self.point,
            "attachments": self.attachments,
            "logged_on": self.logged_on,
            "voided": self.voided,
            "version": self.version,
        }
