"""What operators see (issue 15 item 11), with real processes on a private RabbitMQ
(its disk alarm is raised here; never on the machine's shared broker) and a database
of this module's own on the shared PostgreSQL:

- a consumer's lag is the broker's queue depth, measured wherever the runner is:
  the relay and an API process show reporting's backlog while no runner runs;
- a relay blocked by a broker disk alarm logs a warning, `rps_relay_blocked` says 1
  and its lag is the outbox's real backlog; both clear with the alarm.
"""

from __future__ import annotations

import urllib.request
import uuid

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.backbone import metrics
from services.backbone.settings import Settings
from services.bootstrap import Runtime, migrate
from tests.cluster import DATABASE_URL
from tests.processes import free_port, wait_for
from tests.servers import PrivateRabbitMQ, healthy_servers, private_rabbitmq  # noqa: F401 (fixtures)
from tests.unit.visits.feed import ContractsFeed

pytestmark = [pytest.mark.integration, pytest.mark.faults]

MONTH = "2022-03"


@pytest.fixture(scope="module")
def settings(private_rabbitmq: PrivateRabbitMQ):
    name = f"rps_ops_{uuid.uuid4().hex[:10]}"
    base = DATABASE_URL.rpartition("/")[0]
    settings = Settings(amqp_uri=private_rabbitmq.url, database_url=f"{base}/{name}", relay_idle_seconds=0.05)
    migrate(settings)
    yield settings
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def group(settings):
    runtime = Runtime.cluster(settings, ("visits",))
    try:
        return ContractsFeed(runtime).setup("operators")
    finally:
        runtime.close()


@pytest.fixture
def system(processes, settings, group, private_rabbitmq, healthy_servers):
    processes.env.update(AMQP_URI=settings.amqp_uri, DATABASE_URL=settings.database_url, RPS_RELAY_IDLE_SECONDS="0.05")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE visits.visits_events, visits.event_chain, visits.relay_position, reporting.rpt_visits,"
                     " reporting.tracking, reporting.tracking_marks RESTART IDENTITY")
    private_rabbitmq.purge("evt-visits--reporting")
    return processes


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def gauge(port: int, name: str, **labels: str) -> float | None:
    try:
        return scrape(port).get((name, tuple(sorted(labels.items()))))
    except OSError:  # not listening yet
        return None


def post(http, group, n: int, day: int = 1) -> list[int]:
    return [http.call("POST", "/api/v1/visits", group.visit(f"{MONTH}-{(day + i) % 28 + 1:02d}", 1))[0] for i in range(n)]


def test_reporting_lag_shows_while_its_runner_is_down(system, settings, group, private_rabbitmq):
    # Issue 15 item 11: the backlog of reporting's queue, by the broker, from the relay and the
    # reporting API process alike (no `rps project reporting` runs), with nobody consuming it.
    _, visits = system.start_http("serve", "visits", "--role", "http")
    port = free_port()
    system.start("relay", "visits", env={"RPS_METRICS_PORT": str(port)})
    assert post(visits, group, 7) == [201] * 7
    wait_for(lambda: private_rabbitmq.queue("evt-visits--reporting")["messages"] == 7, what="7 published")
    wait_for(lambda: gauge(port, "rps_projection_lag_notifications", consumer="reporting", source="visits") == 7,
             what="the relay's figure of reporting's lag")
    assert gauge(port, "rps_queue_consumers", consumer="reporting", source="visits") == 0
    reporting = Runtime.cluster(settings, ("reporting",))  # what `rps serve reporting` answers on /metrics
    try:
        reporting.refresh_gauges()
    finally:
        reporting.close()
    assert metrics.PROJECTION_LAG.labels("reporting", "visits")._value.get() == 7
    assert metrics.QUEUE_CONSUMERS.labels("reporting", "visits")._value.get() == 0


def test_a_relay_blocked_by_a_disk_alarm_says_so_and_its_lag_is_the_backlog(system, settings, group, private_rabbitmq, fault_figures):
    # Issue 15 item 11: the relay logged nothing and reported lag 0 while the API reported 225.
    _, visits = system.start_http("serve", "visits", "--role", "http")
    port = free_port()
    system.start("relay", "visits", env={"RPS_METRICS_PORT": str(port)})
    assert post(visits, group, 3) == [201] * 3
    wait_for(lambda: private_rabbitmq.queue("evt-visits--reporting")["messages"] == 3, what="3 published")
    private_rabbitmq.set_alarm()
    statuses = post(visits, group, 5, day=10)
    assert statuses == [201] * 5  # commands go to PostgreSQL: the outbox keeps them
    wait_for(lambda: "RabbitMQ blocks publishing for visits" in system.log("relay", "visits"), timeout=30,
             what="the relay's warning")
    wait_for(lambda: gauge(port, "rps_relay_blocked", service="visits") == 1, what="rps_relay_blocked 1")
    wait_for(lambda: gauge(port, "rps_relay_lag_notifications", service="visits") == 5, what="the relay's lag = the backlog")
    private_rabbitmq.clear_alarm()
    wait_for(lambda: private_rabbitmq.queue("evt-visits--reporting")["messages"] == 8, timeout=90, what="the 5 published")
    wait_for(lambda: gauge(port, "rps_relay_blocked", service="visits") == 0, what="rps_relay_blocked 0")
    wait_for(lambda: gauge(port, "rps_relay_lag_notifications", service="visits") == 0, what="lag 0")
    system.start("project", "reporting")
    wait_for(lambda: counted(settings, group) == 8, what="the 8 projected")
    fault_figures(faults=1, sent=8, acknowledged=3 + statuses.count(201), stored=8, projected=counted(settings, group))


def counted(settings, group) -> int:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM reporting.rpt_visits WHERE grp = %s", (group.group,)).fetchone()[0]


def test_with_the_management_api_the_lag_counts_what_a_runner_holds_unacknowledged(system, group, private_rabbitmq):
    # Issue 15 item 11: lag = messages ready + unacknowledged. A runner frozen with its prefetch
    # holds deliveries unacknowledged: a passive declare sees only the ready ones, the management API all.
    import amqp

    from services.backbone.amqp import BrokerGauges

    _, visits = system.start_http("serve", "visits", "--role", "http")
    system.start("relay", "visits")
    assert post(visits, group, 6) == [201] * 6
    wait_for(lambda: private_rabbitmq.queue("evt-visits--reporting")["messages"] == 6, what="6 published")
    holder = amqp.Connection(f"127.0.0.1:{private_rabbitmq.port}", userid="guest", password="guest", connect_timeout=5)
    holder.connect()
    try:
        channel = holder.channel()
        channel.basic_qos(0, 4, False)
        channel.basic_consume("evt-visits--reporting", callback=lambda message: None)  # never acknowledged
        wait_for(lambda: private_rabbitmq.queue("evt-visits--reporting")["messages_unacknowledged"] == 4,
                 what="4 held unacknowledged")
        queues = [("visits", "reporting")]
        assert BrokerGauges(private_rabbitmq.url, queues).refresh()
        assert metrics.PROJECTION_LAG.labels("reporting", "visits")._value.get() == 2  # ready only
        managed = BrokerGauges(private_rabbitmq.url, queues, management_url=private_rabbitmq.management_url)
        wait_for(lambda: managed.refresh() and metrics.PROJECTION_LAG.labels("reporting", "visits")._value.get() == 6,
                 what="the management API's ready + unacknowledged")
        assert metrics.QUEUE_CONSUMERS.labels("reporting", "visits")._value.get() == 1
    finally:
        holder.close()
