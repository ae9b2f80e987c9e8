"""Residents' opinions as the reports count them (R-OPN-1, R-OPN-2): by public
reference, with the business dates of each step and the service-level due
dates. Neither the text nor anything about the resident is kept here."""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import handles
from services.reporting.projections import versions
from services.reporting.projections.steps import append_step, item_indexes


class OpinionsProjection(versions.GroupRowsProjection):
    name = "reporting.opinions"
    consumer = "reporting"
    sources = ("feedback",)
    table_names = ("rpt_opinions",)
    versioned_table = "rpt_opinions"
    defer_indexes = True  # handlers read by id
    tables = (
        "CREATE TABLE IF NOT EXISTS rpt_opinions ("
        " id TEXT PRIMARY KEY, district TEXT, government TEXT, grp TEXT, category TEXT, channel TEXT,"
        " date TEXT NOT NULL, acknowledge_due_date TEXT, due_date TEXT, status TEXT NOT NULL,"
        " acknowledged_on TEXT, answered_on TEXT, resolution TEXT, recommendation TEXT, closed_on TEXT,"
        " relayed_on TEXT, steps TEXT NOT NULL, last_step_on TEXT)",
        "CREATE INDEX IF NOT EXISTS rpt_opinions_date ON rpt_opinions (date)",
        *item_indexes("rpt_opinions"),
        versions.CREATE_TABLE,
    )

    def changed_row(self, envelope: dict[str, Any]) -> str | None:
        return envelope["data"].get("ref")  # an opinion's row is keyed by its public reference

    @handles("OpinionSubmitted")
    def received(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_opinions (id, district, government, grp, category, channel, date, acknowledge_due_date,"
            " due_date, status, steps, last_step_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (
                data["ref"],
                data.get("district"),
                data.get("government"),
                data.get("group"),
                data.get("category"),
                data.get("channel"),
                data["date"],
                data.get("acknowledge_due_date"),
                data.get("due_date"),
                "received",
                json.dumps([[data["date"], "received"]]),
                data["date"],
            ),
        )

    @handles("OpinionDistrictAssigned")
    def district_assigned(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        # R-OPN-1: an address-only opinion counts for its district once the bureau assigns it
        data = envelope["data"]
        append_step(cur, "rpt_opinions", data["ref"], None, None, district=data["district"],
                    government=data.get("government"), grp=data.get("group"))

    @handles("OpinionAcknowledged")
    def acknowledged(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, "rpt_opinions", data["ref"], data["date"], "acknowledged",
                    acknowledged_on=data["date"], grp=data.get("group"))

    @handles("OpinionRelayed")
    def relayed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        row = cur.execute("SELECT relayed_on FROM rpt_opinions WHERE id = %s", (data["ref"],)).fetchone()
        if row is not None and row["relayed_on"] is None:
            append_step(cur, "rpt_opinions", data["ref"], None, None, relayed_on=data["date"])

    @handles("OpinionAnswered")
    def answered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, "rpt_opinions", data["ref"], data["date"], "answered",
                    answered_on=data["date"], resolution="answered")

    @handles("OpinionEscalated")
    def escalated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, "rpt_opinions", data["ref"], data["date"], "escalated", answered_on=data["date"],
                    resolution="escalated", recommendation=data.get("recommendation"))

    @handles("OpinionClosed")
    def closed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        append_step(cur, "rpt_opinions", data["ref"], data["date"], "closed", closed_on=data["date"])
