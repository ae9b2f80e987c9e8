"""Who serves where, under which contract (R-ORG-*, R-CON-*), from the
contracts service's events: governments, districts, contracts with their
service-year basis, planners, and groups with their assignment periods and
membership history.

Date conventions are the contracts service's: an end event's ``date`` is the
last day covered; a replacement's ``date`` is the incoming planner's first
day (the outgoing planner's last is the day before).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Sequence

from services.backbone.envelope import short_type
from services.backbone.persistence import Cursor
from services.backbone.tracking import handles
from services.programme.calendar import term_end
from services.reporting.projections import versions

DEFAULT_TERM_YEARS = 3
# Events that change one group's assignment (R-ORG-1, R-CON-4), and the field naming it.
GROUP_EVENTS = {"GroupFormed": "code", "PlannerReplaced": "group", "GroupAssignmentEnded": "group"}
DIRECTORY_EVENTS = frozenset({"PlannerAppointed", "PlannerDismissed"})
DEFAULT_LATE_AFTER_DAYS = 7


def _term_end(start: str, years: int) -> str:
    return term_end(dt.date.fromisoformat(start), years).isoformat()  # R-CON-2, R-VIS-2


def _day_before(iso: str) -> str:
    return (dt.date.fromisoformat(iso) - dt.timedelta(days=1)).isoformat()


class OrganisationProjection(versions.VersionedProjection):
    name = "reporting.organisation"
    consumer = "reporting"
    sources = ("contracts",)
    table_names = (
        "rpt_governments",
        "rpt_districts",
        "rpt_contracts",
        "rpt_planners",
        "rpt_groups",
        "rpt_group_periods",
        "rpt_members",
    )
    tables = (
        "CREATE TABLE IF NOT EXISTS rpt_governments (code TEXT PRIMARY KEY, name TEXT, kind TEXT)",
        "CREATE TABLE IF NOT EXISTS rpt_districts ("
        " code TEXT PRIMARY KEY, name TEXT, government TEXT, types TEXT NOT NULL DEFAULT '[]')",
        "CREATE TABLE IF NOT EXISTS rpt_contracts ("
        " id TEXT PRIMARY KEY, team TEXT, start_date TEXT NOT NULL, term_years INTEGER NOT NULL,"
        " end_date TEXT NOT NULL, ended_on TEXT, annual_fee_fen BIGINT NOT NULL, deduction_rule TEXT NOT NULL,"
        " service_year_basis TEXT NOT NULL, settle_confirmed_only INTEGER NOT NULL, late_after_days INTEGER NOT NULL,"
        " leader_meeting_counts_for_visit INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE IF NOT EXISTS rpt_planners ("
        " id TEXT PRIMARY KEY, name TEXT, origin TEXT, community_renewal INTEGER NOT NULL DEFAULT 0, dismissed_on TEXT)",
        "CREATE TABLE IF NOT EXISTS rpt_groups (code TEXT PRIMARY KEY, district TEXT NOT NULL, contract TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rpt_group_periods ("
        " grp TEXT NOT NULL, from_date TEXT NOT NULL, to_date TEXT, reason TEXT, PRIMARY KEY (grp, from_date))",
        "CREATE TABLE IF NOT EXISTS rpt_members ("
        " grp TEXT NOT NULL, planner TEXT NOT NULL, seat TEXT NOT NULL, from_date TEXT NOT NULL, to_date TEXT,"
        " reason TEXT, PRIMARY KEY (grp, planner, from_date))",
        versions.CREATE_TABLE,
    )

    def keys_before(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        return self._group_keys(cur, envelopes)

    def keys_after(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        # Names, contracts and districts are in every row: all groups. A group's own
        # assignment is in its row alone, and decides whose the rows with no group in
        # its district are (before and after); the planners' directory is in no row.
        # Contracts events it has no handler for (evaluations) change nothing here.
        handled = {t for e in envelopes if (t := short_type(e)) in self._handlers}
        if not handled:
            return set()
        if handled - GROUP_EVENTS.keys() - DIRECTORY_EVENTS:
            return {versions.EVERYTHING}
        return {versions.ORGANISATION} | self._group_keys(cur, envelopes)

    @staticmethod
    def _group_keys(cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        codes = sorted({
            str(e["data"][GROUP_EVENTS[t]]) for e in envelopes
            if (t := short_type(e)) in GROUP_EVENTS and e["data"].get(GROUP_EVENTS[t])
        })
        if not codes:
            return set()
        marks = ", ".join(["%s"] * len(codes))
        rows = cur.execute(f"SELECT district FROM rpt_groups WHERE code IN ({marks})", codes).fetchall()
        return {versions.group_key(c) for c in codes} | {versions.district_key(r["district"]) for r in rows}

    # -- governments and districts ------------------------------------------

    @handles("GovernmentRegistered")
    def government_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_governments (code, name, kind) VALUES (%s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind",
            (data["code"], data.get("name"), data.get("kind")),
        )

    @handles("DistrictRegistered")
    def district_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_districts (code, name, government, types) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, government = excluded.government,"
            " types = excluded.types",
            (data["code"], data.get("name"), data.get("government"), json.dumps(data.get("types") or [])),
        )

    @handles("DistrictTypesChanged")
    def district_types_changed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute("UPDATE rpt_districts SET types = %s WHERE code = %s", (json.dumps(data.get("types") or []), data["code"]))

    # -- contracts --------------------------------------------------------------

    @handles("ContractSigned")
    def contract_signed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        term = int(data.get("term_years") or DEFAULT_TERM_YEARS)
        late = data.get("late_after_days")
        cur.execute(
            "INSERT INTO rpt_contracts (id, team, start_date, term_years, end_date, ended_on, annual_fee_fen,"
            " deduction_rule, service_year_basis, settle_confirmed_only, late_after_days,"
            " leader_meeting_counts_for_visit)"
            " VALUES (%s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET team = excluded.team, start_date = excluded.start_date,"
            " term_years = excluded.term_years, end_date = excluded.end_date, annual_fee_fen = excluded.annual_fee_fen,"
            " deduction_rule = excluded.deduction_rule, service_year_basis = excluded.service_year_basis,"
            " settle_confirmed_only = excluded.settle_confirmed_only, late_after_days = excluded.late_after_days,"
            " leader_meeting_counts_for_visit = excluded.leader_meeting_counts_for_visit",
            (
                data["id"],
                data.get("team"),
                data["start_date"],
                term,
                data.get("end_date") or _term_end(data["start_date"], term),
                int(data["annual_fee_fen"]),
                data.get("deduction_rule") or "max",
                data.get("service_year_basis") or "contract",
                1 if data.get("settle_confirmed_only") else 0,
                DEFAULT_LATE_AFTER_DAYS if late is None else int(late),
                1 if data.get("leader_meeting_counts_for_visit") else 0,  # R-VIS-3
            ),
        )

    @handles("ContractRenewed")
    def contract_renewed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        row = cur.execute("SELECT end_date, term_years FROM rpt_contracts WHERE id = %s", (data["id"],)).fetchone()
        if row is None:
            return
        term = int(data.get("term_years") or row["term_years"])
        end = data.get("end_date") or _term_end(
            (dt.date.fromisoformat(row["end_date"]) + dt.timedelta(days=1)).isoformat(), term
        )
        cur.execute(
            "UPDATE rpt_contracts SET end_date = %s, term_years = %s, ended_on = NULL WHERE id = %s",
            (end, term, data["id"]),
        )

    @handles("ContractEnded")
    def contract_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute("UPDATE rpt_contracts SET ended_on = %s WHERE id = %s", (data["date"], data["id"]))

    # -- planners -----------------------------------------------------------------

    @handles("PlannerAppointed")
    def planner_appointed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_planners (id, name, origin, community_renewal) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, origin = excluded.origin,"
            " community_renewal = excluded.community_renewal",
            (data["id"], data.get("name"), data.get("origin"), 1 if data.get("community_renewal") else 0),
        )

    @handles("PlannerDismissed")
    def planner_dismissed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute("UPDATE rpt_planners SET dismissed_on = %s WHERE id = %s", (data["date"], data["id"]))

    # -- groups (R-ORG-1, R-ORG-4, R-CON-4) -------------------------------------------

    @handles("GroupFormed")
    def group_formed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        code, start = data["code"], data["from_date"]
        cur.execute(
            "INSERT INTO rpt_groups (code, district, contract) VALUES (%s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET district = excluded.district, contract = excluded.contract",
            (code, data["district"], data["contract"]),
        )
        cur.execute(
            "INSERT INTO rpt_group_periods (grp, from_date, to_date) VALUES (%s, %s, NULL)"
            " ON CONFLICT (grp, from_date) DO NOTHING",
            (code, start),
        )
        for seat in ("tier1", "local"):
            if data.get(seat):
                cur.execute(
                    "INSERT INTO rpt_members (grp, planner, seat, from_date, to_date) VALUES (%s, %s, %s, %s, NULL)"
                    " ON CONFLICT (grp, planner, from_date) DO NOTHING",
                    (code, data[seat], seat, start),
                )

    @handles("PlannerReplaced")
    def planner_replaced(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-CON-4: only the membership changes; the group's obligations go on.
        data = envelope["data"]
        group, day = data["group"], data["date"]
        row = cur.execute(
            "SELECT seat FROM rpt_members WHERE grp = %s AND planner = %s ORDER BY from_date DESC",
            (group, data["out"]),
        ).fetchone()
        cur.execute(
            "UPDATE rpt_members SET to_date = %s, reason = %s"
            " WHERE grp = %s AND planner = %s AND (to_date IS NULL OR to_date >= %s)",
            (_day_before(day), data.get("reason") or "replaced", group, data["out"], day),
        )
        cur.execute(
            "INSERT INTO rpt_members (grp, planner, seat, from_date, to_date) VALUES (%s, %s, %s, %s, NULL)"
            " ON CONFLICT (grp, planner, from_date) DO UPDATE SET to_date = NULL",
            (group, data["in"], row["seat"] if row else "unknown", day),
        )

    @handles("GroupAssignmentEnded")
    def group_assignment_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        group, day = data["group"], data["date"]
        cur.execute(
            "UPDATE rpt_group_periods SET to_date = %s, reason = %s WHERE grp = %s AND (to_date IS NULL OR to_date > %s)",
            (day, data.get("reason"), group, day),
        )
        cur.execute(
            "UPDATE rpt_members SET to_date = %s, reason = %s WHERE grp = %s AND (to_date IS NULL OR to_date > %s)",
            (day, data.get("reason") or "assignment ended", group, day),
        )
