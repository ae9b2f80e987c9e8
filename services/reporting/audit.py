"""Checking the tamper-evident chains of every service (R-RPT-5).

Each service recomputes its own chain; reporting compares each head with the
one it recorded from the published envelopes, which catches a deleted tail.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from services.backbone.chain import ChainCheck, check_against_heads
from services.backbone.settings import PUBLISHERS, ConfigurationError
from services.reporting.projections.chain_heads import ChainHeadsProjection


def _remote(url: str, recorded: dict[str, Any] | None, headers: dict[str, str]) -> dict[str, Any]:
    query = f"?at={recorded['position']}" if recorded else ""
    request = urllib.request.Request(f"{url}/chain{query}", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (configured URL)
        return json.load(response)


def verify_all(runtime: Any) -> dict[str, Any]:
    heads = ChainHeadsProjection(runtime.db("reporting")).heads() if "reporting" in runtime.dbs else {}
    results = []
    for service in PUBLISHERS:
        recorded = heads.get(service)
        app = runtime.publisher_app(service)
        if app is not None:
            check = check_against_heads(app.verify_chain(), recorded, app.recorder.chain_hashes)
            results.append(check.as_dict())
            continue
        url = runtime.settings.events_urls.get(service)
        if not url:
            raise ConfigurationError(f"set RPS_EVENTS_URL_{service.upper()} to verify {service}'s chain")
        from services.backbone.auth import service_headers

        body = _remote(url, recorded, service_headers(runtime.settings))
        check = ChainCheck(
            service, body["links"], body["head_position"], body["head_hash"], body["broken_at"], body["problem"]
        )
        hash_at = body.get("hash_at")
        results.append(check_against_heads(check, recorded, lambda a, b: {a: hash_at}).as_dict())
    return {"intact": all(r["intact"] for r in results), "services": results}
