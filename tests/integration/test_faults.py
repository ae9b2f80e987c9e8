"""The backbone under faults: real PostgreSQL and RabbitMQ, processes really killed.

Every event is counted exactly once whatever dies when: the guarantees the
fee settlements and the committee's reports rest on.
"""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import urlsplit

import psycopg
import pytest

from services.backbone.settings import Settings
from services.bootstrap import Runtime, migrate
from tests.processes import Http, wait_for
from tests.unit.visits.feed import ContractsFeed

# Issue 15: these tests kill, stop and pause PostgreSQL and RabbitMQ: private instances
# (tests/servers.py), never the machine's shared servers. `make faults` runs them.
pytestmark = [pytest.mark.integration, pytest.mark.faults]

MONTH = "2022-03"


class Cluster:
    """The cluster's processes for one test, on the test module's database and vhost."""

    def __init__(self, processes, settings, rabbit, postgres):
        self.p = processes
        self.settings = settings
        self.rabbit = rabbit
        self.postgres = postgres
        self.vhost = urlsplit(settings.amqp_uri).path.lstrip("/") or "/"
        self.p.env.update(
            AMQP_URI=settings.amqp_uri,
            DATABASE_URL=settings.database_url,
            RPS_RELAY_IDLE_SECONDS="0.05",
            RPS_RETRY_ATTEMPTS="3",
            RPS_RETRY_BACKOFF_SECONDS="0.05",
            # A killed relay's or runner's lease runs out in 5 s (default 15 s): the suite stays within minutes.
            RPS_LEASE_SECONDS="5",
        )

    def serve(self, service: str) -> Http:
        return self.p.start_http("serve", service, "--role", "http")[1]  # relays and runners apart

    def relay(self, service: str = "visits"):
        return self.p.start("relay", service)

    def project(self, consumer: str = "reporting"):
        return self.p.start("project", consumer)

    def sql(self, query: str, params=()):
        with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else None

    def queue(self, name: str = "evt-visits--reporting") -> dict:
        """The queue's ready and unacknowledged messages (zero before it is declared); the management API's figures lag a little."""
        return self.rabbit.queue(name, self.vhost)

    def quiet(self, timeout: float = 60.0) -> None:
        """Until nothing more can arrive: the queue empty, nothing unacknowledged, and reporting's
        projection applied up to the last stored event (issue 15: a condition, not a fixed sleep)."""
        def settled() -> bool:
            depth = self.queue()
            return depth["messages"] == 0 and depth["messages_unacknowledged"] == 0 and self.tracked() >= self.stored()

        wait_for(settled, timeout, "the queue drained and the projection at the last stored event")

    def record(self, figures, *, faults: int, sent: int, acknowledged: int) -> dict:
        """Report this test's figures into the suite's closing figures (``fault_figures``)."""
        return figures(faults=faults, sent=sent, acknowledged=acknowledged, stored=self.stored(),
                       projected=self.counted(self.group.group))

    def wait(self, check, timeout: float = 30.0, what: str = "condition"):
        return wait_for(check, timeout, what)

    def counted(self, group: str) -> int:
        """Visits of ``group`` the reporting read model holds (the report's source)."""
        rows = self.sql("SELECT COUNT(*) FROM reporting.rpt_visits WHERE grp = %s", (group,))
        return rows[0][0]

    def tracked(self) -> int:
        """Visits events the read model records as applied: those up to its mark, and a record each above it."""
        rows = self.sql(
            "SELECT (SELECT COUNT(*) FROM reporting.tracking WHERE projection = 'reporting.service_time'"
            " AND source = 'visits') + (SELECT COUNT(*) FROM visits.visits_events WHERE notification_id <= COALESCE("
            "(SELECT position FROM reporting.tracking_marks WHERE projection = 'reporting.service_time'"
            " AND source = 'visits'), 0))"
        )
        return rows[0][0]

    def stored(self) -> int:
        # Rows, not the highest position: an insert rolled back by a restart leaves a gap in the sequence.
        return self.sql("SELECT COUNT(*) FROM visits.visits_events")[0][0]


GROUP = "faults"


@pytest.fixture(scope="module")
def cluster_settings(private_postgres, private_rabbitmq):
    """The module's database and vhost on the private servers (shadows tests.cluster's, on the shared ones)."""
    settings = Settings(amqp_uri=private_rabbitmq.url, database_url=private_postgres.create_database("rps_faults"),
                        relay_idle_seconds=0.05)
    migrate(settings)
    return settings


@pytest.fixture(scope="module")
def group(cluster_settings):
    """One group for the module, made known to visits as contracts' events would."""
    runtime = Runtime.cluster(cluster_settings, ("visits",))
    try:
        return ContractsFeed(runtime).setup(GROUP)
    finally:
        runtime.close()


@pytest.fixture
def cluster(processes, cluster_settings, group, private_rabbitmq, private_postgres, healthy_servers):
    c = Cluster(processes, cluster_settings, private_rabbitmq, private_postgres)
    c.group = group
    # Each test starts from an empty history on the module's database and vhost.
    c.sql(
        "TRUNCATE visits.visits_events, visits.event_chain, visits.relay_position, "
        "reporting.rpt_visits, reporting.tracking, reporting.tracking_marks, reporting.dead_letters, reporting.chain_heads RESTART IDENTITY"
    )
    if c.sql("SELECT to_regclass('reporting.chain_checkpoints')")[0][0]:
        c.sql("TRUNCATE reporting.chain_checkpoints")  # R-RPT-5: the heads reporting signed for the last test
    private_rabbitmq.purge("evt-visits--reporting", c.vhost)
    return c


def post_visits(http: Http, group, n: int, *, day: int = 1) -> list[int]:
    statuses = []
    for i in range(n):
        status, body = http.call("POST", "/api/v1/visits", group.visit(f"{MONTH}-{(day + i) % 28 + 1:02d}", 1))
        statuses.append(status)
    return statuses


def test_consumer_killed_after_delivery_before_ack_counts_once(cluster, unique, fault_figures):
    visits = cluster.serve("visits")
    cluster.relay()
    group = cluster.group
    # Hold the tracking table so the consumer receives messages but cannot commit.
    holder = psycopg.connect(cluster.settings.database_url)
    holder.execute("LOCK TABLE reporting.tracking IN ACCESS EXCLUSIVE MODE")
    consumer = cluster.project()
    assert post_visits(visits, group, 20) == [201] * 20
    cluster.wait(lambda: cluster.queue()["messages_unacknowledged"] > 0, what="delivered, unacknowledged messages")
    cluster.p.kill9(consumer)
    holder.rollback()
    holder.close()
    cluster.project()
    cluster.wait(lambda: cluster.counted(group.group) == 20, what="all 20 counted")
    cluster.quiet()
    cluster.record(fault_figures, faults=1, sent=20, acknowledged=20)
    assert cluster.counted(group.group) == 20 and cluster.tracked() == 20


def test_consumer_killed_repeatedly_mid_stream_counts_each_event_once(cluster, unique, fault_figures):
    # Kills land anywhere: before the commit, between commit and ack, mid-batch.
    visits = cluster.serve("visits")
    cluster.relay()
    group = cluster.group
    consumer = cluster.project()
    statuses: list[int] = []
    stream = threading.Thread(target=lambda: statuses.extend(post_visits(visits, group, 200)))
    stream.start()
    for _ in range(4):
        time.sleep(0.4)
        cluster.p.kill9(consumer)
        consumer = cluster.project()
    stream.join()
    cluster.wait(lambda: cluster.counted(group.group) == 200, timeout=60, what="all 200 counted")
    cluster.quiet()
    cluster.record(fault_figures, faults=4, sent=200, acknowledged=statuses.count(201))
    assert statuses == [201] * 200 and cluster.counted(group.group) == 200 and cluster.tracked() == 200


def test_relay_killed_after_publish_before_saving_its_position_counts_once(cluster, unique, fault_figures):
    visits = cluster.serve("visits")
    group = cluster.group
    relay = cluster.relay()
    assert post_visits(visits, group, 1) == [201]
    cluster.wait(lambda: cluster.sql("SELECT position FROM visits.relay_position") == [(1,)], what="position 1 saved")
    relay.terminate()
    relay.wait(timeout=10)
    assert post_visits(visits, group, 10, day=5) == [201] * 10
    # Hold the position row: the next relay publishes the batch, then cannot record where it stands.
    holder = psycopg.connect(cluster.settings.database_url)
    holder.execute("SELECT * FROM visits.relay_position FOR UPDATE")
    relay = cluster.relay()
    cluster.wait(lambda: cluster.queue()["messages"] == 11, what="the batch published and confirmed")
    cluster.p.kill9(relay)
    holder.rollback()
    holder.close()
    assert cluster.sql("SELECT position FROM visits.relay_position")[0][0] == 1
    cluster.relay()
    # The restarted relay publishes the 10 again: 1 + 10 + 10 messages wait.
    cluster.wait(lambda: cluster.queue()["messages"] == 21, what="the batch published twice")
    cluster.project()
    cluster.wait(lambda: cluster.counted(group.group) == 11, what="11 counted")
    cluster.quiet()
    cluster.record(fault_figures, faults=1, sent=11, acknowledged=11)
    assert cluster.counted(group.group) == 11 and cluster.tracked() == 11


def test_an_event_published_before_its_consumer_ever_ran_is_consumed(cluster, unique):
    visits = cluster.serve("visits")
    group = cluster.group
    cluster.relay()
    assert post_visits(visits, group, 3) == [201] * 3
    # The relay declared reporting's queue before publishing: the events wait there.
    cluster.wait(lambda: cluster.queue()["messages"] == 3, what="3 events waiting")
    cluster.project()
    cluster.wait(lambda: cluster.counted(group.group) == 3, what="3 counted")


def test_broker_killed_and_started_mid_stream_loses_nothing(cluster, unique, fault_figures):
    visits = cluster.serve("visits")
    cluster.relay()
    cluster.project()
    group = cluster.group
    statuses: list[int] = []
    stream = threading.Thread(target=lambda: statuses.extend(post_visits(visits, group, 500)))
    stream.start()
    cluster.wait(lambda: cluster.stored() >= 100, what="100 commands stored")
    cluster.rabbit.kill()  # kill -9 of the (private) broker node
    cluster.wait(lambda: cluster.stored() >= 150, what="commands stored while the broker is down")
    cluster.rabbit.start()
    stream.join(timeout=120)
    # Commands go to PostgreSQL, not the broker: every one was stored.
    assert statuses == [201] * 500
    cluster.wait(lambda: cluster.counted(group.group) == 500, timeout=120, what="all 500 counted after the broker came back")
    cluster.quiet()
    cluster.record(fault_figures, faults=1, sent=500, acknowledged=statuses.count(201))
    assert cluster.tracked() == 500 and cluster.counted(group.group) == 500


def test_postgres_killed_mid_stream_stores_or_refuses_and_counts_stored_once(cluster, unique, fault_figures):
    visits = cluster.serve("visits")
    cluster.relay()
    cluster.project()
    group = cluster.group
    statuses: list[int] = []
    stream = threading.Thread(target=lambda: statuses.extend(post_visits(visits, group, 300)))
    stream.start()
    cluster.wait(lambda: cluster.stored() >= 60, what="60 commands stored")
    cluster.postgres.kill()  # kill -9 of the (private) server: crash recovery on the next start
    cluster.postgres.start()
    stream.join(timeout=180)
    assert len(statuses) == 300
    assert set(statuses) <= {201, 503}, set(statuses)  # stored, or refused with a clear error
    created = statuses.count(201)
    stored = cluster.wait(lambda: cluster.stored(), what="the store back")
    # A 503 whose commit had in fact landed is possible; a half-written command is not.
    assert created <= stored <= 300
    chain_links = cluster.sql("SELECT COUNT(*) FROM visits.event_chain")[0][0]
    assert chain_links == stored
    assert cluster.p.run("audit", "verify").returncode == 0  # no link missing across the gap
    cluster.wait(lambda: cluster.counted(group.group) == stored, timeout=90, what="every stored visit counted")
    cluster.quiet()
    cluster.record(fault_figures, faults=1, sent=300, acknowledged=created)
    assert cluster.tracked() == stored


def test_a_poison_event_is_parked_while_the_ones_behind_it_go_on(cluster, unique):
    visits = cluster.serve("visits")
    cluster.relay()
    group = cluster.group
    status, first = visits.call("POST", "/api/v1/visits", group.visit(f"{MONTH}-02", 1))
    assert status == 201
    # A corrupted read model: a row already holds the visit's id, so applying it fails every time.
    cluster.sql(
        "INSERT INTO reporting.rpt_visits (id, grp, date, days, leader_met) VALUES (%s, 'corrupt', '2000-01-01', 0, 0)",
        (first["id"],),
    )
    cluster.project()
    assert post_visits(visits, group, 5, day=10) == [201] * 5
    cluster.wait(lambda: cluster.counted(group.group) == 5, what="the 5 behind the poison event")
    parked = cluster.p.run("dead-letters", "list").stdout
    assert "1 parked" in parked and "attempts=3" in parked
    # The fix, then the replay: counted once.
    cluster.sql("DELETE FROM reporting.rpt_visits WHERE grp = 'corrupt'")
    replay = cluster.p.run("dead-letters", "replay").stdout
    assert "1 applied" in replay
    assert cluster.counted(group.group) == 6 and cluster.tracked() == 6
    assert "0 parked" in cluster.p.run("dead-letters", "list").stdout
    assert "0 applied" in cluster.p.run("dead-letters", "replay").stdout


def test_two_relays_one_active_and_the_standby_takes_over(cluster, unique, fault_figures):
    visits = cluster.serve("visits")
    group = cluster.group
    first = cluster.relay()
    cluster.wait(lambda: "relaying" in cluster.p.log("relay", "visits"), what="the first relay active")
    second = cluster.relay()
    cluster.wait(lambda: "standby" in cluster.p.log("relay", "visits"), what="the second relay on standby")
    assert post_visits(visits, group, 10) == [201] * 10
    cluster.wait(lambda: cluster.queue()["messages"] == 10, what="10 published")
    # The active relay has recorded its position past all 10: nothing is left to publish, by anyone.
    cluster.wait(lambda: cluster.sql("SELECT position FROM visits.relay_position") == [(10,)], what="position 10 saved")
    assert cluster.queue()["messages"] == 10  # the standby published nothing
    cluster.p.kill9(first)
    assert post_visits(visits, group, 10, day=15) == [201] * 10
    cluster.wait(lambda: cluster.queue()["messages"] >= 20, what="the standby publishing")
    assert second.poll() is None
    cluster.project()
    cluster.wait(lambda: cluster.counted(group.group) == 20, what="20 counted, no gap")
    cluster.quiet()
    cluster.record(fault_figures, faults=1, sent=20, acknowledged=20)
    assert cluster.tracked() == 20


def test_a_slow_query_does_not_stall_other_requests(cluster, unique):
    reporting = cluster.serve("reporting")
    holder = psycopg.connect(cluster.settings.database_url)
    holder.execute("LOCK TABLE reporting.rpt_visits IN ACCESS EXCLUSIVE MODE")
    slow: dict = {}

    def report():
        started = time.monotonic()
        slow["status"] = reporting.call("GET", f"/api/v1/reports/monthly/{MONTH}")[0]
        slow["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=report)
    thread.start()
    cluster.wait(lambda: cluster.sql("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%%rpt_visits%%'"),
                 what="the report's query waiting inside PostgreSQL")
    started = time.monotonic()
    assert reporting.call("GET", "/health/ready")[0] == 200  # also queries PostgreSQL
    assert reporting.call("GET", "/health/live")[0] == 200
    quick = time.monotonic() - started
    time.sleep(2.0)
    holder.rollback()
    holder.close()
    thread.join(timeout=10)
    assert slow["status"] == 200 and slow["seconds"] >= 2.0
    assert quick < 1.0, f"other requests waited {quick:.2f}s behind the slow query"


def test_rebuilding_the_read_model_gives_the_live_report(cluster, unique):
    visits = cluster.serve("visits")
    reporting = cluster.serve("reporting")
    cluster.relay()
    cluster.project()
    group = cluster.group
    for date, days in (("2022-03-01", 1.5), ("2022-03-02", 1.0), ("2022-03-31", 2.5), ("2022-02-27", 3.0)):
        assert visits.call("POST", "/api/v1/visits", group.visit(date, days))[0] == 201
    cluster.wait(lambda: cluster.counted(group.group) == 4, what="4 counted")
    live = reporting.call("GET", f"/api/v1/reports/monthly/{MONTH}")[1]
    cluster.sql("DROP TABLE reporting.rpt_visits")
    out = cluster.p.run("rebuild", "reporting.service_time", env={"RPS_EVENTS_URL_VISITS": f"{visits.base}/api/v1/events/visits"}).stdout
    assert "reporting.service_time: 4 events applied" in out
    rebuilt = reporting.call("GET", f"/api/v1/reports/monthly/{MONTH}")[1]
    live.pop("generated_at"), rebuilt.pop("generated_at")
    assert rebuilt == live


def test_rebuilding_every_reporting_read_model_with_the_audit_trail_beside_gives_the_same(cluster, unique):
    # R-RPT-5: `rps rebuild reporting` rebuilds the audit trail in a second process,
    # reading the feeds over HTTP like the others; trail and report come out the same.
    servers = {s: cluster.serve(s) for s in ("visits", "contracts", "feedback", "reporting")}
    cluster.relay()
    cluster.project()
    group = cluster.group
    created = [servers["visits"].call("POST", "/api/v1/visits", group.visit(f"{MONTH}-0{d}", 1))[1] for d in (3, 4, 5)]
    cluster.wait(lambda: cluster.counted(group.group) == 3, what="3 counted")
    audit = f"/api/v1/audit/visit/{created[0]['id']}"
    cluster.wait(lambda: servers["reporting"].call("GET", audit)[0] == 200, what="the visit in the audit trail")
    trail = servers["reporting"].call("GET", audit)[1]
    live = servers["reporting"].call("GET", f"/api/v1/reports/monthly/{MONTH}")[1]
    feeds = {f"RPS_EVENTS_URL_{s.upper()}": f"{servers[s].base}/api/v1/events/{s}" for s in ("visits", "contracts", "feedback")}
    out = cluster.p.run("rebuild", "reporting", env=feeds).stdout
    assert "reporting.service_time: 3 events applied" in out
    assert re.search(r"reporting\.audit: ([3-9]|\d\d+) events applied", out), out  # the visits and the setup's events
    assert servers["reporting"].call("GET", audit)[1] == trail
    rebuilt = servers["reporting"].call("GET", f"/api/v1/reports/monthly/{MONTH}")[1]
    live.pop("generated_at"), rebuilt.pop("generated_at")
    assert rebuilt == live


def test_audit_verify_names_an_edited_row_and_a_deleted_tail(cluster, unique):
    visits = cluster.serve("visits")
    cluster.relay()
    cluster.project()
    group = cluster.group
    assert post_visits(visits, group, 6) == [201] * 6
    cluster.wait(lambda: cluster.sql("SELECT position FROM reporting.chain_heads WHERE source = 'visits'") == [(6,)], what="head recorded")
    assert cluster.p.run("audit", "verify").returncode == 0
    # Delete the newest event and its link: the chain alone still holds; the recorded head does not.
    cluster.sql("DELETE FROM visits.visits_events WHERE notification_id = 6")
    cluster.sql("DELETE FROM visits.event_chain WHERE notification_id = 6")
    tail = cluster.p.run("audit", "verify", check=False)
    assert tail.returncode == 1 and "visits: BROKEN at position 6" in tail.stdout
    # Edit one stored row.
    cluster.sql(
        "UPDATE visits.visits_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
        "'\"days\":1.0', '\"days\":5.0'), 'UTF8') WHERE notification_id = 3"
    )
    edited = cluster.p.run("audit", "verify", check=False)
    assert edited.returncode == 1 and "visits: BROKEN at position 3" in edited.stdout
    assert "changed" in edited.stdout
