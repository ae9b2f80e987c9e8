"""RPS_EVENTS_URL_* takes the full feed path or the service's base URL (issue 16, "Event feed URL")."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from services.backbone.envelope import SPECVERSION
from services.backbone.feed import http_reader
from services.backbone.settings import Settings


def _events_url(value: str, service: str = "contracts") -> str:
    return Settings.from_env({f"RPS_EVENTS_URL_{service.upper()}": value}).events_urls[service]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("http://contracts:8000", "http://contracts:8000/api/v1/events/contracts"),
        ("http://contracts:8000/", "http://contracts:8000/api/v1/events/contracts"),
        ("https://gateway.example/rps", "https://gateway.example/rps/api/v1/events/contracts"),
        ("http://contracts:8000/api/v1/events/contracts", "http://contracts:8000/api/v1/events/contracts"),
        ("http://contracts:8000/api/v1/events/contracts/", "http://contracts:8000/api/v1/events/contracts"),
    ],
)
def test_base_url_or_full_feed_path(value: str, expected: str) -> None:
    # issue 16: the service's base URL is accepted, the full feed path stays as it was
    assert _events_url(value) == expected


class _Feed(BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        _Feed.paths.append(self.path)
        if urlsplit(self.path).path != "/api/v1/events/visits":
            self.send_error(404)
            return
        envelope = {"specversion": SPECVERSION, "id": "e1", "source": "/rps/visits", "type": "VisitRecorded",
                    "time": "2022-03-01T09:00:00+08:00", "subject": "v1", "data": {}, "sequence": 1, "position": 1}
        body = json.dumps({"events": [envelope], "next_after": 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_base_url_reads_the_feed_over_http() -> None:
    # issue 16: a department sets RPS_EVENTS_URL_VISITS=http://visits:8000 and its reader reaches the feed
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        events = http_reader(_events_url(base, "visits"))(0, 10)
    finally:
        server.shutdown()
        server.server_close()
    assert [e["id"] for e in events] == ["e1"]
    assert _Feed.paths == ["/api/v1/events/visits?after=0&limit=10"]
