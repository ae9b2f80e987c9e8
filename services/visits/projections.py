"""The visits service's read models.

``AssignmentsProjection`` keeps the organisation (the programme's one
projection of the contracts service's events: contracts' terms and settings,
groups' assignments with their membership history, districts, planners)
under ``vis_``, so no request calls ``contracts``. ``VisitLedgerProjection``
keeps one row per visit as last corrected, for lists and for the figures of a
group's year.

Dates in events are ISO strings and stay so here (they compare as text).
An end event's ``date`` (ContractEnded, GroupAssignmentEnded,
PlannerDismissed) is the last day covered; a replacement's ``date`` is the
incoming planner's first day and the day after the outgoing one's last.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, Sequence

from services.backbone.envelope import sequence_number, short_type
from services.backbone.persistence import Cursor
from services.backbone.tracking import Projection, handles
from services.programme.calendar import served_dates
from services.programme.organisation import OrganisationProjection
from services.visits.domain import visit_state_from_event

FACTS_STAMP_TABLE = "vis_facts_stamp"


def facts_changed(cur: Cursor) -> None:
    """Give the contracts facts a new stamp, in the transaction that changes them.

    Readers cache what they derive from these tables (ReadModels.assignment)
    for as long as the stamp they read before it stays the same. A fresh
    random stamp, never a counter: a rebuild that starts the table again
    cannot bring back a stamp a reader still holds.
    """
    cur.execute(f"UPDATE {FACTS_STAMP_TABLE} SET stamp = %s WHERE id = 1", (uuid.uuid4().hex,))


class AssignmentsProjection(OrganisationProjection):
    """The organisation under ``vis_``, and the stamp of what readers derived from it."""

    name = "visits.assignments"
    consumer = "visits"
    prefix = "vis_"
    own_tables = (
        f"CREATE TABLE IF NOT EXISTS {FACTS_STAMP_TABLE} (id INTEGER PRIMARY KEY, stamp TEXT NOT NULL)",
        f"INSERT INTO {FACTS_STAMP_TABLE} (id, stamp) VALUES (1, 'created') ON CONFLICT (id) DO NOTHING",
    )
    own_tables_first = True
    own_table_names = (FACTS_STAMP_TABLE,)

    def apply(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> None:
        super().apply(cur, envelopes)
        if any(short_type(e) in self._handlers for e in envelopes):
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
            "version": sequence_number(envelope),
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
        doc["version"] = sequence_number(envelope)
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
