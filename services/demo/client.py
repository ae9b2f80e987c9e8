"""A small JSON-over-HTTP client for the demo, with one-line error reports.

It talks to the system only through its public HTTP API (API.md): JSON
bodies, ``Authorization: Bearer`` tokens for the role of each step, an
``Idempotency-Key`` on every POST (so a retry after a dropped connection
stores once) and an ``X-Correlation-ID`` naming the storyline a call belongs
to, which the audit trail then shows (R-SEC-2, R-RPT-5).

Tokens come from ``services.backbone.auth.issue_token`` when that module
exists; without it every call goes without a token (the system then treats
callers as it did before authentication arrived).
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 60.0
_CORRELATION = re.compile(r"[^A-Za-z0-9._:-]")


@dataclass(frozen=True)
class Role:
    """Who makes a call: a role of R-SEC-1 and its scope (None = anonymous resident)."""

    role: str | None
    subject: str | None = None
    group: str | None = None
    district: str | None = None
    government: str | None = None

    def label(self) -> str:
        if self.role is None:
            return "resident (anonymous)"
        scope = self.group or self.district or self.government
        return f"{self.role}:{scope}" if scope else self.role


ANONYMOUS = Role(None)


class ApiError(Exception):
    """A call answered with an unexpected status; ``str()`` is one line naming call, status and error."""

    def __init__(self, method: str, path: str, who: Role, status: int, body: Any):
        self.method, self.path, self.who, self.status, self.body = method, path, who, status, body
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            parts = [str(error.get("code", "error"))]
            if error.get("field"):
                parts.append(f"field={error['field']}")
            if error.get("rule"):
                parts.append(f"rule={error['rule']}")
            detail = f"{' '.join(parts)}: {error.get('message', '')}"
        else:
            detail = _short(body)
        super().__init__(f"{method} {path} as {who.label()} -> HTTP {status} {detail}")


def _short(body: Any, limit: int = 200) -> str:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def token_issuer(settings: Any) -> Callable[[Role], str | None]:
    """Signs a token per role and scope with the system's key, when the auth module exists.

    Imported here, not at the top: the demo works before and after
    ``services.backbone.auth`` arrives (without it: no Authorization header).
    """
    try:
        from services.backbone.auth import issue_token
    except ImportError:
        return lambda who: None
    cache: dict[Role, str] = {}

    def issue(who: Role) -> str | None:
        if who.role is None:
            return None
        if who not in cache:
            cache[who] = issue_token(
                settings,
                who.role,
                subject=who.subject,
                group=who.group,
                district=who.district,
                government=who.government,
                ttl_seconds=4 * 3600,
            )
        return cache[who]

    return issue


class Client:
    """One keep-alive connection to the system; reconnects once when the server dropped it."""

    def __init__(self, base_url: str, tokens: Callable[[Role], str | None] = lambda who: None):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.calls = 0
        self.seconds = 0.0
        self._conn: http.client.HTTPConnection | None = None

    # -- transport ---------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def raw(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        who: Role = ANONYMOUS,
        correlation: str | None = None,
    ) -> tuple[int, str, bytes]:
        """Send one request; (status, content type, body bytes)."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = f"demo-{uuid.uuid4().hex}"
        if correlation:
            headers["X-Correlation-ID"] = _CORRELATION.sub("-", correlation)[:64]
        token = self.tokens(who)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    conn.request(method, path, body=data, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                        http.client.CannotSendRequest, http.client.BadStatusLine):
                    # A keep-alive connection the server closed: once more on a new one
                    # (the Idempotency-Key makes a repeated POST store once).
                    self.close()
                    if attempt == 2:
                        raise
                    continue
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response.getheader("Content-Type", ""), payload
            raise AssertionError("unreachable")
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - started

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        who: Role = ANONYMOUS,
        expect: tuple[int, ...] = (200, 201),
        correlation: str | None = None,
    ) -> Any:
        """A JSON call; raises ApiError unless the status is one of ``expect``."""
        status, content_type, payload = self.raw(method, path, body, who=who, correlation=correlation)
        decoded: Any
        try:
            decoded = json.loads(payload) if payload else None
        except ValueError:
            decoded = payload.decode("utf-8", errors="replace")
        if status not in expect:
            raise ApiError(method, path, who, status, decoded)
        return decoded

    def get(self, path: str, *, who: Role = ANONYMOUS, **kwargs: Any) -> Any:
        return self.call("GET", path, who=who, **kwargs)

    def post(self, path: str, body: Any, *, who: Role = ANONYMOUS, **kwargs: Any) -> Any:
        return self.call("POST", path, body, who=who, **kwargs)

    def put(self, path: str, body: Any, *, who: Role = ANONYMOUS, **kwargs: Any) -> Any:
        return self.call("PUT", path, body, who=who, **kwargs)

    # -- waiting for the projections --------------------------------------------------

    def lags(self) -> dict[str, float]:
        """Relay and projection lags from ``GET /metrics`` (no token needed)."""
        status, _, payload = self.raw("GET", "/metrics")
        if status != 200:
            raise ApiError("GET", "/metrics", ANONYMOUS, status, payload.decode("utf-8", errors="replace"))
        lags: dict[str, float] = {}
        for line in payload.decode("utf-8", errors="replace").splitlines():
            if line.startswith(("rps_relay_lag_notifications{", "rps_projection_lag_notifications{")):
                name, _, value = line.rpartition(" ")
                try:
                    lags[name] = float(value)
                except ValueError:
                    continue
        return lags

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until every relay has published and every projection applied what is stored.

        True when settled; False after ``timeout`` (the caller warns and goes on).
        """
        deadline = time.monotonic() + timeout
        while True:
            lags = self.lags()
            if not lags:  # a system that reports no lags: give its threads a moment
                time.sleep(0.5)
                return True
            if all(v == 0 for v in lags.values()):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
