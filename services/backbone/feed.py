"""Reading another service's event feed over HTTP (late subscribers, rebuilds)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any, Callable

from services.backbone.envelope import decode

FEED_PATH = "/api/v1/events/{service}"


def feed_url(url: str, service: str) -> str:
    """``RPS_EVENTS_URL_{SERVICE}`` as the feed's URL: the full feed path as given, or the
    service's base URL (``http://contracts:8000``, with or without a path prefix) with
    ``/api/v1/events/{service}`` appended (issue 16)."""
    url = url.strip().rstrip("/")
    path = FEED_PATH.format(service=service)
    if urllib.parse.urlsplit(url).path.endswith(path):
        return url
    return url + path


def http_reader(
    url: str, *, timeout: float = 30.0, headers: dict[str, str] | None = None
) -> Callable[[int, int], list[dict[str, Any]]]:
    """``headers`` carry this service's bearer token (the feed is for operators and services)."""

    def read(after: int, limit: int) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"after": after, "limit": limit})
        request = urllib.request.Request(f"{url}?{query}", headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            payload = json.load(response)
        return [decode(e) for e in payload["events"]]

    return read
