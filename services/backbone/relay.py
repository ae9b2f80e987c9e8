"""The outbox relay: reads a service's notification log in order and publishes.

The notification log is the outbox (the event and its notification are one
row, written in one transaction), so nothing is ever published by hand after
a commit. The relay records its position only after the publisher has
confirmed the batch; a crash in between publishes some events again, which
consumers recognise by (source, position) and ignore.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Protocol

from services.backbone import metrics
from services.backbone.application import ServiceApplication
from services.backbone.persistence import Database

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, service: str, envelopes: list[dict[str, Any]]) -> None:
        """Deliver every envelope durably, or raise; returns only once confirmed."""


class OutboxRelay:
    def __init__(self, app: ServiceApplication, db: Database, publisher: Publisher, *, batch: int = 200):
        self.app = app
        self.service = app.service
        self.db = db
        self.publisher = publisher
        self.batch = batch

    def position(self) -> int:
        rows = self.db.query("SELECT position FROM relay_position WHERE service = %s", (self.service,))
        return int(rows[0]["position"]) if rows else 0

    def _save_position(self, position: int) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO relay_position (service, position) VALUES (%s, %s) "
                "ON CONFLICT (service) DO UPDATE SET position = excluded.position",
                (self.service, position),
            )

    def relay_once(self) -> int:
        """Publish the next batch; returns how many events went out."""
        start = self.position()
        envelopes = self.app.envelopes(after=start, limit=self.batch)
        if envelopes:
            self.publisher.publish(self.service, envelopes)
            self._save_position(envelopes[-1]["position"])
            metrics.EVENTS_PUBLISHED.labels(self.service).inc(len(envelopes))
        metrics.RELAY_LAG.labels(self.service).set(max(0, self.app.last_position() - self.position()))
        return len(envelopes)

    def run(
        self,
        stop: threading.Event,
        *,
        idle_seconds: float = 0.5,
        error_backoff: float = 1.0,
        still_active: Callable[[], bool] = lambda: True,
    ) -> None:
        """Relay until ``stop`` is set (or the singleton lock is lost); a failed
        publish is retried with back-off from the same position."""
        backoff = error_backoff
        while not stop.is_set():
            if not still_active():
                log.error("relay %s: lost the singleton lock; stopping", self.service)
                return
            try:
                sent = self.relay_once()
                backoff = error_backoff
            except Exception:  # broker or store down: keep the position, retry
                log.exception("relay %s: publish failed; retrying in %.1fs", self.service, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if sent < self.batch:
                self.app.appended.wait(idle_seconds)
                self.app.appended.clear()
