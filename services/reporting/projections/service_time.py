"""Visits as the reports need them: one row per visit, as last corrected."""

from __future__ import annotations

from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import Projection, handles


class ServiceTimeProjection(Projection):
    name = "reporting.service_time"
    consumer = "reporting"
    sources = ("visits",)
    table_names = ("rpt_visits",)
    tables = (
        "CREATE TABLE IF NOT EXISTS rpt_visits ("
        " id TEXT PRIMARY KEY, grp TEXT NOT NULL, district TEXT, date TEXT NOT NULL,"
        " days REAL NOT NULL, leader_met INTEGER NOT NULL, voided INTEGER NOT NULL DEFAULT 0,"
        " confirmation TEXT, logged_on TEXT, late INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS rpt_visits_date ON rpt_visits (date)",
    )

    @handles("VisitLogged")
    def visit_logged(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_visits (id, grp, district, date, days, leader_met, logged_on) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                envelope["subject"],
                data["group"],
                data.get("district"),
                data["date"],
                float(data["days"]),
                1 if data.get("leader_met") else 0,
                data.get("logged_on"),
            ),
        )
