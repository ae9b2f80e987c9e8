"""Every publisher's tamper-evident chain as this process reaches it (R-RPT-5, R-SEC-4).

The core hosts the publishers' applications, so it is the core that recomputes a chain
and keys one again; whoever keeps the signed checkpoints (reporting) hands them in and
never reaches another service's application. A publisher this process does not host is
read by its route ``GET /api/v1/events/<service>/chain`` (``RPS_EVENTS_URL_<SERVICE>``).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any, Callable, Mapping, Sequence

from services.backbone.chain import ChainCheck, check_against_checkpoints
from services.backbone.declaration import publisher_names
from services.backbone.settings import ConfigurationError

Checkpoints = Mapping[str, Sequence[dict[str, Any]]]  # per service: the signed checkpoints kept of its chain


def _remote(url: str, headers: dict[str, str], at: int | None = None) -> dict[str, Any]:
    query = f"?{urllib.parse.urlencode({'at': at})}" if at is not None else ""
    request = urllib.request.Request(f"{url}/chain{query}", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (configured URL)
        return json.load(response)


def checked(runtime: Any, service: str, checkpoints: Sequence[dict[str, Any]]) -> ChainCheck:
    """``service``'s chain recomputed (by its store here, else by its route) and compared with
    ``checkpoints``: a deleted tail or a rewritten head disagrees with one of them."""
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
    return check_against_checkpoints(check, list(checkpoints), runtime.settings.chain_keyring, hash_at)


def verify_all(runtime: Any, kept: Checkpoints) -> list[ChainCheck]:
    """Every publisher's chain, each compared with the checkpoints ``kept`` of it."""
    return [checked(runtime, service, kept.get(service, [])) for service in publisher_names()]


def key_again(runtime: Any, kept: Checkpoints, broken: list[str] | None = None) -> list[str]:
    """``rps migrate``: per publisher this process hosts whose chain verifies (against the
    checkpoints ``kept`` of it), redact the stored events that carry what they must not (the
    application's ``redact_stored``, R-SEC-4), key every link made before keying or after a
    redaction again, and publish a signed checkpoint of the head (an event of the service's own
    stream, stored in the same transaction; the checkpoints' keeper consumes it). A chain that
    does not verify is left as it is (and named). Read models of a service whose events were
    redacted are built again (they copied what the events carried). Returns the lines to print;
    ``broken`` gets each broken chain's service and first broken link."""
    keyring = runtime.settings.chain_keyring
    lines: list[str] = []
    for service in publisher_names():
        app = runtime.publisher_app(service)
        if app is None:
            continue
        check = checked(runtime, service, kept.get(service, []))
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
