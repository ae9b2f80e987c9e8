"""Messages lost from a consumer's queue (issue 16: RabbitMQ 3.10.8 lost confirmed persistent
messages of a durable classic queue on kill -9) against the real PostgreSQL and RabbitMQ: here
the queue is purged and messages are taken off it and dropped; reporting's consumer, delivered a
position past the one it applied plus one, reads the stretch between from visits' HTTP feed
(RPS_EVENTS_URL_VISITS, a real `rps serve visits --role http`) before it, and its read model ends
complete (R-RPT-1: every visit counted exactly once). While the feed is unreachable nothing is
acknowledged and nothing is applied out of order."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
from kombu import Connection
from prometheus_client import REGISTRY

from services.backbone.amqp import AmqpConsumer, AmqpPublisher, consumer_queue
from services.backbone.relay import OutboxRelay
from services.bootstrap import Runtime, consumers_of
from tests.cluster import ready_messages
from tests.conftest import Api
from tests.processes import Http, wait_for
from tests.unit.visits.feed import ContractsFeed

pytestmark = pytest.mark.integration

MONTH = "2022-05"
QUEUE = "evt-visits--reporting"


class Consumer:
    """reporting's consumer as its runner runs it (a run per source, acknowledged after it committed)."""

    def __init__(self, runtime: Runtime):
        handlers = runtime.delivery_handlers("reporting")
        self.worker = AmqpConsumer(runtime.settings.amqp_uri, "reporting", handlers, prefetch=20,
                                   run_handlers=runtime.run_handlers("reporting"))
        self.worker.requeue_delay = 0.2
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive()


def _gaps() -> float:
    return REGISTRY.get_sample_value("rps_projection_gaps_total", {
        "consumer": "reporting", "projection": "reporting.service_time", "source": "visits"}) or 0.0


def test_reporting_ends_complete_when_its_queue_lost_messages(cluster_settings, processes, unique):
    # R-RPT-1: each visit counted exactly once, none missed, whatever the broker lost
    processes.env.update(AMQP_URI=cluster_settings.amqp_uri, DATABASE_URL=cluster_settings.database_url)
    feed_process, feed = processes.start_http("serve", "visits", "--role", "http")
    settings = dataclasses.replace(cluster_settings, events_urls={"visits": f"{feed.base}/api/v1/events/visits"})
    visits = Runtime.cluster(settings, ("visits",))  # the commands and the relay
    reporting = Runtime.cluster(settings, ("reporting",))  # no visits store here: its history is the HTTP feed
    try:
        api = Api(visits)
        setup = ContractsFeed(visits).setup(unique)
        relay = OutboxRelay(visits.app("visits"), visits.db("visits"), AmqpPublisher(settings.amqp_uri, consumers_of))
        projection = reporting.read_model("reporting.service_time")
        day = iter(range(1, 29))

        def store_and_publish(n: int) -> None:
            for _ in range(n):
                assert api.post("/api/v1/visits", setup.visit(f"{MONTH}-{next(day):02d}", 1)).status_code == 201
            while relay.relay_once():
                pass

        def counted() -> int:
            rows = reporting.db("reporting").query("SELECT COUNT(*) AS n FROM rpt_visits WHERE grp = %s", (setup.group,))
            return int(rows[0]["n"])

        # 1..3 delivered and applied
        store_and_publish(3)
        consumer = Consumer(reporting)
        try:
            wait_for(lambda: projection.last_position("visits") == 3, 20, "the first three applied")
            wait_for(lambda: ready_messages(settings.amqp_uri, QUEUE) == 0, 20, "the queue empty")
        finally:
            consumer.stop()
        before = _gaps()

        # 4..6 purged off the queue; of 7..10, 7 and 9 taken off and dropped
        store_and_publish(3)
        with Connection(settings.amqp_uri) as conn:
            queue = consumer_queue("visits", "reporting")(conn.default_channel)
            assert queue.purge() == 3
        store_and_publish(4)
        with Connection(settings.amqp_uri) as conn:
            queue = consumer_queue("visits", "reporting")(conn.default_channel)
            taken = [queue.get(no_ack=False) for _ in range(4)]
            assert [json.loads(m.body)["position"] for m in taken] == [7, 8, 9, 10]
            for message in taken:
                if json.loads(message.body)["position"] in (7, 9):
                    message.ack()
                else:
                    message.requeue()
        wait_for(lambda: ready_messages(settings.amqp_uri, QUEUE) == 2, 10, "8 and 10 back in the queue")
        last = visits.app("visits").last_position()
        assert last == 10

        # The feed unreachable: nothing applied past 3, nothing acknowledged
        feed_process.terminate()
        feed_process.wait(timeout=20)
        consumer = Consumer(reporting)
        try:
            wait_for(lambda: consumer.worker.connection.connected, 10, "the consumer connected")
            threading.Event().wait(2.0)  # a few tries at the feed (requeue delay 0.2 s)
            assert projection.last_position("visits") == 3 and counted() == 3
            assert _gaps() == before, "a gap is counted once it is closed"
        finally:
            consumer.stop()
        assert ready_messages(settings.amqp_uri, QUEUE) == 2, "the undelivered stretch is still queued"

        # The feed back (same address): 4..10 from the feed before 8, then 10 a duplicate
        port = feed.base.rsplit(":", 1)[1]
        processes.start("serve", "visits", "--role", "http", env={"RPS_HTTP": f"127.0.0.1:{port}"})
        Http(feed.base).wait_ready(30)
        consumer = Consumer(reporting)
        try:
            wait_for(lambda: projection.last_position("visits") == last, 30, "every visit applied")
            wait_for(lambda: ready_messages(settings.amqp_uri, QUEUE) == 0, 20, "the queue empty")
        finally:
            consumer.stop()
        assert counted() == 10
        applied = reporting.db("reporting").query(
            "SELECT COUNT(*) AS n FROM tracking WHERE projection = 'reporting.service_time' AND source = 'visits'")
        mark = reporting.db("reporting").query(
            "SELECT position FROM tracking_marks WHERE projection = 'reporting.service_time' AND source = 'visits'")
        assert int(applied[0]["n"]) + (int(mark[0]["position"]) if mark else 0) == last, "each position once"
        assert _gaps() == before + 1
        report = Api(reporting).get(f"/api/v1/reports/monthly/{MONTH}").json_body
        row = next(g for g in report["groups"] if g["group"] == setup.group)
        assert row["visits"] == 10 and row["days_in_month"] == 10.0
    finally:
        reporting.close()
        visits.close()


def test_the_projection_runner_reads_what_its_queue_lost_from_the_feed(cluster_settings, processes, unique):
    # R-RPT-1: `rps project reporting` (nameko's ProjectionConsumer, a worker per run) with the feed's
    # address as the ConfigMap gives it (RPS_EVENTS_URL_VISITS, passed on by processes.start_http)
    processes.env.update(AMQP_URI=cluster_settings.amqp_uri, DATABASE_URL=cluster_settings.database_url,
                         RPS_LEASE_SECONDS="5")
    processes.start_http("serve", "visits", "--role", "http")
    assert processes.env["RPS_EVENTS_URL_VISITS"].startswith("http://127.0.0.1:")
    visits = Runtime.cluster(cluster_settings, ("visits",))
    reporting = Runtime.cluster(cluster_settings, ("reporting",))
    try:
        api = Api(visits)
        setup = ContractsFeed(visits).setup(unique)
        relay = OutboxRelay(visits.app("visits"), visits.db("visits"),
                            AmqpPublisher(cluster_settings.amqp_uri, consumers_of))
        projection = reporting.read_model("reporting.service_time")
        start = visits.app("visits").last_position()
        assert projection.last_position("visits") == start  # what an earlier test left applied

        def store_and_publish(days: range) -> None:
            for day in days:
                assert api.post("/api/v1/visits", setup.visit(f"2022-06-{day:02d}", 1)).status_code == 201
            while relay.relay_once():
                pass

        store_and_publish(range(1, 4))
        with Connection(cluster_settings.amqp_uri) as conn:
            assert consumer_queue("visits", "reporting")(conn.default_channel).purge() == 3
        store_and_publish(range(4, 6))
        processes.start("project", "reporting")
        wait_for(lambda: projection.last_position("visits") == start + 5, 60, "the runner applied all five")
        wait_for(lambda: ready_messages(cluster_settings.amqp_uri, QUEUE) == 0, 20, "the queue empty")
        rows = reporting.db("reporting").query("SELECT COUNT(*) AS n FROM rpt_visits WHERE grp = %s", (setup.group,))
        assert int(rows[0]["n"]) == 5
        wait_for(lambda: "the bus skipped 3 events of visits" in processes.log("project", "reporting"), 10,
                 "the runner's warning")
    finally:
        reporting.close()
        visits.close()
