"""The service contract the bureau signs with a team (R-CON-1..3, R-EVA-1 for the team).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable, Mapping

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict, RuleViolated
from services.contracts.domain.checks import (
    DEFAULT_RENEWAL_WINDOW_DAYS,
    check_code,
    check_deduction_rule,
    check_fee,
    check_late_after_days,
    check_not_future,
    check_pass_mark,
    check_scores,
    check_service_year_basis,
    check_term_years,
    check_terms,
    check_text,
    check_weights,
    contract_id,
    day,
    keyworded_init,
    plain_number,
    service_years,
    weighted_total,
)
from services.programme.calendar import term_end  # R-CON-2, R-VIS-2: one anniversary rule
from services.programme.recruitment import MAX_TARGET, ORIGINS, targets_of  # R-TEAM-2: reporting counts them too
from services.programme.terms import policy_terms  # R-CON-1: reporting reads them too


class Contract(Aggregate):
    """The service contract the bureau signs with a team; its terms are the settings of R-FEE-1 etc."""

    class Event(Aggregate.Event):
        pass

    class ContractSigned(Event, Aggregate.Created):
        __init__ = keyworded_init

        def apply(self, contract: "Contract") -> None:  # type: ignore[override]
            data = self.__dict__
            contract.code = data["id"]
            contract.team = data["team"]
            contract.institution = data["institution"]
            contract.start_date = data["start_date"]
            contract.term_years = data["term_years"]
            contract.end_date = data["end_date"]
            contract.annual_fee_fen = data["annual_fee_fen"]
            contract.deduction_rule = data["deduction_rule"]
            contract.service_year_basis = data["service_year_basis"]
            contract.settle_confirmed_only = data["settle_confirmed_only"]
            contract.late_after_days = data["late_after_days"]
            # R-VIS-3 amended; contracts signed before the setting existed do not count meetings.
            contract.leader_meeting_counts_for_visit = bool(data.get("leader_meeting_counts_for_visit", False))
            contract.work_content = data["work_content"]
            contract.evaluation_weights = data["evaluation_weights"]
            contract.pass_mark = data["pass_mark"]
            # R-CON-1 (amended); contracts signed before these existed have neither.
            contract.signed_on = data.get("signed_on")
            contract.contract_terms = dict(data.get("terms") or {})
            # R-TEAM-1, R-TEAM-2; contracts signed before section 8 name no recorded team and have the policy's targets.
            contract.team_code = data.get("team_code")
            contract.targets = targets_of(data.get("targets"))
            contract.term = 1
            contract.term_start = data["start_date"]
            contract.renewals = []
            contract.evaluations = []
            contract.ended_on = None
            contract.end_reason = None

    @classmethod
    def sign(
        cls,
        *,
        code: str,
        team: str,
        institution: str | None,
        start_date: dt.date,
        term_years: int,
        annual_fee_fen: int,
        deduction_rule: str,
        service_year_basis: str,
        settle_confirmed_only: bool,
        late_after_days: int,
        leader_meeting_counts_for_visit: bool = False,
        work_content: str | None,
        evaluation_weights: Mapping[str, Any] | None,
        pass_mark: Any,
        signed_on: dt.date | None = None,
        terms: Mapping[str, Any] | None = None,
        today: dt.date | None = None,
        recorded_team: Any = None,
        targets: Mapping[str, Any] | None = None,
    ) -> "Contract":
        """``recorded_team``: the team named by ``team_code`` (R-TEAM-1), its qualification checked on
        the signing date. A contract naming no recorded team is signed as before section 8: the
        stores and the demo hold such contracts, and section 8 counts only from its effective date."""
        check_code(code, "id")
        if signed_on is not None and today is not None:
            check_not_future(signed_on, today, "signed_on")
        if recorded_team is not None:
            recorded_team.check_qualified_on(signed_on or today, "team_code")
        team = check_text(team, "team")  # type: ignore[assignment]
        check_term_years(term_years)
        check_fee(annual_fee_fen)
        check_deduction_rule(deduction_rule)
        check_service_year_basis(service_year_basis)
        check_late_after_days(late_after_days)
        check_pass_mark(pass_mark)
        weights = check_weights(evaluation_weights)
        return cls._create(
            cls.ContractSigned,
            id=contract_id(code),
            id_=code,
            team=team,
            institution=check_text(institution, "institution", required=False),
            start_date=start_date.isoformat(),
            term_years=term_years,
            end_date=term_end(start_date, term_years).isoformat(),
            annual_fee_fen=annual_fee_fen,
            deduction_rule=deduction_rule,
            service_year_basis=service_year_basis,
            settle_confirmed_only=bool(settle_confirmed_only),
            late_after_days=late_after_days,
            leader_meeting_counts_for_visit=bool(leader_meeting_counts_for_visit),
            work_content=check_text(work_content, "work_content", required=False),
            evaluation_weights=weights,
            pass_mark=plain_number(pass_mark),
            signed_on=signed_on.isoformat() if signed_on else None,
            terms=check_terms(terms),
            team_code=None if recorded_team is None else recorded_team.code,
            targets=check_targets(targets),
        )

    # -- reading ---------------------------------------------------------

    def policy_terms(self) -> dict[str, str | None]:
        """R-CON-1: the policy's terms, one text each (工作内容 falls back to ``work_content``)."""
        return policy_terms(getattr(self, "contract_terms", None), self.work_content)  # older snapshots: none

    @property
    def effective_end(self) -> dt.date:
        end = day(self.end_date)
        return min(end, day(self.ended_on)) if self.ended_on else end

    def covers(self, date: dt.date) -> bool:
        return day(self.start_date) <= date <= self.effective_end

    def score(self, scores: Mapping[str, Any]) -> dict[str, Any]:
        """R-EVA-1 under this contract's weights and pass mark (for the team or a planner)."""
        checked = check_scores(scores, self.evaluation_weights)
        total = weighted_total(checked, self.evaluation_weights)
        return {
            "scores": checked,
            "total": str(total),
            "passed": total >= _exact_decimal(self.pass_mark),
            "pass_mark": self.pass_mark,
        }

    def latest_team_evaluation(self, term: int | None = None) -> dict[str, Any] | None:
        term = self.term if term is None else term
        found = [e for e in self.evaluations if e["term"] == term]
        return found[-1] if found else None

    def check_evaluation_date(self, date: dt.date, today: dt.date) -> None:
        check_not_future(date, today)
        if date < day(self.term_start):
            raise RuleViolated(
                f"date：考评日期应在本期合同（自 {self.term_start} 起）之内", field="date", rule="R-EVA-1"
            )

    # -- commands --------------------------------------------------------

    def evaluate_team(self, *, date: dt.date, scores: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
        self.check_evaluation_date(date, today)
        result = self.score(scores)
        self._team_evaluated(contract=self.code, date=date.isoformat(), term=self.term, **result)
        return self.evaluations[-1]

    @event("TeamEvaluated")
    def _team_evaluated(
        self, contract: str, date: str, term: int, scores: dict, total: str, passed: bool, pass_mark: Any
    ) -> None:
        """R-EVA-1: the bureau's evaluation of the team in a term."""
        self.evaluations.append(
            {"date": date, "term": term, "scores": scores, "total": total, "passed": passed, "pass_mark": pass_mark}
        )

    def renew(
        self,
        *,
        date: dt.date,
        term_years: int | None,
        today: dt.date,
        failed_members: Iterable[tuple[str, str]] = (),
        window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
    ) -> None:
        """R-CON-2: at the end of the term (dated at most ``window_days`` before it), only
        after a passing team evaluation of this term, and without a planner who failed this
        term's evaluation still in one of the contract's groups (``failed_members``:
        (group, planner) pairs the application found)."""
        self.check_not_ended()
        check_not_future(date, today)
        failed_members = list(failed_members)
        if date < day(self.term_start):
            raise Conflict(f"date：续约日期早于本期合同起始日 {self.term_start}", field="date")
        opens = day(self.end_date) - dt.timedelta(days=window_days)
        if date < opens:
            raise RuleViolated(
                f"date：续约日期 {date} 距本期合同期满（{self.end_date}）超过 {window_days} 天，"
                f"最早可于 {opens} 续约",
                field="date",
                rule="R-CON-2",
            )
        years = self.term_years if term_years is None else term_years
        check_term_years(years)
        evaluation = self.latest_team_evaluation()
        if evaluation is None or not evaluation["passed"]:
            raise RuleViolated(
                f"id：合同 {self.code} 第 {self.term} 期的团队任期考评未通过（或尚未考评），不能续约",
                field="id",
                rule="R-CON-2",
            )
        if failed_members:
            names = "、".join(f"{planner}（小组 {group}）" for group, planner in failed_members)
            raise RuleViolated(
                f"planners：规划师 {names} 本期考评未通过，不能留在续约后的小组，请先替换",
                field="planners",
                rule="R-CON-2",
            )
        new_start = day(self.end_date) + dt.timedelta(days=1)
        self._renewed(
            id=self.code,
            date=date.isoformat(),
            term_years=years,
            end_date=term_end(new_start, years).isoformat(),
            term=self.term + 1,
            term_start=new_start.isoformat(),
        )

    @event("ContractRenewed")
    def _renewed(self, id: str, date: str, term_years: int, end_date: str, term: int, term_start: str) -> None:  # noqa: A002
        self.renewals.append({"date": date, "term_years": term_years, "term": term, "term_start": term_start})
        self.end_date = end_date
        self.term = term
        self.term_start = term_start

    def check_not_ended(self, field: str = "id") -> None:
        if self.ended_on is not None:
            raise Conflict(f"{field}：合同 {self.code} 已于 {self.ended_on} 终止", field=field)

    def end(self, *, date: dt.date, reason: str | None, today: dt.date) -> None:
        self.check_not_ended()
        check_not_future(date, today)
        if date < day(self.start_date):
            raise Conflict(f"date：终止日期早于合同起始日 {self.start_date}", field="date")
        self._ended(id=self.code, date=date.isoformat(), reason=check_text(reason, "reason", required=False))

    @event("ContractEnded")
    def _ended(self, id: str, date: str, reason: str | None) -> None:  # noqa: A002
        self.ended_on = date
        self.end_reason = reason

    def terms(self) -> dict[str, Any]:
        """What other services need of a contract: dates, fee, rules and service years."""
        end = self.effective_end
        return {
            "contract": self.code,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "ended_on": self.ended_on,
            "effective_end": end.isoformat(),
            "term": self.term,
            "term_start": self.term_start,
            "term_years": self.term_years,
            "annual_fee_fen": self.annual_fee_fen,
            "deduction_rule": self.deduction_rule,
            "service_year_basis": self.service_year_basis,
            "settle_confirmed_only": self.settle_confirmed_only,
            "late_after_days": self.late_after_days,
            "leader_meeting_counts_for_visit": getattr(self, "leader_meeting_counts_for_visit", False),  # older snapshots
            "service_years": service_years(day(self.start_date), end, self.service_year_basis),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "team": self.team,
            "institution": self.institution,
            "work_content": self.work_content,
            "evaluation_weights": dict(self.evaluation_weights),
            "pass_mark": self.pass_mark,
            "status": "ended" if self.ended_on else "active",
            "end_reason": self.end_reason,
            "renewals": list(self.renewals),
            "evaluations": list(self.evaluations),
            "signed_on": getattr(self, "signed_on", None),  # older snapshots have none
            "terms": self.policy_terms(),
            "team_code": getattr(self, "team_code", None),  # R-TEAM-1; older snapshots have none
            "targets": getattr(self, "targets", None) or targets_of(None),  # R-TEAM-2
            **{k: v for k, v in self.terms().items() if k != "contract"},
            "version": self.version,
        }


def check_targets(targets: Mapping[str, Any] | None) -> dict[str, int]:
    """R-TEAM-2: planners to recruit per origin (default 10 + 10), whole numbers 0..MAX_TARGET."""
    if targets is None:
        return targets_of(None)
    unknown = sorted(set(targets) - set(ORIGINS))
    if unknown:
        raise RuleViolated(f"targets：来源 {'、'.join(unknown)} 不是 tier1 或 local", field="targets", rule="R-TEAM-2")
    for origin, value in targets.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
            raise RuleViolated(f"targets：{origin} 的选聘人数应为 0 到 {MAX_TARGET} 的整数", field="targets",
                               rule="R-TEAM-2")
    return targets_of(targets)


def _exact_decimal(value: Any) -> Decimal:
    return Decimal(str(value))
