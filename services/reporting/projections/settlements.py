"""Fee settlements as issued by the visits service (R-FEE-1): every
settlement of a group's service year, the latest one marked by not being
superseded."""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import Projection, handles

FIGURES = (
    "annual_fee_fen",
    "deduction_rule",
    "duty_months",
    "months_with_visit",
    "days",
    "required_days",
    "day_shortfall",
    "visit_shortfall",
    "shortfall",
    "fee_fen",
    "deduction_fen",
    "payable_fen",
)


class SettlementsProjection(Projection):
    name = "reporting.settlements"
    consumer = "reporting"
    sources = ("visits",)
    table_names = ("rpt_settlements",)
    tables = (
        "CREATE TABLE IF NOT EXISTS rpt_settlements ("
        " id TEXT PRIMARY KEY, grp TEXT NOT NULL, district TEXT, contract TEXT, service_year INTEGER NOT NULL,"
        " number INTEGER NOT NULL, first_date TEXT, last_date TEXT, settled_on TEXT, supersedes TEXT,"
        " superseded_by TEXT, figures TEXT NOT NULL, unconfirmed_visits TEXT NOT NULL DEFAULT '[]',"
        " duty_month_list TEXT NOT NULL DEFAULT '[]', months_with_visit_list TEXT NOT NULL DEFAULT '[]')",
        "CREATE INDEX IF NOT EXISTS rpt_settlements_year ON rpt_settlements (service_year, grp, number)",
    )

    @handles("FeeSettled")
    def issued(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        inputs = data.get("inputs") or {}
        cur.execute(
            "INSERT INTO rpt_settlements (id, grp, district, contract, service_year, number, first_date, last_date,"
            " settled_on, supersedes, figures, unconfirmed_visits, duty_month_list, months_with_visit_list)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (
                envelope["subject"],
                data["group"],
                data.get("district"),
                data.get("contract"),
                int(data["service_year"]),
                int(data["number"]),
                data.get("first_date"),
                data.get("last_date"),
                data.get("settled_on"),
                data.get("supersedes"),
                json.dumps({k: data.get(k) for k in FIGURES}, sort_keys=True),
                json.dumps(data.get("unconfirmed_visits") or []),
                json.dumps(inputs.get("duty_month_list") or []),
                json.dumps(inputs.get("months_with_visit_list") or []),
            ),
        )

    @handles("FeeSettlementSuperseded")
    def superseded(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        cur.execute(
            "UPDATE rpt_settlements SET superseded_by = %s WHERE id = %s",
            (envelope["data"].get("by"), envelope["subject"]),
        )
