"""The base eventsourcing Application every service's domain lives in.

No transport code here: commands and queries only. The notification log is
the outbox; ``appended`` wakes the relay so it need not poll hard.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterable, Iterator, TypeVar

from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.persistence import IntegrityError
from tenacity import Retrying

from services.backbone import metrics
from services.backbone.chain import ChainCheck, Rechained, verify_chain
from services.backbone.chain_checkpoint import CHECKPOINT_KIND, Chain
from services.backbone.domain import Conflict
from services.backbone.envelope import envelope_from_event
from services.backbone.retrying import on_lost_race

log = logging.getLogger(__name__)

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

    return lost_race_retrying(COMMAND_ATTEMPTS, after_last=_lost_every_race).wraps(fn)  # type: ignore[return-value]


def lost_race_retrying(attempts: int, **options: Any) -> Retrying:
    """Tries of a write that may lose an optimistic-concurrency race (a command, a keyed request)."""
    return on_lost_race(IntegrityError, attempts=attempts, pause_seconds=RETRY_PAUSE_SECONDS, **options)


def _lost_every_race(_: Any) -> Any:
    raise Conflict("另一项修改已先保存，请刷新后重试") from None


class _Ticket:
    """One command's events waiting for the group commit."""

    __slots__ = ("processing_event", "done", "recordings", "error")

    def __init__(self, processing_event: Any):
        self.processing_event = processing_event
        self.done = threading.Event()
        self.recordings: list[Any] = []
        self.error: BaseException | None = None


class GroupCommitter:
    """Stores the events of commands that arrive together in one transaction.

    Each command's events stay all-or-nothing and keep their optimistic
    concurrency check: when a batch fails on one command's conflict, its
    commands are stored one by one, so only the losing command sees the error.
    A command returns only after its own events are committed.
    """

    def __init__(self, put: Callable[[list[Any]], list[Any]], *, max_batch: int = 200):
        self._put = put
        self._max_batch = max_batch
        self._queue: list[_Ticket] = []
        self._lock = threading.Lock()
        self._leader_active = False

    def record(self, processing_event: Any) -> list[Any]:
        ticket = _Ticket(processing_event)
        with self._lock:
            self._queue.append(ticket)
            lead = not self._leader_active
            if lead:
                self._leader_active = True
        if lead:
            self._lead()
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return ticket.recordings

    def _lead(self) -> None:
        # The first caller commits what has queued up meanwhile, batch after
        # batch, until the queue is empty; its own ticket is in the first batch.
        while True:
            with self._lock:
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                if not batch:
                    self._leader_active = False
                    return
            self._commit(batch)

    def _commit(self, batch: list[_Ticket]) -> None:
        try:
            if len(batch) > 1 and self._commit_together(batch):
                return
            for ticket in batch:
                try:
                    ticket.recordings = self._put(ticket.processing_event.events)
                except Exception as exc:  # this command's own failure
                    ticket.error = exc
        finally:
            for ticket in batch:
                ticket.done.set()

    def _commit_together(self, batch: list[_Ticket]) -> bool:
        try:
            recordings = self._put([e for t in batch for e in t.processing_event.events])
        except Exception:  # one command lost a race (or the store failed): one by one
            return False
        i = 0
        for ticket in batch:
            n = len(ticket.processing_event.events)
            ticket.recordings, i = recordings[i : i + n], i + n
        return True


class Deferred:
    """What one idempotent request saved, held back until its answer is known (R-SEC-3).

    The request's events are then stored together with the key's answer in one
    transaction of the event store (``ServiceApplication.commit_deferred``), so a
    crash leaves either both or neither.
    """

    def __init__(self, app: "ServiceApplication | None"):
        self.app = app
        self.processing_events: list[ProcessingEvent] = []
        self.aggregates: dict[Any, Any] = {}
        self.discards: list[Callable[[], Any]] = []

    def add(self, processing_event: ProcessingEvent) -> None:
        self.processing_events.append(processing_event)
        self.aggregates.update(processing_event.aggregates)

    def discard(self) -> None:
        """The held events will not be stored: undo what was written beside them (``on_discard``)."""
        while self.discards:
            undo = self.discards.pop()
            try:
                undo()
            except Exception as exc:  # best effort; the caller reports its own failure
                log.warning("undoing a discarded save failed: %s", type(exc).__name__)


_deferred: ContextVar[Deferred | None] = ContextVar("rps_deferred_save", default=None)


@contextmanager
def deferring(app: "ServiceApplication | None") -> Iterator[Deferred]:
    """Within the block, ``app.save`` collects events instead of storing them."""
    held = Deferred(app)
    token = _deferred.set(held)
    try:
        yield held
    finally:
        _deferred.reset(token)


class _DeferringRepository(Repository):
    """Reads an aggregate the current request saved but has not stored yet from memory."""

    def get(self, aggregate_id: Any, *args: Any, **kwargs: Any) -> Any:
        held = _deferred.get()
        if held is not None and held.app is not None and held.app.repository is self and kwargs.get("version") is None:
            found = held.aggregates.get(aggregate_id)
            if found is not None:
                return found
        return super().get(aggregate_id, *args, **kwargs)


class ServiceApplication(Application):
    service: str = "abstract"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.appended = threading.Event()
        self.group_commit = GroupCommitter(lambda events: self.events.put(events))

    def construct_repository(self) -> Repository:
        repository = super().construct_repository()
        repository.__class__ = _DeferringRepository
        return repository

    def _record(self, processing_event: Any) -> Any:
        if processing_event.tracking is not None or processing_event.saved_kwargs:
            return super()._record(processing_event)
        recordings = self.group_commit.record(processing_event)
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in processing_event.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return recordings

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        held = _deferred.get()
        if held is not None and held.app is self and not kwargs:
            processing_event: ProcessingEvent = ProcessingEvent()
            processing_event.collect_events(*objs)
            held.add(processing_event)
            return []  # stored, and numbered, by commit_deferred
        recordings = super().save(*objs, **kwargs)
        self._saved(recordings)
        return recordings

    def on_discard(self, undo: Callable[[], Any]) -> None:
        """Run ``undo`` if the events just saved are held back and then not stored (an idempotent
        request that answered 5xx or lost a race); a no-op when the save stored them at once."""
        held = _deferred.get()
        if held is not None and held.app is self:
            held.discards.append(undo)

    def _saved(self, recordings: list[Any]) -> None:
        if recordings:
            metrics.EVENTS_APPENDED.labels(self.service).inc(len(recordings))
            self.appended.set()

    def commit_deferred(self, held: Deferred, idempotency: Any) -> list[Any]:
        """Store what ``held`` collected and the key's answer (``idempotency``) in one transaction.

        An optimistic-concurrency conflict raises IntegrityError (nothing stored): the
        caller runs the request again on fresh state.
        """
        events = [event for pe in held.processing_events for event in pe.events]
        recordings = self.events.put(events, idempotency=idempotency)
        for processing_event in held.processing_events:
            if self.repository.cache and not self.repository.fastforward:
                for aggregate_id, aggregate in processing_event.aggregates.items():
                    self.repository.cache.put(aggregate_id, aggregate)
            self._take_snapshots(processing_event)
        self._saved(recordings)
        return recordings

    def wire(self, db: Any, settings: Any = None) -> None:
        """Called once, by the runtime that built the application: its service's own database (read
        models it decides on) and its service's typed settings (None for a service without any)."""
        self.db = db
        self.settings = settings

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
        keyring = self.recorder.keyring  # type: ignore[attr-defined]
        envelopes = []
        for n in notifications:
            link = hashes.get(n.id)
            # R-RPT-5: each envelope is a signed checkpoint of the chain at its position.
            key_id, signature = keyring.sign(self.service, n.id, link) if link else (None, None)
            envelopes.append(envelope_from_event(self.service, self.mapper.to_domain_event(n), n.id, chainhash=link,
                                                 chainkey=key_id, chainsig=signature))
        return envelopes

    def verify_chain(self) -> ChainCheck:
        return verify_chain(self.service, self.recorder)

    def rechain(self) -> Rechained:
        """``rps migrate`` (R-RPT-5, R-SEC-4): redact what stored events must no longer carry and key
        the links made before keying again; where links were made again, the signed checkpoint over
        them is stored in the same transaction as an event of this stream (``ChainKeyed``), so the
        relay publishes it and reporting keeps it as it keeps the heads."""
        keyring = self.recorder.keyring  # type: ignore[attr-defined]

        def checkpoint(done: Rechained) -> list[Any]:
            key_id, signature = keyring.sign(self.service, done.head_position, done.head_hash, CHECKPOINT_KIND)
            chain = Chain.checkpoint(self.service, done.head_position, hash=done.head_hash, key_id=key_id,
                                     signature=signature, relinked=done.relinked, redacted=done.redacted)
            return [self.mapper.to_stored_event(event) for event in chain.collect_events()]

        done = self.recorder.rechain(getattr(self, "redact_stored", None), checkpoint)  # type: ignore[attr-defined]
        if done.checkpoint_position:
            self.appended.set()  # wake the relay
        return done

    def ping(self) -> None:
        self.recorder.max_notification_id()

    def aggregates(self, ids: Iterable[Any]) -> list[Any]:
        return [self.repository.get(i) for i in ids]
