"""The private servers of tests/servers.py do what the fault tests rely on (issue 15, "The suite
fails when something is wrong": faults on private instances, never on the machine's shared servers).
"""

from __future__ import annotations

import threading
import time

import amqp
import psycopg
import pytest

from tests.processes import wait_for
from tests.servers import PrivatePostgres, PrivateRabbitMQ

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.fixture(scope="module")
def pg(private_postgres: PrivatePostgres) -> PrivatePostgres:
    private_postgres.sql("CREATE TABLE IF NOT EXISTS kept (n int)")
    return private_postgres


@pytest.fixture
def fresh(pg):
    pg.start()
    pg.sql("TRUNCATE kept")
    yield pg
    pg.resume() if pg._paused else None
    pg.start()
    pg.free_disk()
    pg.set_read_only(False)


def test_private_servers_are_not_the_shared_ones(pg, private_rabbitmq):
    # Issue 15: nothing else on the machine is disturbed by a fault test.
    assert pg.port != 5432 and f":{pg.port}/" in pg.url
    assert private_rabbitmq.port != 5672 and private_rabbitmq.node.startswith("rps-test-")
    assert pg.sql("SELECT inet_server_port()")[0][0] == pg.port


def test_postgres_killed_drops_sessions_and_starts_again_with_committed_rows(fresh):
    fresh.sql("INSERT INTO kept VALUES (1)")
    conn = psycopg.connect(fresh.url, autocommit=True)
    fresh.kill()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    assert not fresh.accepts()
    fresh.start()
    assert fresh.sql("SELECT n FROM kept") == [(1,)]


def test_postgres_stopped_and_started_keeps_its_port_and_data(fresh):
    port = fresh.port
    fresh.sql("INSERT INTO kept VALUES (2)")
    fresh.restart()
    assert fresh.port == port and fresh.sql("SELECT n FROM kept") == [(2,)]


def test_postgres_paused_hangs_then_answers_when_resumed(fresh):
    fresh.pause()
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(fresh.url, connect_timeout=1)
    assert time.monotonic() - started >= 0.9  # it hung, it did not refuse
    fresh.resume()
    assert fresh.accepts()


def test_postgres_read_only_refuses_writes_in_open_and_new_sessions(fresh):
    open_session = psycopg.connect(fresh.url, autocommit=True)
    fresh.set_read_only(True)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        fresh.sql("INSERT INTO kept VALUES (3)")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        open_session.execute("INSERT INTO kept VALUES (3)")
    fresh.set_read_only(False)
    open_session.execute("INSERT INTO kept VALUES (3)")
    assert fresh.sql("SELECT n FROM kept") == [(3,)]


def test_postgres_disk_full_refuses_new_rows_until_freed(fresh):
    fresh.fill_disk()
    with pytest.raises(psycopg.errors.DiskFull):
        fresh.sql("INSERT INTO kept SELECT g FROM generate_series(1, 200000) g")
    assert fresh.accepts()  # reads go on
    fresh.free_disk()
    fresh.sql("INSERT INTO kept SELECT g FROM generate_series(1, 1000) g")
    assert fresh.sql("SELECT COUNT(*) FROM kept") == [(1000,)]


@pytest.fixture
def rabbit(private_rabbitmq: PrivateRabbitMQ):
    yield private_rabbitmq
    private_rabbitmq.resume() if private_rabbitmq._paused else None
    private_rabbitmq.start()
    if private_rabbitmq.alarm:
        private_rabbitmq.clear_alarm()


def _channel(rabbit: PrivateRabbitMQ, queue: str, **kw):
    conn = amqp.Connection(f"127.0.0.1:{rabbit.port}", userid="guest", password="guest", connect_timeout=5, **kw)
    conn.connect()
    channel = conn.channel()
    channel.queue_declare(queue, durable=True, auto_delete=False)
    channel.queue_purge(queue)
    return conn, channel


def test_rabbitmq_killed_keeps_persistent_messages_and_starts_again(rabbit):
    conn, channel = _channel(rabbit, "kept")
    channel.confirm_select()
    for i in range(3):
        channel.basic_publish(amqp.Message(str(i), delivery_mode=2), routing_key="kept", confirm_timeout=10)
    # Measured on RabbitMQ 3.10.8: a kill -9 at once after the confirms lost all three confirmed persistent
    # messages of this durable classic queue in 3 of 8 tries (with queue_index_embed_msgs_below = 0 too);
    # asking the node first closed that window in every try. This test is about the harness (a killed node
    # starts again on its data); the broker's window is a finding of its own (the closing note of issue 17).
    assert wait_for(lambda: rabbit.queue("kept", from_node=True)["messages"] == 3, 30, "the three messages in")
    rabbit.kill()
    assert not rabbit.accepts()
    with pytest.raises(Exception):
        channel.basic_publish(amqp.Message("lost"), routing_key="kept")
        conn.drain_events(timeout=1)
    rabbit.start()
    assert wait_for(lambda: rabbit.queue("kept", from_node=True)["messages"] == 3, 60, "the three messages back")


def test_rabbitmq_paused_hangs_then_answers_when_resumed(rabbit):
    rabbit.pause()
    started = time.monotonic()
    assert not rabbit.accepts()
    assert time.monotonic() - started >= 1.5  # the handshake hung (2 s timeout), nothing refused it
    rabbit.resume()
    assert rabbit.accepts()


def test_rabbitmq_alarm_blocks_publishers_until_cleared(rabbit):
    blocked, unblocked = threading.Event(), threading.Event()
    conn, channel = _channel(rabbit, "alarm", on_blocked=lambda reason: blocked.set(),
                             on_unblocked=lambda: unblocked.set())
    rabbit.set_alarm()

    def pump(until: threading.Event) -> bool:
        deadline = time.monotonic() + 20
        while not until.is_set() and time.monotonic() < deadline:
            try:
                conn.drain_events(timeout=0.2)
            except TimeoutError:
                pass
        return until.is_set()

    channel.basic_publish(amqp.Message("held"), routing_key="alarm")
    assert pump(blocked), "the broker never told the publisher it is blocked"
    assert rabbit.queue("alarm")["messages"] == 0
    rabbit.clear_alarm()
    assert pump(unblocked)
    assert wait_for(lambda: rabbit.queue("alarm")["messages"] == 1, 30, "the held message")
    conn.close()


def test_an_http_process_whose_port_is_taken_starts_again_on_another(processes, tmp_path, monkeypatch):
    # Issue 15 (tests/processes.py): the child binds the port; when it cannot, another port is tried.
    import socket

    import tests.processes as procs

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    ports = iter([busy])
    real = procs.free_port
    monkeypatch.setattr(procs, "free_port", lambda: next(ports, None) or real())
    try:
        proc, http = processes.start_http("run", env={"RPS_DATA_DIR": str(tmp_path / "var")})
    finally:
        taken.close()
    assert proc.poll() is None and http.base != f"http://127.0.0.1:{busy}"
    assert len(processes.running) == 2 and processes.running[0].poll() is not None  # the first exited
    assert http.call("GET", "/health/live")[0] == 200
