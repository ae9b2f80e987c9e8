"""Checking the tamper-evident chains of every service (R-RPT-5).

Each service recomputes its own chain, every link with the key its id names;
reporting compares it with the signed checkpoints it keeps in its own store
(``chain_checkpoints``): the newest head each service published (every
envelope is signed) and the checkpoint ``rps migrate`` publishes (a
``ChainKeyed`` event of the service's stream) when it keys the links made
before keying (and redacts what events must no longer carry, R-SEC-4). A forged or changed link fails its MAC; a deleted tail, a rewritten
head or links made unkeyed again disagree with a checkpoint the database's
writer cannot sign.

Reporting keeps the checkpoints and hands them to the core (``services.backbone.chain_audit``),
which recomputes and keys the chains: reporting reaches no other service's application.
"""

from __future__ import annotations

from typing import Any

from services.backbone import chain_audit
from services.backbone.persistence import Database
from services.backbone.settings import ConfigurationError


def kept_checkpoints(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Per service: its newest signed head, the newest ``rps migrate`` checkpoint and (where
    reporting saw further than any signed head, e.g. from an older release) its unsigned head."""
    kept: dict[str, list[dict[str, Any]]] = {}
    rows = db.query("SELECT source, kind, position, hash, key_id, signature FROM chain_checkpoints"
                    " ORDER BY source, kind, position")
    for kind in ("head", "migrate"):
        newest = {r["source"]: r for r in rows if r["kind"] == kind}  # ordered by position: the last wins
        for source, row in newest.items():
            kept.setdefault(source, []).append(dict(row))
    for row in db.query("SELECT source, position, hash FROM chain_heads"):
        signed = [c for c in kept.get(row["source"], []) if c["kind"] == "head"]
        if not signed or int(signed[0]["position"]) < int(row["position"]):
            kept.setdefault(row["source"], []).append({**row, "kind": "head", "key_id": None, "signature": None})
    return kept


def _reporting_db(runtime: Any) -> Database | None:
    return runtime.db("reporting") if "reporting" in runtime.dbs else None


def verify_all(runtime: Any) -> dict[str, Any]:
    db = _reporting_db(runtime)
    kept = kept_checkpoints(db) if db is not None else {}
    results = [check.as_dict() for check in chain_audit.verify_all(runtime, kept)]
    return {"intact": all(r["intact"] for r in results), "services": results}


def migrate_chains(runtime: Any, broken: list[str] | None = None) -> list[str]:
    """``rps migrate`` (reporting's migration): the core keys every chain this process hosts
    again, each compared first with the checkpoints reporting keeps (``chain_audit.key_again``)."""
    db = _reporting_db(runtime)
    if db is None:
        raise ConfigurationError("rps migrate keeps the chains' checkpoints in reporting's store")
    return chain_audit.key_again(runtime, kept_checkpoints(db), broken)
