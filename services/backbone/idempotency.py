"""Idempotency keys (R-SEC-3, API.md "Idempotency"): a POST sent again stores once.

A key is scoped to the caller (token subject, or client address when
anonymous; both pseudonymised with a keyed hash) and the request path. The
first request claims the key, runs, and records its answer; a replay with
the same body gets that answer back without running again; the same key
with another body is refused (422). Records live in the service's own
database (``idempotency_keys``, a backbone table), so replicas share them,
and are dropped after the retention period (a setting).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable

from werkzeug.wrappers import Response

from services.backbone.domain import Conflict, RuleViolated
from services.backbone.persistence import Database

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as the IETF draft's examples
# A claimed key whose request never finished (the process died) may be taken over after this.
PENDING_TIMEOUT_SECONDS = 60
# Answers kept for a replay; others (5xx, 429) leave the key free for a retry.
_KEPT_HEADERS = ("Content-Type", "Location")
_PURGE_EVERY_SECONDS = 60

now: Callable[[], float] = time.time


class KeyReused(RuleViolated):
    """The same key came with another body (422)."""

    code = "idempotency_key_reused"


class KeyInFlight(Conflict):
    """The first request with this key is still running (409, retry later)."""

    code = "idempotency_key_in_flight"


@dataclass(frozen=True)
class Claim:
    caller: str
    path: str
    key: str
    fingerprint: str


def pseudonym(secret: bytes, value: str) -> str:
    """A keyed hash: stable across replicas, useless without the key."""
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def fingerprint(method: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b"\0" + body).hexdigest()


def valid_key(raw: str) -> bool:
    return bool(_KEY.match(raw))


class IdempotencyStore:
    def __init__(self, db: Database, retention_seconds: int):
        self.db = db
        self.retention_seconds = retention_seconds

    def claim(self, claim: Claim) -> Response | None:
        """Claim the key: None to go ahead, or the recorded answer of the first request."""
        self._purge()
        at = int(now())
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT fingerprint, status, body, headers, created_at FROM idempotency_keys"
                " WHERE caller = %s AND path = %s AND idem_key = %s",
                (claim.caller, claim.path, claim.key),
            ).fetchone()
            if row is not None and row["created_at"] < at - self.retention_seconds:
                cur.execute(
                    "DELETE FROM idempotency_keys WHERE caller = %s AND path = %s AND idem_key = %s",
                    (claim.caller, claim.path, claim.key),
                )
                row = None
            if row is None:
                cur.execute(
                    "INSERT INTO idempotency_keys (caller, path, idem_key, fingerprint, status, body, headers,"
                    " created_at) VALUES (%s, %s, %s, %s, NULL, NULL, NULL, %s) ON CONFLICT DO NOTHING",
                    (claim.caller, claim.path, claim.key, claim.fingerprint, at),
                )
                if cur.rowcount == 1:
                    return None
                raise KeyInFlight(f"{HEADER}：使用该键的请求正在处理，请稍后重试", field=HEADER)
        if row["fingerprint"] != claim.fingerprint:
            raise KeyReused(f"{HEADER}：该键已用于另一请求体，请换一个键", field=HEADER, rule="R-SEC-3")
        if row["status"] is None:
            if row["created_at"] >= at - PENDING_TIMEOUT_SECONDS:
                raise KeyInFlight(f"{HEADER}：使用该键的请求正在处理，请稍后重试", field=HEADER)
            return self._take_over(claim, row["created_at"])
        headers = json.loads(row["headers"] or "{}")
        headers["Idempotent-Replayed"] = "true"
        return Response(base64.b64decode(row["body"] or ""), status=int(row["status"]), headers=headers)

    def _take_over(self, claim: Claim, seen: int) -> Response | None:
        """The first request died before answering: the first to notice runs it again."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE idempotency_keys SET created_at = %s"
                " WHERE caller = %s AND path = %s AND idem_key = %s AND status IS NULL AND created_at = %s",
                (int(now()), claim.caller, claim.path, claim.key, seen),
            )
            if cur.rowcount == 1:
                return None
        raise KeyInFlight(f"{HEADER}：使用该键的请求正在处理，请稍后重试", field=HEADER)

    def finish(self, claim: Claim, response: Response) -> None:
        """Record the answer; an answer worth retrying (5xx, 429) frees the key instead."""
        with self.db.transaction() as cur:
            if response.status_code >= 500 or response.status_code == 429:
                cur.execute(
                    "DELETE FROM idempotency_keys WHERE caller = %s AND path = %s AND idem_key = %s"
                    " AND status IS NULL",
                    (claim.caller, claim.path, claim.key),
                )
                return
            headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
            cur.execute(
                "UPDATE idempotency_keys SET status = %s, body = %s, headers = %s"
                " WHERE caller = %s AND path = %s AND idem_key = %s",
                (
                    response.status_code,
                    base64.b64encode(response.get_data()).decode("ascii"),
                    json.dumps(headers),
                    claim.caller,
                    claim.path,
                    claim.key,
                ),
            )

    def _purge(self) -> None:
        """Drop records past the retention, at most once a minute per database."""
        at = now()
        with _purge_lock:
            if at - _last_purge.get(id(self.db), 0.0) < _PURGE_EVERY_SECONDS:
                return
            _last_purge[id(self.db)] = at
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM idempotency_keys WHERE created_at < %s", (int(at) - self.retention_seconds,))


_purge_lock = threading.Lock()
_last_purge: dict[int, float] = {}
