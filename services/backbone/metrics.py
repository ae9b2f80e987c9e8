"""Prometheus metrics every process exposes on /metrics.

Names follow Prometheus conventions (``_total`` counters, ``_seconds``
histograms); operators' dashboards and alert rules under infra/ use them.
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
    "Events a consumer applied (duplicates excluded)",
    ["consumer", "source"],
)
EVENTS_DUPLICATE = Counter(
    "rps_events_duplicate_total",
    "Deliveries a consumer recognised as already applied",
    ["consumer", "source"],
)
RELAY_LAG = Gauge(
    "rps_relay_lag_notifications", "Notifications stored but not yet published", ["service"]
)
PROJECTION_LAG = Gauge(
    "rps_projection_lag_notifications",
    "Notifications published by a source but not yet applied by a consumer",
    ["consumer", "source"],
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
