"""The event path against the real PostgreSQL and RabbitMQ (no mocks of either).

POST /visits -> VisitLogged in PostgreSQL -> relay -> visits.events on RabbitMQ
-> reporting's tracking consumer -> the monthly report.
"""

from __future__ import annotations

import json
import threading
import time

import datetime as dt

import pytest
from cloudevents.core.bindings import rabbitmq
from kombu import Connection, Producer, Queue

from services.backbone.amqp import AmqpConsumer, AmqpPublisher, consumer_queue, events_exchange
from services.backbone.envelope import CONTENT_TYPE, encode
from services.backbone.relay import OutboxRelay
from services.bootstrap import Runtime, consumers_of
from tests.cluster import ready_messages
from tests.conftest import Api
from tests.processes import wait_for
from tests.unit.visits.feed import ContractsFeed

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(cluster_settings):
    runtime = Runtime.cluster(cluster_settings, ("visits", "reporting"))
    try:
        yield runtime
    finally:
        runtime.close()


def _consume(consumer: AmqpConsumer, projections, expect_applied: int, timeout: float) -> None:
    """Run ``consumer`` until every projection has applied visits' events up to ``expect_applied`` and
    its queues hold nothing more (redelivered duplicates included), then stop it; every message was
    acknowledged (issue 15: a condition, not a fixed sleep, decides that nothing more arrives)."""
    queues = [f"evt-{source}--{consumer.consumer}" for source in consumer.handlers]
    uri = consumer.connection.as_uri(include_password=True)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: all(p.last_position("visits") >= expect_applied for p in projections), timeout,
                 "reporting consuming up to the last published position")
        wait_for(lambda: all(ready_messages(uri, q) == 0 for q in queues), timeout, "the consumer's queues empty")
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
    # Stopped: whatever it held unacknowledged went back to its queue.
    assert [ready_messages(uri, q) for q in queues] == [0] * len(queues)


def _drain_into_reporting(runtime: Runtime, settings, expect_applied: int, timeout: float = 15.0) -> None:
    """Run reporting's consumer until the projection has applied enough events."""
    projection = runtime.projections["reporting"][0]
    consumer = AmqpConsumer(settings.amqp_uri, "reporting", {"visits": projection.handle}, prefetch=10)
    _consume(consumer, [projection], expect_applied, timeout)


def test_visit_reaches_the_exchange_in_the_documented_envelope(cluster, cluster_settings, unique):
    # R-SEC-2 (actor, role, correlation id travel), API.md "Events": CloudEvents' AMQP structured mode,
    # read here by the CloudEvents SDK from messages taken off a real queue (issue 16)
    api = Api(cluster)
    with Connection(cluster_settings.amqp_uri) as conn:
        probe = Queue(f"probe-{unique}", exchange=events_exchange("visits"), routing_key="#", exclusive=True)
        probe(conn.default_channel).declare()
        group = ContractsFeed(cluster).setup(unique)
        response = api.post(
            "/api/v1/visits", group.visit("2022-03-03", 1.5, leader_met=True), headers={"X-Correlation-ID": f"corr-{unique}"}
        )
        assert response.status_code == 201, response.json_body
        visit = response.json_body["id"]
        assert api.post(f"/api/v1/visits/{visit}/void", {"reason": "logged twice"}).status_code == 200
        relay = OutboxRelay(cluster.app("visits"), cluster.db("visits"), AmqpPublisher(cluster_settings.amqp_uri, consumers_of))
        while relay.relay_once():
            pass
        messages = []
        deadline = time.monotonic() + 10
        while len(messages) < 2 and time.monotonic() < deadline:
            message = probe(conn.default_channel).get(no_ack=True)
            if message is None:
                time.sleep(0.05)
            elif json.loads(message.body)["subject"] == visit:
                messages.append(message)
        assert len(messages) == 2, "the visit's two events off the queue"
        message = messages[0]
        assert message.delivery_info["routing_key"] == "VisitLogged"
        assert message.properties["delivery_mode"] == 2
        assert message.content_type == CONTENT_TYPE == "application/cloudevents+json; charset=utf-8"
        events = [rabbitmq.from_rabbitmq_event(rabbitmq.RabbitMQMessage(
            headers=dict(m.headers or {}), content_type=m.content_type, body=m.body)) for m in messages]
        envelope = json.loads(message.body)
        event = events[0]
        assert event.get_specversion() == "1.0"
        assert event.get_id() == envelope["id"] and event.get_id() != events[1].get_id()
        assert event.get_source() == "rps/visits"
        assert event.get_type() == "cn.liaocheng.rps.visits.VisitLogged.v1"
        assert event.get_time() == dt.datetime.fromisoformat(envelope["time"]) and event.get_time().tzinfo is not None
        assert event.get_subject() == visit
        assert event.get_datacontenttype() == "application/json"
        data = event.get_data()
        assert data["group"] == group.group and data["days"] == 1.5
        assert event.get_extension("correlationid") == f"corr-{unique}"
        assert event.get_extension("actor") and event.get_extension("actorrole")
        assert event.get_extension("position") >= 1
        assert events[1].get_type() == "cn.liaocheng.rps.visits.VisitVoided.v1"
        # CloudEvents' sequence extension: a string, and the strings sort in the order of the versions
        sequences = [e.get_extension("sequence") for e in events]
        assert sequences == ["0000000001", "0000000002"]
        assert sorted(reversed(sequences)) == sequences


def test_a_consumer_reads_messages_published_before_and_after_cloudevents(cluster_settings, unique):
    # A queue drained after the upgrade holds both: the old plain-JSON message with an integer
    # sequence, and the CloudEvents one with the string; the consumer reads both, alike.
    consumer_name = f"mixed-{unique}"
    received: list[dict] = []
    envelope = {"specversion": "1.0", "id": f"id-{unique}", "source": "rps/visits",
                "type": "cn.liaocheng.rps.visits.VisitLogged.v1", "time": "2022-03-01T09:00:00+08:00",
                "subject": f"v-{unique}", "datacontenttype": "application/json", "data": {}, "position": 1}
    with Connection(cluster_settings.amqp_uri) as conn:
        queue = consumer_queue("visits", consumer_name)(conn.default_channel)
        queue.declare()
        try:
            producer = Producer(conn.default_channel, exchange=events_exchange("visits"))
            producer.publish(encode({**envelope, "sequence": 1}), routing_key="VisitLogged",
                             content_type="application/json", content_encoding="utf-8")
            producer.publish(encode({**envelope, "sequence": "0000000002", "id": f"id2-{unique}", "position": 2}),
                             routing_key="VisitLogged", content_type=CONTENT_TYPE, content_encoding="utf-8")
            consumer = AmqpConsumer(cluster_settings.amqp_uri, consumer_name, {"visits": received.append})
            thread = threading.Thread(target=consumer.run, daemon=True)
            thread.start()
            try:
                wait_for(lambda: len(received) == 2, 15, "both messages consumed")
                wait_for(lambda: ready_messages(cluster_settings.amqp_uri, queue.name) == 0, 15, "the queue empty")
            finally:
                consumer.should_stop = True
                thread.join(timeout=10)
        finally:
            queue.delete()
    assert [e["sequence"] for e in received] == ["0000000001", "0000000002"]
    assert [e["position"] for e in received] == [1, 2]


def test_the_same_event_delivered_twice_is_counted_once(cluster, cluster_settings, unique):
    # R-RPT-1 counted exactly once; the relay republishes after losing its position
    api = Api(cluster)
    setup = ContractsFeed(cluster).setup(unique)
    group = setup.group
    assert api.post("/api/v1/visits", setup.visit("2022-04-05", 1)).status_code == 201
    relay = OutboxRelay(cluster.app("visits"), cluster.db("visits"), AmqpPublisher(cluster_settings.amqp_uri, consumers_of))
    while relay.relay_once():
        pass
    last = cluster.app("visits").last_position()
    # Forget the position, as a relay killed before saving it would: all again.
    with cluster.db("visits").transaction() as cur:
        cur.execute("UPDATE relay_position SET position = 0 WHERE service = 'visits'")
    while relay.relay_once():
        pass
    _drain_into_reporting(cluster, cluster_settings, last)
    rows = cluster.db("reporting").query("SELECT COUNT(*) AS n FROM tracking WHERE source = 'visits'")
    assert rows[0]["n"] == last
    report = api.get("/api/v1/reports/monthly/2022-04").json_body
    row = next(g for g in report["groups"] if g["group"] == group)
    assert row["visits"] == 1 and row["days_in_month"] == 1.0


def test_bad_input_stores_nothing_and_publishes_nothing(cluster, unique):
    # R-SEC-3: 400 names the field; nothing stored, so nothing to publish
    api = Api(cluster)
    before = cluster.app("visits").last_position()
    cases = [
        (b'{"group": "g", "days": ', "body", "malformed_json"),
        (json.dumps({"group": "g", "days": 1, "colour": "red"}).encode(), "colour", "unknown_field"),
        (json.dumps({"group": "g", "days": "one"}).encode(), "days", "wrong_type"),
        (json.dumps({"days": 1}).encode(), "group", "missing_field"),
    ]
    for raw, field, code in cases:
        response = api.post("/api/v1/visits", raw=raw)
        assert response.status_code == 400, (raw, response.json_body)
        assert response.json_body["error"]["field"] == field
        assert response.json_body["error"]["code"] == code
    assert cluster.app("visits").last_position() == before


def test_runs_of_events_are_applied_once_each_and_acknowledged(cluster, cluster_settings, unique):
    # `rps project`'s consumer: what arrives together is applied as one run per
    # read model (tracking records with the rows), then acknowledged; the same
    # events published again change nothing.
    api = Api(cluster)
    setup = ContractsFeed(cluster).setup(unique)
    for day in range(1, 26):
        assert api.post("/api/v1/visits", setup.visit(f"2022-05-{day:02d}", 1)).status_code == 201
    relay = OutboxRelay(cluster.app("visits"), cluster.db("visits"), AmqpPublisher(cluster_settings.amqp_uri, consumers_of))
    while relay.relay_once():
        pass
    with cluster.db("visits").transaction() as cur:  # as a relay that died before saving its position
        cur.execute("UPDATE relay_position SET position = 0 WHERE service = 'visits'")
    while relay.relay_once():
        pass
    last = cluster.app("visits").last_position()
    consumer = AmqpConsumer(
        cluster_settings.amqp_uri, "reporting", cluster.delivery_handlers("reporting"), prefetch=20,
        run_handlers=cluster.run_handlers("reporting"),
    )
    _consume(consumer, [p for p in cluster.projections["reporting"] if "visits" in p.sources], last, 20)
    rows = cluster.db("reporting").query(
        "SELECT COUNT(*) AS n FROM rpt_visits WHERE grp = %s", (setup.group,)
    )
    assert rows[0]["n"] == 25
    report = api.get("/api/v1/reports/monthly/2022-05").json_body
    row = next(g for g in report["groups"] if g["group"] == setup.group)
    assert row["visits"] == 25 and row["days_in_month"] == 25.0
    with Connection(cluster_settings.amqp_uri) as conn:  # nothing left unacknowledged or waiting
        declared = Queue("evt-visits--reporting", exchange=events_exchange("visits"), routing_key="#", durable=True)(
            conn.default_channel
        ).queue_declare(passive=True)
        assert declared.message_count == 0
