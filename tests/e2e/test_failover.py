"""A hung relay or projection runner fails over (issue 15 item 5), with real `rps`
processes on the shared PostgreSQL and RabbitMQ (a database and vhost of this
module's own; only our own processes are frozen, never a server).

Two `rps relay visits` (then two `rps project reporting`): SIGSTOP the active one
while commands flow; the standby takes the lease within a lease period and the
report keeps counting; SIGCONT the frozen one: it goes back to standby without
moving the position back, and every event is projected exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import psycopg
import pytest

from services.bootstrap import Runtime
from tests.processes import RPS, Http, wait_for
from tests.unit.visits.feed import ContractsFeed

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

LEASE = 3.0
# The standby polls once a second; the database and two busy cores take the rest.
MARGIN = 2.5
MONTH = "2022-03"


@pytest.fixture(scope="module")
def group(cluster_settings):
    runtime = Runtime.cluster(cluster_settings, ("visits",))
    try:
        return ContractsFeed(runtime).setup("failover")
    finally:
        runtime.close()


class Failover:
    def __init__(self, processes, settings, group, tmp_path):
        self.p = processes
        self.settings = settings
        self.group = group
        self.tmp = tmp_path
        self.p.env.update(
            AMQP_URI=settings.amqp_uri,
            DATABASE_URL=settings.database_url,
            RPS_LEASE_SECONDS=str(LEASE),
            RPS_RELAY_IDLE_SECONDS="0.05",
        )
        self.sql(
            "TRUNCATE visits.visits_events, visits.event_chain, visits.relay_position, visits.leases, "
            "reporting.rpt_visits, reporting.tracking, reporting.tracking_marks, reporting.leases RESTART IDENTITY"
        )

    def start(self, tag: str, *args: str) -> subprocess.Popen:
        """A process with a log file of its own (two of the same command are told apart)."""
        log = open(self.tmp / f"{tag}.log", "ab")
        proc = subprocess.Popen([RPS, "-v", *args], env=self.p.env, stdout=log, stderr=subprocess.STDOUT)
        self.p.running.append(proc)
        return proc

    def log(self, tag: str) -> str:
        return (self.tmp / f"{tag}.log").read_text(errors="replace")

    def sql(self, query: str, params=()):
        with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None

    def holder(self, schema: str, name: str) -> tuple[int, int] | None:
        """(pid, token) of the lease's holder while it is live."""
        rows = self.sql(
            f"SELECT holder, token FROM {schema}.leases WHERE name = %s AND expires_at > clock_timestamp()", (name,)
        )
        return (int(rows[0][0].split(":")[1]), rows[0][1]) if rows else None

    def held_by(self, proc, schema: str, name: str) -> bool:
        holder = self.holder(schema, name)
        return holder is not None and holder[0] == proc.pid

    def stored(self) -> int:
        return self.sql("SELECT COUNT(*) FROM visits.visits_events")[0][0]

    def counted(self) -> int:
        return self.sql("SELECT COUNT(*) FROM reporting.rpt_visits WHERE grp = %s", (self.group.group,))[0][0]

    def tracked(self) -> int:
        """Visits events reporting.service_time records as applied (its mark and the records above it)."""
        return self.sql(
            "SELECT (SELECT COUNT(*) FROM reporting.tracking WHERE projection = 'reporting.service_time'"
            " AND source = 'visits') + (SELECT COUNT(*) FROM visits.visits_events WHERE notification_id <= COALESCE("
            "(SELECT position FROM reporting.tracking_marks WHERE projection = 'reporting.service_time'"
            " AND source = 'visits'), 0))"
        )[0][0]

    def position(self) -> int:
        rows = self.sql("SELECT position FROM visits.relay_position WHERE service = 'visits'")
        return rows[0][0] if rows else 0

    def post(self, http: Http, n: int, statuses: list[int], *, day: int = 1) -> None:
        for i in range(n):
            statuses.append(http.call("POST", "/api/v1/visits", self.group.visit(f"{MONTH}-{(day + i) % 28 + 1:02d}", 1))[0])


@pytest.fixture
def failover(processes, cluster_settings, group, tmp_path):
    return Failover(processes, cluster_settings, group, tmp_path)


def _freeze_and_take_over(f: Failover, active, standby, schema: str, name: str) -> float:
    token_before = f.holder(schema, name)[1]
    active.send_signal(signal.SIGSTOP)
    frozen_at = time.monotonic()
    wait_for(lambda: f.held_by(standby, schema, name), timeout=LEASE + MARGIN + 5, what="the standby to take the lease")
    took = time.monotonic() - frozen_at
    print(f"{name}: the standby took over {took:.1f}s after the freeze (lease {LEASE:.0f}s)")
    assert f.holder(schema, name)[1] == token_before + 1, "a take-over increments the fencing token"
    return took


def _pair(f: Failover, tag: str, schema: str, name: str, *args: str):
    """Two instances of ``rps *args``: the first active, the second on standby."""
    first = f.start(f"{tag}-1", *args)
    wait_for(lambda: f.held_by(first, schema, name), what=f"the first {tag} active")
    second = f.start(f"{tag}-2", *args)
    wait_for(lambda: "standby" in f.log(f"{tag}-2"), what=f"the second {tag} on standby")
    return first, second


def _freeze_while_commands_flow(f: Failover, visits: Http, tag: str, first, second, schema: str, name: str) -> list[int]:
    """10 commands; 40 more while the active instance is frozen (the standby takes over within a
    lease period and they are counted); the frozen one woken (back on standby); 10 more."""
    statuses: list[int] = []
    f.post(visits, 10, statuses)
    wait_for(lambda: f.counted() == 10, what="10 counted")
    stream = threading.Thread(target=f.post, args=(visits, 40, statuses), kwargs={"day": 5})
    stream.start()
    took = _freeze_and_take_over(f, first, second, schema, name)
    assert took <= LEASE + MARGIN, f"the standby took over after {took:.1f}s"
    stream.join(timeout=60)
    wait_for(lambda: f.counted() == 50, timeout=30, what="the commands after the freeze counted")
    first.send_signal(signal.SIGCONT)
    wait_for(lambda: f.log(f"{tag}-1").count("standby") >= 2, what=f"the woken {tag} back on standby")
    f.post(visits, 10, statuses, day=20)
    wait_for(lambda: f.counted() == 60, what="60 counted")
    assert statuses == [201] * 60
    assert f.held_by(second, schema, name)
    assert first.poll() is None and second.poll() is None
    return statuses


def test_a_frozen_relay_is_replaced_within_a_lease_period_and_woken_goes_back_to_standby(failover, fault_figures):
    # Issue 15 item 5: SIGSTOP the active relay; the standby relays within a lease period; SIGCONT:
    # the former holder publishes nothing that counts twice and never moves the position back.
    f = failover
    _, visits = f.p.start_http("serve", "visits", "--role", "http")
    first, second = _pair(f, "relay", "visits", "relay:visits", "relay", "visits")
    f.start("project", "project", "reporting")
    positions: list[int] = []
    watching = threading.Event()

    def watch() -> None:  # the position as the database holds it, throughout
        while not watching.is_set():
            positions.append(f.position())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        statuses = _freeze_while_commands_flow(f, visits, "relay", first, second, "visits", "relay:visits")
    finally:
        watching.set()
        watcher.join()
    assert positions == sorted(positions), "the relay position moved back"
    assert f.position() == f.stored() == 60
    assert f.counted() == f.tracked() == 60
    fault_figures(faults=1, sent=60, acknowledged=statuses.count(201), stored=f.stored(), projected=f.counted())


def test_a_frozen_projection_runner_is_replaced_within_a_lease_period_and_counts_once(failover, fault_figures):
    # Issue 15 item 5: SIGSTOP the active `rps project reporting`; the standby applies within a lease
    # period (the frozen one's unacknowledged deliveries come back to it); SIGCONT: nothing applied twice.
    f = failover
    _, visits = f.p.start_http("serve", "visits", "--role", "http")
    f.start("relay", "relay", "visits")
    first, second = _pair(f, "project", "reporting", "project:reporting", "project", "reporting")
    statuses = _freeze_while_commands_flow(f, visits, "project", first, second, "reporting", "project:reporting")
    assert f.counted() == f.tracked() == f.stored() == 60
    fault_figures(faults=1, sent=60, acknowledged=statuses.count(201), stored=f.stored(), projected=f.counted())


def test_a_killed_relay_is_replaced_at_once_not_after_its_lease(failover, fault_figures):
    # Issue 15 item 5: kill -9 ends the holder's session, and with it its session lock: the standby
    # takes over within a poll, not after the default 15 s lease (a frozen holder is waited for).
    f = failover
    f.p.env["RPS_LEASE_SECONDS"] = "15"
    _, visits = f.p.start_http("serve", "visits", "--role", "http")
    first, second = _pair(f, "relay", "visits", "relay:visits", "relay", "visits")
    f.start("project", "project", "reporting")
    statuses: list[int] = []
    f.post(visits, 10, statuses)
    wait_for(lambda: f.counted() == 10, what="10 counted")
    token = f.holder("visits", "relay:visits")[1]
    f.p.kill9(first)
    killed_at = time.monotonic()
    wait_for(lambda: f.held_by(second, "visits", "relay:visits"), timeout=20, what="the standby to take the lease")
    took = time.monotonic() - killed_at
    print(f"relay:visits: the standby took over {took:.1f}s after kill -9 (lease 15s)")
    assert took <= 5, f"the standby took over after {took:.1f}s"
    assert f.holder("visits", "relay:visits")[1] == token + 1
    f.post(visits, 10, statuses, day=12)
    wait_for(lambda: f.counted() == 20, what="20 counted")
    assert statuses == [201] * 20 and f.counted() == f.tracked() == f.stored() == 20
    fault_figures(faults=1, sent=20, acknowledged=statuses.count(201), stored=f.stored(), projected=f.counted())
