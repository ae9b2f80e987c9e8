"""The newest chain link of every publishing service, kept outside their
event tables so a deleted tail is caught (R-RPT-5).

Each envelope is also a signed checkpoint (``chainkey``, ``chainsig``): the
newest of each source goes into ``chain_checkpoints`` (reporting's own table,
which a rebuild keeps, so a recorded head never moves back); its signature is
verified by ``rps audit verify`` (services/reporting/audit.py). The checkpoint
``rps migrate`` publishes over the links it keyed again (``ChainKeyed``) is kept
there too, as a ``migrate`` checkpoint, once its signature holds."""

from __future__ import annotations

import logging
from typing import Any, Sequence

from services.backbone import clock
from services.backbone.chain import DEVELOPMENT_KEYRING, Keyring
from services.backbone.chain_checkpoint import CHECKPOINT_EVENT, CHECKPOINT_KIND
from services.backbone.envelope import short_type, source_service
from services.backbone.persistence import Cursor
from services.backbone.declaration import publisher_names
from services.backbone.tracking import Projection


def record_checkpoint(cur: Cursor, source: str, kind: str, position: int, head: str, key_id: str | None,
                      signature: str | None) -> None:
    """Keep a checkpoint; of the ``head`` kind only the newest (a head never moves back)."""
    if kind == "head":
        row = cur.execute("SELECT MAX(position) AS position FROM chain_checkpoints WHERE source = %s AND kind = 'head'",
                          (source,)).fetchone()
        if row is not None and row["position"] is not None and int(row["position"]) >= position:
            return
        cur.execute("DELETE FROM chain_checkpoints WHERE source = %s AND kind = 'head'", (source,))
    cur.execute(
        "INSERT INTO chain_checkpoints (source, kind, position, hash, key_id, signature, recorded_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (source, kind, position) DO NOTHING",
        (source, kind, position, head, key_id, signature, clock.now().isoformat(timespec="seconds")),
    )


log = logging.getLogger(__name__)


class ChainHeadsProjection(Projection):
    # The runtime hands it the configured chain keys (Settings.chain_keyring).
    keyring: Keyring = DEVELOPMENT_KEYRING
    name = "reporting.chain_heads"
    consumer = "reporting"
    sources = publisher_names()
    table_names = ("chain_heads",)
    tables = (
        "CREATE TABLE IF NOT EXISTS chain_heads ("
        " source TEXT PRIMARY KEY, position BIGINT NOT NULL, hash TEXT NOT NULL)",
    )

    def _forged(self, envelope: dict[str, Any]) -> bool:
        """Signed, but not with a chain key (an envelope of a release before keying has no signature)."""
        if not envelope.get("chainsig"):
            return False
        source, position = source_service(envelope), int(envelope["position"])
        if self.keyring.signed(source, position, envelope["chainhash"], envelope.get("chainkey"), envelope["chainsig"]):
            return False
        log.warning("chain head of %s at position %s not signed with a chain key (key id %r): not recorded",
                    source, position, envelope.get("chainkey"))
        return True

    def _migrated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        """R-RPT-5 amended: the checkpoint ``rps migrate`` published, kept once its signature holds."""
        source, d = source_service(envelope), envelope["data"]
        if not self.keyring.signed(source, int(d["position"]), d["hash"], d.get("key_id"), d.get("signature"),
                                   CHECKPOINT_KIND):
            log.warning("migrate checkpoint of %s at position %s not signed with a chain key (key id %r): not kept",
                        source, d["position"], d.get("key_id"))
            return
        record_checkpoint(cur, source, CHECKPOINT_KIND, int(d["position"]), d["hash"], d["key_id"], d["signature"])

    def apply(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> None:
        # Only the newest link of each source in the run matters; a forged one is kept out of the evidence.
        newest: dict[str, dict[str, Any]] = {}
        for envelope in envelopes:
            source = source_service(envelope)
            if short_type(envelope) == CHECKPOINT_EVENT:
                self._migrated(cur, envelope)
            if envelope.get("chainhash") and int(envelope["position"]) > int(newest.get(source, {}).get("position", 0)) \
                    and not self._forged(envelope):
                newest[source] = envelope
        for source, envelope in newest.items():
            position = int(envelope["position"])
            if envelope.get("chainsig"):
                record_checkpoint(cur, source, "head", position, envelope["chainhash"], envelope.get("chainkey"),
                                  envelope["chainsig"])
            cur.execute(
                "INSERT INTO chain_heads (source, position, hash) VALUES (%s, %s, %s) "
                "ON CONFLICT (source) DO UPDATE SET position = excluded.position, hash = excluded.hash "
                "WHERE chain_heads.position < excluded.position",
                (source, position, envelope["chainhash"]),
            )

    def heads(self) -> dict[str, dict[str, Any]]:
        return {r["source"]: r for r in self.db.query("SELECT source, position, hash FROM chain_heads")}
