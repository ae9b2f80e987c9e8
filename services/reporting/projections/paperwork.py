"""The groups' and governments' yearly and periodic paperwork and the bureau's
evaluations (R-PUB-1, R-EVA-1..3): publicity actions, half-yearly work
summaries and highlights, ratings, annual summaries and planning evaluations
(feedback), and the term evaluations of the team and the planners (contracts).

A resubmitted document arrives as the same event type with a higher
``revision``; the highest revision is kept.
"""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.envelope import short_type
from services.backbone.tracking import handles
from services.reporting.projections import versions


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class PaperworkProjection(versions.GroupRowsProjection):
    name = "reporting.paperwork"
    consumer = "reporting"
    sources = ("contracts", "feedback")
    table_names = ("rpt_publicity", "rpt_work_summaries", "rpt_ratings", "rpt_annual_summaries", "rpt_evaluations")
    versioned_table = "rpt_publicity"
    defer_indexes = True  # handlers write by id
    tables = (
        "CREATE TABLE IF NOT EXISTS rpt_publicity ("
        " id TEXT PRIMARY KEY, grp TEXT, district TEXT, government TEXT, date TEXT NOT NULL, mode TEXT,"
        " title TEXT, audience INTEGER NOT NULL DEFAULT 0, platform TEXT)",
        # The monthly report's cache reads a few groups' publicity (views/monthly_cache.py).
        "CREATE INDEX IF NOT EXISTS rpt_publicity_grp_date ON rpt_publicity (grp, date)",
        "CREATE TABLE IF NOT EXISTS rpt_work_summaries ("
        " id TEXT PRIMARY KEY, grp TEXT, district TEXT, government TEXT, kind TEXT NOT NULL, period TEXT NOT NULL,"
        " date TEXT, text TEXT, highlights TEXT NOT NULL DEFAULT '[]', revision INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rpt_ratings ("
        " id TEXT PRIMARY KEY, grp TEXT, district TEXT, government TEXT, year INTEGER NOT NULL, target TEXT NOT NULL,"
        " target_code TEXT, scores TEXT NOT NULL, text TEXT, date TEXT, revision INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rpt_annual_summaries ("
        " id TEXT PRIMARY KEY, kind TEXT NOT NULL, author TEXT, government TEXT, district TEXT, grp TEXT,"
        " year INTEGER NOT NULL, text TEXT, date TEXT, revision INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rpt_evaluations ("
        " id TEXT PRIMARY KEY, subject_kind TEXT NOT NULL, code TEXT NOT NULL, contract TEXT, date TEXT NOT NULL,"
        " term INTEGER, scores TEXT NOT NULL, total TEXT, passed INTEGER, pass_mark TEXT)",
        versions.CREATE_TABLE,
    )

    def changed_row(self, envelope: dict[str, Any]) -> str | None:
        # Of this read model, the monthly report reads the publicity only.
        return envelope["subject"] if short_type(envelope) == "PublicityRecorded" else None

    # -- feedback ---------------------------------------------------------------

    @handles("PublicityRecorded")
    def publicity(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_publicity (id, grp, district, government, date, mode, title, audience, platform)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (envelope["subject"], data.get("group"), data.get("district"), data.get("government"), data["date"],
             data.get("mode"), data.get("title"), int(data.get("audience") or 0), data.get("platform")),
        )

    @handles("WorkSummarySubmitted")
    def work_summary(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_work_summaries (id, grp, district, government, kind, period, date, text, highlights, revision)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
            " date = excluded.date, text = excluded.text, highlights = excluded.highlights, revision = excluded.revision"
            " WHERE rpt_work_summaries.revision < excluded.revision",
            (envelope["subject"], data.get("group"), data.get("district"), data.get("government"), data["kind"],
             data["period"], data.get("date"), data.get("text"), _dump(data.get("highlights") or []),
             int(data.get("revision") or 1)),
        )

    @handles("RatingSubmitted")
    def rating(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_ratings (id, grp, district, government, year, target, target_code, scores, text, date,"
            " revision) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
            " target_code = excluded.target_code, scores = excluded.scores, text = excluded.text, date = excluded.date,"
            " revision = excluded.revision WHERE rpt_ratings.revision < excluded.revision",
            (envelope["subject"], data.get("group"), data.get("district"), data.get("government"), int(data["year"]),
             data["target"], data.get("target_code"), _dump(data.get("scores") or {}), data.get("text"),
             data.get("date"), int(data.get("revision") or 1)),
        )

    @handles("AnnualSummarySubmitted")
    def annual_summary(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_annual_summaries (id, kind, author, government, district, grp, year, text, date, revision)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
            " text = excluded.text, date = excluded.date, revision = excluded.revision"
            " WHERE rpt_annual_summaries.revision < excluded.revision",
            (envelope["subject"], data["kind"], data.get("author"), data.get("government"), data.get("district"),
             data.get("group"), int(data["year"]), data.get("text"), data.get("date"), int(data.get("revision") or 1)),
        )

    # -- contracts (R-EVA-1) --------------------------------------------------------

    def _evaluation(self, cur: Cursor, envelope: dict[str, Any], subject_kind: str, code: str) -> None:
        data = envelope["data"]
        cur.execute(
            "INSERT INTO rpt_evaluations (id, subject_kind, code, contract, date, term, scores, total, passed, pass_mark)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (envelope["id"], subject_kind, code, data.get("contract"), data["date"], data.get("term"),
             _dump(data.get("scores") or {}), None if data.get("total") is None else str(data["total"]),
             None if data.get("passed") is None else (1 if data["passed"] else 0),
             None if data.get("pass_mark") is None else str(data["pass_mark"])),
        )

    @handles("TeamEvaluated")
    def team_evaluated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        self._evaluation(cur, envelope, "team", envelope["data"]["contract"])

    @handles("PlannerEvaluated")
    def planner_evaluated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        self._evaluation(cur, envelope, "planner", envelope["data"]["planner"])
