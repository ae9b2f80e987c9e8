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
from services.programme.assignment import ContractTerms, GroupAssignment, Membership
from services.programme.calendar import as_fraction
from services.programme.duty import VisitFacts
from services.programme.organisation import contract_terms
from services.programme.recruitment import targets_of
from services.reporting.items import OPEN, Item
from services.reporting.projections.steps import LAST_STEP_DATE

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
    targets: dict[str, dict[str, int]] = field(default_factory=dict)  # R-TEAM-2: per contract and origin
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


@dataclass(frozen=True)
class Scope:
    """Part of the rows a report reads (the monthly report's cache computes again
    only the groups that changed): the rows of ``groups``; the rows with no group
    in ``districts`` (a report gives them to the group serving the district on
    their date); with ``ungrouped``, every row with no group (those no group
    serves are listed on their own)."""

    groups: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    ungrouped: bool = False

    def conditions(self) -> list[tuple[str, tuple[str, ...]]]:
        """SQL conditions on ``grp`` and ``district`` (with their parameters) whose
        rows, which do not overlap, are the scope's. Apart, not joined by OR:
        SQLite reads each by the index on ``grp``, an OR of them by none."""
        out = []
        if self.groups:
            out.append(self.of_groups())
        if self.ungrouped:
            out.append(("grp IS NULL", ()))
        elif self.districts:
            out.append((f"grp IS NULL AND district IN ({_marks(self.districts)})", tuple(sorted(self.districts))))
        return out

    def of_groups(self) -> tuple[str, tuple[str, ...]]:
        """The condition on the rows of ``groups`` only (the visits, which always have
        a group, and the publicity, which counts for no group without one)."""
        if not self.groups:
            return "1 = 0", ()
        return f"grp IN ({_marks(self.groups)})", tuple(sorted(self.groups))


def _marks(values: Any) -> str:
    return ", ".join(["%s"] * len(values))


def _of_groups(scope: Scope | None) -> tuple[str, tuple[str, ...]]:
    """`` AND`` the condition on the scope's groups (nothing without a scope)."""
    if scope is None:
        return "", ()
    condition, params = scope.of_groups()
    return f" AND {condition}", params


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
            org.contracts[r["id"]] = contract_terms(r)
            org.targets[r["id"]] = targets_of(json.loads(r["targets"]) if r["targets"] else None)
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
        self, first: dt.date, last: dt.date, *, since: dt.date | None = None, scope: Scope | None = None
    ) -> tuple[dict[str, list[VisitFacts]], dict[str, str | None]]:
        """Every visit (voided too) that can serve a date from ``since`` (default: a
        service year before ``first``) to ``last``, per group; and each group's
        district as its visits name it. With ``scope``, only its groups'."""
        start = since - dt.timedelta(days=LONGEST_VISIT_DAYS) if since else first - dt.timedelta(days=LOOKBACK_DAYS)
        restrict, scoped = _of_groups(scope)
        rows = self.db.query(
            "SELECT id, grp, district, date, days, leader_met, leader_met_confirmed, voided, confirmation, late, revision"
            f" FROM rpt_visits WHERE date >= %s AND date <= %s{restrict} ORDER BY grp, date, id",
            (start.isoformat(), last.isoformat(), *scoped),
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

    def items(self, last: dt.date, *, since: dt.date | None = None, scope: Scope | None = None) -> list[Item]:
        """Every opinion, recommendation and consultation dated on or before ``last``.

        With ``since``, only those a report of a period up to ``last``, read as of
        a day from ``since`` on, can count: the ones dated ``since .. last``; of the
        older ones, those still open now, those whose last step is dated ``since``
        or later (whatever they were on a day from ``since`` on, or whatever step
        they took in the period, shows in their steps from then), and the
        recommendations due ``since .. last`` (R-RPT-2). An older item that is
        closed now and took its last step before ``since`` counts nothing: it
        was closed all through the period.

        With ``scope``, only the rows of its groups and districts, chosen as above.
        """
        dates = _Dates()

        def item(kind: str, r: dict[str, Any], **facts: Any) -> Item:
            """What every item has, from its row; ``facts``, what its kind adds."""
            return Item(
                kind=kind,
                ref=r["id"],
                group=r["grp"],
                district=r["district"],
                government=r["government"],
                date=dates[r["date"]],
                due_date=dates.optional(r["due_date"]),
                steps=_steps(r["steps"], dates),
                **facts,
            )

        items = [
            item(
                "opinion",
                r,
                acknowledge_due=dates.optional(r["acknowledge_due_date"]),
                category=r["category"],
                resolution=r["resolution"],
            )
            for r in self._item_rows("rpt_opinions", OPINION_COLUMNS, "opinion", last, since, scope)
        ]
        recommendations = self._item_rows(
            "rpt_recommendations", RECOMMENDATION_COLUMNS, "recommendation", last, since, scope, due=True
        )
        items.extend(
            item(
                "recommendation",
                r,
                category=r["category"],
                title=r["title"],
                letter_no=r["letter_no"],
                forwarded_on=dates.optional(r["forwarded_on"]),
            )
            for r in recommendations
        )
        items.extend(
            item("consultation", r, category=r["kind"], title=r["subject"])
            for r in self._item_rows("rpt_consultations", CONSULTATION_COLUMNS, "consultation", last, since, scope)
        )
        return items

    def _item_rows(
        self,
        table: str,
        columns: str,
        kind: str,
        last: dt.date,
        since: dt.date | None,
        scope: Scope | None = None,
        *,
        due: bool = False,
    ) -> list[dict[str, Any]]:
        """``items``' rows of one table, ordered by date and id; the parts of the
        UNION do not overlap, and each has an index (projections/steps.py).
        MATERIALIZED sorts the union once: SQLite would otherwise push the
        ORDER BY into each part and scan all history in date order for it.
        With a scope, each part is read once per condition of the scope."""
        restricts = [("", ())] if scope is None else [(f" AND {c}", p) for c, p in scope.conditions()]
        if not restricts:
            return []
        if since is None or since > last:
            parts = [(f"SELECT {columns} FROM {table} WHERE date <= %s", (last.isoformat(),))]
        else:
            parts = _bounded_parts(table, columns, kind, last, since, due=due)
        selects = [q + restrict for q, _ in parts for restrict, _ in restricts]
        params = tuple(p for _, part in parts for _, scoped in restricts for p in (*part, *scoped))
        if len(selects) == 1:
            return self.db.query(f"{selects[0]} ORDER BY date, id", params)
        sql = f"WITH u AS MATERIALIZED ({' UNION ALL '.join(selects)}) SELECT * FROM u ORDER BY date, id"
        return self.db.query(sql, params)

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

    def publicity(self, first: dt.date, last: dt.date, *, scope: Scope | None = None) -> list[dict[str, Any]]:
        restrict, scoped = _of_groups(scope)
        return self.db.query(
            "SELECT id, grp, district, government, date, mode, title, audience, platform FROM rpt_publicity"
            f" WHERE date >= %s AND date <= %s{restrict} ORDER BY date, id",
            (first.isoformat(), last.isoformat(), *scoped),
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


def _bounded_parts(
    table: str, columns: str, kind: str, last: dt.date, since: dt.date, *, due: bool
) -> list[tuple[str, tuple[str, ...]]]:
    """The parts of ``ReadModels.items``' read with ``since``, each with its parameters."""
    lo, hi = since.isoformat(), last.isoformat()
    open_ = OPEN[kind]
    marks = _marks(open_)
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
    return parts


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
