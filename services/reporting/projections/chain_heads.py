"""The newest chain link of every publishing service, kept outside their
event tables so a deleted tail is caught (R-RPT-5)."""

from __future__ import annotations

from typing import Any, Sequence

from services.backbone.envelope import source_service
from services.backbone.persistence import Cursor
from services.backbone.settings import PUBLISHERS
from services.backbone.tracking import Projection


class ChainHeadsProjection(Projection):
    name = "reporting.chain_heads"
    consumer = "reporting"
    sources = PUBLISHERS
    table_names = ("chain_heads",)
    tables = (
        "CREATE TABLE IF NOT EXISTS chain_heads ("
        " source TEXT PRIMARY KEY, position BIGINT NOT NULL, hash TEXT NOT NULL)",
    )

    def apply(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> None:
        # Only the newest link of each source in the run matters.
        newest: dict[str, dict[str, Any]] = {}
        for envelope in envelopes:
            source = source_service(envelope)
            if envelope.get("chainhash") and int(envelope["position"]) > int(newest.get(source, {}).get("position", 0)):
                newest[source] = envelope
        for source, envelope in newest.items():
            cur.execute(
                "INSERT INTO chain_heads (source, position, hash) VALUES (%s, %s, %s) "
                "ON CONFLICT (source) DO UPDATE SET position = excluded.position, hash = excluded.hash "
                "WHERE chain_heads.position < excluded.position",
                (source, int(envelope["position"]), envelope["chainhash"]),
            )

    def heads(self) -> dict[str, dict[str, Any]]:
        return {r["source"]: r for r in self.db.query("SELECT source, position, hash FROM chain_heads")}
