"""`rps serve visits` against a PRIVATE PostgreSQL and RabbitMQ that are restarted, made read-only,
paused, filled and stopped (issue 15 items 4 and 9; tests/servers.py). The machine's shared servers
are never touched.

What a user would notice: after PostgreSQL restarts no request fails; a database that takes no
writes (read-only, paused, disk full) gets 503 with Retry-After within the timeouts, never a 500 or
a hang; /health/ready says whether this process can take writes now, within 2 s, and a broker that
is away does not make the API unready (the outbox holds the commands).
"""

from __future__ import annotations

import time
import urllib.request
import uuid

import psycopg
import pytest

from services.backbone.settings import Settings
from services.bootstrap import Runtime, migrate
from tests.processes import Http, Processes, free_port, wait_for
from tests.servers import PrivatePostgres, PrivateRabbitMQ
from tests.unit.visits.feed import ContractsFeed

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

STATEMENT_TIMEOUT = 2  # seconds; the client gives up one second later
CONNECT_TIMEOUT = 2
# Connect, then one statement's deadline on a connection that was already open, then the answer.
ANSWER_WITHIN = CONNECT_TIMEOUT + STATEMENT_TIMEOUT + 1 + 2
READY_WITHIN = 2.0


class System:
    def __init__(self, pg: PrivatePostgres, rabbit: PrivateRabbitMQ, processes: Processes):
        self.pg, self.rabbit, self.p = pg, rabbit, processes
        name = f"rps_faults_{uuid.uuid4().hex[:8]}"
        self.database_url = pg.create_database(name)
        self.settings = Settings(amqp_uri=rabbit.uri_for("/"), database_url=self.database_url)
        migrate(self.settings)
        runtime = Runtime.cluster(self.settings, ("visits",))
        try:
            self.group = ContractsFeed(runtime).setup(uuid.uuid4().hex[:6])
        finally:
            runtime.close()
        self.proc = None
        self.http: Http | None = None

    def serve(self) -> Http:
        if self.proc is not None and self.proc.poll() is None:
            return self.http
        port = free_port()
        self.proc = self.p.start("serve", "visits", env={
            "AMQP_URI": self.settings.amqp_uri, "DATABASE_URL": self.database_url, "RPS_HTTP": f"127.0.0.1:{port}",
            "RPS_DB_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT),
            "RPS_DB_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT),
        })
        self.http = Http(f"http://127.0.0.1:{port}")
        self.http.wait_ready(timeout=60)
        return self.http

    def post_visit(self, day: int = 3) -> tuple[int, dict, dict, float]:
        """POST /visits: status, body, headers, seconds it took."""
        return self.timed("POST", "/api/v1/visits", self.group.visit(f"2022-03-{day:02d}", 1))

    def timed(self, method: str, path: str, body=None) -> tuple[int, object, dict, float]:
        import json

        request = urllib.request.Request(
            self.http.base + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json", "Authorization": f"Bearer {self.http.token}"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw, headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, headers = error.code, error.read(), dict(error.headers)
        return status, json.loads(raw or b"null"), headers, time.monotonic() - started

    def stored(self) -> int:
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM visits.visits_events").fetchone()[0]


@pytest.fixture(scope="module")
def system(private_postgres, private_rabbitmq, tmp_path_factory):
    processes = Processes({}, tmp_path_factory.mktemp("serve"))
    import os

    processes.env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    s = System(private_postgres, private_rabbitmq, processes)
    try:
        yield s
    finally:
        processes.stop_all()


@pytest.fixture
def served(system, healthy_servers):
    system.serve()
    return system


def test_after_a_postgres_restart_no_request_fails(served, fault_figures):
    # Issue 15 item 9: stale pooled connections are checked on checkout, so none fails a request.
    before = served.stored()
    sent = acknowledged = 0
    for day in range(1, 9):  # fill both pools (event store and the service's tables) with connections
        status, body, _, _ = served.post_visit(day)
        sent, acknowledged = sent + 1, acknowledged + (status == 201)
        assert status == 201, body
        assert served.timed("GET", "/api/v1/visits?limit=5")[0] == 200
    served.pg.restart()
    failures = []
    for day in range(1, 21):
        status, body, _, _ = served.post_visit(day)
        sent, acknowledged = sent + 1, acknowledged + (status == 201)
        listed = served.timed("GET", "/api/v1/visits?limit=5")[0]
        if status != 201 or listed != 200:
            failures.append((status, listed, body))
    stored = served.stored() - before
    fault_figures(faults=1, sent=sent, acknowledged=acknowledged, stored=stored, projected=stored)
    assert failures == []
    assert stored == acknowledged == sent


def test_a_read_only_database_is_503_with_retry_after_and_not_ready(served):
    # Issue 15 items 4 and 9: ReadOnlySqlTransaction is 503 (not 500) and the API is not ready
    assert served.post_visit()[0] == 201
    before = served.stored()
    served.pg.set_read_only(True)
    status, body, headers, seconds = served.post_visit()
    assert status == 503 and headers.get("Retry-After"), body
    status, body, _, seconds = served.timed("GET", "/health/ready")
    assert status == 503 and seconds < READY_WITHIN, (body, seconds)
    served.pg.set_read_only(False)
    assert served.timed("GET", "/health/ready")[0] == 200
    assert served.post_visit()[0] == 201
    assert served.stored() == before + 1


def test_a_paused_postgres_gets_503_within_the_timeouts_and_ready_answers_in_2_s(served):
    # Issue 15 items 4 and 9: a server that says nothing holds no request for ever
    assert served.post_visit()[0] == 201
    served.pg.pause()
    try:
        status, body, headers, seconds = served.timed("GET", "/health/ready")
        assert status == 503 and seconds < READY_WITHIN, (body, seconds)
        status, body, headers, seconds = served.post_visit()
        assert status == 503 and headers.get("Retry-After") and seconds < ANSWER_WITHIN, (status, body, seconds)
        status, body, headers, seconds = served.timed("GET", "/api/v1/visits?limit=5")
        assert status == 503 and seconds < ANSWER_WITHIN, (status, body, seconds)
    finally:
        served.pg.resume()
    wait_for(lambda: served.timed("GET", "/health/ready")[0] == 200, 30, "ready again after the pause")
    assert served.post_visit()[0] == 201


def test_broker_down_is_still_ready_and_commands_are_accepted(served):
    # Issue 15 item 4: the outbox holds the commands while the broker is away
    served.rabbit.stop()
    status, body, _, seconds = served.timed("GET", "/health/ready")
    assert status == 200 and seconds < READY_WITHIN, (body, seconds)
    assert body["informational"]["broker"].startswith("unavailable")
    assert served.post_visit()[0] == 201


def test_a_full_disk_is_not_ready(served):
    # Issue 15 item 4: the event store's disk is full: this process cannot take writes
    assert served.timed("GET", "/health/ready")[0] == 200
    served.pg.fill_disk()
    status, body, _, seconds = served.timed("GET", "/health/ready")
    assert status == 503 and seconds < READY_WITHIN, (body, seconds)
    served.pg.free_disk()
    wait_for(lambda: served.timed("GET", "/health/ready")[0] == 200, 10, "ready again with room on the disk")


def test_postgres_down_answers_503_within_the_timeouts_and_nothing_after_it_is_back(served, fault_figures):
    # Issue 15 item 9: during an outage requests answer 503 with Retry-After within the timeouts
    # (not after 30 s, stored with no answer); once it is back none fails
    assert served.post_visit()[0] == 201
    before = served.stored()
    served.pg.kill()
    outage = [served.post_visit(day) for day in range(1, 4)]
    ready, _, _, ready_seconds = served.timed("GET", "/health/ready")
    served.pg.start()
    after = [served.post_visit(day)[0] for day in range(1, 11)]
    stored = served.stored() - before
    fault_figures(faults=1, sent=13, acknowledged=after.count(201), stored=stored, projected=stored)
    assert [(s, bool(h.get("Retry-After"))) for s, _, h, _ in outage] == [(503, True)] * 3
    assert max(seconds for *_, seconds in outage) < ANSWER_WITHIN
    assert ready == 503 and ready_seconds < READY_WITHIN
    assert after == [201] * 10 and stored == 10
