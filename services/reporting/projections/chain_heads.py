"""The newest chain link of every publishing service, kept outside their
event tables so a deleted tail is caught (R-RPT-5)."""

from __future__ import annotations

from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.settings import PUBLISHERS
from services.backbone.tracking import Projection, handles


class ChainHeadsProjection(Projection):
    name = "reporting.chain_heads"
    consumer = "reporting"
    sources = PUBLISHERS
    table_names = ("chain_heads",)
    tables = (
        "CREATE TABLE IF NOT EXISTS chain_heads ("
        " source TEXT PRIMARY KEY, position BIGINT NOT NULL, hash TEXT NOT NULL)",
    )

    @handles("*")
    def any_event(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        if not envelope.get("chainhash"):
            return
        source = envelope["source"].split("/", 1)[1]
        cur.execute(
            "INSERT INTO chain_heads (source, position, hash) VALUES (%s, %s, %s) "
            "ON CONFLICT (source) DO UPDATE SET position = excluded.position, hash = excluded.hash "
            "WHERE chain_heads.position < excluded.position",
            (source, int(envelope["position"]), envelope["chainhash"]),
        )

    def heads(self) -> dict[str, dict[str, Any]]:
        return {r["source"]: r for r in self.db.query("SELECT source, position, hash FROM chain_heads")}
