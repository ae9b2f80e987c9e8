"""The base eventsourcing Application every service's domain lives in.

No transport code here: commands and queries only. The notification log is
the outbox; ``appended`` wakes the relay so it need not poll hard.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from typing import Any, Callable, Iterable, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from services.backbone import metrics
from services.backbone.chain import ChainCheck, verify_chain
from services.backbone.domain import Conflict
from services.backbone.envelope import envelope_from_event

F = TypeVar("F", bound=Callable[..., Any])

# Optimistic concurrency: a command that lost a race on an aggregate is run
# again on the fresh state after a short random pause (so racers spread out);
# after this many tries the client gets a 409.
COMMAND_ATTEMPTS = 8
RETRY_PAUSE_SECONDS = 0.005
# Aggregates with long histories are loaded from a snapshot plus the events after it.
SNAPSHOT_EVERY = 50


def command(fn: F) -> F:
    """Retry a whole command when another writer saved the aggregate first."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(COMMAND_ATTEMPTS):
            try:
                return fn(*args, **kwargs)
            except IntegrityError:
                if attempt == COMMAND_ATTEMPTS - 1:
                    raise Conflict("另一项修改已先保存，请刷新后重试") from None
                time.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * 2**attempt))
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]


class ServiceApplication(Application):
    service: str = "abstract"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.appended = threading.Event()

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        if recordings:
            metrics.EVENTS_APPENDED.labels(self.service).inc(len(recordings))
            self.appended.set()
        return recordings

    def use_database(self, db: Any) -> None:
        """Hand the application its service's own database (read models it decides on)."""
        self.db = db

    def create_tables(self) -> None:
        self.recorder.create_table()  # type: ignore[attr-defined]

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def envelopes(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Events in notification order after ``after``, as published."""
        notifications = self.recorder.select_notifications(start=after + 1, limit=limit)
        if not notifications:
            return []
        hashes = self.recorder.chain_hashes(notifications[0].id, notifications[-1].id)  # type: ignore[attr-defined]
        return [
            envelope_from_event(self.service, self.mapper.to_domain_event(n), n.id, chainhash=hashes.get(n.id))
            for n in notifications
        ]

    def verify_chain(self) -> ChainCheck:
        return verify_chain(self.service, self.recorder)

    def ping(self) -> None:
        self.recorder.max_notification_id()

    def aggregates(self, ids: Iterable[Any]) -> list[Any]:
        return [self.repository.get(i) for i in ids]
