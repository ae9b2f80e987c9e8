"""Consultations (R-CSL-1): requested with a due date, answered by the group,
closed by the asker; with the business date of each step."""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import handles
from services.reporting.projections import versions
from services.reporting.projections.steps import append_step, item_indexes

TABLE = "rpt_consultations"


class ConsultationsProjection(versions.GroupRowsProjection):
    name = "reporting.consultations"
    consumer = "reporting"
    sources = ("feedback",)
    table_names = (TABLE,)
    versioned_table = TABLE
    defer_indexes = True  # handlers read by id
    tables = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " id TEXT PRIMARY KEY, grp TEXT, district TEXT, government TEXT, kind TEXT, asked_by TEXT, subject TEXT,"
        " stage TEXT, date TEXT NOT NULL, due_date TEXT NOT NULL, status TEXT NOT NULL, answered_on TEXT,"
        " verdict TEXT, closed_on TEXT, steps TEXT NOT NULL, last_step_on TEXT)",
        f"CREATE INDEX IF NOT EXISTS rpt_consultations_date ON {TABLE} (date)",
        *item_indexes(TABLE),
        versions.CREATE_TABLE,
    )

    @handles("ConsultationRequested")
    def requested(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            f"INSERT INTO {TABLE} (id, grp, district, government, kind, asked_by, subject, stage, date, due_date,"
            " status, steps, last_step_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (
                envelope["subject"],
                data.get("group"),
                data.get("district"),
                data.get("government"),
                data.get("kind"),
                data.get("asked_by"),
                data.get("subject"),
                data.get("stage"),
                data["date"],
                data["due_date"],
                "requested",
                json.dumps([[data["date"], "requested"]]),
                data["date"],
            ),
        )

    @handles("ConsultationOpinionIssued")
    def answered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "answered", answered_on=data["date"],
                    verdict=data.get("verdict"))

    @handles("ConsultationClosed")
    def closed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "closed", closed_on=data["date"])
