"""Queries over reporting's read models, turned into values the report
builders compute with: the domain's own ``GroupAssignment`` and
``VisitFacts`` (so R-VIS-2..5 and R-FEE-1 are the visits service's functions,
not a second copy) and ``Item`` for opinions, recommendations and
consultations (items.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.backbone.persistence import Database
from services.reporting.items import Item
from services.visits.calendar import as_fraction
from services.visits.domain import ContractTerms, GroupAssignment, Membership
from services.visits.duty import VisitFacts

# How far before a period's first day its service year can start (R-VIS-4),
# plus the longest visit (R-VIS-1: 5 days) reaching into it.
LOOKBACK_DAYS = 366 + 5


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class GroupInfo:
    code: str
    district: str
    district_name: str | None
    government: str | None
    government_name: str | None
    contract: str
    assignment: GroupAssignment

    def serves_on(self, day: dt.date) -> bool:
        return self.assignment.assigned_on(day)

    def on_duty_between(self, first: dt.date, last: dt.date) -> bool:
        return any(a <= last and b >= first for a, b in self.assignment.on_duty())


@dataclass
class Organisation:
    governments: dict[str, dict[str, Any]] = field(default_factory=dict)
    districts: dict[str, dict[str, Any]] = field(default_factory=dict)
    contracts: dict[str, ContractTerms] = field(default_factory=dict)
    groups: dict[str, GroupInfo] = field(default_factory=dict)
    planners: dict[str, dict[str, Any]] = field(default_factory=dict)
    _by_district: dict[str, list[GroupInfo]] | None = field(default=None, repr=False)

    def group_serving(self, district: str | None, day: dt.date) -> str | None:
        """The group serving ``district`` on ``day`` (R-ORG-1: one at a time)."""
        if self._by_district is None:
            index: dict[str, list[GroupInfo]] = defaultdict(list)
            for code in sorted(self.groups):
                index[self.groups[code].district].append(self.groups[code])
            self._by_district = dict(index)
        for info in self._by_district.get(district or "", ()):
            if info.serves_on(day):
                return info.code
        return None

    def government_of(self, district: str | None) -> str | None:
        return (self.districts.get(district or "") or {}).get("government")


class ReadModels:
    def __init__(self, db: Database):
        self.db = db

    # -- organisation ----------------------------------------------------------

    def organisation(self) -> Organisation:
        org = Organisation()
        for r in self.db.query("SELECT code, name, kind FROM rpt_governments"):
            org.governments[r["code"]] = dict(r)
        for r in self.db.query("SELECT code, name, government, types FROM rpt_districts"):
            org.districts[r["code"]] = {**r, "types": json.loads(r["types"])}
        for r in self.db.query("SELECT * FROM rpt_contracts"):
            end = dt.date.fromisoformat(r["end_date"])
            if r["ended_on"]:
                end = min(end, dt.date.fromisoformat(r["ended_on"]))
            org.contracts[r["id"]] = ContractTerms(
                id=r["id"],
                start_date=dt.date.fromisoformat(r["start_date"]),
                end_date=end,
                annual_fee_fen=int(r["annual_fee_fen"]),
                deduction_rule=r["deduction_rule"],
                service_year_basis=r["service_year_basis"],
                settle_confirmed_only=bool(r["settle_confirmed_only"]),
                late_after_days=int(r["late_after_days"]),
            )
        for r in self.db.query("SELECT id, name, origin, community_renewal, dismissed_on FROM rpt_planners"):
            org.planners[r["id"]] = dict(r)
        periods: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        for r in self.db.query("SELECT grp, from_date, to_date FROM rpt_group_periods ORDER BY grp, from_date"):
            periods[r["grp"]].append((dt.date.fromisoformat(r["from_date"]), _date(r["to_date"])))
        members: dict[str, list[Membership]] = defaultdict(list)
        for r in self.db.query("SELECT grp, planner, from_date, to_date FROM rpt_members ORDER BY grp, from_date, planner"):
            members[r["grp"]].append(Membership(r["planner"], dt.date.fromisoformat(r["from_date"]), _date(r["to_date"])))
        for r in self.db.query("SELECT code, district, contract FROM rpt_groups"):
            district = org.districts.get(r["district"]) or {}
            government = district.get("government")
            org.groups[r["code"]] = GroupInfo(
                code=r["code"],
                district=r["district"],
                district_name=district.get("name"),
                government=government,
                government_name=(org.governments.get(government or "") or {}).get("name"),
                contract=r["contract"],
                assignment=GroupAssignment(
                    code=r["code"],
                    district=r["district"],
                    contract=org.contracts.get(r["contract"]),
                    periods=tuple(periods[r["code"]]),
                    members=tuple(members[r["code"]]),
                ),
            )
        return org

    # -- visits ------------------------------------------------------------------

    def visits(self, first: dt.date, last: dt.date) -> tuple[dict[str, list[VisitFacts]], dict[str, str | None]]:
        """Every visit (voided too) dated ``first - LOOKBACK_DAYS .. last``, per group;
        and each group's district as its visits name it."""
        rows = self.db.query(
            "SELECT id, grp, district, date, days, leader_met, leader_met_confirmed, voided, confirmation, late, revision"
            " FROM rpt_visits WHERE date >= %s AND date <= %s ORDER BY grp, date, id",
            ((first - dt.timedelta(days=LOOKBACK_DAYS)).isoformat(), last.isoformat()),
        )
        by_group: dict[str, list[VisitFacts]] = defaultdict(list)
        districts: dict[str, str | None] = {}
        for r in rows:
            by_group[r["grp"]].append(
                VisitFacts(
                    id=r["id"],
                    date=dt.date.fromisoformat(r["date"]),
                    days=as_fraction(r["days"]),
                    leader_met=bool(r["leader_met"]),
                    voided=bool(r["voided"]),
                    confirmation=r["confirmation"] or "unconfirmed",
                    leader_met_confirmed=None if r["leader_met_confirmed"] is None else bool(r["leader_met_confirmed"]),
                    late=bool(r["late"]),
                    revision=int(r["revision"] or 0),
                )
            )
            districts[r["grp"]] = districts.get(r["grp"]) or r["district"]
        return dict(by_group), districts

    # -- opinions, recommendations, consultations -----------------------------------

    def items(self, last: dt.date) -> list[Item]:
        """Every opinion, recommendation and consultation dated on or before ``last``."""
        cutoff = last.isoformat()
        items: list[Item] = []
        for r in self.db.query("SELECT * FROM rpt_opinions WHERE date <= %s ORDER BY date, id", (cutoff,)):
            items.append(
                Item(
                    kind="opinion",
                    ref=r["id"],
                    group=r["grp"],
                    district=r["district"],
                    government=r["government"],
                    date=dt.date.fromisoformat(r["date"]),
                    due_date=_date(r["due_date"]),
                    acknowledge_due=_date(r["acknowledge_due_date"]),
                    steps=_steps(r["steps"]),
                    category=r["category"],
                    resolution=r["resolution"],
                )
            )
        for r in self.db.query("SELECT * FROM rpt_recommendations WHERE date <= %s ORDER BY date, id", (cutoff,)):
            items.append(
                Item(
                    kind="recommendation",
                    ref=r["id"],
                    group=r["grp"],
                    district=r["district"],
                    government=r["government"],
                    date=dt.date.fromisoformat(r["date"]),
                    due_date=_date(r["due_date"]),
                    steps=_steps(r["steps"]),
                    category=r["category"],
                    title=r["title"],
                    letter_no=r["letter_no"],
                    forwarded_on=_date(r["forwarded_on"]),
                )
            )
        for r in self.db.query("SELECT * FROM rpt_consultations WHERE date <= %s ORDER BY date, id", (cutoff,)):
            items.append(
                Item(
                    kind="consultation",
                    ref=r["id"],
                    group=r["grp"],
                    district=r["district"],
                    government=r["government"],
                    date=dt.date.fromisoformat(r["date"]),
                    due_date=_date(r["due_date"]),
                    steps=_steps(r["steps"]),
                    category=r["kind"],
                    title=r["subject"],
                )
            )
        return items

    def letters(self, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT id, letter_no, government, date, due_date, recommendations, districts, group_codes FROM rpt_letters"
            " WHERE date >= %s AND date <= %s ORDER BY date, letter_no",
            (first.isoformat(), last.isoformat()),
        )
        return [
            {
                **{k: v for k, v in r.items() if k != "group_codes"},
                "recommendations": json.loads(r["recommendations"]),
                "districts": json.loads(r["districts"]),
                "groups": json.loads(r["group_codes"]),
            }
            for r in rows
        ]

    # -- settlements and paperwork ---------------------------------------------------

    def latest_settlements(self, service_year: int) -> dict[str, dict[str, Any]]:
        """Per group, the latest settlement of ``service_year`` (R-FEE-1)."""
        rows = self.db.query(
            "SELECT * FROM rpt_settlements WHERE service_year = %s ORDER BY grp, number", (service_year,)
        )
        latest: dict[str, dict[str, Any]] = {}
        for r in rows:
            latest[r["grp"]] = {
                **r,
                "figures": json.loads(r["figures"]),
                "unconfirmed_visits": json.loads(r["unconfirmed_visits"]),
                "duty_month_list": json.loads(r["duty_month_list"]),
                "months_with_visit_list": json.loads(r["months_with_visit_list"]),
            }
        return latest

    def publicity(self, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT id, grp, district, government, date, mode, title, audience, platform FROM rpt_publicity"
            " WHERE date >= %s AND date <= %s ORDER BY date, id",
            (first.isoformat(), last.isoformat()),
        )

    def work_summaries(self, periods: list[str]) -> list[dict[str, Any]]:
        if not periods:
            return []
        marks = ", ".join(["%s"] * len(periods))
        rows = self.db.query(
            "SELECT grp, district, government, kind, period, date, text, highlights, revision FROM rpt_work_summaries"
            f" WHERE period IN ({marks}) ORDER BY kind, period, grp",
            tuple(periods),
        )
        return [{**r, "highlights": json.loads(r["highlights"])} for r in rows]

    def ratings(self, year: int) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT grp, district, government, year, target, target_code, scores, text, date, revision FROM rpt_ratings"
            " WHERE year = %s ORDER BY grp, target",
            (year,),
        )
        return [{**r, "scores": json.loads(r["scores"])} for r in rows]

    def annual_summaries(self, year: int) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT kind, author, government, district, grp, year, text, date, revision FROM rpt_annual_summaries"
            " WHERE year = %s ORDER BY kind, author",
            (year,),
        )

    def evaluations(self, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT subject_kind, code, contract, date, term, scores, total, passed, pass_mark FROM rpt_evaluations"
            " WHERE date >= %s AND date <= %s ORDER BY date, subject_kind, code",
            (first.isoformat(), last.isoformat()),
        )
        return [{**r, "scores": json.loads(r["scores"])} for r in rows]


def _steps(raw: str) -> tuple[tuple[dt.date, str], ...]:
    return tuple((dt.date.fromisoformat(d), s) for d, s in json.loads(raw))
