"""A group of two planners serving one district under one contract (R-ORG-1, R-ORG-4, R-CON-4).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Iterable

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict, RuleViolated
from services.contracts.domain.checks import ORIGINS, check_code, check_not_future, check_text, day, group_id, keyworded_init
from services.contracts.domain.contract import Contract
from services.contracts.domain.district import District
from services.contracts.domain.planner import Planner


def check_pair(planners: list[Planner]) -> tuple[Planner, Planner]:
    """R-ORG-4: exactly two planners, one tier1 and one local."""
    if len(planners) != 2 or planners[0].code == planners[1].code:
        raise RuleViolated("planners：每个小组须有两名不同的规划师", field="planners", rule="R-ORG-4")
    by_origin = {p.origin: p for p in planners}
    if set(by_origin) != set(ORIGINS):
        raise RuleViolated(
            "planners：每个小组须有一名一线城市机构（tier1）和一名本地机构（local）的规划师",
            field="planners",
            rule="R-ORG-4",
        )
    return by_origin["tier1"], by_origin["local"]


class Group(Aggregate):
    """A group of two planners serving one district under one contract."""

    class Event(Aggregate.Event):
        pass

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return group_id(code)

    @classmethod
    def form(
        cls,
        *,
        code: str,
        district: District,
        contract: Contract,
        planners: list[Planner],
        from_date: dt.date,
        today: dt.date,
        district_groups: Iterable["Group"] = (),
    ) -> "Group":
        """R-ORG-1, R-ORG-4, R-CON-1: forms the group and records the membership on both planners."""
        check_code(code, "code")
        check_not_future(from_date, today, "from_date")
        contract.check_not_ended("contract")
        if not contract.covers(from_date):
            raise RuleViolated(
                f"from_date：应在合同 {contract.code} 的期限 {contract.start_date}..{contract.effective_end} 之内",
                field="from_date",
                rule="R-CON-1",
            )
        for other in district_groups:
            if other.code != code and other.overlaps(from_date):
                raise RuleViolated(
                    f"district：镇街 {district.code} 自 {from_date} 已由小组 {other.code} 服务，每个镇街同时只由一个小组服务",
                    field="district",
                    rule="R-ORG-1",
                )
        tier1, local = check_pair(planners)
        for planner in (tier1, local):
            planner.check_may_join(contract, from_date, "planners")
        group = cls(
            code=code,
            district=district.code,
            contract=contract.code,
            tier1=tier1.code,
            local=local.code,
            from_date=from_date.isoformat(),
        )
        for planner in (tier1, local):
            planner.join(group=code, contract=contract, date=from_date, field="planners")
        return group

    @event("GroupFormed")
    def __init__(self, code: str, district: str, contract: str, tier1: str, local: str, from_date: str) -> None:
        self.code = code
        self.district = district
        self.contract = contract
        self.tier1 = tier1
        self.local = local
        self.from_date = from_date
        self.end_date: str | None = None
        self.end_reason: str | None = None
        self.members = [
            {"planner": tier1, "origin": "tier1", "from": from_date, "to": None},
            {"planner": local, "origin": "local", "from": from_date, "to": None},
        ]
        self.replacements: list[dict[str, Any]] = []

    @property
    def active(self) -> bool:
        return self.end_date is None

    def overlaps(self, from_date: dt.date) -> bool:
        """Whether this assignment is still running on or after ``from_date``."""
        return self.end_date is None or day(self.end_date) >= from_date

    def serves_on(self, date: dt.date) -> bool:
        return day(self.from_date) <= date and (self.end_date is None or date <= day(self.end_date))

    def planners_on(self, date: dt.date) -> list[dict[str, Any]]:
        present = [
            {"planner": m["planner"], "origin": m["origin"]}
            for m in self.members
            if day(m["from"]) <= date and (m["to"] is None or date <= day(m["to"]))
        ]
        return sorted(present, key=lambda m: ORIGINS.index(m["origin"]))

    @property
    def last_change(self) -> str:
        return max([self.from_date, *(r["date"] for r in self.replacements)])

    def check_active(self) -> None:
        if not self.active:
            raise Conflict(f"code：小组 {self.code} 已于 {self.end_date} 结束服务", field="code")

    class PlannerReplaced(Event):
        """R-CON-4: who left, who came, when and why; the group (and its obligations) stays."""

        __init__ = keyworded_init

        def apply(self, group: "Group") -> None:
            data = self.__dict__
            out, incoming, date = data["out"], data["in"], data["date"]
            last_day = (day(date) - dt.timedelta(days=1)).isoformat()
            for member in group.members:
                if member["planner"] == out and member["to"] is None:
                    member["to"] = last_day
                    origin = member["origin"]
            group.members.append({"planner": incoming, "origin": origin, "from": date, "to": None})
            if origin == "tier1":
                group.tier1 = incoming
            else:
                group.local = incoming
            group.replacements.append({"out": out, "in": incoming, "date": date, "reason": data["reason"]})

    def replace(
        self,
        *,
        out: Planner,
        incoming: Planner,
        contract: Contract,
        date: dt.date,
        reason: str,
        today: dt.date,
    ) -> None:
        self.check_active()
        check_not_future(date, today)
        reason = check_text(reason, "reason")  # type: ignore[assignment]
        if out.code not in (self.tier1, self.local):
            raise RuleViolated(f"out：规划师 {out.code} 不在小组 {self.code} 中", field="out", rule="R-CON-4")
        if incoming.code in (self.tier1, self.local):
            raise RuleViolated(f"in：规划师 {incoming.code} 已在小组 {self.code} 中", field="in", rule="R-CON-4")
        if date < day(self.last_change):
            raise Conflict(f"date：替换日期早于小组最近一次变更（{self.last_change}）", field="date")
        if not contract.covers(date):
            raise RuleViolated(
                f"date：应在合同 {contract.code} 的期限 {contract.start_date}..{contract.effective_end} 之内",
                field="date",
                rule="R-CON-1",
            )
        if incoming.origin != out.origin:
            raise RuleViolated(
                f"in：接替者应与被替换者同为 {out.origin} 来源（每组一名 tier1、一名 local）", field="in", rule="R-ORG-4"
            )
        incoming.check_may_join(contract, date, "in")
        self.trigger_event(
            self.PlannerReplaced, group=self.code, out=out.code, in_=incoming.code, date=date.isoformat(), reason=reason
        )
        out.leave(group=self.code, last_day=date - dt.timedelta(days=1), reason=reason)
        incoming.join(group=self.code, contract=contract, date=date, field="in")

    def end(self, *, date: dt.date, reason: str | None, planners: list[Planner], today: dt.date) -> None:
        """Ends the assignment on its last day ``date`` and releases both planners."""
        self.check_active()
        check_not_future(date, today)
        if date < day(self.last_change):
            raise Conflict(f"date：结束日期早于小组最近一次变更（{self.last_change}）", field="date")
        reason = check_text(reason, "reason", required=False)
        self._assignment_ended(group=self.code, date=date.isoformat(), reason=reason)
        for planner in planners:
            if planner.group == self.code:
                planner.leave(group=self.code, last_day=date, reason=reason)

    @event("GroupAssignmentEnded")
    def _assignment_ended(self, group: str, date: str, reason: str | None) -> None:
        self.end_date = date
        self.end_reason = reason
        for member in self.members:
            if member["to"] is None:
                member["to"] = date

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "district": self.district,
            "contract": self.contract,
            "tier1": self.tier1,
            "local": self.local,
            "planners": [self.tier1, self.local],
            "from_date": self.from_date,
            "end_date": self.end_date,
            "end_reason": self.end_reason,
            "status": "active" if self.active else "ended",
            "members": [dict(m) for m in self.members],
            "replacements": [dict(r) for r in self.replacements],
            "version": self.version,
        }
