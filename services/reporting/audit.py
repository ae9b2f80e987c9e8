"""Checking the tamper-evident chains of every service (R-RPT-5).

Each service recomputes its own chain, every link with the key its id names;
reporting compares it with the signed checkpoints it keeps in its own store
(``chain_checkpoints``): the newest head each service published (every
envelope is signed) and the checkpoint ``rps migrate`` publishes (a
``ChainKeyed`` event of the service's stream) when it keys the links made
before keying (and redacts what events must no longer carry, R-SEC-4). A forged or changed link fails its MAC; a deleted tail, a rewritten
head or links made unkeyed again disagree with a checkpoint the database's
writer cannot sign.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any, Callable

from services.backbone.chain import ChainCheck, check_against_checkpoints
from services.backbone.persistence import Database
from services.backbone.declaration import publisher_names
from services.backbone.settings import ConfigurationError


def _remote(url: str, headers: dict[str, str], at: int | None = None) -> dict[str, Any]:
    query = f"?{urllib.parse.urlencode({'at': at})}" if at is not None else ""
    request = urllib.request.Request(f"{url}/chain{query}", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (configured URL)
        return json.load(response)


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


def _checked(runtime: Any, service: str, checkpoints: list[dict[str, Any]]) -> ChainCheck:
    app = runtime.publisher_app(service)
    hash_at: Callable[[int], str | None]
    if app is not None:
        check = app.verify_chain()
        hash_at = lambda position: app.recorder.chain_hashes(position, position).get(position)  # noqa: E731
    else:
        url = runtime.settings.events_urls.get(service)
        if not url:
            raise ConfigurationError(f"set RPS_EVENTS_URL_{service.upper()} to verify {service}'s chain")
        from services.backbone.auth import service_headers

        headers = service_headers(runtime.settings)
        body = _remote(url, headers)
        check = ChainCheck(service, body["links"], body["head_position"], body["head_hash"], body["broken_at"],
                           body["problem"], body.get("unkeyed", 0), body.get("first_position"))
        hash_at = lambda position: _remote(url, headers, position).get("hash_at")  # noqa: E731
    return check_against_checkpoints(check, checkpoints, runtime.settings.chain_keyring, hash_at)


def _reporting_db(runtime: Any) -> Database | None:
    return runtime.db("reporting") if "reporting" in runtime.dbs else None


def verify_all(runtime: Any) -> dict[str, Any]:
    db = _reporting_db(runtime)
    kept = kept_checkpoints(db) if db is not None else {}
    results = [_checked(runtime, service, kept.get(service, [])).as_dict() for service in publisher_names()]
    return {"intact": all(r["intact"] for r in results), "services": results}


def migrate_chains(runtime: Any, broken: list[str] | None = None) -> list[str]:
    """``rps migrate``: per publisher whose chain verifies, redact the stored events that carry
    what they must not (the application's ``redact_stored``, R-SEC-4), key every link made before
    keying or after a redaction again, and publish a signed checkpoint of the head (an event of the
    service's own stream, stored in the same transaction; reporting's consumer keeps it). A chain that does not verify is left as it is (and named). Read models of a service
    whose events were redacted are built again (they copied what the events carried). Returns
    the lines to print; ``broken`` gets each broken chain's service and first broken link."""
    db = _reporting_db(runtime)
    if db is None:
        raise ConfigurationError("rps migrate keeps the chains' checkpoints in reporting's store")
    keyring = runtime.settings.chain_keyring
    kept = kept_checkpoints(db)
    lines: list[str] = []
    for service in publisher_names():
        app = runtime.publisher_app(service)
        if app is None:
            continue
        check = _checked(runtime, service, kept.get(service, []))
        if not check.intact:
            lines.append(f"{service}: chain BROKEN at position {check.broken_at}: {check.problem};"
                         " not keyed again, no checkpoint written")
            if broken is not None:
                broken.append(f"{service} at position {check.broken_at} ({check.problem})")
            continue
        done = app.rechain()  # with the signed checkpoint's event, published by the relay
        snapshots = app.redact_snapshots() if hasattr(app, "redact_snapshots") else 0
        if done.redacted:
            for name in sorted({p.name for ps in runtime.projections.values() for p in ps if service in p.sources}):
                applied = runtime.rebuild(name)[name]
                lines.append(f"{name}: rebuilt after the redaction ({applied} events applied)")
        if not done.head_position:
            lines.append(f"{service}: chain empty, nothing to key")
            continue
        checkpoint = (f"signed checkpoint at position {done.head_position} published (event at position"
                      f" {done.checkpoint_position})" if done.checkpoint_position
                      else "every link keyed already, no checkpoint needed")
        lines.append(f"{service}: chain keyed with {keyring.active!r} ({done.relinked} links made again,"
                     f" {done.redacted} events redacted), {checkpoint}"
                     + (f"; {snapshots} snapshots redacted" if snapshots else ""))
    return lines
