"""A responsible planner: appointed, in one group at a time, evaluated, dismissed (R-ORG-4, R-ORG-5,
R-EVA-1 per planner).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict, RuleViolated
from services.contracts.domain.checks import (
    ORIGINS,
    QUALIFICATIONS,
    check_code,
    check_not_future,
    check_text,
    day,
    keyworded_init,
    planner_id,
)
from services.contracts.domain.contract import Contract


def check_origin(origin: str) -> None:
    """R-ORG-4: from the first-tier-city institution or a local one."""
    if origin not in ORIGINS:
        raise RuleViolated("origin：来源应为 tier1（一线城市机构）或 local（本地机构）", field="origin", rule="R-ORG-4")


def check_qualifications(qualifications: Iterable[str]) -> list[str]:
    """R-ORG-5: at least one of senior title, Class-1 registered architect, registered planner."""
    out: list[str] = []
    for q in qualifications:
        if q not in QUALIFICATIONS:
            raise RuleViolated(
                f"qualifications：资格 {q!r} 不在认可范围内，应为 {'、'.join(QUALIFICATIONS)}",
                field="qualifications",
                rule="R-ORG-5",
            )
        if q not in out:
            out.append(q)
    if not out:
        raise RuleViolated(
            "qualifications：责任规划师应具有高级职称、一级注册建筑师、注册规划师资格之一",
            field="qualifications",
            rule="R-ORG-5",
        )
    return out


def check_experience(years: int) -> None:
    if isinstance(years, bool) or not isinstance(years, int) or not 0 <= years <= 80:
        raise RuleViolated("experience_years：从业年限应为 0 到 80 的整数", field="experience_years", rule="R-ORG-5")


class Planner(Aggregate):
    """A responsible planner. Contact data (phone, e-mail) is kept outside the events."""

    class Event(Aggregate.Event):
        pass

    class PlannerAppointed(Event, Aggregate.Created):
        __init__ = keyworded_init

        def apply(self, planner: "Planner") -> None:  # type: ignore[override]
            data = self.__dict__
            planner.code = data["id"]
            planner.name = data["name"]
            planner.origin = data["origin"]
            planner.qualifications = data["qualifications"]
            planner.experience_years = data["experience_years"]
            planner.community_renewal = data["community_renewal"]
            planner.institution = data.get("institution")
            # R-TEAM-1, R-TEAM-2: absent from appointments before section 8.
            planner.institution_code = data.get("institution_code")
            planner.serves_locally = data.get("serves_locally")
            planner.appointed_on = data.get("date")
            planner.dismissed_on = None
            planner.dismissal_reason = None
            planner.group = None
            planner.group_contract = None
            planner.last_day_in_group = None
            planner.assignments = []
            planner.evaluations = []

    @classmethod
    def appoint(
        cls,
        *,
        code: str,
        name: str,
        origin: str,
        qualifications: Iterable[str],
        experience_years: int,
        community_renewal: bool,
        institution: str | None,
        date: dt.date | None,
        today: dt.date,
        recorded_institution: Any = None,
        serves_locally: bool | None = None,
    ) -> "Planner":
        """``date`` (the appointment date) is optional: when recorded, the planner joins no group before it.
        ``recorded_institution``: the local institution named by ``institution_code`` (R-TEAM-1), its
        qualification valid on the appointment; ``serves_locally``: the commitment to serve locally,
        a selection criterion recorded at appointment with the experience (R-TEAM-2; None: not asked)."""
        check_code(code, "id")
        name = check_text(name, "name")  # type: ignore[assignment]
        check_origin(origin)
        quals = check_qualifications(qualifications)
        check_experience(experience_years)
        if date is not None:
            check_not_future(date, today)
        if recorded_institution is not None:
            if origin != "local":
                raise RuleViolated(
                    "institution_code：只有本地机构的规划师（origin = local）由本地机构选派",
                    field="institution_code",
                    rule="R-TEAM-1",
                )
            recorded_institution.check_qualified_on(date or today, "institution_code")
            institution = institution or recorded_institution.name
        return cls._create(
            cls.PlannerAppointed,
            id=planner_id(code),
            id_=code,
            name=name,
            origin=origin,
            qualifications=quals,
            experience_years=experience_years,
            community_renewal=bool(community_renewal),
            institution=check_text(institution, "institution", required=False),
            date=None if date is None else date.isoformat(),
            institution_code=None if recorded_institution is None else recorded_institution.code,
            serves_locally=None if serves_locally is None else bool(serves_locally),
        )

    @property
    def active(self) -> bool:
        return self.dismissed_on is None

    def latest_evaluation(self, contract: str) -> dict[str, Any] | None:
        found = [e for e in self.evaluations if e["contract"] == contract]
        return found[-1] if found else None

    def failed_term(self, contract: "Contract") -> bool:
        """R-CON-2: the latest evaluation under this contract, in the current term, failed."""
        evaluation = self.latest_evaluation(contract.code)
        return evaluation is not None and evaluation["term"] == contract.term and not evaluation["passed"]

    def check_may_join(self, contract: "Contract", date: dt.date, field: str) -> None:
        """R-ORG-4 (active, in no other group) and R-CON-2 (no failed term before a renewal)."""
        if not self.active:
            raise RuleViolated(f"{field}：规划师 {self.code} 已于 {self.dismissed_on} 解聘", field=field, rule="R-ORG-4")
        if self.group is not None:
            raise RuleViolated(
                f"{field}：规划师 {self.code} 已在小组 {self.group} 中，一名规划师只能属于一个在岗小组",
                field=field,
                rule="R-ORG-4",
            )
        if self.last_day_in_group is not None and date <= day(self.last_day_in_group):
            raise RuleViolated(
                f"{field}：规划师 {self.code} 在 {self.last_day_in_group} 前仍属于其他小组",
                field=field,
                rule="R-ORG-4",
            )
        if self.appointed_on and date < day(self.appointed_on):
            raise RuleViolated(
                f"{field}：规划师 {self.code} 于 {self.appointed_on} 才受聘", field=field, rule="R-ORG-4"
            )
        evaluation = self.latest_evaluation(contract.code)
        if evaluation is not None and evaluation["term"] < contract.term and not evaluation["passed"]:
            raise RuleViolated(
                f"{field}：规划师 {self.code} 第 {evaluation['term']} 期考评未通过，不能加入续约后合同的小组",
                field=field,
                rule="R-CON-2",
            )

    # Membership is recorded on the planner too, so that saving the group and
    # its planners together makes "at most one active group" (R-ORG-4) hold
    # under concurrent commands (optimistic concurrency on each planner).
    def join(self, *, group: str, contract: "Contract", date: dt.date, field: str) -> None:
        self.check_may_join(contract, date, field)
        self._assigned(id=self.code, group=group, contract=contract.code, date=date.isoformat())

    def leave(self, *, group: str, last_day: dt.date, reason: str | None) -> None:
        if self.group != group:
            raise Conflict(f"id：规划师 {self.code} 不在小组 {group} 中", field="id")
        self._released(id=self.code, group=group, date=last_day.isoformat(), reason=reason)

    @event("PlannerAssigned")
    def _assigned(self, id: str, group: str, contract: str, date: str) -> None:  # noqa: A002
        self.group = group
        self.group_contract = contract
        self.assignments.append({"group": group, "contract": contract, "from": date, "to": None})

    @event("PlannerReleased")
    def _released(self, id: str, group: str, date: str, reason: str | None) -> None:  # noqa: A002
        self.group = None
        self.group_contract = None
        self.last_day_in_group = date
        self.assignments[-1]["to"] = date

    def evaluate(self, *, contract: "Contract", date: dt.date, scores: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
        """R-EVA-1: the planner's term evaluation under a contract's weights and pass mark."""
        contract.check_evaluation_date(date, today)
        result = contract.score(scores)
        self._evaluated(planner=self.code, contract=contract.code, date=date.isoformat(), term=contract.term, **result)
        return self.evaluations[-1]

    @event("PlannerEvaluated")
    def _evaluated(
        self, planner: str, contract: str, date: str, term: int, scores: dict, total: str, passed: bool, pass_mark: Any
    ) -> None:
        self.evaluations.append(
            {
                "contract": contract,
                "date": date,
                "term": term,
                "scores": scores,
                "total": total,
                "passed": passed,
                "pass_mark": pass_mark,
            }
        )

    def dismiss(self, *, date: dt.date, reason: str | None, today: dt.date) -> None:
        if not self.active:
            raise Conflict(f"id：规划师 {self.code} 已于 {self.dismissed_on} 解聘", field="id")
        check_not_future(date, today)
        if self.group is not None:
            raise RuleViolated(
                f"id：规划师 {self.code} 仍在小组 {self.group} 中，请先替换（每组须有两名规划师）",
                field="id",
                rule="R-ORG-4",
            )
        if self.appointed_on and date < day(self.appointed_on):
            raise Conflict(f"date：解聘日期早于受聘日期 {self.appointed_on}", field="date")
        self._dismissed(id=self.code, date=date.isoformat(), reason=check_text(reason, "reason", required=False))

    @event("PlannerDismissed")
    def _dismissed(self, id: str, date: str, reason: str | None) -> None:  # noqa: A002
        self.dismissed_on = date
        self.dismissal_reason = reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "name": self.name,
            "origin": self.origin,
            "qualifications": list(self.qualifications),
            "experience_years": self.experience_years,
            "community_renewal": self.community_renewal,
            "institution": self.institution,
            "institution_code": getattr(self, "institution_code", None),  # R-TEAM-1; older snapshots have none
            "serves_locally": getattr(self, "serves_locally", None),  # R-TEAM-2
            "appointed_on": self.appointed_on,
            "status": "active" if self.active else "dismissed",
            "dismissed_on": self.dismissed_on,
            "dismissal_reason": self.dismissal_reason,
            "group": self.group,
            "assignments": [dict(a) for a in self.assignments],
            "evaluations": list(self.evaluations),
            "version": self.version,
        }
