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
import time
from typing import Any, Callable, Protocol

from services.backbone import metrics
from services.backbone.application import ServiceApplication
from services.backbone.persistence import Cursor, Database
from services.backbone.retrying import Interrupted, until_stopped
from services.backbone.singleton import LeaseLost

log = logging.getLogger(__name__)

# The relay lag gauge is brought up to date at most this often (two queries).
LAG_INTERVAL_SECONDS = 1.0


class Publisher(Protocol):
    def publish(self, service: str, envelopes: list[dict[str, Any]]) -> None:
        """Deliver every envelope durably, or raise; returns only once confirmed."""


class OutboxRelay:
    def __init__(
        self,
        app: ServiceApplication,
        db: Database,
        publisher: Publisher,
        *,
        batch: int = 200,
        fence: Callable[[Cursor], None] | None = None,
    ):
        self.app = app
        self.service = app.service
        self.db = db
        self.publisher = publisher
        self.batch = batch
        self._lag_measured = 0.0
        # The lease's check (singleton.Lease.fence) in the position's transaction:
        # a former holder's save is refused. None: the only relay (embedded).
        self.fence = fence

    def position(self) -> int:
        rows = self.db.query("SELECT position FROM relay_position WHERE service = %s", (self.service,))
        return int(rows[0]["position"]) if rows else 0

    def _save_position(self, position: int) -> None:
        with self.db.transaction() as cur:
            if self.fence is not None:
                self.fence(cur)
            cur.execute(
                "INSERT INTO relay_position (service, position) VALUES (%s, %s) "
                "ON CONFLICT (service) DO UPDATE SET position = excluded.position",
                (self.service, position),
            )

    def relay_once(self) -> int:
        """Publish the next batch after the saved position; returns how many events went out."""
        sent, _ = self._relay_after(self.position())
        self.measure_lag()
        return sent

    def _relay_after(self, start: int) -> tuple[int, int]:
        """Publish the batch after ``start``; returns how many went out and the new position."""
        envelopes = self.app.envelopes(after=start, limit=self.batch)
        if not envelopes:
            return 0, start
        self.publisher.publish(self.service, envelopes)
        position = envelopes[-1]["position"]
        self._save_position(position)
        metrics.EVENTS_PUBLISHED.labels(self.service).inc(len(envelopes))
        return len(envelopes), position

    def measure_lag(self, position: int | None = None) -> None:
        """The outbox's backlog: stored after the saved position (or ``position``)."""
        self._lag_measured = time.monotonic()
        saved = self.position() if position is None else position
        metrics.RELAY_LAG.labels(self.service).set(max(0, self.app.last_position() - saved))

    def run(
        self,
        stop: threading.Event,
        *,
        idle_seconds: float = 0.5,
        error_backoff: float = 1.0,
        still_active: Callable[[], bool] = lambda: True,
    ) -> None:
        """Relay until ``stop`` is set (or the singleton lock is lost); a failed
        publish is retried with back-off from the same position.

        While active this relay is the only writer of its position, so it
        reads it once and then keeps it (two queries less per batch)."""
        position: int | None = None

        def failed(error: BaseException, pause: float) -> None:
            log.error("relay %s: publish failed; retrying in %.1fs", self.service, pause, exc_info=error)

        while not stop.is_set():
            try:  # broker or store down: keep the position, retry with back-off
                for attempt in until_stopped(stop, first_pause=error_backoff, longest_pause=30.0,
                                             give_up_on=(LeaseLost,), on_failure=failed):
                    with attempt:
                        if not still_active():
                            raise LeaseLost("lost the lease")
                        try:
                            if position is None:
                                position = self.position()
                            sent, position = self._relay_after(position)
                            if time.monotonic() - self._lag_measured >= LAG_INTERVAL_SECONDS:
                                self.measure_lag(position)
                        except Exception:
                            position = None  # read it again: the save may or may not have landed
                            raise
            except LeaseLost as exc:  # another relay took over: its position stands, ours is refused
                log.error("relay %s: %s; stopping", self.service, exc)
                return
            except Interrupted:
                return
            if sent < self.batch:
                self.app.appended.wait(idle_seconds)
                self.app.appended.clear()
