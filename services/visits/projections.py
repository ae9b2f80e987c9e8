"""The visits service's read models.

``AssignmentsProjection`` keeps what the visits rules need from the
contracts service's events (contracts' terms and settings, groups'
assignments with their membership history, districts, planners), so no
request calls ``contracts``. ``VisitLedgerProjection`` keeps one row per visit
as last corrected, for lists and for the figures of a group's year.

Dates in events are ISO strings and stay so here (they compare as text).
An end event's ``date`` (ContractEnded, GroupAssignmentEnded,
PlannerDismissed) is the last day covered; a replacement's ``date`` is the
incoming planner's first day and the day after the outgoing one's last.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import Projection, handles
from services.programme.assignment import DEFAULT_LATE_AFTER_DAYS
from services.programme.calendar import served_dates, term_end
from services.visits.domain import visit_state_from_event


def _day_before(iso: str) -> str:
    return (dt.date.fromisoformat(iso) - dt.timedelta(days=1)).isoformat()


def _term_end(start: str, years: int) -> str:
    return term_end(dt.date.fromisoformat(start), years).isoformat()  # R-CON-2, R-VIS-2


FACTS_STAMP_TABLE = "vis_facts_stamp"


def facts_changed(cur: Cursor) -> None:
    """Give the contracts facts a new stamp, in the transaction that changes them.

    Readers cache what they derive from these tables (ReadModels.assignment)
    for as long as the stamp they read before it stays the same. A fresh
    random stamp, never a counter: a rebuild that starts the table again
    cannot bring back a stamp a reader still holds.
    """
    cur.execute(f"UPDATE {FACTS_STAMP_TABLE} SET stamp = %s WHERE id = 1", (uuid.uuid4().hex,))


class AssignmentsProjection(Projection):
    name = "visits.assignments"
    consumer = "visits"
    sources = ("contracts",)
    table_names = (
        "vis_contracts", "vis_groups", "vis_group_periods", "vis_members", "vis_planners", "vis_districts",
        FACTS_STAMP_TABLE,
    )
    tables = (
        f"CREATE TABLE IF NOT EXISTS {FACTS_STAMP_TABLE} (id INTEGER PRIMARY KEY, stamp TEXT NOT NULL)",
        f"INSERT INTO {FACTS_STAMP_TABLE} (id, stamp) VALUES (1, 'created') ON CONFLICT (id) DO NOTHING",
        "CREATE TABLE IF NOT EXISTS vis_contracts ("
        " id TEXT PRIMARY KEY, team TEXT, institution TEXT, start_date TEXT NOT NULL,"
        " term_years INTEGER NOT NULL, end_date TEXT NOT NULL, ended_on TEXT,"
        " annual_fee_fen BIGINT NOT NULL, deduction_rule TEXT NOT NULL,"
        " service_year_basis TEXT NOT NULL, settle_confirmed_only INTEGER NOT NULL,"
        " late_after_days INTEGER NOT NULL, leader_meeting_counts_for_visit INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE IF NOT EXISTS vis_groups ("
        " code TEXT PRIMARY KEY, district TEXT NOT NULL, contract TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS vis_group_periods ("
        " grp TEXT NOT NULL, from_date TEXT NOT NULL, to_date TEXT, reason TEXT,"
        " PRIMARY KEY (grp, from_date))",
        "CREATE TABLE IF NOT EXISTS vis_members ("
        " grp TEXT NOT NULL, planner TEXT NOT NULL, seat TEXT NOT NULL, from_date TEXT NOT NULL,"
        " to_date TEXT, reason TEXT, PRIMARY KEY (grp, planner, from_date))",
        "CREATE TABLE IF NOT EXISTS vis_planners ("
        " id TEXT PRIMARY KEY, name TEXT, origin TEXT, dismissed_on TEXT)",
        "CREATE TABLE IF NOT EXISTS vis_districts ("
        " code TEXT PRIMARY KEY, name TEXT, government TEXT)",
    )

    @handles("ContractSigned")
    def contract_signed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        term = int(data.get("term_years") or 3)
        cur.execute(
            "INSERT INTO vis_contracts (id, team, institution, start_date, term_years, end_date, ended_on,"
            " annual_fee_fen, deduction_rule, service_year_basis, settle_confirmed_only, late_after_days,"
            " leader_meeting_counts_for_visit)"
            " VALUES (%s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET team = excluded.team, institution = excluded.institution,"
            " start_date = excluded.start_date, term_years = excluded.term_years, end_date = excluded.end_date,"
            " annual_fee_fen = excluded.annual_fee_fen, deduction_rule = excluded.deduction_rule,"
            " service_year_basis = excluded.service_year_basis,"
            " settle_confirmed_only = excluded.settle_confirmed_only, late_after_days = excluded.late_after_days,"
            " leader_meeting_counts_for_visit = excluded.leader_meeting_counts_for_visit",
            (
                data["id"],
                data.get("team"),
                data.get("institution"),
                data["start_date"],
                term,
                data.get("end_date") or _term_end(data["start_date"], term),
                int(data["annual_fee_fen"]),
                data.get("deduction_rule") or "max",
                data.get("service_year_basis") or "contract",
                1 if data.get("settle_confirmed_only") else 0,
                int(data["late_after_days"]) if data.get("late_after_days") is not None else DEFAULT_LATE_AFTER_DAYS,
                1 if data.get("leader_meeting_counts_for_visit") else 0,  # R-VIS-3
            ),
        )
        facts_changed(cur)

    @handles("ContractRenewed")
    def contract_renewed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        row = cur.execute("SELECT end_date, term_years FROM vis_contracts WHERE id = %s", (data["id"],)).fetchone()
        if row is None:
            return
        term = int(data.get("term_years") or row["term_years"])
        end = data.get("end_date") or _term_end(
            (dt.date.fromisoformat(row["end_date"]) + dt.timedelta(days=1)).isoformat(), term
        )
        cur.execute(
            "UPDATE vis_contracts SET end_date = %s, term_years = %s, ended_on = NULL WHERE id = %s",
            (end, term, data["id"]),
        )
        facts_changed(cur)

    @handles("ContractEnded")
    def contract_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute("UPDATE vis_contracts SET ended_on = %s WHERE id = %s", (data["date"], data["id"]))
        facts_changed(cur)

    @handles("PlannerAppointed")
    def planner_appointed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO vis_planners (id, name, origin) VALUES (%s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, origin = excluded.origin",
            (data["id"], data.get("name"), data.get("origin")),
        )
        facts_changed(cur)

    @handles("PlannerDismissed")
    def planner_dismissed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute("UPDATE vis_planners SET dismissed_on = %s WHERE id = %s", (data["date"], data["id"]))
        cur.execute(
            "UPDATE vis_members SET to_date = %s, reason = %s"
            " WHERE planner = %s AND (to_date IS NULL OR to_date > %s)",
            (data["date"], data.get("reason") or "dismissed", data["id"], data["date"]),
        )
        facts_changed(cur)

    @handles("DistrictRegistered")
    def district_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO vis_districts (code, name, government) VALUES (%s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, government = excluded.government",
            (data["code"], data.get("name"), data.get("government")),
        )
        facts_changed(cur)

    @handles("GroupFormed")
    def group_formed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        code, start = data["code"], data["from_date"]
        cur.execute(
            "INSERT INTO vis_groups (code, district, contract) VALUES (%s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET district = excluded.district, contract = excluded.contract",
            (code, data["district"], data["contract"]),
        )
        cur.execute(
            "INSERT INTO vis_group_periods (grp, from_date, to_date) VALUES (%s, %s, NULL)"
            " ON CONFLICT (grp, from_date) DO NOTHING",
            (code, start),
        )
        for seat in ("tier1", "local"):
            if data.get(seat):
                cur.execute(
                    "INSERT INTO vis_members (grp, planner, seat, from_date, to_date) VALUES (%s, %s, %s, %s, NULL)"
                    " ON CONFLICT (grp, planner, from_date) DO NOTHING",
                    (code, data[seat], seat, start),
                )
        facts_changed(cur)

    @handles("PlannerReplaced")
    def planner_replaced(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-CON-4: only the membership changes; the group's obligations go on.
        data = envelope["data"]
        group, day = data["group"], data["date"]
        row = cur.execute(
            "SELECT seat FROM vis_members WHERE grp = %s AND planner = %s ORDER BY from_date DESC",
            (group, data["out"]),
        ).fetchone()
        cur.execute(
            "UPDATE vis_members SET to_date = %s, reason = %s"
            " WHERE grp = %s AND planner = %s AND (to_date IS NULL OR to_date >= %s)",
            (_day_before(day), data.get("reason") or "replaced", group, data["out"], day),
        )
        cur.execute(
            "INSERT INTO vis_members (grp, planner, seat, from_date, to_date) VALUES (%s, %s, %s, %s, NULL)"
            " ON CONFLICT (grp, planner, from_date) DO UPDATE SET to_date = NULL",
            (group, data["in"], row["seat"] if row else "unknown", day),
        )
        facts_changed(cur)

    @handles("GroupAssignmentEnded")
    def group_assignment_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        group, day = data["group"], data["date"]
        cur.execute(
            "UPDATE vis_group_periods SET to_date = %s, reason = %s"
            " WHERE grp = %s AND (to_date IS NULL OR to_date > %s)",
            (day, data.get("reason"), group, day),
        )
        cur.execute(
            "UPDATE vis_members SET to_date = %s, reason = %s WHERE grp = %s AND (to_date IS NULL OR to_date > %s)",
            (day, data.get("reason") or "assignment ended", group, day),
        )
        facts_changed(cur)


class VisitLedgerProjection(Projection):
    """One row per visit as last corrected: lists, filters and a group's figures."""

    name = "visits.ledger"
    consumer = "visits"
    sources = ("visits",)
    table_names = ("vis_visits",)
    tables = (
        "CREATE TABLE IF NOT EXISTS vis_visits ("
        " id TEXT PRIMARY KEY, grp TEXT NOT NULL, district TEXT, date TEXT NOT NULL,"
        " last_date TEXT NOT NULL, days REAL NOT NULL, leader_met INTEGER NOT NULL,"
        " leader_met_confirmed INTEGER, voided INTEGER NOT NULL DEFAULT 0,"
        " confirmation TEXT NOT NULL DEFAULT 'unconfirmed', status TEXT NOT NULL DEFAULT 'unconfirmed',"
        " late INTEGER NOT NULL DEFAULT 0, logged_on TEXT, revision INTEGER NOT NULL DEFAULT 0,"
        " version INTEGER NOT NULL, doc TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS vis_visits_grp_date ON vis_visits (grp, date)",
        "CREATE INDEX IF NOT EXISTS vis_visits_date ON vis_visits (date, id)",
    )

    @handles("VisitLogged")
    def visit_logged(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        doc = {
            "id": envelope["subject"],
            "group": data["group"],
            "district": data.get("district"),
            **visit_state_from_event(data),
            "last_date": served_dates(dt.date.fromisoformat(data["date"]), data["days"])[-1].isoformat(),
            "logged_on": data.get("logged_on"),
            "late": bool(data.get("late")),
            "status": "unconfirmed",
            "voided": False,
            "void_reason": None,
            "confirmation": "unconfirmed",
            "leader_met_confirmed": None,
            "confirmed_by": None,
            "dispute_reason": None,
            "revision": 0,
            "version": envelope["sequence"],
        }
        cur.execute(
            "INSERT INTO vis_visits (id, grp, district, date, last_date, days, leader_met, late, logged_on,"
            " version, doc) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (
                doc["id"],
                doc["group"],
                doc["district"],
                doc["date"],
                doc["last_date"],
                float(doc["days"]),
                1 if doc["leader_met"] else 0,
                1 if doc["late"] else 0,
                doc["logged_on"],
                doc["version"],
                json.dumps(doc, ensure_ascii=False),
            ),
        )

    def _update(self, cur: Cursor, envelope: dict[str, Any], changes: dict[str, Any]) -> None:
        row = cur.execute("SELECT doc FROM vis_visits WHERE id = %s", (envelope["subject"],)).fetchone()
        if row is None:
            return
        doc = json.loads(row["doc"])
        doc.update(changes)
        doc["version"] = envelope["sequence"]
        doc["status"] = "voided" if doc["voided"] else doc["confirmation"]
        confirmed = doc["leader_met_confirmed"]
        cur.execute(
            "UPDATE vis_visits SET date = %s, last_date = %s, days = %s, leader_met = %s,"
            " leader_met_confirmed = %s, voided = %s, confirmation = %s, status = %s, late = %s,"
            " revision = %s, version = %s, doc = %s WHERE id = %s",
            (
                doc["date"],
                doc["last_date"],
                float(doc["days"]),
                1 if doc["leader_met"] else 0,
                None if confirmed is None else (1 if confirmed else 0),
                1 if doc["voided"] else 0,
                doc["confirmation"],
                doc["status"],
                1 if doc["late"] else 0,
                doc["revision"],
                doc["version"],
                json.dumps(doc, ensure_ascii=False),
                envelope["subject"],
            ),
        )

    @handles("VisitCorrected")
    def visit_corrected(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        row = cur.execute("SELECT revision FROM vis_visits WHERE id = %s", (envelope["subject"],)).fetchone()
        self._update(
            cur,
            envelope,
            {
                **visit_state_from_event(data),
                "last_date": served_dates(dt.date.fromisoformat(data["date"]), data["days"])[-1].isoformat(),
                "late": bool(data.get("late")),
                "confirmation": "unconfirmed",
                "leader_met_confirmed": None,
                "confirmed_by": None,
                "dispute_reason": None,
                "revision": (row["revision"] if row else 0) + 1,
            },
        )

    @handles("VisitVoided")
    def visit_voided(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        row = cur.execute("SELECT revision FROM vis_visits WHERE id = %s", (envelope["subject"],)).fetchone()
        self._update(
            cur,
            envelope,
            {
                "voided": True,
                "void_reason": envelope["data"].get("reason"),
                "revision": (row["revision"] if row else 0) + 1,
            },
        )

    @handles("VisitConfirmed")
    def visit_confirmed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        self._update(
            cur,
            envelope,
            {
                "confirmation": "confirmed",
                "leader_met_confirmed": data.get("leader_met_confirmed"),
                "confirmed_by": data.get("by"),
                "dispute_reason": None,
            },
        )

    @handles("VisitDisputed")
    def visit_disputed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        self._update(
            cur,
            envelope,
            {
                "confirmation": "disputed",
                "leader_met_confirmed": None,
                "confirmed_by": None,
                "dispute_reason": data.get("reason"),
            },
        )


PROJECTIONS = [AssignmentsProjection, VisitLedgerProjection]
