"""RabbitMQ: the durable topic exchanges ``{service}.events``, the relay's
confirmed publisher and the tracking consumer.

Queue names follow nameko's convention for event handlers
(``evt-{source}--{consumer}``), one queue per consumer and source bound with
``#`` so a consumer sees one source's events in publish order.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable

from kombu import Connection, Exchange, Producer, Queue
from kombu.mixins import ConsumerMixin

from services.backbone import metrics
from services.backbone.envelope import (
    ACCEPTED_CONTENT_TYPES,
    CONTENT_TYPE,
    MalformedEnvelope,
    decode,
    encode,
    short_type,
)

log = logging.getLogger(__name__)



def events_exchange(service: str) -> Exchange:
    return Exchange(f"{service}.events", type="topic", durable=True)


def consumer_queue(source: str, consumer: str) -> Queue:
    return Queue(
        f"evt-{source}--{consumer}",
        exchange=events_exchange(source),
        routing_key="#",
        durable=True,
        queue_arguments={"x-queue-type": "classic"},
    )


def decode_or_reject(body: Any, message: Any, owner: str) -> dict[str, Any] | None:
    """The message's envelope; a malformed one is rejected without requeue (it can never succeed)."""
    try:
        return decode(body)
    except (MalformedEnvelope, ValueError, TypeError):
        log.error("%s: dropping malformed message %s", owner, message.delivery_tag)
        message.reject(requeue=False)
        return None


class PublishNotConfirmed(ConnectionError):
    """RabbitMQ refused (nacked) a message of the batch, or did not confirm it in time."""


# How long a batch may wait for its confirms before the relay tries it again.
CONFIRM_TIMEOUT_SECONDS = 30.0


class AmqpPublisher:
    """Publishes persistent messages and returns only when RabbitMQ confirmed them.

    The channel is in confirm mode; a batch is sent whole and then waited for
    once (RabbitMQ acks with ``multiple``), not one round trip per message.
    """

    def __init__(self, amqp_uri: str, consumers_of: Callable[[str], tuple[str, ...]]):
        self.amqp_uri = amqp_uri
        # The known consumers' queues are declared before publishing, so an
        # event published before its consumer first starts waits for it.
        self.consumers_of = consumers_of
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()
        self._services: set[str] = set()  # those published for: named by the blocked gauge
        self._sent = 0  # delivery tags on this channel run 1, 2, ...
        self._unconfirmed: set[int] = set()
        self._nacked = False

    def _ensure(self) -> Producer:
        if self._producer is None:
            # RabbitMQ's connection.blocked: a resource alarm holds every publisher back.
            self._connection = Connection(
                self.amqp_uri, heartbeat=30,
                transport_options={"on_blocked": self._on_blocked, "on_unblocked": self._on_unblocked},
            )
            self._connection.ensure_connection(max_retries=1)
            channel = self._connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._producer = Producer(channel)
            self._declared.clear()
            self._sent, self._unconfirmed, self._nacked = 0, set(), False
        return self._producer

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {t for t in self._unconfirmed if t > delivery_tag}
        else:
            self._unconfirmed.discard(delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True

    def _on_blocked(self, reason: str) -> None:
        log.warning(
            "RabbitMQ blocks publishing for %s (%s): a disk or memory alarm; events wait in the outbox",
            ", ".join(sorted(self._services)), reason,
        )
        self._set_blocked(1)

    def _on_unblocked(self) -> None:
        log.warning("RabbitMQ publishes again for %s", ", ".join(sorted(self._services)))
        self._set_blocked(0)

    def _set_blocked(self, value: int) -> None:
        for service in self._services:
            metrics.RELAY_BLOCKED.labels(service).set(value)

    def _declare(self, producer: Producer, service: str) -> None:
        if service in self._declared:
            return
        channel = producer.channel
        events_exchange(service)(channel).declare()
        for consumer in self.consumers_of(service):
            consumer_queue(service, consumer)(channel).declare()
        self._declared.add(service)

    def publish(self, service: str, envelopes: list[dict[str, Any]]) -> None:
        if service not in self._services:
            self._services.add(service)
            metrics.RELAY_BLOCKED.labels(service).set(0)
        try:
            producer = self._ensure()
            self._declare(producer, service)
            exchange = events_exchange(service)
            for envelope in envelopes:
                producer.publish(
                    encode(envelope),
                    exchange=exchange,
                    routing_key=short_type(envelope),
                    delivery_mode=2,
                    content_type=CONTENT_TYPE,  # CloudEvents' AMQP structured mode
                    content_encoding="utf-8",
                    message_id=envelope["id"],
                    retry=False,
                )
                self._sent += 1
                self._unconfirmed.add(self._sent)
            self._wait_for_confirms()
            metrics.RELAY_BLOCKED.labels(service).set(0)  # confirmed: not blocked (any more)
        except Exception:
            self.close()
            raise

    def _wait_for_confirms(self) -> None:
        assert self._connection is not None
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECONDS
        while self._unconfirmed and not self._nacked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"{len(self._unconfirmed)} messages not confirmed in time")
            self._connection.drain_events(timeout=remaining)
        if self._nacked:
            raise PublishNotConfirmed("RabbitMQ refused a message of the batch")

    def ping(self) -> None:
        self._ensure()

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # already broken; nothing to release
                pass
        self._connection = None
        self._producer = None


RunHandler = Callable[[list[dict[str, Any]]], Any]


class AmqpConsumer(ConsumerMixin):
    """Feeds each source's queue to a handler; acks only after it committed.

    With ``run_handlers`` the messages that arrive together (up to the
    prefetch, waiting at most ``linger_seconds`` for more) are handed over as
    one run per source, which a projection applies in one transaction; each
    message is acknowledged after its run committed. A message whose handler
    raised is not acknowledged and forgotten: it is requeued.
    """

    def __init__(
        self,
        amqp_uri: str,
        consumer: str,
        handlers: dict[str, Callable[[dict[str, Any]], Any]],
        *,
        prefetch: int = 100,
        run_handlers: dict[str, RunHandler] | None = None,
        linger_seconds: float = 0.005,
        heartbeat: float = 30,
    ):
        # A runner's heartbeat is shorter than its lease (cli.py): the broker closes a
        # frozen runner's connection, and gives what it held back, before a standby starts.
        self.connection = Connection(amqp_uri, heartbeat=heartbeat)
        self.consumer = consumer
        self.handlers = handlers
        self.run_handlers = run_handlers or {}
        self.prefetch = prefetch
        self.linger_seconds = linger_seconds
        self.stopped = threading.Event()
        self.requeue_delay = 1.0
        self.still_active: Callable[[], bool] = lambda: True
        self.lag_interval = 5.0
        self._lag_measured = 0.0
        self._pending: dict[str, list[tuple[dict[str, Any], Any]]] = {}

    def on_iteration(self) -> None:
        # While a run is being gathered the lock is checked before it is applied (_flush).
        if not self._pending and not self._check_active():
            return
        now = time.monotonic()
        if now - self._lag_measured >= self.lag_interval:
            self._lag_measured = now
            self._measure_lag()

    def _check_active(self) -> bool:
        if self.still_active():
            return True
        log.error("%s: lost the lease; stopping", self.consumer)
        self.should_stop = True
        self._pending.clear()  # unacknowledged: the broker gives them to the active one
        return False

    def wait_until_alone(self, stop: threading.Event, timeout: float) -> bool:
        """A new holder waits (at most ``timeout``) until no other process consumes its
        queues: the broker has then requeued what a former, frozen holder held
        unacknowledged, so the events are applied in their order. True when alone."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            try:
                channel = self.connection.default_channel
                others = sum(
                    consumer_queue(source, self.consumer)(channel).queue_declare(passive=True).consumer_count
                    for source in self.handlers
                )
            except Exception as exc:  # the broker is away or a queue is not declared yet: nobody consumes it
                log.debug("%s: consumers not counted: %s", self.consumer, exc)
                self.connection.close()
                return True
            if not others:
                return True
            if time.monotonic() >= deadline:
                log.warning("%s: %d consumers still on the queues after %.0fs; consuming anyway", self.consumer, others, timeout)
                return False
            stop.wait(0.5)
        return False

    def _measure_lag(self) -> None:
        """Projection lag: what waits in each source's queue (published, not yet applied)."""
        try:
            channel = self.connection.default_channel
            for source in self.handlers:
                declared = consumer_queue(source, self.consumer)(channel).queue_declare(passive=True)
                metrics.PROJECTION_LAG.labels(self.consumer, source).set(declared.message_count)
                metrics.QUEUE_CONSUMERS.labels(self.consumer, source).set(declared.consumer_count)
        except Exception as exc:  # the broker is reconnecting; measure next time
            log.debug("%s: lag not measured: %s", self.consumer, exc)

    def get_consumers(self, Consumer: Any, channel: Any) -> list[Any]:
        return [
            Consumer(
                queues=[consumer_queue(source, self.consumer)],
                callbacks=[self._callback(source, handler)],
                accept=ACCEPTED_CONTENT_TYPES,
                prefetch_count=self.prefetch,
            )
            for source, handler in self.handlers.items()
        ]

    def consume(self, limit: Any = None, timeout: Any = None, safety_interval: float = 1, **kwargs: Any) -> Any:
        """kombu's loop, except that a gathered run is applied once no more
        messages arrive within ``linger_seconds`` (or the prefetch is full)."""
        self._pending.clear()  # a new connection: earlier deliveries are the broker's again
        with self.consumer_context(**kwargs) as (conn, _channel, _consumers):
            while not self.should_stop:
                self.on_iteration()
                if self.should_stop:
                    break
                try:
                    conn.drain_events(timeout=self.linger_seconds if self._pending else safety_interval)
                except socket.timeout:
                    if self._pending:
                        self._flush()
                    conn.heartbeat_check()
                except OSError:
                    if not self.should_stop:
                        raise
                else:
                    if any(len(run) >= self.prefetch for run in self._pending.values()):
                        self._flush()
                    yield

    def _flush(self) -> None:
        if not self._check_active():
            return
        pending, self._pending = self._pending, {}
        last_applied = None
        for source, run in pending.items():
            envelopes = [envelope for envelope, _ in run]
            try:
                self.run_handlers[source](envelopes)
            except Exception:
                # The handler parks events that keep failing; what reaches here
                # is a store that is down. Keep the messages and try again later.
                log.exception("%s: a run of %d from %s not applied; requeued", self.consumer, len(run), source)
                self.stopped.wait(self.requeue_delay)
                for _, message in run:
                    message.requeue()
                continue
            tag_last = run[-1][1]
            if last_applied is None or tag_last.delivery_tag > last_applied.delivery_tag:
                last_applied = tag_last
        if last_applied is not None:
            # Every message delivered so far has now been applied or requeued
            # (each is pending until its run is decided), so one ack covers them.
            last_applied.ack(multiple=True)

    def _callback(self, source: str, handler: Callable[[dict[str, Any]], Any]) -> Callable[[Any, Any], None]:
        def on_message(body: Any, message: Any) -> None:
            envelope = decode_or_reject(body, message, self.consumer)
            if envelope is None:
                return
            if source in self.run_handlers:
                self._pending.setdefault(source, []).append((envelope, message))
                return
            try:
                handler(envelope)
            except Exception:
                # The handler parks events that keep failing; what reaches here
                # is a store that is down. Keep the message and try again later.
                log.exception("%s: %s not applied; requeued", self.consumer, envelope.get("id"))
                self.stopped.wait(self.requeue_delay)
                message.requeue()
                return
            message.ack()

        return on_message

    def stop(self) -> None:
        self.should_stop = True
        self.stopped.set()

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        log.warning("%s: broker unreachable (%s); retrying in %.1fs", self.consumer, exc, interval)


class BrokerGauges:
    """Consumers' queues as the broker sees them, measured by any process that can reach it
    (relays, API processes, runners: issue 15 item 11), so a consumer's lag shows while
    its runner is down: ``rps_projection_lag_notifications`` (messages ready in the queue;
    the deliveries a runner holds unacknowledged, at most its prefetch, are not counted)
    and ``rps_queue_consumers`` (0: nothing applies them)."""

    def __init__(self, amqp_uri: str, queues: list[tuple[str, str]], *, timeout: float = 2.0,
                 management_url: str | None = None):
        self.amqp_uri = amqp_uri
        self.queues = queues  # (source, consumer)
        self.timeout = timeout
        self.management_url = management_url

    @classmethod
    def configured(cls, settings: Any, queues: list[tuple[str, str]]) -> "BrokerGauges":
        return cls(settings.amqp_uri or "", queues, management_url=settings.rabbitmq_management_url)

    def refresh(self) -> bool:
        """Measure every queue once; False when the broker could not be asked (gauges kept)."""
        import amqp

        if not self.queues:  # web: it neither publishes nor consumes
            return True
        if self.management_url:
            return self._refresh_from_management()
        try:
            with Connection(self.amqp_uri, connect_timeout=self.timeout) as conn:
                conn.ensure_connection(max_retries=1, timeout=self.timeout)
                for source, consumer in self.queues:
                    channel = conn.channel()
                    try:
                        declared = consumer_queue(source, consumer)(channel).queue_declare(passive=True)
                    except amqp.exceptions.NotFound:  # not declared yet: nothing was published for it
                        continue
                    finally:
                        channel.close()
                    metrics.PROJECTION_LAG.labels(consumer, source).set(declared.message_count)
                    metrics.QUEUE_CONSUMERS.labels(consumer, source).set(declared.consumer_count)
        except Exception as exc:  # the broker is away: its own alerts say so
            log.warning("queue depths not measured: %s", exc)
            return False
        return True

    def _refresh_from_management(self) -> bool:
        """The management API's figures: ``messages`` is ready + unacknowledged."""
        import base64
        import json
        import urllib.error
        import urllib.parse
        import urllib.request

        uri = urllib.parse.urlsplit(self.amqp_uri)
        vhost = urllib.parse.unquote(uri.path[1:]) if len(uri.path) > 1 else "/"
        credentials = f"{urllib.parse.unquote(uri.username or 'guest')}:{urllib.parse.unquote(uri.password or 'guest')}"
        headers = {"authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
        try:
            for source, consumer in self.queues:
                name = consumer_queue(source, consumer).name
                url = f"{self.management_url}/api/queues/{urllib.parse.quote(vhost, safe='')}/{name}"
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.timeout) as r:
                        info = json.load(r)
                except urllib.error.HTTPError as error:
                    if error.code == 404:  # not declared yet
                        continue
                    raise
                metrics.PROJECTION_LAG.labels(consumer, source).set(int(info.get("messages", 0)))
                metrics.QUEUE_CONSUMERS.labels(consumer, source).set(int(info.get("consumers", 0)))
        except Exception as exc:
            log.warning("queue depths not measured by the management API: %s", exc)
            return False
        return True


def broker_reachable(amqp_uri: str, timeout: float = 2.0) -> bool:
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except (OSError, socket.timeout, Exception):
        return False
