"""The visits Application: commands and queries, no transport code.

What the rules need to know about groups and contracts comes from the
service's own read models (``ReadModels``, fed by the contracts service's
events); ``wire`` hands the application that database once, when the runtime
builds it. Business dates come from ``now`` (Asia/Shanghai), which
tests may replace.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Callable

from eventsourcing.application import AggregateNotFoundError

from services.backbone import clock, context
from services.backbone.application import ServiceApplication, command
from services.backbone.domain import DomainError, NotFound
from services.backbone.persistence import Database
from services.programme.assignment import GroupAssignment
from services.programme.calendar import Month, month_bounds
from services.programme.duty import (
    VisitFacts,
    check_service_year,
    contract_of,
    duty_calendar,
    month_compliance,
    month_year,
    year_record,
)
from services.programme.fees import calculate, fingerprint
import services.visits.previous_topics  # noqa: F401 (what the previous release stored keeps loading)
from services.visits.domain import Facts, Visit, check_group
from services.visits.readmodel import ReadModels, VisitFilter
from services.visits.settlement import Settlement, settlement_id


class VisitsApplication(ServiceApplication):
    name = "Visits"
    service = "visits"
    # Visits and settlements live short (a handful of events): no snapshots, no extra read per load.

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.now: Callable[[], dt.datetime] = clock.now
        self._reads: ReadModels | None = None
        self._settled: set[tuple[str, int]] = set()

    # -- wiring ------------------------------------------------------------------

    def wire(self, db: Database, settings: Any = None) -> None:
        super().wire(db, settings)
        self._reads = ReadModels(db)

    @property
    def reads(self) -> ReadModels:
        if self._reads is None:
            raise RuntimeError("VisitsApplication.wire(db) must be called before commands that read groups")
        return self._reads

    def today(self) -> dt.date:
        """Today in Asia/Shanghai, whatever the server's time zone."""
        return self.now().astimezone(clock.TZ).date()

    def facts(self, group: str) -> Facts:
        actor = context.current().actor
        return Facts(
            assignment=self.reads.assignment(group),
            today=self.today(),
            actor=actor.subject,
            actor_role=actor.role,
            is_settled=lambda year: self.is_settled(group, year),
        )

    # -- visits ------------------------------------------------------------------

    @command
    def log_visit(self, *, group: str, date: dt.date | None = None, days: float, **fields: Any) -> Visit:
        facts = self.facts(group)
        visit = Visit.log(facts=facts, group=group, date=date or facts.today, days=days, **fields)
        self.save(visit)
        return visit

    @command
    def correct_visit(self, visit_id: str, *, reason: str, changes: dict[str, Any]) -> Visit:
        visit = self.get_visit(visit_id)
        visit.correct(facts=self.facts(visit.group), changes=changes, reason=reason)
        self.save(visit)
        return visit

    @command
    def void_visit(self, visit_id: str, *, reason: str) -> Visit:
        visit = self.get_visit(visit_id)
        visit.void(facts=self.facts(visit.group), reason=reason)
        self.save(visit)
        return visit

    @command
    def decide_visit(
        self,
        visit_id: str,
        *,
        confirmed: bool,
        leader_met_confirmed: bool | None = None,
        by: str | None = None,
        reason: str | None = None,
    ) -> Visit:
        """R-VIS-7: the sub-district confirms or disputes a visit."""
        visit = self.get_visit(visit_id)
        who = by or context.current().actor.subject
        if confirmed:
            visit.confirm(leader_met_confirmed=leader_met_confirmed, by=who)
        else:
            visit.dispute(reason=reason or "", by=who)
        self.save(visit)
        return visit

    def get_visit(self, visit_id: str) -> Visit:
        visit = self._get(visit_id)
        if not isinstance(visit, Visit):
            raise NotFound("id：没有这条服务记录", field="id")
        return visit

    def list_visits(self, where: VisitFilter, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        self.reads.catch_up(self.envelopes)
        return self.reads.list_visits(where, limit=limit, cursor=cursor)

    # -- duty and compliance ---------------------------------------------------------

    def group(self, group: str) -> GroupAssignment:
        """A group named in a path: unknown is 404."""
        assignment = self.reads.assignment(group)
        if assignment is None:
            raise NotFound(f"group：没有编号为 {group} 的规划师小组", field="group")
        return assignment

    def year_visits(self, assignment: GroupAssignment, year: int) -> list[VisitFacts]:
        first, last = check_service_year(contract_of(assignment), year)
        self.reads.catch_up(self.envelopes)
        return self.reads.visit_facts(assignment.code, first, last)

    def duty_calendar(self, group: str, year: int) -> dict[str, Any]:
        """R-VIS-2, R-VIS-4: duty months and service days of a group's service year; 404 for a year
        the group was not on duty in (issue 14: a group that did not exist in the period)."""
        assignment = self.group(group)
        dates = assignment.contract.year_dates(year) if assignment.contract is not None else None
        if dates is None or not any(a <= dates[1] and dates[0] <= b for a, b in assignment.on_duty()):
            raise NotFound(f"service_year：小组 {group} 在 {year} 服务年度未在岗（尚未组建、服务已结束或不在合同期内）",
                           field="service_year")
        return duty_calendar(year_record(assignment, year, self.year_visits(assignment, year)))

    def compliance(self, group: str, month: Month) -> dict[str, Any]:
        """R-RPT-1's figures for one group and month (R-VIS-2..5); 404 for a month the group did not exist in."""
        assignment = self.group(group)
        m_first, m_last = month_bounds(*month)
        if not any(a <= m_last and m_first <= b for a, b in assignment.on_duty()):
            raise NotFound(f"period：小组 {group} 在 {m_first:%Y-%m} 未在岗（尚未组建、服务已结束或不在合同期内），"
                           "没有该月的履职情况", field="period")
        _, first, _ = month_year(contract_of(assignment), month)
        self.reads.catch_up(self.envelopes)
        visits = self.reads.visit_facts(group, min(first, m_first), m_last)
        return month_compliance(assignment, month, visits, today=self.today())

    # -- settlements (R-FEE-1) ---------------------------------------------------------

    def is_settled(self, group: str, year: int) -> bool:
        """Whether the group's service year has a settlement (R-VIS-7).

        A settlement is never taken back, so a year found settled is
        remembered; one not settled yet is looked up every time (another
        replica may settle it), by its first event alone."""
        if (group, year) in self._settled:
            return True
        if not self.recorder.has_events(settlement_id(group, year, 1)):  # type: ignore[attr-defined]
            return False
        self._settled.add((group, year))
        return True

    def settlements(self, group: str, year: int) -> list[Settlement]:
        """Every settlement of a group's service year, oldest first."""
        found: list[Settlement] = []
        while True:
            try:
                found.append(self.repository.get(settlement_id(group, year, len(found) + 1)))
            except AggregateNotFoundError:
                return found

    @command
    def settle(self, *, group: str, service_year: int) -> tuple[Settlement, bool]:
        """The settlement for the year's current inputs; True when newly issued."""
        facts = self.facts(group)
        assignment = check_group(facts.assignment, group)
        history = self.settlements(group, service_year)
        previous = history[-1] if history else None
        settlement = Settlement.issue(
            assignment=assignment,
            service_year=service_year,
            visits=self.year_visits(assignment, service_year),
            today=facts.today,
            previous=previous,
        )
        if settlement is previous:
            return settlement, False
        self.save(settlement, *([previous] if previous else []))
        return settlement, True

    def settlement_view(self, group: str, year: int) -> dict[str, Any]:
        history = self.settlements(group, year)
        if not history:
            raise NotFound(f"service_year：小组 {group} 的 {year} 服务年度尚未结算", field="service_year")
        latest = history[-1]
        try:
            assignment = self.group(group)
            live = calculate(assignment, year, self.year_visits(assignment, year))
            changed: bool | None = live.digest != fingerprint(latest.inputs)
        except DomainError:
            changed = None
        return {
            **latest.as_dict(),
            "changed_since_settlement": changed,
            "history": [s.as_dict(with_inputs=False) for s in history],
        }

    # -- helpers ---------------------------------------------------------------------

    def _get(self, aggregate_id: str) -> Any:
        try:
            key = uuid.UUID(aggregate_id)
        except ValueError:
            raise NotFound("id：没有这条服务记录", field="id") from None
        try:
            return self.repository.get(key)
        except AggregateNotFoundError:
            raise NotFound("id：没有这条服务记录", field="id") from None
