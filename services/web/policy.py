"""Who may call the web pages' routes (R-SEC-1): static files, their configuration, development
sign-in (404 in production)."""

from __future__ import annotations

from services.backbone.policy import PUBLIC, Rule, allow

POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/"): allow(PUBLIC),
    ("GET", "/web/<path:path>"): allow(PUBLIC),
    ("GET", "/web/config.json"): allow(PUBLIC),
    ("POST", "/web/dev-token"): allow(PUBLIC),
}
