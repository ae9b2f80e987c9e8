"""Prometheus metrics every process exposes on /metrics.

Names follow Prometheus conventions (``_total`` counters, ``_seconds``
histograms); operators' dashboards and alert rules under infra/ use them.

One label scheme (issue 15 item 11): ``service`` the service a relay or API
process serves, ``source`` the service whose events they are, ``consumer`` the
consuming service (its queues ``evt-{source}--{consumer}``, its runner
``rps project <consumer>``), ``projection`` the read model (``reporting.audit``).
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

EVENTS_APPENDED = Counter(
    "rps_events_appended_total", "Events stored in a service's event store", ["service"]
)
EVENTS_PUBLISHED = Counter(
    "rps_events_published_total", "Events the outbox relay published and saw confirmed", ["service"]
)
EVENTS_CONSUMED = Counter(
    "rps_events_consumed_total",
    "Events a read model applied (duplicates excluded)",
    ["consumer", "projection", "source"],
)
EVENTS_DUPLICATE = Counter(
    "rps_events_duplicate_total",
    "Deliveries a read model recognised as already applied (same source and position) and dropped",
    ["consumer", "projection", "source"],
)
PROJECTION_GAPS = Counter(
    "rps_projection_gaps_total",
    "Times a read model's consumer saw the bus skip events of a source (a delivery past the position it "
    "had applied plus one, the events between stored in the source's feed) and applied them from the feed first",
    ["consumer", "projection", "source"],
)
RELAY_LAG = Gauge(
    "rps_relay_lag_notifications", "Notifications stored but not yet published", ["service"]
)
PROJECTION_LAG = Gauge(
    "rps_projection_lag_notifications",
    "Events of a source waiting for a consumer: its queue's depth by the broker (cluster: "
    "measured by the relays, the API processes and the runner alike), or positions behind (embedded)",
    ["consumer", "source"],
)
QUEUE_CONSUMERS = Gauge(
    "rps_queue_consumers",
    "Processes consuming a consumer's queue of a source's events, by the broker (0: nothing applies them)",
    ["consumer", "source"],
)
RELAY_BLOCKED = Gauge(
    "rps_relay_blocked",
    "1 while RabbitMQ blocks the relay's publishing connection (a disk or memory alarm): events wait in the outbox",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "rps_dead_letter_messages",
    "Events parked after their retries, waiting for `rps dead-letters replay`",
    ["projection"],
)
HTTP_LATENCY = Histogram(
    "rps_http_request_seconds",
    "Latency of HTTP entrypoints",
    ["service", "route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# R-SEC-1: every refusal by the policy (403, or the 404 of a hidden object). Labels
# are the declared route and the role, never ids or anything a client typed.
ACCESS_DENIED = Counter(
    "rps_access_denied_total",
    "Calls the access policy refused (role or scope)",
    ["service", "route", "role"],
)
RATE_LIMITED = Counter(
    "rps_rate_limited_total",
    "Anonymous submissions refused with 429 (R-SEC-5)",
    ["service", "route", "limit"],
)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
