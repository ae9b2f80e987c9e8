"""nameko on eventlet with psycopg 3 and eventsourcing: neither blocked nor deadlocked.

`rps serve` sets PSYCOPG_WAIT_FUNC=wait_select before psycopg loads, so a
query waits cooperatively in the eventlet hub; optimistic-concurrency races
on one aggregate are retried by the application (@command) and end in 409
only when they keep losing.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.bootstrap import Runtime
from tests.processes import Http, free_port
from tests.unit.visits.feed import ContractsFeed

pytestmark = pytest.mark.integration


def test_fifty_concurrent_commands_on_one_aggregate_are_stored_or_refused(processes, cluster_settings, unique):
    runtime = Runtime.cluster(cluster_settings, ("visits",))
    try:
        group = ContractsFeed(runtime).setup(unique)
    finally:
        runtime.close()
    processes.env.update(AMQP_URI=cluster_settings.amqp_uri, DATABASE_URL=cluster_settings.database_url)
    port = free_port()
    processes.start("serve", "visits", env={"RPS_HTTP": f"127.0.0.1:{port}"})
    visits = Http(f"http://127.0.0.1:{port}")
    visits.wait_ready()
    status, visit = visits.call("POST", "/api/v1/visits", group.visit("2022-03-03", 1))
    assert status == 201, visit

    barrier = threading.Barrier(50)

    def correct(i: int) -> int:
        barrier.wait()
        body = {"notes": f"第 {i} 位同事的补充说明", "reason": f"并发更正 {i}"}
        return visits.call("POST", f"/api/v1/visits/{visit['id']}/corrections", body)[0]

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(correct, range(50), timeout=120))
    print("statuses:", {s: statuses.count(s) for s in set(statuses)})
    assert set(statuses) <= {200, 201, 409}, statuses
    stored = sum(1 for s in statuses if s in (200, 201))
    assert stored >= 1
    status, after = visits.call("GET", f"/api/v1/visits/{visit['id']}")
    # Nothing lost: every answered success is one more version of the visit.
    assert after["version"] == 1 + stored
