"""nameko hosts a service whole (issue 17 item 5): one `rps serve visits` runs its HTTP API, its
outbox relay and its read models' consumer in one container on eventlet, with psycopg 3 (which
does not know eventlet's patching: PSYCOPG_WAIT_FUNC) and eventsourcing's threads. Neither
blocked nor deadlocked: the API answers within a bound while the relay publishes a backlog and
the consumer projects it, and SIGTERM stops the process within seconds, its leases handed back.
"""

from __future__ import annotations

import signal
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from services.bootstrap import Runtime
from tests.cluster import ready_messages
from tests.processes import wait_for
from tests.unit.visits.feed import ContractsFeed

pytestmark = pytest.mark.integration

BACKLOG = 300
# What a loaded two-core machine gives a request now and then; a hub blocked by a role's wait
# (a consumer's one-second drain, a relay's idle wait) would hold most requests that long.
SLOWEST_SECONDS = 2.0
TYPICAL_SECONDS = 0.5
STOP_SECONDS = 5.0


def _sql(settings, query: str, params=()):
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def _timed(call) -> tuple[float, int]:
    started = time.monotonic()
    status = call()[0]
    return time.monotonic() - started, status


def test_one_process_serves_relays_and_projects_without_blocking_and_stops_on_sigterm(processes, cluster_settings, unique):
    runtime = Runtime.cluster(cluster_settings, ("visits",))
    try:
        group = ContractsFeed(runtime).setup(unique)
    finally:
        runtime.close()
    processes.env.update(AMQP_URI=cluster_settings.amqp_uri, DATABASE_URL=cluster_settings.database_url,
                         RPS_RELAY_BATCH="50", RPS_LEASE_SECONDS="5")

    def visit(http, i: int) -> int:
        return http.call("POST", "/api/v1/visits", group.visit(f"2022-03-{i % 28 + 1:02d}", 1))[0]

    # The backlog, stored by an API-only process: nothing relays it yet.
    api, http = processes.start_http("serve", "visits", "--role", "http")
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(lambda i: visit(http, i), range(BACKLOG))) == [201] * BACKLOG
    api.send_signal(signal.SIGTERM)
    api.wait(timeout=STOP_SECONDS)
    assert api.returncode == 0, processes.log("serve", "visits", "--role", "http")[-3000:]
    assert ready_messages(cluster_settings.amqp_uri, "evt-visits--visits") in (None, 0)

    # The whole service: its relay publishes the backlog, its consumer projects it, and meanwhile
    # the API answers health checks and takes commands.
    whole, http = processes.start_http("serve", "visits")
    latencies: list[float] = []
    statuses: list[int] = []
    stored = BACKLOG

    def caught_up() -> bool:
        position = _sql(cluster_settings, "SELECT position FROM visits.relay_position WHERE service = 'visits'")
        last = _sql(cluster_settings, "SELECT MAX(notification_id) FROM visits.visits_events")[0][0]
        return bool(position) and position[0][0] == last and ready_messages(
            cluster_settings.amqp_uri, "evt-visits--visits") == 0

    deadline = time.monotonic() + 120
    while not caught_up() or len(statuses) < 20:
        assert time.monotonic() < deadline, "the backlog was not relayed and projected within 2 minutes"
        for call in (lambda: http.call("GET", "/health/live"), lambda: (visit(http, len(statuses)),)):
            spent, status = _timed(call)
            latencies.append(spent)
            statuses.append(status)
        stored += 1
    log = processes.log("serve", "visits")
    print(f"{len(latencies)} calls during the backlog: median {statistics.median(latencies):.3f}s,"
          f" slowest {max(latencies):.3f}s")
    assert set(statuses) == {200, 201}, {s: statuses.count(s) for s in set(statuses)}
    assert "rps: relaying visits.events" in log and "rps: projecting into visits from contracts, visits" in log, log[-3000:]
    assert max(latencies) < SLOWEST_SECONDS and statistics.median(latencies) < TYPICAL_SECONDS, sorted(latencies)
    # Every event went out once to each consumer's queue: reporting's (nobody consumes it here) holds them all.
    wait_for(lambda: ready_messages(cluster_settings.amqp_uri, "evt-visits--reporting") == stored,
             what="every stored visit published to reporting's queue")

    whole.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    whole.wait(timeout=STOP_SECONDS + 5)
    took = time.monotonic() - signalled
    print(f"stopped {took:.1f}s after SIGTERM")
    assert whole.returncode == 0 and took < STOP_SECONDS, processes.log("serve", "visits")[-3000:]
    # A clean stop hands both leases back at once: a standby elsewhere takes over without waiting.
    live = _sql(cluster_settings, "SELECT name FROM visits.leases WHERE expires_at > clock_timestamp()")
    assert live == []
