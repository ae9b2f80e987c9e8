"""Visits as the reports need them: one row per visit, as last corrected
(R-VIS-5..7): voided, confirmed or disputed, late, and the revision that
changes on every correction or void."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import handles
from services.programme.calendar import served_dates
from services.reporting.projections import versions


def _last_date(date: str, days: Any) -> str:
    return served_dates(dt.date.fromisoformat(date), days)[-1].isoformat()


class ServiceTimeProjection(versions.GroupRowsProjection):
    name = "reporting.service_time"
    consumer = "reporting"
    sources = ("visits",)
    table_names = ("rpt_visits",)
    versioned_table = "rpt_visits"
    defer_indexes = True  # handlers read by id
    tables = (
        "CREATE TABLE IF NOT EXISTS rpt_visits ("
        " id TEXT PRIMARY KEY, grp TEXT NOT NULL, district TEXT, date TEXT NOT NULL, last_date TEXT,"
        " days REAL NOT NULL, leader_met INTEGER NOT NULL, leader_met_confirmed INTEGER,"
        " voided INTEGER NOT NULL DEFAULT 0, confirmation TEXT NOT NULL DEFAULT 'unconfirmed',"
        " logged_on TEXT, late INTEGER NOT NULL DEFAULT 0, revision INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS rpt_visits_date ON rpt_visits (date)",
        "CREATE INDEX IF NOT EXISTS rpt_visits_grp_date ON rpt_visits (grp, date)",
        versions.CREATE_TABLE,
    )

    @handles("VisitLogged")
    def visit_logged(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # A plain INSERT: a row already holding this id is a corrupted read
        # model, and the event is parked rather than silently skipped.
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_visits (id, grp, district, date, last_date, days, leader_met, logged_on, late)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                envelope["subject"],
                data["group"],
                data.get("district"),
                data["date"],
                _last_date(data["date"], data["days"]),
                float(data["days"]),
                1 if data.get("leader_met") else 0,
                data.get("logged_on"),
                1 if data.get("late") else 0,
            ),
        )

    @handles("VisitCorrected")
    def visit_corrected(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-VIS-6/7: what was confirmed is no longer what the record says.
        data = envelope["data"]
        cur.execute(
            "UPDATE rpt_visits SET date = %s, last_date = %s, days = %s, leader_met = %s, late = %s,"
            " confirmation = 'unconfirmed', leader_met_confirmed = NULL, revision = revision + 1 WHERE id = %s",
            (
                data["date"],
                _last_date(data["date"], data["days"]),
                float(data["days"]),
                1 if data.get("leader_met") else 0,
                1 if data.get("late") else 0,
                envelope["subject"],
            ),
        )

    @handles("VisitVoided")
    def visit_voided(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        cur.execute("UPDATE rpt_visits SET voided = 1, revision = revision + 1 WHERE id = %s", (envelope["subject"],))

    @handles("VisitConfirmed")
    def visit_confirmed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        confirmed = envelope["data"].get("leader_met_confirmed")
        cur.execute(
            "UPDATE rpt_visits SET confirmation = 'confirmed', leader_met_confirmed = %s WHERE id = %s",
            (None if confirmed is None else (1 if confirmed else 0), envelope["subject"]),
        )

    @handles("VisitDisputed")
    def visit_disputed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        cur.execute(
            "UPDATE rpt_visits SET confirmation = 'disputed', leader_met_confirmed = NULL WHERE id = %s",
            (envelope["subject"],),
        )
