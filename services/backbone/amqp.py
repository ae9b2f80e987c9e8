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
from services.backbone.envelope import MalformedEnvelope, decode, encode, short_type

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


class AmqpPublisher:
    """Publishes persistent messages and returns only when RabbitMQ confirmed them."""

    def __init__(self, amqp_uri: str, consumers_of: Callable[[str], tuple[str, ...]]):
        self.amqp_uri = amqp_uri
        # The known consumers' queues are declared before publishing, so an
        # event published before its consumer first starts waits for it.
        self.consumers_of = consumers_of
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()

    def _ensure(self) -> Producer:
        if self._producer is None:
            self._connection = Connection(
                self.amqp_uri, transport_options={"confirm_publish": True}, heartbeat=30
            )
            self._connection.ensure_connection(max_retries=1)
            self._producer = Producer(self._connection.channel())
            self._declared.clear()
        return self._producer

    def _declare(self, producer: Producer, service: str) -> None:
        if service in self._declared:
            return
        channel = producer.channel
        events_exchange(service)(channel).declare()
        for consumer in self.consumers_of(service):
            consumer_queue(service, consumer)(channel).declare()
        self._declared.add(service)

    def publish(self, service: str, envelopes: list[dict[str, Any]]) -> None:
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
                    content_type="application/json",
                    content_encoding="utf-8",
                    message_id=envelope["id"],
                    retry=False,
                )
        except Exception:
            self.close()
            raise

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


class AmqpConsumer(ConsumerMixin):
    """Feeds each source's queue to a handler; acks only after it committed.

    A message whose handler raised is not acknowledged and forgotten: it is
    requeued (the backbone issue adds bounded retries and parking).
    """

    def __init__(
        self,
        amqp_uri: str,
        consumer: str,
        handlers: dict[str, Callable[[dict[str, Any]], Any]],
        *,
        prefetch: int = 100,
    ):
        self.connection = Connection(amqp_uri, heartbeat=30)
        self.consumer = consumer
        self.handlers = handlers
        self.prefetch = prefetch
        self.stopped = threading.Event()
        self.requeue_delay = 1.0
        self.still_active: Callable[[], bool] = lambda: True
        self.lag_interval = 5.0
        self._lag_measured = 0.0

    def on_iteration(self) -> None:
        if not self.still_active():
            log.error("%s: lost the singleton lock; stopping", self.consumer)
            self.should_stop = True
            return
        now = time.monotonic()
        if now - self._lag_measured >= self.lag_interval:
            self._lag_measured = now
            self._measure_lag()

    def _measure_lag(self) -> None:
        """Projection lag: what waits in each source's queue (published, not yet applied)."""
        try:
            channel = self.connection.default_channel
            for source in self.handlers:
                declared = consumer_queue(source, self.consumer)(channel).queue_declare(passive=True)
                metrics.PROJECTION_LAG.labels(self.consumer, source).set(declared.message_count)
        except Exception as exc:  # the broker is reconnecting; measure next time
            log.debug("%s: lag not measured: %s", self.consumer, exc)

    def get_consumers(self, Consumer: Any, channel: Any) -> list[Any]:
        return [
            Consumer(
                queues=[consumer_queue(source, self.consumer)],
                callbacks=[self._callback(handler)],
                accept=["json"],
                prefetch_count=self.prefetch,
            )
            for source, handler in self.handlers.items()
        ]

    def _callback(self, handler: Callable[[dict[str, Any]], Any]) -> Callable[[Any, Any], None]:
        def on_message(body: Any, message: Any) -> None:
            try:
                envelope = decode(body)
            except (MalformedEnvelope, ValueError, TypeError):
                log.error("%s: dropping malformed message %s", self.consumer, message.delivery_tag)
                message.reject(requeue=False)
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


def broker_reachable(amqp_uri: str, timeout: float = 2.0) -> bool:
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except (OSError, socket.timeout, Exception):
        return False
