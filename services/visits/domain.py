"""Visits: the aggregate and its rules (R-VIS-1, R-VIS-6, R-VIS-7).

What the rules need to know about a group (its district, assignment,
members and contract) arrives as a ``GroupAssignment`` value
(``services.programme.assignment``), read by the application from the
projection of the contracts service's events; the rules themselves live here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict, DomainError, RuleViolated
from services.programme.assignment import DEFAULT_LATE_AFTER_DAYS, ContractTerms, GroupAssignment
from services.programme.calendar import as_fraction, served_dates

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
BUREAU = "bureau"
# The fields of a visit a correction may change (R-VIS-6); the group, and so
# the district, stay: a visit logged for the wrong group is voided instead.
CORRECTABLE = (
    "date",
    "days",
    "planners",
    "activities",
    "places",
    "leader_met",
    "leader_name",
    "notes",
    "point",
    "attachments",
)


class Forbidden(DomainError):
    """The actor's role may not do this (403), e.g. correct a settled year (R-VIS-7)."""

    status = 403
    code = "forbidden"


# -- checks ------------------------------------------------------------------------


def check_days(days: float | Fraction) -> None:
    """R-VIS-1: 0.5 .. 5 days in 0.5 steps."""
    d = as_fraction(days)
    if d < MIN_DAYS or d > MAX_DAYS or (d * 2).denominator != 1:
        raise RuleViolated("days：服务时长应在 0.5 到 5 天之间，以 0.5 天为单位", field="days", rule="R-VIS-1")


def check_not_future(date: dt.date, today: dt.date, days: float | Fraction) -> None:
    """R-VIS-6: no date the visit serves may lie after today (Asia/Shanghai)."""
    if date > today:
        raise RuleViolated("date：服务日期不能晚于今天", field="date", rule="R-VIS-6")
    if served_dates(date, days)[-1] > today:
        raise RuleViolated("days：多日服务的最后一天不能晚于今天", field="days", rule="R-VIS-6")


def check_group(assignment: GroupAssignment | None, group: str) -> GroupAssignment:
    """R-VIS-1: a visit belongs to a group the contracts service has formed."""
    if assignment is None:
        raise RuleViolated(f"group：没有编号为 {group} 的规划师小组", field="group", rule="R-VIS-1")
    return assignment


def check_district(district: str | None, assignment: GroupAssignment) -> None:
    """R-VIS-6: the visit's district is the group's."""
    if district is not None and district != assignment.district:
        raise RuleViolated(
            f"district：小组 {assignment.code} 服务的片区是 {assignment.district}，不能登记 {district} 的服务",
            field="district",
            rule="R-VIS-6",
        )


def check_within_duty(assignment: GroupAssignment, date: dt.date, days: float | Fraction) -> None:
    """R-VIS-6: every served date lies within the group's assignment and its contract."""
    contract = assignment.contract
    for day in served_dates(date, days):
        field_name = "date" if day == date else "days"
        if contract is None or not contract.covers(day):
            raise RuleViolated(
                f"{field_name}：{day} 不在小组所属服务合同的期限内", field=field_name, rule="R-VIS-6"
            )
        if not assignment.assigned_on(day):
            raise RuleViolated(
                f"{field_name}：{day} 不在小组 {assignment.code} 的派驻期内", field=field_name, rule="R-VIS-6"
            )


def check_planners(planners: list[str], assignment: GroupAssignment, date: dt.date, days: float | Fraction) -> None:
    """R-VIS-1, R-VIS-6: the planners present are members of the group on every served date."""
    if not planners:
        raise RuleViolated("planners：至少填写一名到场的责任规划师", field="planners", rule="R-VIS-1")
    if len(set(planners)) != len(planners):
        raise RuleViolated("planners：到场规划师有重复", field="planners", rule="R-VIS-1")
    for day in served_dates(date, days):
        for planner in planners:
            if not assignment.member_on(planner, day):
                raise RuleViolated(
                    f"planners：{planner} 在 {day} 不是小组 {assignment.code} 的成员",
                    field="planners",
                    rule="R-VIS-6",
                )


def check_activities(activities: list[str]) -> None:
    unknown = [a for a in activities if a not in ACTIVITIES]
    if unknown:
        raise RuleViolated(f"activities：不认识的活动类型 {unknown[0]}", field="activities", rule="R-VIS-1")


def check_settled_years(
    assignment: GroupAssignment,
    dates: Iterable[dt.date],
    is_settled: Callable[[int], bool],
    actor_role: str,
) -> None:
    """R-VIS-7: once a service year is settled only the bureau may change its visits."""
    if actor_role == BUREAU or assignment.contract is None:
        return
    for year in sorted({assignment.contract.service_year_of(d) for d in dates}):
        if is_settled(year):
            raise Forbidden(
                f"date：服务年度 {year} 已结算，只有市自然资源和规划局可以更正或作废其服务记录",
                field="date",
                rule="R-VIS-7",
            )


def check_reported_on(reported_on: dt.date | None, date: dt.date, today: dt.date, actor_role: str) -> dt.date:
    """R-VIS-7: lateness is judged by the day a visit was reported. The bureau,
    entering a paper record afterwards, may give that day; nobody else may."""
    if reported_on is None:
        return today
    if actor_role != "bureau":
        raise RuleViolated("reported_on：只有规划局补录纸质记录时可以填写上报日期", field="reported_on", rule="R-VIS-7")
    if reported_on < date or reported_on > today:
        raise RuleViolated("reported_on：上报日期应在服务日期与今天之间", field="reported_on", rule="R-VIS-7")
    return reported_on


def is_late(date: dt.date, logged_on: dt.date, contract: ContractTerms | None) -> bool:
    """R-VIS-7: logged more than N days (a contract setting) after its date."""
    limit = contract.late_after_days if contract else DEFAULT_LATE_AFTER_DAYS
    return (logged_on - date).days > limit


@dataclass(frozen=True)
class Facts:
    """What a command on a visit is decided against, gathered by the application."""

    assignment: GroupAssignment | None
    today: dt.date
    actor: str
    actor_role: str
    is_settled: Callable[[int], bool]


# -- the aggregate -----------------------------------------------------------------


class Visit(Aggregate):
    @event("VisitLogged")
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
        late: bool = False,
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
        self.late = late
        self.voided = False
        self.void_reason: str | None = None
        self.confirmation = "unconfirmed"
        self.leader_met_confirmed: bool | None = None
        self.confirmed_by: str | None = None
        self.dispute_reason: str | None = None
        self.revision = 0  # corrections and voids: the inputs a settlement depends on
        self.history: list[dict[str, Any]] = []

    # -- commands ------------------------------------------------------------

    @classmethod
    def log(
        cls,
        *,
        facts: Facts,
        group: str,
        date: dt.date,
        days: float,
        planners: list[str],
        activities: list[str],
        district: str | None = None,
        places: list[str] | None = None,
        leader_met: bool = False,
        leader_name: str | None = None,
        notes: str | None = None,
        point: dict[str, float] | None = None,
        attachments: list[str] | None = None,
        reported_on: dt.date | None = None,
    ) -> "Visit":
        # The visit's own shape first, then what it refers to.
        check_days(days)
        check_not_future(date, facts.today, days)
        logged_on = check_reported_on(reported_on, date, facts.today, facts.actor_role)
        check_activities(activities)
        assignment = check_group(facts.assignment, group)
        check_district(district, assignment)
        check_within_duty(assignment, date, days)
        check_planners(planners, assignment, date, days)
        check_settled_years(assignment, served_dates(date, days), facts.is_settled, facts.actor_role)
        return cls(
            group=group,
            district=assignment.district,
            date=date.isoformat(),
            days=float(days),
            planners=list(planners),
            activities=list(activities),
            places=list(places or []),
            leader_met=leader_met,
            leader_name=leader_name,
            notes=notes,
            point=point,
            attachments=list(attachments or []),
            logged_on=logged_on.isoformat(),
            late=is_late(date, logged_on, assignment.contract),
        )

    def correct(self, *, facts: Facts, changes: dict[str, Any], reason: str) -> None:
        """R-VIS-6: a correction is a new event that keeps who and why."""
        self.check_not_voided()
        unknown = sorted(set(changes) - set(CORRECTABLE))
        if unknown:
            raise RuleViolated(f"{unknown[0]}：此字段不能更正", field=unknown[0], rule="R-VIS-6")
        current = self.state()
        new = dict(current)
        for name, value in changes.items():
            new[name] = value.isoformat() if isinstance(value, dt.date) else value
        if "days" in changes:
            new["days"] = float(changes["days"])
        changed = [name for name in CORRECTABLE if new[name] != current[name]]
        if not changed:
            raise RuleViolated("body：更正内容与现有记录相同", field="body", rule="R-VIS-6")
        assignment = check_group(facts.assignment, self.group)
        date = dt.date.fromisoformat(new["date"])
        if "days" in changed:
            check_days(new["days"])
        if {"date", "days"} & set(changed):
            check_not_future(date, facts.today, new["days"])
            check_within_duty(assignment, date, new["days"])
        if {"date", "days", "planners"} & set(changed):
            check_planners(new["planners"], assignment, date, new["days"])
        if "activities" in changed:
            check_activities(new["activities"])
        touched = self.served() + served_dates(date, new["days"])
        check_settled_years(assignment, touched, facts.is_settled, facts.actor_role)
        self._corrected(
            **new,
            late=is_late(date, dt.date.fromisoformat(self.logged_on), assignment.contract),
            changed=changed,
            previous={name: current[name] for name in changed},
            reason=reason,
            by=facts.actor,
            by_role=facts.actor_role,
        )

    def void(self, *, facts: Facts, reason: str) -> None:
        """R-VIS-6: voiding keeps the visit and says who and why; it then counts nothing."""
        self.check_not_voided()
        assignment = check_group(facts.assignment, self.group)
        check_settled_years(assignment, self.served(), facts.is_settled, facts.actor_role)
        self._voided(reason=reason, by=facts.actor, by_role=facts.actor_role)

    def confirm(self, *, leader_met_confirmed: bool | None, by: str) -> None:
        """R-VIS-7: the sub-district confirms the visit (and whether its leader was met)."""
        self.check_not_voided()
        if self.confirmation == "confirmed" and self.leader_met_confirmed == leader_met_confirmed:
            raise Conflict("confirmed：这条服务记录已经确认", field="confirmed")
        self._confirmed(leader_met_confirmed=leader_met_confirmed, by=by)

    def dispute(self, *, reason: str, by: str) -> None:
        """R-VIS-7: the sub-district disputes the visit, with a reason."""
        self.check_not_voided()
        if not reason.strip():
            raise RuleViolated("reason：对服务记录有异议时须说明理由", field="reason", rule="R-VIS-7")
        if self.confirmation == "disputed":
            raise Conflict("confirmed：这条服务记录已经提出异议", field="confirmed")
        self._disputed(reason=reason, by=by)

    def check_not_voided(self) -> None:
        if self.voided:
            raise Conflict("id：这条服务记录已作废", field="id")

    # -- events ----------------------------------------------------------------

    @event("VisitCorrected")
    def _corrected(
        self,
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
        late: bool,
        changed: list[str],
        previous: dict[str, Any],
        reason: str,
        by: str,
        by_role: str,
    ) -> None:
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
        self.late = late
        # What was confirmed is no longer what the record says.
        self.confirmation = "unconfirmed"
        self.leader_met_confirmed = None
        self.confirmed_by = None
        self.dispute_reason = None
        self.revision += 1
        self.history.append(
            {"action": "corrected", "changed": changed, "previous": previous, "reason": reason, "by": by, "role": by_role}
        )

    @event("VisitVoided")
    def _voided(self, reason: str, by: str, by_role: str) -> None:
        self.voided = True
        self.void_reason = reason
        self.revision += 1
        self.history.append({"action": "voided", "reason": reason, "by": by, "role": by_role})

    @event("VisitConfirmed")
    def _confirmed(self, leader_met_confirmed: bool | None, by: str) -> None:
        self.confirmation = "confirmed"
        self.leader_met_confirmed = leader_met_confirmed
        self.confirmed_by = by
        self.dispute_reason = None
        self.history.append({"action": "confirmed", "leader_met_confirmed": leader_met_confirmed, "by": by})

    @event("VisitDisputed")
    def _disputed(self, reason: str, by: str) -> None:
        self.confirmation = "disputed"
        self.dispute_reason = reason
        self.leader_met_confirmed = None
        self.confirmed_by = None
        self.history.append({"action": "disputed", "reason": reason, "by": by})

    # -- views -----------------------------------------------------------------

    def served(self) -> list[dt.date]:
        return served_dates(dt.date.fromisoformat(self.date), self.days)

    def state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CORRECTABLE}

    @property
    def status(self) -> str:
        return "voided" if self.voided else self.confirmation

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "group": self.group,
            "district": self.district,
            **self.state(),
            "last_date": self.served()[-1].isoformat(),
            "logged_on": self.logged_on,
            "late": self.late,
            "status": self.status,
            "voided": self.voided,
            "void_reason": self.void_reason,
            "confirmation": self.confirmation,
            "leader_met_confirmed": self.leader_met_confirmed,
            "confirmed_by": self.confirmed_by,
            "dispute_reason": self.dispute_reason,
            "revision": self.revision,
            "version": self.version,
        }


def visit_state_from_event(data: dict[str, Any]) -> dict[str, Any]:
    """The correctable fields as an event carries them (projections share this)."""
    return {name: data.get(name) for name in CORRECTABLE}

