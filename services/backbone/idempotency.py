"""Idempotency keys (R-SEC-3, API.md "Idempotency"): a POST sent again stores once.

A key is scoped to the caller (token subject, or client address when
anonymous; both pseudonymised with a keyed hash) and the request path. The
first request claims the key, runs, and records its answer; a replay with
the same body gets that answer back without running again; the same key
with another body is refused (422). Records live beside the service's events
(``idempotency_keys``: the service's PostgreSQL schema, or embedded its
events' SQLite file), so replicas share them, and are dropped after the
retention period (a setting).

Across a crash (issue 15 item 2): during a keyed request the application
holds its events back (``application.deferring``); the handler answers from
the aggregates in memory; then the events and the key's answer are stored in
ONE transaction of the event store's recorder (chain.py). A process killed
at any point leaves either both (a retry gets the stored answer) or neither
(the claim is taken over after the in-flight window and the request runs
again). An optimistic-concurrency conflict at that commit runs the request
again on fresh state; an answer worth retrying (5xx, 429) stores nothing.
A service without events (reporting: issued copies, bureau notes) runs the
request inside one transaction of its own database (``Database.joined``)
and records the key's answer in it, so its writes and the answer are stored
together too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from eventsourcing.persistence import IntegrityError
from werkzeug.wrappers import Response

from services.backbone.application import COMMAND_ATTEMPTS, deferring, lost_race_retrying
from services.backbone.domain import Conflict, RuleViolated
from services.backbone.persistence import Database, PurgeSchedule

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as the IETF draft's examples
# A claimed key whose request never finished (the process died) may be taken over after
# this long (RPS_IDEMPOTENCY_IN_FLIGHT_SECONDS).
PENDING_TIMEOUT_SECONDS = 60
# Answers kept for a replay; others (5xx, 429) leave the key free for a retry.
_KEPT_HEADERS = ("Content-Type", "Location")

now: Callable[[], float] = time.time


class KeyReused(RuleViolated):
    """The same key came with another body (422)."""

    code = "idempotency_key_reused"


class KeyInFlight(Conflict):
    """The first request with this key is still running (409, retry later)."""

    code = "idempotency_key_in_flight"


class KeyTakenOver(Exception):
    """Our claim ran out and another request took the key over: store nothing (rolls back)."""


class _NotKept(Exception):
    """An answer worth retrying: roll back what the request wrote (a service without events)."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


@dataclass(frozen=True)
class Claim:
    caller: str
    path: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """The answer to record for a claimed key, in whatever transaction stores the request's effects."""

    claim: Claim
    claimed_at: int
    status: int
    body: str
    headers: str

    def record(self, execute: Callable[[str, Sequence[Any]], int], prefix: str, placeholder: str) -> None:
        """Write the answer with ``execute`` (returns the row count) on ``prefix``idempotency_keys;
        raises KeyTakenOver, rolling the transaction back, when the claim is no longer ours."""
        sql = (
            "UPDATE {t}idempotency_keys SET status = {p}, body = {p}, headers = {p}"
            " WHERE caller = {p} AND path = {p} AND idem_key = {p} AND status IS NULL AND created_at = {p}"
        ).format(t=prefix, p=placeholder)
        params = (self.status, self.body, self.headers, self.claim.caller, self.claim.path, self.claim.key,
                  self.claimed_at)
        if execute(sql, params) != 1:
            raise KeyTakenOver(self.claim.key)


def pseudonym(secret: bytes, value: str) -> str:
    """A keyed hash: stable across replicas, useless without the key."""
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def fingerprint(method: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b"\0" + body).hexdigest()


def valid_key(raw: str) -> bool:
    return bool(_KEY.match(raw))


class IdempotencyStore:
    def __init__(self, db: Database, retention_seconds: int, in_flight_seconds: int = PENDING_TIMEOUT_SECONDS):
        self.db = db
        self.retention_seconds = retention_seconds
        self.in_flight_seconds = in_flight_seconds
        self.claimed_at = 0

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
                    self.claimed_at = at
                    return None
                raise KeyInFlight(f"{HEADER}：使用该键的请求正在处理，请稍后重试", field=HEADER)
        if row["fingerprint"] != claim.fingerprint:
            raise KeyReused(f"{HEADER}：该键已用于另一请求体，请换一个键", field=HEADER, rule="R-SEC-3")
        if row["status"] is None:
            if row["created_at"] >= at - self.in_flight_seconds:
                raise KeyInFlight(f"{HEADER}：使用该键的请求正在处理，请稍后重试", field=HEADER)
            return self._take_over(claim, row["created_at"])
        headers = json.loads(row["headers"] or "{}")
        headers["Idempotent-Replayed"] = "true"
        return Response(base64.b64decode(row["body"] or ""), status=int(row["status"]), headers=headers)

    def _take_over(self, claim: Claim, seen: int) -> Response | None:
        """The first request died before answering: the first to notice runs it again."""
        at = max(int(now()), seen + 1)  # the claim's token: the first request's commit can no longer match
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE idempotency_keys SET created_at = %s"
                " WHERE caller = %s AND path = %s AND idem_key = %s AND status IS NULL AND created_at = %s",
                (at, claim.caller, claim.path, claim.key, seen),
            )
            if cur.rowcount == 1:
                self.claimed_at = at
                return None
        raise KeyInFlight(f"{HEADER}：使用该键的请求正在处理，请稍后重试", field=HEADER)

    def answer(self, claim: Claim, response: Response) -> Answer | None:
        """The answer to keep for replays; None for one worth retrying (5xx, 429)."""
        if response.status_code >= 500 or response.status_code == 429:
            return None
        headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
        return Answer(claim, self.claimed_at, response.status_code,
                      base64.b64encode(response.get_data()).decode("ascii"), json.dumps(headers))

    def run(self, claim: Claim, app: Any, respond: Callable[[], Response],
            refuse: Callable[[Exception], Response], *, failpoint: str | None = None) -> Response:
        """Answer a claimed request once: its events (``app``'s, held back while ``respond`` runs)
        and the key's answer are stored in one transaction; a conflict there runs it again, and
        after COMMAND_ATTEMPTS lost races the 409 (``refuse``) is the answer replays get."""
        if app is None:
            return self._run_joined(claim, respond, failpoint)
        # The try after the last lost race stores no events: it refuses (409).
        for attempt in lost_race_retrying(COMMAND_ATTEMPTS + 1):
            with attempt:
                refused = attempt.retry_state.attempt_number > COMMAND_ATTEMPTS
                with deferring(app) as held:
                    response = refuse(Conflict("另一项修改已先保存，请刷新后重试")) if refused else respond()
                answer = self.answer(claim, response)
                try:
                    if answer is None:  # nothing stored: the key is free for a retry
                        held.discard()
                        self.release(claim)
                        return response
                    if failpoint == "after_write":  # crash tests (RPS_ENV=test only): nothing stored yet
                        os._exit(137)
                    app.commit_deferred(held, answer)
                except IntegrityError:  # another writer saved one of its aggregates first: run again on fresh state
                    held.discard()
                    raise
                except KeyTakenOver:  # we were too slow: the request that took the key over answers
                    held.discard()
                    return self._taken_over(claim)
                except BaseException:
                    held.discard()
                    self._release_quietly(claim)
                    raise
                if failpoint == "after_commit":  # crash tests (RPS_ENV=test only): stored, never answered
                    os._exit(137)
                return response
        raise AssertionError("unreachable: every try returns or raises")

    def _run_joined(self, claim: Claim, respond: Callable[[], Response], failpoint: str | None) -> Response:
        """A service without events: what the request writes in the key's database (reporting's
        issued copy, a bureau note) and the key's answer are ONE transaction of that database."""
        try:
            with self.db.joined() as cur:
                response = respond()
                answer = self.answer(claim, response)
                if answer is None:  # worth retrying: nothing the request wrote is kept
                    raise _NotKept(response)
                if failpoint == "after_write":  # crash tests (RPS_ENV=test only): written, not committed
                    os._exit(137)
                answer.record(lambda sql, params: cur.execute(sql, params).rowcount, "", "%s")
        except _NotKept as refused:
            self.release(claim)
            return refused.response
        except KeyTakenOver:  # we were too slow (rolled back): the request that took the key over answers
            return self._taken_over(claim)
        except BaseException:
            self._release_quietly(claim)
            raise
        if failpoint == "after_commit":  # crash tests (RPS_ENV=test only): stored, never answered
            os._exit(137)
        return response

    def _taken_over(self, claim: Claim) -> Response:
        """The answer of the request that took our key over (ours stored nothing)."""
        replay = self.claim(claim)
        if replay is None:
            self.release(claim)
            raise KeyInFlight(f"{HEADER}：使用该键的请求正在处理，请稍后重试", field=HEADER) from None
        return replay

    def release(self, claim: Claim) -> None:
        """Free our claim (nothing was stored for it)."""
        with self.db.transaction() as cur:
            cur.execute(
                "DELETE FROM idempotency_keys WHERE caller = %s AND path = %s AND idem_key = %s"
                " AND status IS NULL AND created_at = %s",
                (claim.caller, claim.path, claim.key, self.claimed_at),
            )

    def _release_quietly(self, claim: Claim) -> None:
        try:
            self.release(claim)
        except Exception as exc:  # the store is down: the claim runs out after the in-flight window
            log.warning("idempotency claim not released: %s", type(exc).__name__)

    def _purge(self) -> None:
        """Drop records past the retention, at most once a minute per database."""
        at = now()
        if _purges.due(self.db, at):
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM idempotency_keys WHERE created_at < %s", (int(at) - self.retention_seconds,))


_purges = PurgeSchedule(every_seconds=60)
