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
from fractions import Fraction
from functools import lru_cache
from typing import Any

from services.backbone.persistence import Database
from services.reporting.items import OPEN, Item
from services.reporting.projections.steps import LAST_STEP_DATE
from services.visits.calendar import as_fraction
from services.visits.domain import ContractTerms, GroupAssignment, Membership
from services.visits.duty import VisitFacts

# The longest visit (R-VIS-1: 5 days) reaches this far past its date.
LONGEST_VISIT_DAYS = 5
# How far before a period's first day its service year can start (R-VIS-4),
# plus the longest visit reaching into it.
LOOKBACK_DAYS = 366 + LONGEST_VISIT_DAYS


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


# What an Item is made of (items.py), per table.
OPINION_COLUMNS = "id, grp, district, government, date, due_date, acknowledge_due_date, steps, category, resolution"
RECOMMENDATION_COLUMNS = (
    "id, grp, district, government, date, due_date, steps, category, title, letter_no, forwarded_on"
)
CONSULTATION_COLUMNS = "id, grp, district, government, date, due_date, steps, kind, subject"


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

    def visits(
        self, first: dt.date, last: dt.date, *, since: dt.date | None = None
    ) -> tuple[dict[str, list[VisitFacts]], dict[str, str | None]]:
        """Every visit (voided too) that can serve a date from ``since`` (default: a
        service year before ``first``) to ``last``, per group; and each group's
        district as its visits name it."""
        start = since - dt.timedelta(days=LONGEST_VISIT_DAYS) if since else first - dt.timedelta(days=LOOKBACK_DAYS)
        rows = self.db.query(
            "SELECT id, grp, district, date, days, leader_met, leader_met_confirmed, voided, confirmation, late, revision"
            " FROM rpt_visits WHERE date >= %s AND date <= %s ORDER BY grp, date, id",
            (start.isoformat(), last.isoformat()),
        )
        by_group: dict[str, list[VisitFacts]] = defaultdict(list)
        districts: dict[str, str | None] = {}
        dates = _Dates()
        for r in rows:
            by_group[r["grp"]].append(
                VisitFacts(
                    r["id"],
                    dates[r["date"]],
                    _days(r["days"]),
                    bool(r["leader_met"]),
                    bool(r["voided"]),
                    r["confirmation"] or "unconfirmed",
                    None if r["leader_met_confirmed"] is None else bool(r["leader_met_confirmed"]),
                    bool(r["late"]),
                    int(r["revision"] or 0),
                )
            )
            districts[r["grp"]] = districts.get(r["grp"]) or r["district"]
        return dict(by_group), districts

    # -- opinions, recommendations, consultations -----------------------------------

    def items(self, last: dt.date, *, since: dt.date | None = None) -> list[Item]:
        """Every opinion, recommendation and consultation dated on or before ``last``.

        With ``since``, only those a report of a period up to ``last``, read as of
        a day from ``since`` on, can count: the ones dated ``since .. last``; of the
        older ones, those still open now, those whose last step is dated ``since``
        or later (whatever they were on a day from ``since`` on, or whatever step
        they took in the period, shows in their steps from then), and the
        recommendations due ``since .. last`` (R-RPT-2). An older item that is
        closed now and took its last step before ``since`` counts nothing: it
        was closed all through the period.
        """
        dates = _Dates()
        items: list[Item] = []
        for r in self._item_rows("rpt_opinions", OPINION_COLUMNS, "opinion", last, since):
            items.append(
                Item(
                    kind="opinion",
                    ref=r["id"],
                    group=r["grp"],
                    district=r["district"],
                    government=r["government"],
                    date=dates[r["date"]],
                    due_date=dates.optional(r["due_date"]),
                    acknowledge_due=dates.optional(r["acknowledge_due_date"]),
                    steps=_steps(r["steps"], dates),
                    category=r["category"],
                    resolution=r["resolution"],
                )
            )
        recommendations = self._item_rows(
            "rpt_recommendations", RECOMMENDATION_COLUMNS, "recommendation", last, since, due=True
        )
        for r in recommendations:
            items.append(
                Item(
                    kind="recommendation",
                    ref=r["id"],
                    group=r["grp"],
                    district=r["district"],
                    government=r["government"],
                    date=dates[r["date"]],
                    due_date=dates.optional(r["due_date"]),
                    steps=_steps(r["steps"], dates),
                    category=r["category"],
                    title=r["title"],
                    letter_no=r["letter_no"],
                    forwarded_on=dates.optional(r["forwarded_on"]),
                )
            )
        for r in self._item_rows("rpt_consultations", CONSULTATION_COLUMNS, "consultation", last, since):
            items.append(
                Item(
                    kind="consultation",
                    ref=r["id"],
                    group=r["grp"],
                    district=r["district"],
                    government=r["government"],
                    date=dates[r["date"]],
                    due_date=dates.optional(r["due_date"]),
                    steps=_steps(r["steps"], dates),
                    category=r["kind"],
                    title=r["subject"],
                )
            )
        return items

    def _item_rows(
        self, table: str, columns: str, kind: str, last: dt.date, since: dt.date | None, *, due: bool = False
    ) -> list[dict[str, Any]]:
        """``items``' rows of one table, ordered by date and id; the parts of the
        UNION do not overlap, and each has an index (projections/steps.py).
        MATERIALIZED sorts the union once: SQLite would otherwise push the
        ORDER BY into each part and scan all history in date order for it."""
        if since is None or since > last:
            sql = f"SELECT {columns} FROM {table} WHERE date <= %s ORDER BY date, id"
            return self.db.query(sql, (last.isoformat(),))
        lo, hi = since.isoformat(), last.isoformat()
        open_ = OPEN[kind]
        marks = ", ".join(["%s"] * len(open_))
        parts = [
            (f"SELECT {columns} FROM {table} WHERE date >= %s AND date <= %s", (lo, hi)),
            (f"SELECT {columns} FROM {table} WHERE status IN ({marks}) AND date < %s", (*open_, lo)),
            (
                f"SELECT {columns} FROM {table} WHERE {LAST_STEP_DATE} >= %s AND date < %s AND status NOT IN ({marks})",
                (lo, lo, *open_),
            ),
        ]
        if due:
            parts.append(
                (
                    f"SELECT {columns} FROM {table} WHERE due_date >= %s AND due_date <= %s AND date < %s"
                    f" AND status NOT IN ({marks}) AND {LAST_STEP_DATE} < %s",
                    (lo, hi, lo, *open_, lo),
                )
            )
        union = " UNION ALL ".join(q for q, _ in parts)
        sql = f"WITH u AS MATERIALIZED ({union}) SELECT * FROM u ORDER BY date, id"
        return self.db.query(sql, tuple(p for _, params in parts for p in params))

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


class _Dates(dict):
    """ISO dates read once per query (a report reads the same few hundred dates many times)."""

    def __missing__(self, key: str) -> dt.date:
        value = self[key] = dt.date.fromisoformat(key)
        return value

    def optional(self, key: str | None) -> dt.date | None:
        return self[key] if key else None


@lru_cache(maxsize=64)
def _days(value: float) -> Fraction:
    return as_fraction(value)


_decode = json.JSONDecoder().raw_decode  # ``steps`` as the projections write it: no surrounding whitespace


def _steps(raw: str, dates: _Dates | None = None) -> tuple[tuple[dt.date, str], ...]:
    dates = dates if dates is not None else _Dates()
    return tuple([(dates[d], s) for d, s in _decode(raw)[0]])
