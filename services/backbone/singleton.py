"""Exactly one active relay or projection runner per name, however many replicas run.

A PostgreSQL session advisory lock: the active process holds it on a
dedicated connection; standbys poll for it. When the active process dies its
session ends, the server releases the lock and a standby takes over. During a
rolling update the new pod therefore waits until the old one has exited, so
two can never be active at once. The holder checks its connection on every
loop and stops work the moment it cannot prove it still holds the lock.
"""

from __future__ import annotations

import hashlib
import logging
import threading

import psycopg

from services.backbone.settings import Settings

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"rps:{name}".encode()).digest()[:8], "big", signed=True)


class SingletonLock:
    def __init__(self, settings: Settings, name: str):
        self.name = name
        self.key = lock_key(name)
        self._params = settings.postgres_params()
        self._conn: psycopg.Connection | None = None

    def _connect(self) -> psycopg.Connection:
        p = self._params
        return psycopg.connect(
            host=p["POSTGRES_HOST"],
            port=p["POSTGRES_PORT"],
            user=p["POSTGRES_USER"],
            password=p["POSTGRES_PASSWORD"],
            dbname=p["POSTGRES_DBNAME"],
            autocommit=True,
            connect_timeout=5,
            application_name=f"rps-{self.name}",
            # Detect a dead peer quickly on both sides.
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
        )

    def try_acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except psycopg.Error as exc:
            log.warning("%s: cannot reach PostgreSQL for the lock: %s", self.name, exc)
            self.release()
            return False
        return bool(row and row[0])

    def acquire(self, stop: threading.Event, poll_seconds: float = 1.0) -> bool:
        """Block as a standby until this process is the active one (or ``stop``)."""
        announced = False
        while not stop.is_set():
            if self.try_acquire():
                log.info("%s: active", self.name)
                return True
            if not announced:
                log.info("%s: standby; another instance is active", self.name)
                print(f"rps: {self.name} standby, waiting for the active instance to stop", flush=True)
                announced = True
            stop.wait(poll_seconds)
        return False

    def held(self) -> bool:
        """A session lock lives as long as its session: a live connection proves it."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None
