"""Idempotency across a crash (R-SEC-3 amended, issue 15 item 2), against real `rps` processes.

The process kills itself (``RPS_FAILPOINT=after_commit``, honoured only under
RPS_ENV=test) after a keyed command's commit and before its answer. Retried
with the same key after the in-flight window, each command returns its first
answer (same status, same visit id) and the store holds exactly one event per
key: on PostgreSQL (`rps serve visits`) and on SQLite (`rps run`).
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest

from services.bootstrap import Runtime
from tests.organisation import form_group
from tests.processes import Http, free_port, wait_for
from tests.unit.visits.feed import ContractsFeed

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

KEYS = 3
IN_FLIGHT_SECONDS = 1
ENV = {"RPS_ENV": "test", "RPS_IDEMPOTENCY_IN_FLIGHT_SECONDS": str(IN_FLIGHT_SECONDS)}
CRASH = {"RPS_FAILPOINT": "after_commit"}


def _crash_each_keyed_command(start, send, keys: list[str]) -> None:
    """Per key: a fresh process stores the command and dies before answering."""
    for key in keys:
        proc, http = start(CRASH)
        try:
            answered = send(http, key)
        except OSError:  # the connection drops: no answer
            answered = None
        assert answered is None, answered
        assert proc.wait(timeout=30) == 137, "the process should have died at the failpoint"


def _retry_after_the_window(http: Http, send, keys: list[str]) -> list[str]:
    after = time.monotonic() + IN_FLIGHT_SECONDS + 1
    wait_for(lambda: time.monotonic() > after, what="the in-flight window to pass")
    ids = []
    for key in keys:
        status, body = send(http, key)
        assert status == 201, body  # the first answer, stored with the events
        again = send(http, key)
        assert again == (201, body)
        ids.append(body["id"])
    return ids


def test_a_crash_after_the_commit_stores_once_on_postgres(processes, cluster_settings, fault_figures):
    # R-SEC-3 amended (issue 15 item 2): PostgreSQL, `rps serve visits`
    runtime = Runtime.cluster(cluster_settings, ("visits",))
    try:
        group = ContractsFeed(runtime).setup(f"crash{uuid.uuid4().hex[:6]}")
    finally:
        runtime.close()
    processes.env.update(AMQP_URI=cluster_settings.amqp_uri, DATABASE_URL=cluster_settings.database_url, **ENV)

    def start(extra=None):
        port = free_port()
        proc = processes.start("serve", "visits", env={"RPS_HTTP": f"127.0.0.1:{port}", **(extra or {})})
        http = Http(f"http://127.0.0.1:{port}")
        http.wait_ready()
        return proc, http

    def send(http: Http, key: str):
        return http.call("POST", "/api/v1/visits", group.visit("2022-03-03", 1), headers={"Idempotency-Key": key})

    keys = [uuid.uuid4().hex for _ in range(KEYS)]
    _crash_each_keyed_command(start, send, keys)
    ids = _retry_after_the_window(start()[1], send, keys)
    with psycopg.connect(cluster_settings.database_url, autocommit=True) as conn:
        stored = conn.execute(
            "SELECT originator_id::text, COUNT(*) FROM visits.visits_events WHERE topic LIKE %s GROUP BY 1",
            ("%:Visit.VisitLogged",),
        ).fetchall()
    # projected: no relay runs here; the figure is the store's
    fault_figures(faults=KEYS, sent=KEYS, acknowledged=len(ids), stored=sum(n for _, n in stored),
                  projected=sum(n for _, n in stored))
    assert len(stored) == KEYS and all(n == 1 for _, n in stored)
    assert sorted(oid for oid, _ in stored) == sorted(ids)


def test_a_crash_after_the_commit_stores_once_embedded(processes, tmp_path, unique, fault_figures):
    # R-SEC-3 amended (issue 15 item 2): SQLite, `rps run`
    env = {"RPS_DATA_DIR": str(tmp_path / "var"), **ENV}

    def start(extra=None):
        port = free_port()
        proc = processes.start("run", env={**env, "RPS_HTTP": f"127.0.0.1:{port}", **(extra or {})})
        http = Http(f"http://127.0.0.1:{port}")
        http.wait_ready(timeout=60)
        return proc, http

    proc, http = start()
    codes = form_group(http.call, unique)
    http.eventually(f"/api/v1/duty-calendar/{codes['group']}/2021", lambda body: True)
    proc.terminate()
    proc.wait(timeout=30)

    def send(http: Http, key: str):
        body = {"group": codes["group"], "date": "2022-03-03", "days": 1, "planners": [codes["tier1"]]}
        return http.call("POST", "/api/v1/visits", body, headers={"Idempotency-Key": key})

    keys = [uuid.uuid4().hex for _ in range(KEYS)]
    _crash_each_keyed_command(start, send, keys)
    http = start()[1]
    ids = _retry_after_the_window(http, send, keys)
    status, feed = http.call("GET", "/api/v1/events/visits?after=0&limit=1000")
    assert status == 200
    logged = [e["subject"] for e in feed["events"] if e["type"].endswith(".VisitLogged.v1")]
    fault_figures(faults=KEYS, sent=KEYS, acknowledged=len(ids), stored=len(logged), projected=len(logged))
    assert sorted(logged) == sorted(ids)
