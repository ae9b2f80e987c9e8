"""The contracts Application: commands and queries, no transport code.

Each command loads the aggregates it needs by their business codes, calls
one domain method and saves every touched aggregate at once (one
transaction; optimistic concurrency on each). Business dates default to
today in Asia/Shanghai.

Queries that must see the latest state (who serves a district on a date, a
group's contract terms, the organisation as of a date) read the aggregates,
finding groups, districts and governments through their creation events in
the notification log; the paged lists read the directory projection.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Iterable, Iterator, Mapping

from eventsourcing.application import AggregateNotFoundError

from services.backbone import clock
from services.backbone.application import SNAPSHOT_EVERY, ServiceApplication, command
from services.backbone.domain import Conflict, NotFound, RuleViolated
from services.backbone.settings import ConfigurationError
from services.backbone.topics import stored_topics
from services.contracts.domain import (
    DEFAULT_LATE_AFTER_DAYS,
    DEFAULT_PASS_MARK,
    DEFAULT_RENEWAL_WINDOW_DAYS,
    DEFAULT_TERM_YEARS,
    Contract,
    District,
    Government,
    Group,
    Institution,
    Planner,
    Team,
    contract_id,
    district_id,
    government_id,
    group_id,
    institution_id,
    planner_id,
    team_id,
)
from services.programme.recruitment import recruitment, targets_of

_SCAN_BATCH = 500

_WHAT = {
    Government: "政府（管委会）",
    District: "镇街",
    Contract: "合同",
    Planner: "规划师",
    Group: "小组",
    Team: "责任规划师团队",
    Institution: "本地规划机构",
}


class ContractsApplication(ServiceApplication):
    name = "Contracts"
    service = "contracts"
    # Long-lived aggregates load from a snapshot taken every SNAPSHOT_EVERY events.
    snapshotting_intervals = {Contract: SNAPSHOT_EVERY, Group: SNAPSHOT_EVERY, Planner: SNAPSHOT_EVERY, District: SNAPSHOT_EVERY}

    @property
    def renewal_window_days(self) -> int:
        """R-CON-2's setting ``RPS_RENEWAL_WINDOW_DAYS`` (default 90)."""
        raw = self.env.get("RPS_RENEWAL_WINDOW_DAYS")
        try:
            days = DEFAULT_RENEWAL_WINDOW_DAYS if raw in (None, "") else int(raw)
        except ValueError:
            raise ConfigurationError(f"RPS_RENEWAL_WINDOW_DAYS must be an integer, got {raw!r}") from None
        if days < 0:
            raise ConfigurationError(f"RPS_RENEWAL_WINDOW_DAYS must be at least 0, got {days}")
        return days

    # -- loading ---------------------------------------------------------

    def _load(self, aggregate_id: uuid.UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _exists(self, aggregate_id: uuid.UUID) -> bool:
        return self._load(aggregate_id) is not None

    def _path(self, cls: type, aggregate_id: uuid.UUID, code: str, field: str) -> Any:
        """An aggregate named in the URL path: 404 when it does not exist."""
        found = self._load(aggregate_id)
        if found is None:
            raise NotFound(f"{field}：没有编码为 {code} 的{_WHAT[cls]}", field=field)
        return found

    def _ref(self, cls: type, aggregate_id: uuid.UUID, code: str, field: str, rule: str) -> Any:
        """An aggregate named in the body: 422 naming the field and the rule when unknown."""
        found = self._load(aggregate_id)
        if found is None:
            raise RuleViolated(f"{field}：没有编码为 {code} 的{_WHAT[cls]}", field=field, rule=rule)
        return found

    def _new(self, aggregate_id: uuid.UUID, code: str, field: str, cls: type) -> None:
        if self._exists(aggregate_id):
            raise Conflict(f"{field}：编码 {code} 已被{_WHAT[cls]}使用", field=field)

    def get_government(self, code: str) -> Government:
        return self._path(Government, government_id(code), code, "code")

    def get_district(self, code: str) -> District:
        return self._path(District, district_id(code), code, "code")

    def get_contract(self, code: str) -> Contract:
        return self._path(Contract, contract_id(code), code, "id")

    def get_planner(self, code: str) -> Planner:
        return self._path(Planner, planner_id(code), code, "id")

    def get_group(self, code: str) -> Group:
        return self._path(Group, group_id(code), code, "code")

    def get_team(self, code: str) -> Team:
        return self._path(Team, team_id(code), code, "code")

    def get_institution(self, code: str) -> Institution:
        return self._path(Institution, institution_id(code), code, "code")

    def government_exists(self, code: str) -> bool:
        return self._exists(government_id(code))

    def district_exists(self, code: str) -> bool:
        return self._exists(district_id(code))

    # -- governments and districts ---------------------------------------

    @command
    def register_government(
        self,
        *,
        code: str,
        name: str,
        kind: str,
        leader: str | None = None,
        department: str | None = None,
        contact: str | None = None,
    ) -> Government:
        self._new(government_id(code), code, "code", Government)
        government = Government.register(
            code=code, name=name, kind=kind, leader=leader, department=department, contact=contact
        )
        self.save(government)
        return government

    @command
    def change_government_contacts(
        self, code: str, *, leader: str | None, department: str | None, contact: str | None
    ) -> Government:
        government = self.get_government(code)
        government.change_contacts(leader=leader, department=department, contact=contact)
        self.save(government)
        return government

    @command
    def register_district(
        self,
        *,
        code: str,
        name: str,
        types: list[str],
        government: str,
        leader: str | None = None,
        contact: str | None = None,
        boundary: dict[str, Any] | None = None,
    ) -> District:
        self._new(district_id(code), code, "code", District)
        gov = self._ref(Government, government_id(government), government, "government", "R-ORG-6")
        district = District.register(
            code=code, name=name, types=types, government=gov, leader=leader, contact=contact, boundary=boundary
        )
        self.save(district)
        return district

    @command
    def change_district_types(self, code: str, *, types: list[str]) -> District:
        district = self.get_district(code)
        district.change_types(types)
        self.save(district)
        return district

    @command
    def set_district_boundary(self, code: str, *, boundary: dict[str, Any]) -> District:
        district = self.get_district(code)
        district.set_boundary(boundary)
        self.save(district)
        return district

    @command
    def change_district_contacts(
        self, code: str, *, leader: str | None, contact: str | None, department: str | None = None
    ) -> District:
        district = self.get_district(code)
        district.change_contacts(leader=leader, contact=contact, department=department)
        self.save(district)
        return district

    # -- teams and local institutions (R-TEAM-1) ---------------------------

    @command
    def register_team(
        self, *, code: str, name: str, city_tier: str, qualification: Mapping[str, Any], city: str | None = None
    ) -> Team:
        self._new(team_id(code), code, "code", Team)
        team = Team.register(code=code, name=name, city=city, city_tier=city_tier, qualification=qualification)
        self.save(team)
        return team

    @command
    def record_team_qualification(self, code: str, *, qualification: Mapping[str, Any]) -> Team:
        team = self.get_team(code)
        team.record_qualification(qualification)
        self.save(team)
        return team

    @command
    def register_institution(
        self, *, code: str, name: str, qualification: Mapping[str, Any], city: str | None = None
    ) -> Institution:
        self._new(institution_id(code), code, "code", Institution)
        institution = Institution.register(code=code, name=name, city=city, qualification=qualification)
        self.save(institution)
        return institution

    # -- contracts -------------------------------------------------------

    @command
    def sign_contract(
        self,
        *,
        id: str,  # noqa: A002 (the API's name for the contract's code)
        team: str,
        start_date: dt.date,
        annual_fee_fen: int,
        term_years: int | None = None,
        deduction_rule: str | None = None,
        institution: str | None = None,
        service_year_basis: str | None = None,
        settle_confirmed_only: bool | None = None,
        late_after_days: int | None = None,
        leader_meeting_counts_for_visit: bool | None = None,
        work_content: str | None = None,
        evaluation_weights: Mapping[str, Any] | None = None,
        pass_mark: Any = None,
        signed_on: dt.date | None = None,
        terms: Mapping[str, Any] | None = None,
        team_code: str | None = None,
        targets: Mapping[str, Any] | None = None,
    ) -> Contract:
        self._new(contract_id(id), id, "id", Contract)
        today = clock.today()
        # R-TEAM-1: checked when the contract names a recorded team (API.md); without one it is signed as before.
        recorded = None if team_code is None else self._ref(Team, team_id(team_code), team_code, "team_code", "R-TEAM-1")
        contract = Contract.sign(
            code=id,
            team=team,
            institution=institution,
            start_date=start_date,
            term_years=DEFAULT_TERM_YEARS if term_years is None else term_years,
            annual_fee_fen=annual_fee_fen,
            deduction_rule="max" if deduction_rule is None else deduction_rule,
            service_year_basis="contract" if service_year_basis is None else service_year_basis,
            settle_confirmed_only=bool(settle_confirmed_only),
            late_after_days=DEFAULT_LATE_AFTER_DAYS if late_after_days is None else late_after_days,
            leader_meeting_counts_for_visit=bool(leader_meeting_counts_for_visit),
            work_content=work_content,
            evaluation_weights=evaluation_weights,
            pass_mark=DEFAULT_PASS_MARK if pass_mark is None else pass_mark,
            signed_on=signed_on or today,
            terms=terms,
            today=today,
            recorded_team=recorded,
            targets=targets,
        )
        self.save(contract)
        return contract

    @command
    def evaluate_team(self, code: str, *, scores: Mapping[str, Any], date: dt.date | None = None) -> dict[str, Any]:
        contract = self.get_contract(code)
        today = clock.today()
        evaluation = contract.evaluate_team(date=date or today, scores=scores, today=today)
        self.save(contract)
        return {"contract": contract.code, **evaluation}

    @command
    def renew_contract(self, code: str, *, date: dt.date | None = None, term_years: int | None = None) -> Contract:
        """R-CON-2: needs this term's passing team evaluation and no failed planner left in its groups."""
        contract = self.get_contract(code)
        failed = [
            (group.code, planner.code)
            for group in self._groups(contract=contract.code)
            if group.active
            for planner in self.aggregates(planner_id(p) for p in (group.tier1, group.local))
            if planner.failed_term(contract)
        ]
        today = clock.today()
        contract.renew(date=date or today, term_years=term_years, today=today, failed_members=failed,
                       window_days=self.renewal_window_days)
        self.save(contract)
        return contract

    @command
    def end_contract(self, code: str, *, date: dt.date | None = None, reason: str | None = None) -> Contract:
        contract = self.get_contract(code)
        today = clock.today()
        contract.end(date=date or today, reason=reason, today=today)
        self.save(contract)
        return contract

    # -- planners --------------------------------------------------------

    @command
    def appoint_planner(
        self,
        *,
        id: str,  # noqa: A002
        name: str,
        origin: str,
        qualifications: Iterable[str],
        experience_years: int | None = None,
        community_renewal: bool | None = None,
        institution: str | None = None,
        date: dt.date | None = None,
        institution_code: str | None = None,
        serves_locally: bool | None = None,
    ) -> Planner:
        self._new(planner_id(id), id, "id", Planner)
        today = clock.today()
        recorded = None if institution_code is None else self._ref(
            Institution, institution_id(institution_code), institution_code, "institution_code", "R-TEAM-1")
        planner = Planner.appoint(
            code=id,
            name=name,
            origin=origin,
            qualifications=qualifications,
            experience_years=0 if experience_years is None else experience_years,
            community_renewal=bool(community_renewal),
            institution=institution,
            date=date,
            today=today,
            recorded_institution=recorded,
            serves_locally=serves_locally,
        )
        self.save(planner)
        return planner

    @command
    def evaluate_planner(
        self, code: str, *, contract: str, scores: Mapping[str, Any], date: dt.date | None = None
    ) -> dict[str, Any]:
        planner = self.get_planner(code)
        under = self._ref(Contract, contract_id(contract), contract, "contract", "R-CON-1")
        today = clock.today()
        evaluation = planner.evaluate(contract=under, date=date or today, scores=scores, today=today)
        self.save(planner)
        return {"planner": planner.code, **evaluation}

    @command
    def dismiss_planner(self, code: str, *, date: dt.date | None = None, reason: str | None = None) -> Planner:
        planner = self.get_planner(code)
        today = clock.today()
        planner.dismiss(date=date or today, reason=reason, today=today)
        self.save(planner)
        return planner

    # -- groups ----------------------------------------------------------

    def _planners(self, codes: Iterable[str], field: str) -> list[Planner]:
        return [self._ref(Planner, planner_id(c), c, field, "R-ORG-4") for c in codes]

    @command
    def form_group(
        self,
        *,
        code: str,
        district: str,
        contract: str,
        planners: list[str],
        from_date: dt.date | None = None,
    ) -> Group:
        self._new(group_id(code), code, "code", Group)
        serves = self._ref(District, district_id(district), district, "district", "R-ORG-1")
        under = self._ref(Contract, contract_id(contract), contract, "contract", "R-CON-1")
        members = self._planners(planners, "planners")
        group = Group.form(
            code=code,
            district=serves,
            contract=under,
            planners=members,
            from_date=from_date or clock.today(),
            today=clock.today(),
            district_groups=self._groups(district=district),
        )
        self.save(group, *members)
        return group

    @command
    def replace_planner(
        self, code: str, *, out: str, incoming: str, reason: str, date: dt.date | None = None
    ) -> Group:
        group = self.get_group(code)
        leaving = self._ref(Planner, planner_id(out), out, "out", "R-CON-4")
        joining = self._ref(Planner, planner_id(incoming), incoming, "in", "R-ORG-4")
        contract = self.get_contract(group.contract)
        today = clock.today()
        group.replace(out=leaving, incoming=joining, contract=contract, date=date or today, reason=reason, today=today)
        self.save(group, leaving, joining)
        return group

    @command
    def end_group(self, code: str, *, date: dt.date | None = None, reason: str | None = None) -> Group:
        group = self.get_group(code)
        members = self.aggregates(planner_id(p) for p in (group.tier1, group.local))
        today = clock.today()
        group.end(date=date or today, reason=reason, planners=members, today=today)
        self.save(group, *members)
        return group

    # -- queries other services need ------------------------------------

    def _created(self, event_class: type) -> Iterator[Any]:
        """Creation events of one kind, in notification order (finds aggregates by code)."""
        topics = stored_topics(event_class)  # the previous release's too
        start = 1
        while True:
            batch = self.recorder.select_notifications(start=start, limit=_SCAN_BATCH, topics=topics)
            for notification in batch:
                yield self.mapper.to_domain_event(notification)
            if len(batch) < _SCAN_BATCH:
                return
            start = batch[-1].id + 1

    def _groups(self, *, district: str | None = None, contract: str | None = None) -> list[Group]:
        ids = [
            e.originator_id
            for e in self._created(Group.GroupFormed)
            if (district is None or e.district == district) and (contract is None or e.contract == contract)
        ]
        return self.aggregates(ids)

    def serving(self, district: str, date: dt.date | None = None) -> dict[str, Any]:
        """Who serves district X on date D: the group, its contract and the planners on that date."""
        on = date or clock.today()
        self.get_district(district)
        for group in self._groups(district=district):
            if not group.serves_on(on):
                continue
            contract = self.get_contract(group.contract)
            if not contract.covers(on):
                continue
            return {
                "district": district,
                "date": on.isoformat(),
                "group": group.code,
                "contract": group.contract,
                "planners": group.planners_on(on),
            }
        return {"district": district, "date": on.isoformat(), "group": None, "contract": None, "planners": []}

    def group_terms(self, code: str) -> dict[str, Any]:
        """The contract terms of a group: fee, deduction rule, settings, service years, assignment."""
        group = self.get_group(code)
        contract = self.get_contract(group.contract)
        return {
            "group": group.code,
            "district": group.district,
            "assignment": {"from_date": group.from_date, "end_date": group.end_date},
            **contract.terms(),
        }

    def organisation(self, date: dt.date | None = None) -> dict[str, Any]:
        """Governments, their districts, and who served each district on ``date`` (default today)."""
        on = date or clock.today()
        governments = self.aggregates(e.originator_id for e in self._created(Government.GovernmentRegistered))
        districts = self.aggregates(e.originator_id for e in self._created(District.DistrictRegistered))
        groups = self.aggregates(e.originator_id for e in self._created(Group.GroupFormed))
        contracts = {c.code: c for c in self.aggregates(e.originator_id for e in self._created(Contract.ContractSigned))}
        serving: dict[str, Group] = {}
        for group in groups:
            contract = contracts.get(group.contract)
            if group.serves_on(on) and contract is not None and contract.covers(on):
                serving[group.district] = group
        out = []
        for government in sorted(governments, key=lambda g: g.code):
            rows = []
            for district in sorted((d for d in districts if d.government == government.code), key=lambda d: d.code):
                group = serving.get(district.code)
                rows.append(
                    {
                        **district.as_dict(with_boundary=False),
                        "group": None
                        if group is None
                        else {"code": group.code, "contract": group.contract, "planners": group.planners_on(on)},
                    }
                )
            out.append({**government.as_dict(), "districts": rows})
        return {"date": on.isoformat(), "governments": out,
                "recruitment": self._recruitment(on, contracts.values(), serving.values())}

    @staticmethod
    def _recruitment(on: dt.date, contracts: Iterable[Contract], serving: Iterable[Group]) -> list[dict[str, Any]]:
        """R-TEAM-2: per contract running on ``on``, appointed / target per origin (the planners
        serving in its groups that day)."""
        present: dict[str, list[tuple[str, str]]] = {}
        for group in serving:
            present.setdefault(group.contract, []).extend((m["planner"], m["origin"]) for m in group.planners_on(on))
        return [
            {"contract": c.code, "team": c.team, "team_code": getattr(c, "team_code", None),
             **recruitment(getattr(c, "targets", None) or targets_of(None), present.get(c.code, ()))}
            for c in sorted(contracts, key=lambda c: c.code)
            if c.covers(on)
        ]
