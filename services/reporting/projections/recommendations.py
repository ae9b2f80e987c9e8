"""Recommendations and the letters that forward them (R-REC-1..3), with the
business date of every step, so a report reads each one's status as of its
period's end (R-RPT-2)."""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import handles
from services.reporting.projections import versions
from services.reporting.projections.steps import append_step, item_indexes

TABLE = "rpt_recommendations"


class RecommendationsProjection(versions.GroupRowsProjection):
    name = "reporting.recommendations"
    consumer = "reporting"
    sources = ("feedback",)
    table_names = (TABLE, "rpt_letters")
    versioned_table = TABLE  # a letter's subject is no recommendation's id: it bumps nothing
    defer_indexes = True  # handlers read by id
    tables = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " id TEXT PRIMARY KEY, grp TEXT, district TEXT, government TEXT, title TEXT, category TEXT, source TEXT,"
        " date TEXT NOT NULL, status TEXT NOT NULL, letter TEXT, letter_no TEXT, forwarded_on TEXT, due_date TEXT,"
        " percent INTEGER NOT NULL DEFAULT 0, reopened INTEGER NOT NULL DEFAULT 0, steps TEXT NOT NULL, last_step_on TEXT)",
        f"CREATE INDEX IF NOT EXISTS rpt_recommendations_date ON {TABLE} (date)",
        *item_indexes(TABLE),
        f"CREATE INDEX IF NOT EXISTS rpt_recommendations_due_date ON {TABLE} (due_date)",
        "CREATE TABLE IF NOT EXISTS rpt_letters ("
        " id TEXT PRIMARY KEY, letter_no TEXT NOT NULL, government TEXT NOT NULL, date TEXT NOT NULL,"
        " due_date TEXT NOT NULL, recommendations TEXT NOT NULL, districts TEXT NOT NULL, group_codes TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS rpt_letters_date ON rpt_letters (date)",
        versions.CREATE_TABLE,
    )

    @handles("RecommendationRaised")
    def raised(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            f"INSERT INTO {TABLE} (id, grp, district, government, title, category, source, date, status, steps,"
            " last_step_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (
                envelope["subject"],
                data.get("group"),
                data.get("district"),
                data.get("government"),
                data.get("title"),
                data.get("category"),
                data.get("source"),
                data["date"],
                "raised",
                json.dumps([[data["date"], "raised"]]),
                data["date"],
            ),
        )

    @handles("RecommendationForwarded")
    def forwarded(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "forwarded", government=data.get("government"),
                    letter=data.get("letter"), letter_no=data.get("letter_no"), forwarded_on=data["date"],
                    due_date=data.get("due_date"))

    @handles("RecommendationAccepted")
    def accepted(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "accepted")

    @handles("RecommendationDeclined")
    def declined(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "declined")

    @handles("ImplementationProgressReported")
    def progress(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], None, None, percent=int(data.get("percent") or 0))

    @handles("RecommendationCompleted")
    def completed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "completed", percent=100)

    @handles("RecommendationVerified")
    def verified(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "verified")

    @handles("RecommendationReopened")
    def reopened(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-REC-2: back to accepted; a reopened one no longer counts as completed (R-RPT-2).
        data = envelope["data"]
        row = cur.execute(f"SELECT reopened FROM {TABLE} WHERE id = %s", (envelope["subject"],)).fetchone()
        count = (row["reopened"] if row else 0) + 1
        append_step(cur, TABLE, envelope["subject"], data["date"], "accepted", reopened=count)

    @handles("RecommendationWithdrawn")
    def withdrawn(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, TABLE, envelope["subject"], data["date"], "withdrawn")

    @handles("LetterIssued")
    def letter_sent(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_letters (id, letter_no, government, date, due_date, recommendations, districts,"
            " group_codes)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (
                envelope["subject"],
                data["letter_no"],
                data["government"],
                data["date"],
                data["due_date"],
                json.dumps(data.get("recommendations") or []),
                json.dumps(data.get("districts") or []),
                json.dumps(data.get("groups") or []),
            ),
        )
