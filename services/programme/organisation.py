"""Who serves where, under which contract (R-ORG-*, R-CON-*), from the contracts
service's events: governments, districts, contracts, planners, and groups with
their assignment periods and membership history. One read model, kept by every
service that needs the organisation in its own database under its own table
prefix (a subclass names the read model, its service and the prefix); each
reads the columns it needs.

Date conventions are the contracts service's: an end event's ``date`` is the
last day covered; a replacement's ``date`` is the incoming planner's first day
(the outgoing planner's last is the day before). Dates stay ISO strings (they
compare as text).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import Projection, handles
from services.programme.assignment import DEFAULT_LATE_AFTER_DAYS, ContractTerms
from services.programme.calendar import term_end
from services.programme.recruitment import targets_of
from services.programme.terms import policy_terms

DEFAULT_TERM_YEARS = 3  # contracts signed before the term was a field
TABLES = ("governments", "districts", "contracts", "planners", "groups", "group_periods", "members")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _contacts(data: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """R-ORG-7: the leader, department and contact person, each as JSON (None: not given)."""
    return _json(data.get("leader")), _json(data.get("department")), _json(data.get("contact"))


def contacts_of(row: dict[str, Any]) -> dict[str, Any]:
    """The leader, department and contact of a government's or district's row, as the events gave them."""
    return {k: json.loads(row[k]) if row[k] is not None else None for k in ("leader", "department", "contact")}


def _term_end(start: str, years: int) -> str:
    return term_end(dt.date.fromisoformat(start), years).isoformat()  # R-CON-2, R-VIS-2


def _day_before(iso: str) -> str:
    return (dt.date.fromisoformat(iso) - dt.timedelta(days=1)).isoformat()


def _day_after(iso: str) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()


def organisation_tables(prefix: str) -> tuple[str, ...]:
    """The read model's tables under ``prefix``: a service reads them by these names."""
    return tuple(f"{prefix}{name}" for name in TABLES)


def organisation_schema(prefix: str) -> tuple[str, ...]:
    p = prefix
    return (
        f"CREATE TABLE IF NOT EXISTS {p}governments ("
        " code TEXT PRIMARY KEY, name TEXT, kind TEXT, leader TEXT, department TEXT, contact TEXT)",
        f"CREATE TABLE IF NOT EXISTS {p}districts ("
        " code TEXT PRIMARY KEY, name TEXT, government TEXT, types TEXT NOT NULL DEFAULT '[]',"
        " leader TEXT, department TEXT, contact TEXT, has_boundary INTEGER NOT NULL DEFAULT 0, boundary TEXT)",
        f"CREATE INDEX IF NOT EXISTS {p}districts_government ON {p}districts (government)",
        f"CREATE TABLE IF NOT EXISTS {p}contracts ("
        " id TEXT PRIMARY KEY, team TEXT, institution TEXT, start_date TEXT NOT NULL, term_years INTEGER NOT NULL,"
        " end_date TEXT NOT NULL, ended_on TEXT, term INTEGER NOT NULL DEFAULT 1, annual_fee_fen BIGINT NOT NULL,"
        " deduction_rule TEXT NOT NULL, service_year_basis TEXT NOT NULL, settle_confirmed_only INTEGER NOT NULL,"
        " late_after_days INTEGER NOT NULL, leader_meeting_counts_for_visit INTEGER NOT NULL DEFAULT 0,"
        " team_passed INTEGER, signed_on TEXT, terms TEXT, team_code TEXT, targets TEXT)",
        f"CREATE TABLE IF NOT EXISTS {p}planners ("
        " id TEXT PRIMARY KEY, name TEXT, origin TEXT, qualifications TEXT NOT NULL DEFAULT '[]',"
        " experience_years INTEGER, community_renewal INTEGER NOT NULL DEFAULT 0, institution TEXT,"
        " appointed_on TEXT, dismissed_on TEXT, grp TEXT, institution_code TEXT, serves_locally INTEGER)",
        f"CREATE TABLE IF NOT EXISTS {p}groups ("
        " code TEXT PRIMARY KEY, district TEXT NOT NULL, government TEXT, contract TEXT NOT NULL,"
        " tier1 TEXT, local TEXT, from_date TEXT, ended_on TEXT, end_reason TEXT)",
        f"CREATE INDEX IF NOT EXISTS {p}groups_district ON {p}groups (district)",
        f"CREATE TABLE IF NOT EXISTS {p}group_periods ("
        " grp TEXT NOT NULL, from_date TEXT NOT NULL, to_date TEXT, reason TEXT, PRIMARY KEY (grp, from_date))",
        f"CREATE TABLE IF NOT EXISTS {p}members ("
        " grp TEXT NOT NULL, planner TEXT NOT NULL, seat TEXT NOT NULL, from_date TEXT NOT NULL, to_date TEXT,"
        " reason TEXT, PRIMARY KEY (grp, planner, from_date))",
    )


def contract_terms(row: dict[str, Any]) -> ContractTerms:
    """A row of the contracts table as the rules see it: it ends on its last day, or earlier
    when it was ended (R-CON-1, R-CON-2)."""
    end = dt.date.fromisoformat(row["end_date"])
    if row["ended_on"]:
        end = min(end, dt.date.fromisoformat(row["ended_on"]))
    return ContractTerms(
        id=row["id"],
        start_date=dt.date.fromisoformat(row["start_date"]),
        end_date=end,
        annual_fee_fen=int(row["annual_fee_fen"]),
        deduction_rule=row["deduction_rule"],
        service_year_basis=row["service_year_basis"],
        settle_confirmed_only=bool(row["settle_confirmed_only"]),
        late_after_days=int(row["late_after_days"]),
        leader_meeting_counts_for_visit=bool(row["leader_meeting_counts_for_visit"]),
    )


class OrganisationProjection(Projection):
    """The organisation under ``prefix``; a subclass sets ``name``, ``consumer`` and ``prefix``,
    and its ``tables`` and ``table_names`` follow (with any ``own_tables`` it adds)."""

    sources = ("contracts",)
    prefix: str = ""
    own_tables: tuple[str, ...] = ()  # a subclass's own statements, after the organisation's
    own_tables_first: bool = False  # or before them (the order is in the schema's fingerprint)
    own_table_names: tuple[str, ...] = ()  # of its own tables, those reset() drops

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        schema = organisation_schema(cls.prefix)
        cls.tables = (*cls.own_tables, *schema) if cls.own_tables_first else (*schema, *cls.own_tables)
        cls.table_names = organisation_tables(cls.prefix) + cls.own_table_names

    # -- governments and districts (R-ORG-2, R-ORG-3, R-ORG-6, R-ORG-7) ----------

    @handles("GovernmentRegistered")
    def government_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            f"INSERT INTO {self.prefix}governments (code, name, kind, leader, department, contact)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
            " kind = excluded.kind, leader = excluded.leader, department = excluded.department,"
            " contact = excluded.contact",
            (d["code"], d.get("name"), d.get("kind"), *_contacts(d)),
        )

    @handles("ContactsChanged")
    def contacts_changed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        table = "governments" if d["entity"] == "government" else "districts"
        cur.execute(
            f"UPDATE {self.prefix}{table} SET leader = %s, department = %s, contact = %s WHERE code = %s",
            (*_contacts(d), d["code"]),
        )

    @handles("DistrictRegistered")
    def district_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            f"INSERT INTO {self.prefix}districts (code, name, government, types, leader, department, contact,"
            " has_boundary, boundary) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET"
            " name = excluded.name, government = excluded.government, types = excluded.types, leader = excluded.leader,"
            " department = excluded.department, contact = excluded.contact, has_boundary = excluded.has_boundary,"
            " boundary = excluded.boundary",
            (d["code"], d.get("name"), d.get("government"), _json(d.get("types") or []), *_contacts(d),
             1 if d.get("boundary") else 0, _json(d.get("boundary"))),
        )

    @handles("DistrictTypesChanged")
    def district_types_changed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(f"UPDATE {self.prefix}districts SET types = %s WHERE code = %s", (_json(d.get("types") or []), d["code"]))

    @handles("DistrictBoundarySet")
    def district_boundary_set(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            f"UPDATE {self.prefix}districts SET has_boundary = 1, boundary = %s WHERE code = %s",
            (_json(d.get("boundary")), d["code"]),
        )

    # -- contracts (R-CON-1, R-CON-2) -------------------------------------------

    @handles("ContractSigned")
    def contract_signed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        term = int(d.get("term_years") or DEFAULT_TERM_YEARS)
        late = d.get("late_after_days")
        cur.execute(
            f"INSERT INTO {self.prefix}contracts (id, team, institution, start_date, term_years, end_date, ended_on,"
            " term, annual_fee_fen, deduction_rule, service_year_basis, settle_confirmed_only, late_after_days,"
            " leader_meeting_counts_for_visit, team_passed, signed_on, terms, team_code, targets)"
            " VALUES (%s, %s, %s, %s, %s, %s, NULL, 1, %s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET team = excluded.team, institution = excluded.institution,"
            " start_date = excluded.start_date, term_years = excluded.term_years, end_date = excluded.end_date,"
            " annual_fee_fen = excluded.annual_fee_fen, deduction_rule = excluded.deduction_rule,"
            " service_year_basis = excluded.service_year_basis, settle_confirmed_only = excluded.settle_confirmed_only,"
            " late_after_days = excluded.late_after_days,"
            " leader_meeting_counts_for_visit = excluded.leader_meeting_counts_for_visit,"
            " signed_on = excluded.signed_on, terms = excluded.terms, team_code = excluded.team_code,"
            " targets = excluded.targets",
            (
                d["id"],
                d.get("team"),
                d.get("institution"),
                d["start_date"],
                term,
                d.get("end_date") or _term_end(d["start_date"], term),
                int(d["annual_fee_fen"]),
                d.get("deduction_rule") or "max",
                d.get("service_year_basis") or "contract",
                1 if d.get("settle_confirmed_only") else 0,
                DEFAULT_LATE_AFTER_DAYS if late is None else int(late),  # R-VIS-7
                1 if d.get("leader_meeting_counts_for_visit") else 0,  # R-VIS-3
                d.get("signed_on"),  # R-CON-1 (amended): absent from older events
                json.dumps(policy_terms(d.get("terms"), d.get("work_content")), ensure_ascii=False),
                d.get("team_code"),  # R-TEAM-1: absent from older events
                json.dumps(targets_of(d.get("targets")), sort_keys=True),  # R-TEAM-2: older events, the policy's
            ),
        )

    @handles("ContractRenewed")
    def contract_renewed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-CON-2: a new term from the day after the last one; term_years stays the signed term.
        d = envelope["data"]
        row = cur.execute(
            f"SELECT end_date, term_years, term FROM {self.prefix}contracts WHERE id = %s", (d["id"],)
        ).fetchone()
        if row is None:
            return
        years = int(d.get("term_years") or row["term_years"])
        end = d.get("end_date") or _term_end(_day_after(row["end_date"]), years)
        cur.execute(
            f"UPDATE {self.prefix}contracts SET end_date = %s, term = %s, team_passed = NULL, ended_on = NULL"
            " WHERE id = %s",
            (end, int(d.get("term") or row["term"] + 1), d["id"]),
        )

    @handles("ContractEnded")
    def contract_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(f"UPDATE {self.prefix}contracts SET ended_on = %s WHERE id = %s", (d["date"], d["id"]))

    @handles("TeamEvaluated")
    def team_evaluated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            f"UPDATE {self.prefix}contracts SET team_passed = %s WHERE id = %s", (1 if d["passed"] else 0, d["contract"])
        )

    # -- planners (R-ORG-5) ---------------------------------------------------------

    @handles("PlannerAppointed")
    def planner_appointed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            f"INSERT INTO {self.prefix}planners (id, name, origin, qualifications, experience_years,"
            " community_renewal, institution, appointed_on, institution_code, serves_locally)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, origin = excluded.origin,"
            " qualifications = excluded.qualifications, experience_years = excluded.experience_years,"
            " community_renewal = excluded.community_renewal, institution = excluded.institution,"
            " appointed_on = excluded.appointed_on, institution_code = excluded.institution_code,"
            " serves_locally = excluded.serves_locally",
            (d["id"], d.get("name"), d.get("origin"), _json(d.get("qualifications") or []), d.get("experience_years"),
             1 if d.get("community_renewal") else 0, d.get("institution"), d.get("date"),
             d.get("institution_code"),  # R-TEAM-1, R-TEAM-2: absent from older events
             None if d.get("serves_locally") is None else int(bool(d["serves_locally"]))),
        )

    @handles("PlannerDismissed")
    def planner_dismissed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(f"UPDATE {self.prefix}planners SET dismissed_on = %s WHERE id = %s", (d["date"], d["id"]))
        # R-ORG-4 dismisses only a planner in no group: a membership left open (a history from
        # before that rule) ends with the dismissal.
        cur.execute(
            f"UPDATE {self.prefix}members SET to_date = %s, reason = %s WHERE planner = %s AND (to_date IS NULL OR to_date > %s)",
            (d["date"], d.get("reason") or "dismissed", d["id"], d["date"]),
        )

    @handles("PlannerAssigned")
    def planner_assigned(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(f"UPDATE {self.prefix}planners SET grp = %s WHERE id = %s", (d["group"], d["id"]))

    @handles("PlannerReleased")
    def planner_released(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(f"UPDATE {self.prefix}planners SET grp = NULL WHERE id = %s AND grp = %s", (d["id"], d["group"]))

    # -- groups (R-ORG-1, R-ORG-4, R-CON-4) -------------------------------------------

    @handles("GroupFormed")
    def group_formed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        p, code, start = self.prefix, d["code"], d["from_date"]
        district = cur.execute(f"SELECT government FROM {p}districts WHERE code = %s", (d["district"],)).fetchone()
        cur.execute(
            f"INSERT INTO {p}groups (code, district, government, contract, tier1, local, from_date)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET district = excluded.district,"
            " government = excluded.government, contract = excluded.contract, tier1 = excluded.tier1,"
            " local = excluded.local, from_date = excluded.from_date, ended_on = NULL, end_reason = NULL",
            (code, d["district"], district["government"] if district else None, d["contract"], d.get("tier1"),
             d.get("local"), start),
        )
        cur.execute(
            f"INSERT INTO {p}group_periods (grp, from_date, to_date) VALUES (%s, %s, NULL)"
            " ON CONFLICT (grp, from_date) DO NOTHING",
            (code, start),
        )
        for seat in ("tier1", "local"):
            if d.get(seat):
                cur.execute(
                    f"INSERT INTO {p}members (grp, planner, seat, from_date, to_date) VALUES (%s, %s, %s, %s, NULL)"
                    " ON CONFLICT (grp, planner, from_date) DO NOTHING",
                    (code, d[seat], seat, start),
                )

    @handles("PlannerReplaced")
    def planner_replaced(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-CON-4: only the membership changes; the group's obligations go on.
        d = envelope["data"]
        p, group, day, incoming, outgoing = self.prefix, d["group"], d["date"], d["in"], d["out"]
        for seat in ("tier1", "local"):
            cur.execute(f"UPDATE {p}groups SET {seat} = %s WHERE code = %s AND {seat} = %s", (incoming, group, outgoing))
        row = cur.execute(
            f"SELECT seat FROM {p}members WHERE grp = %s AND planner = %s ORDER BY from_date DESC", (group, outgoing)
        ).fetchone()
        cur.execute(
            f"UPDATE {p}members SET to_date = %s, reason = %s"
            " WHERE grp = %s AND planner = %s AND (to_date IS NULL OR to_date >= %s)",
            (_day_before(day), d.get("reason") or "replaced", group, outgoing, day),
        )
        cur.execute(
            f"INSERT INTO {p}members (grp, planner, seat, from_date, to_date) VALUES (%s, %s, %s, %s, NULL)"
            " ON CONFLICT (grp, planner, from_date) DO UPDATE SET to_date = NULL",
            (group, incoming, row["seat"] if row else "unknown", day),
        )

    @handles("GroupAssignmentEnded")
    def group_assignment_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        p, group, day = self.prefix, d["group"], d["date"]
        cur.execute(f"UPDATE {p}groups SET ended_on = %s, end_reason = %s WHERE code = %s", (day, d.get("reason"), group))
        cur.execute(
            f"UPDATE {p}group_periods SET to_date = %s, reason = %s WHERE grp = %s AND (to_date IS NULL OR to_date > %s)",
            (day, d.get("reason"), group, day),
        )
        cur.execute(
            f"UPDATE {p}members SET to_date = %s, reason = %s WHERE grp = %s AND (to_date IS NULL OR to_date > %s)",
            (day, d.get("reason") or "assignment ended", group, day),
        )

