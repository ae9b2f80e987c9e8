"""Every implementation progress report on a recommendation (R-REC-2): percent,
business date, text and who reported it (the event's actor and role), so the
quarterly and half-yearly reports show each open recommendation's latest
progress as of their period's end."""

from __future__ import annotations

from typing import Any, Iterable

from services.backbone.envelope import sequence_number
from services.backbone.persistence import Cursor, Database
from services.backbone.tracking import Projection, handles

TABLE = "rpt_progress"


class ProgressProjection(Projection):
    name = "reporting.progress"
    consumer = "reporting"
    sources = ("feedback",)
    table_names = (TABLE,)
    tables = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " id TEXT PRIMARY KEY, rec TEXT NOT NULL, seq INTEGER NOT NULL, date TEXT NOT NULL, percent INTEGER NOT NULL,"
        " text TEXT, actor TEXT, role TEXT)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_rec ON {TABLE} (rec, date)",
    )

    @handles("ImplementationProgressReported")
    def reported(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        cur.execute(
            f"INSERT INTO {TABLE} (id, rec, seq, date, percent, text, actor, role) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (envelope["id"], envelope["subject"], sequence_number(envelope) or 0, data["date"],
             int(data.get("percent") or 0), data.get("text"), envelope.get("actor"), envelope.get("actorrole")),
        )


def latest_progress(db: Database, recommendations: Iterable[str], as_of: str) -> dict[str, dict[str, Any]]:
    """Per recommendation, its latest progress report dated on or before ``as_of`` (ISO date)."""
    ids = sorted(set(recommendations))
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        rows = db.query(
            f"SELECT rec, seq, date, percent, text, actor, role FROM {TABLE}"
            f" WHERE rec IN ({marks}) AND date <= %s ORDER BY rec, date, seq",
            (*chunk, as_of),
        )
        for r in rows:
            out[r["rec"]] = r  # ordered: the last one stands
    return out
