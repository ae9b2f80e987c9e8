"""``rps subscribe``: another department's subscriber to the published events.

It binds its own durable queue ``sub-{name}`` to each source's exchange
``{source}.events``, one binding per requested event type (the routing key),
and only then catches up from the source's feed
``GET /api/v1/events/{source}?after=N``. An event published while it catches
up waits in the queue, so none can fall between the feed and the queue; the
two overlap instead, and the overlap is dropped by (source, position): a
source's relay publishes in position order and a re-published event keeps
its position, so a delivery at or below the position already handled for its
source has been handled.

Positions are kept per source in a small JSON state file, rewritten
atomically after each page of the feed and after each event from the queue
(before the queue is told it was handled). A crash in between hands those
events on again after a restart (at most a page while catching up, one
event afterwards): the output is at least once, and whoever reads it should
key on the envelope's ``source`` and ``position``, which every envelope
carries.

With no state file the subscriber starts at the beginning of each source's
history; ``--from-start`` ignores the saved positions and replays it all.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from kombu import Connection, Queue, binding
from kombu.mixins import ConsumerMixin

from services.backbone.amqp import decode_or_reject, events_exchange
from services.backbone.envelope import (
    ACCEPTED_CONTENT_TYPES,
    CONTENT_TYPE,
    MalformedEnvelope,
    encode,
    short_type,
    source_service,
)
from services.backbone.retrying import Interrupted, until_stopped
from services.backbone.settings import ConfigurationError, Settings

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
QUEUE_TYPES = ("quorum", "classic")
STATE_VERSION = 1

Emit = Callable[[dict[str, Any]], None]
# (source, after, limit) -> the source's envelopes after ``after``, in position order.
FeedReader = Callable[[str, int, int], list[dict[str, Any]]]


class SubscriptionError(ValueError):
    """The subscription asked for is not one the system can serve (unknown event, bad name)."""


def queue_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise SubscriptionError(f"--name {name!r}: letters, digits, '.', '_' or '-', at most 64, starting alphanumeric")
    return f"sub-{name}"


def parse_events(text: str) -> list[str]:
    """``'VisitLogged, RecommendationForwarded'`` -> the types, in order, without repeats."""
    events = list(dict.fromkeys(t.strip() for t in (text or "").split(",") if t.strip()))
    if not events:
        raise SubscriptionError("--events: name at least one event type, e.g. VisitLogged")
    return events


def publishers() -> dict[str, tuple[str, ...]]:
    """event type -> the services that publish it (from the event catalogue; ``ChainKeyed``: every one)."""
    from services.backbone.catalogue import catalogue

    found: dict[str, tuple[str, ...]] = {}
    for service, per in catalogue().items():
        for name in per:
            found[name] = (*found.get(name, ()), service)
    return found


def sources_of(events: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """source service -> the requested types it publishes."""
    publisher = publishers()
    wanted = list(events)
    unknown = [e for e in wanted if e not in publisher]
    if unknown:
        raise SubscriptionError(
            f"--events: no service publishes {', '.join(unknown)}; see docs/asyncapi.yaml for the event types"
        )
    out: dict[str, list[str]] = {}
    for name in wanted:
        for source in publisher[name]:
            out.setdefault(source, []).append(name)
    return {source: tuple(names) for source, names in sorted(out.items())}


# -- the state file --------------------------------------------------------------------------


@dataclass
class State:
    """Where the subscriber stands per source, and what it had bound (to unbind what is dropped)."""

    path: Path
    queue: str
    events: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, queue: str) -> "State":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path=path, queue=queue)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"--state {path}: not a subscriber state file ({exc})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("positions", {}), dict):
            raise ConfigurationError(f"--state {path}: not a subscriber state file")
        if raw.get("queue") not in (None, queue):
            raise ConfigurationError(
                f"--state {path} belongs to queue {raw['queue']}, not {queue}: give each --name its own state file"
            )
        positions = {str(k): int(v) for k, v in raw.get("positions", {}).items()}
        return cls(path=path, queue=queue, events=list(raw.get("events") or []), positions=positions)

    def position(self, source: str) -> int:
        return self.positions.get(source, 0)

    def save(self) -> None:
        """Write a new file and rename it over the old one: a crash leaves one or the other, whole."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "version": STATE_VERSION,
            "queue": self.queue,
            "events": self.events,
            "positions": self.positions,
            "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(body, f, ensure_ascii=False, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


# -- where the events go ---------------------------------------------------------------------


def printer(stream: Any) -> Emit:
    """One envelope per line, as compact JSON in UTF-8 (``stream`` is a binary file)."""

    def emit(envelope: dict[str, Any]) -> None:
        stream.write(encode(envelope) + b"\n")
        stream.flush()

    return emit


class Stopped(Exception):
    """The subscriber was asked to stop while an event was still being handed on."""


def forwarder(url: str, stop: threading.Event, *, timeout: float = 10.0, max_backoff: float = 30.0) -> Emit:
    """POST each envelope to ``url`` (CloudEvents structured mode) until a 2xx answers.

    An event is never skipped: while the receiver fails, the same event is
    tried again with a growing pause, and the ones behind it wait. The
    ``Idempotency-Key`` is the envelope id, for receivers that deduplicate.
    """

    def post(envelope: dict[str, Any]) -> None:
        request = urllib.request.Request(
            url,
            data=encode(envelope),
            method="POST",
            headers={
                "content-type": CONTENT_TYPE,
                "Idempotency-Key": envelope["id"],
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (operator's URL)
                if 200 <= response.status < 300:
                    return
                problem = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
        except (OSError, urllib.error.URLError) as exc:
            problem = str(exc)
        raise _NotForwarded(problem)

    def emit(envelope: dict[str, Any]) -> None:
        def failed(error: BaseException, pause: float) -> None:
            log.warning("forwarding %s to %s failed (%s); again in %.1fs", envelope["id"], url, error, pause)

        try:
            for attempt in until_stopped(stop, first_pause=0.5, longest_pause=max_backoff, retry_on=(_NotForwarded,),
                                         on_failure=failed):
                with attempt:
                    post(envelope)
        except Interrupted:
            raise Stopped(envelope["id"]) from None

    return emit


class _NotForwarded(Exception):
    """The receiver did not take the event (its answer or the network's error)."""


# -- the subscriber ----------------------------------------------------------------------------


def feed_reader(settings: Settings) -> FeedReader:
    """Reads ``RPS_EVENTS_URL_{SOURCE}`` with a fresh bearer token per page (tokens are short-lived)."""
    from services.backbone.auth import service_headers
    from services.backbone.feed import http_reader

    def read(source: str, after: int, limit: int) -> list[dict[str, Any]]:
        url = settings.events_urls.get(source)
        if not url:
            raise ConfigurationError(
                f"to catch up on {source}'s events set RPS_EVENTS_URL_{source.upper()} "
                f"(e.g. http://{source}:8000/api/v1/events/{source})"
            )
        return http_reader(url, headers=service_headers(settings))(after, limit)

    return read


class Subscriber:
    def __init__(
        self,
        amqp_uri: str,
        *,
        name: str,
        events: list[str],
        state_path: Path,
        emit: Emit,
        read_feed: FeedReader,
        from_start: bool = False,
        queue_type: str = "quorum",
        page_size: int = 500,
        prefetch: int = 50,
        stop: threading.Event | None = None,
    ):
        if queue_type not in QUEUE_TYPES:
            raise SubscriptionError(f"--queue-type: one of {', '.join(QUEUE_TYPES)}")
        self.amqp_uri = amqp_uri
        self.queue_name = queue_name(name)
        self.events = list(events)
        self.sources = sources_of(self.events)
        self.wanted = {(source, name) for source, names in self.sources.items() for name in names}
        self.emit = emit
        self.read_feed = read_feed
        self.queue_type = queue_type
        self.page_size = page_size
        self.prefetch = prefetch
        self.state = State.load(Path(state_path), self.queue_name)
        if from_start:
            self.state.positions = {}
        self.stop_event = stop or threading.Event()
        self.emitted = 0
        self.duplicates = 0
        self._lock = threading.Lock()
        self._consumer: _QueueConsumer | None = None

    # -- the queue -----------------------------------------------------------------------

    def queue(self) -> Queue:
        return Queue(
            self.queue_name,
            bindings=[
                binding(events_exchange(source), routing_key=name)
                for source, names in self.sources.items()
                for name in names
            ],
            durable=True,
            auto_delete=False,
            queue_arguments={"x-queue-type": self.queue_type},
        )

    def bind(self) -> None:
        """Declare the exchanges, the queue and its bindings; drop bindings of types no longer asked for."""
        with Connection(self.amqp_uri, heartbeat=30) as conn:
            conn.ensure_connection(self._connection_error, max_retries=None)
            channel = conn.channel()
            try:
                queue = self.queue()(channel)
                try:
                    queue.declare()
                except conn.channel_errors as exc:
                    raise ConfigurationError(
                        f"queue {self.queue_name} exists with other arguments ({exc}): give --queue-type as it was "
                        "declared, or drain and delete the queue"
                    ) from None
                publisher = publishers()
                for name in self.state.events:
                    for source in publisher.get(name, ()):
                        if (source, name) not in self.wanted:
                            queue.unbind_from(events_exchange(source), routing_key=name)
                            log.info("%s: unbound %s (no longer asked for)", self.queue_name, name)
            finally:
                channel.close()
        self.state.events = self.events
        self.state.save()

    # -- handing events on -----------------------------------------------------------------

    def deliver(self, envelope: dict[str, Any], *, save: bool = True) -> bool:
        """Hand ``envelope`` on unless its source's position already covers it; True if handed on.

        Events of types not asked for (the feed carries every type) only move the position.
        ``save=False`` leaves writing the state file to the caller (once per page of the feed).
        """
        source = source_service(envelope)
        position = int(envelope["position"])
        with self._lock:
            if position <= self.state.position(source):
                self.duplicates += 1
                return False
            wanted = (source, short_type(envelope)) in self.wanted
            if wanted:
                self.emit(envelope)
                self.emitted += 1
            self.state.positions[source] = position
            if wanted and save:
                self.state.save()
            return wanted

    def catch_up(self) -> int:
        """Every source's feed after its remembered position; returns how many events were handed on."""
        before = self.emitted
        for source in self.sources:
            while not self.stop_event.is_set():
                page = self._read_page(source, self.state.position(source))
                for envelope in page:
                    if source_service(envelope) != source:
                        raise MalformedEnvelope(f"{source}'s feed returned an event of {envelope['source']}")
                    self.deliver(envelope, save=False)
                if page:
                    with self._lock:
                        self.state.save()
                if len(page) < self.page_size:
                    break
        return self.emitted - before

    def _read_page(self, source: str, after: int) -> list[dict[str, Any]]:
        """One page of the feed; an unreachable service is waited for, a refused token is fatal."""

        def unavailable(error: BaseException, pause: float) -> None:
            problem = f"HTTP {error.code}" if isinstance(error, urllib.error.HTTPError) else str(error)
            log.warning("%s: %s's feed unavailable (%s); again in %.0fs", self.queue_name, source, problem, pause)

        try:
            for attempt in until_stopped(self.stop_event, first_pause=1.0, longest_pause=30.0,
                                         retry_on=(OSError,), on_failure=unavailable):  # URLError, refused, timed out
                with attempt:
                    try:
                        return self.read_feed(source, after, self.page_size)
                    except urllib.error.HTTPError as exc:
                        if exc.code in (401, 403, 404):
                            raise ConfigurationError(
                                f"{source}'s feed answered {exc.code}: check RPS_EVENTS_URL_{source.upper()} and the "
                                "token (RPS_SERVICE_TOKEN; the feed is for operators and services)"
                            ) from None
                        raise
        except Interrupted:
            raise Stopped(f"{source}'s feed") from None
        raise AssertionError("unreachable: every try returns or raises")

    def on_message(self, body: Any, message: Any) -> None:
        envelope = decode_or_reject(body, message, self.queue_name)
        if envelope is None:
            return
        try:
            self.deliver(envelope)
        except Stopped:
            # Not acknowledged: the broker gives it (and those behind it) back on the next start.
            if self._consumer is not None:
                self._consumer.should_stop = True
            return
        message.ack()

    # -- running ---------------------------------------------------------------------------

    def run(self) -> None:
        """Bind, catch up, then consume the queue until ``stop()``."""
        try:
            self._run()
        except Stopped:
            log.info("%s: stopped", self.queue_name)

    def _run(self) -> None:
        self.bind()
        log.info("%s: bound to %s", self.queue_name,
                 "; ".join(f"{s}.events ({', '.join(n)})" for s, n in self.sources.items()))
        caught = self.catch_up()
        log.info("%s: caught up, %d events from the feeds; consuming", self.queue_name, caught)
        if self.stop_event.is_set():
            return
        self._consumer = _QueueConsumer(self, Connection(self.amqp_uri, heartbeat=30))
        self._consumer.run()

    def stop(self) -> None:
        self.stop_event.set()
        if self._consumer is not None:
            self._consumer.should_stop = True

    def _connection_error(self, exc: Exception, interval: float) -> None:
        if self.stop_event.is_set():
            raise Stopped("broker unreachable while stopping")
        log.warning("%s: broker unreachable (%s); retrying in %.1fs", self.queue_name, exc, interval)


class _QueueConsumer(ConsumerMixin):
    def __init__(self, subscriber: Subscriber, connection: Connection):
        self.subscriber = subscriber
        self.connection = connection

    def get_consumers(self, Consumer: Any, channel: Any) -> list[Any]:
        return [
            Consumer(
                queues=[self.subscriber.queue()],
                callbacks=[self.subscriber.on_message],
                accept=ACCEPTED_CONTENT_TYPES,
                prefetch_count=self.subscriber.prefetch,
            )
        ]

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        self.subscriber._connection_error(exc, interval)
