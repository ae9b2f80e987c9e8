"""Exactly one active relay or projection runner per name, however many replicas run.

A lease with a fencing token (issue 15 item 5), a row per name in the
service's own schema (``leases``): the holder, a token that grows by one at
each take-over, and when the lease expires by the database's clock. The
holder renews it every third of the lease (``RPS_LEASE_SECONDS``, 15 s); a
standby polls and takes it once it has expired, with the next token. A holder
that is frozen (SIGSTOP, a long pause, a stalled VM) stops renewing, so a
standby takes over within a lease period, and the holder stops acting itself
once its lease has run out by its own clock.

Fencing: each write the holder makes as the holder (the relay's position,
a projection's rows and tracking records) checks its token in the same
transaction (``fence``, ``FOR SHARE`` on the lease's row: a take-over waits for
that transaction, or the check sees the newer token). A woken former holder's
write is refused (``LeaseLost``, the transaction rolled back) and it goes back
to standby. What it published before noticing is published again by the new
holder under the same CloudEvents ``id`` and position; consumers drop it by
(source, position) (tracking.py).

A holder that stops cleanly expires its lease at once, so a rolling update
hands over without waiting. A holder that dies (kill -9, OOM) is replaced at
once too: it also holds a session advisory lock on a connection of its own
(``locked`` in its row), which PostgreSQL releases when the process's session
ends; a standby that gets that lock knows the holder is gone and need not wait
for the expiry. A frozen holder keeps its session, hence the expiry.
Embedded mode (SQLite, one process) takes no lease.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from typing import Any, Callable

from services.backbone.persistence import LEASES_TABLE, Cursor, Database

log = logging.getLogger(__name__)


class LeaseLost(ConnectionError):
    """Another process holds the lease now: this write is the new holder's to make
    (a ConnectionError, so the retry loops treat it as the store being away, never the event's fault)."""


def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"rps:{name}".encode()).digest()[:8], "big", signed=True)


def session_connector(settings: Any) -> Callable[[], Any]:
    """A dedicated connection for the holder's session lock (its death ends the session)."""
    import psycopg

    params = settings.postgres_connection()

    def connect() -> Any:
        return psycopg.connect(
            **params, autocommit=True, connect_timeout=5, application_name="rps-lease",
            # A peer that vanished without closing (a node lost) is noticed within seconds.
            keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
        )

    return connect


class Lease:
    def __init__(
        self,
        db: Database,
        name: str,
        seconds: float = 15.0,
        *,
        holder: str | None = None,
        connect: Callable[[], Any] | None = None,
    ):
        self.db = db
        self.name = name
        self.seconds = float(seconds)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.token: int | None = None
        self._valid_until = 0.0  # monotonic: past it this process no longer counts itself the holder
        self._lost = False
        self._renewing = threading.Event()
        self._renewer: threading.Thread | None = None
        self._table_made = False
        self._connect = connect  # None: no session lock, a dead holder is replaced at expiry
        self._session: Any = None
        self._locked = False
        self._session_guard = threading.Lock()

    # -- the session lock: held while this process lives -------------------

    def _session_lock(self) -> bool:
        """Hold the advisory lock on this process's own session (taken once, kept); False
        when another live session holds it or PostgreSQL cannot be reached."""
        if self._connect is None:
            return False
        with self._session_guard:
            try:
                if self._session is None or self._session.closed:
                    self._session, self._locked = self._connect(), False
                if not self._locked:
                    row = self._session.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(self.name),)).fetchone()
                    self._locked = bool(row and row[0])
            except Exception as exc:
                log.warning("%s: no session lock: %s", self.name, exc)
                self._close_session_locked()
        return self._locked

    def _close_session(self) -> None:
        with self._session_guard:
            self._close_session_locked()

    def _close_session_locked(self) -> None:
        if self._session is not None:
            try:
                self._session.close()  # the lock goes with the session
            except Exception:
                pass
        self._session, self._locked = None, False

    # -- taking and keeping ------------------------------------------------

    def try_acquire(self) -> bool:
        """Take the lease when it is free, expired, or ours; a take-over increments the token."""
        started = time.monotonic()
        try:
            if not self._table_made:
                with self.db.transaction() as cur:  # `rps migrate` makes it; an older database gets it here
                    cur.execute(LEASES_TABLE)
                self._table_made = True
            # Holding the session lock while the row says its holder held it: that
            # holder's session has ended (it died), so the lease is free now.
            locked = self._session_lock()
            # The first lease of a name needs the session lock too: a release before leases
            # held only that lock (same key), so during its rolling update the old pod's
            # lock keeps the new pods waiting until it exits.
            may_create = locked or self._connect is None
            rows = self.db.query(
                "INSERT INTO leases (name, holder, token, expires_at, locked)"
                " SELECT %s, %s, 1, clock_timestamp() + make_interval(secs => %s), %s"
                " WHERE %s OR EXISTS (SELECT 1 FROM leases WHERE name = %s)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = leases.token + 1,"
                " expires_at = excluded.expires_at, locked = excluded.locked"
                " WHERE leases.expires_at <= clock_timestamp() OR leases.holder = excluded.holder"
                " OR (leases.locked AND excluded.locked)"
                " RETURNING token",
                (self.name, self.holder, self.seconds, locked, may_create, self.name),
            )
        except Exception as exc:  # the database is away: stay a standby and look again
            log.warning("%s: cannot reach PostgreSQL for the lease: %s", self.name, exc)
            return False
        if not rows:
            if locked:  # not ours to keep: the live holder takes it at its next renewal
                self._close_session()
            return False
        self.token = int(rows[0]["token"])
        self._lost = False
        self._valid_until = started + self._trusted()
        self._start_renewing()
        return True

    def acquire(self, stop: threading.Event, poll_seconds: float = 1.0) -> bool:
        """Block as a standby until this process is the active one (or ``stop``)."""
        announced = False
        while not stop.is_set():
            if self.try_acquire():
                log.info("%s: active (lease token %d)", self.name, self.token)
                return True
            if not announced:
                log.info("%s: standby; another instance holds the lease", self.name)
                print(f"rps: {self.name} standby, waiting for the active instance's lease to end", flush=True)
                announced = True
            stop.wait(min(poll_seconds, self.seconds / 3))
        return False

    def _trusted(self) -> float:
        """How long after a renewal was sent this process still counts itself the holder:
        less than the lease, so it stops before any standby can start."""
        return self.seconds * 0.8

    def renew(self) -> bool:
        """Extend the lease (the renewer thread does, every third of it); False once it is lost."""
        if self.token is None or self._lost:
            return False
        started = time.monotonic()
        try:
            locked = self._session_lock()
            rows = self.db.query(
                "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => %s), locked = %s"
                " WHERE name = %s AND token = %s RETURNING token",
                (self.seconds, locked, self.name, self.token),
            )
        except Exception as exc:  # the lease runs out by itself if this goes on
            log.warning("%s: lease not renewed: %s", self.name, exc)
            return self.held()
        if not rows:
            self._mark_lost("renewal refused")
            return False
        self._valid_until = started + self._trusted()
        return True

    def _start_renewing(self) -> None:
        if self._renewer is not None and self._renewer.is_alive():
            return
        self._renewing.set()

        def renew_until_released() -> None:
            while self._renewing.is_set() and not self._lost:
                time.sleep(self.seconds / 3)
                if self._renewing.is_set():
                    self.renew()

        self._renewer = threading.Thread(target=renew_until_released, name=f"lease {self.name}", daemon=True)
        self._renewer.start()

    def _mark_lost(self, why: str) -> None:
        if not self._lost:
            log.error("%s: lease token %s is no longer ours (%s); back to standby", self.name, self.token, why)
        self._lost = True
        self._close_session()  # the new holder takes the session lock

    # -- as the holder -----------------------------------------------------

    def held(self) -> bool:
        """Whether this process may act as the holder now: the lease was renewed recently
        enough (by its own clock) and no write found a newer token."""
        if self.token is None or self._lost or time.monotonic() >= self._valid_until:
            return False
        return True

    def fence(self, cur: Cursor) -> None:
        """First in the holder's write transaction: refuse it (raise, so it rolls back)
        when another process took the lease since. Holds the lease's row until the
        commit, so a take-over waits for the transaction (or this sees the new token);
        and a holder frozen inside it has its session ended by PostgreSQL after a
        lease period idle, so its locks cannot hold the new holder up for longer."""
        row = None
        if self.token is not None:
            cur.execute(
                "SELECT set_config('idle_in_transaction_session_timeout', %s, true)",
                (str(int(self.seconds * 1000)),),
            )
            row = cur.execute(
                "SELECT token FROM leases WHERE name = %s AND token = %s FOR SHARE", (self.name, self.token)
            ).fetchone()
        if row is None:
            self._mark_lost("a write found a newer token")
            raise LeaseLost(f"{self.name}: lease token {self.token} was taken over; write refused")

    def release(self) -> None:
        """Stop renewing; a lease still ours expires now, so a standby takes over at once."""
        self._renewing.clear()
        token, self.token = self.token, None
        if token is not None and not self._lost:
            try:
                self.db.query(
                    "UPDATE leases SET expires_at = clock_timestamp() WHERE name = %s AND token = %s RETURNING token",
                    (self.name, token),
                )
            except Exception as exc:  # it expires by itself
                log.warning("%s: lease not handed back: %s", self.name, exc)
        self._close_session()
        self._valid_until = 0.0
