"""Feedback learns the district of every visit from the visits service's events over the real
RabbitMQ (queue evt-visits--feedback), so a recommendation may link only its own district's
visits (R-REC-1; issue 14)."""

from __future__ import annotations

import threading
import time

import pytest

from services.backbone.amqp import AmqpConsumer, AmqpPublisher
from services.backbone.relay import OutboxRelay
from services.bootstrap import Runtime, consumers_of
from tests.cluster import management_get
from tests.conftest import Api
from tests.organisation import form_group

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(cluster_settings):
    runtime = Runtime.cluster(cluster_settings, ("contracts", "visits", "feedback"))
    try:
        yield runtime
    finally:
        runtime.close()


def _call(api: Api):
    def call(method, path, body=None):
        response = api.request(method, path, body)
        return response.status_code, response.json_body

    return call


def _relay(runtime: Runtime, settings, service: str) -> None:
    relay = OutboxRelay(runtime.app(service), runtime.db(service), AmqpPublisher(settings.amqp_uri, consumers_of))
    while relay.relay_once():
        pass


def _consume(runtime: Runtime, settings, consumer: str, until, timeout: float = 30.0) -> None:
    """Run ``consumer``'s cluster consumer (every queue its read models read) until ``until()`` holds."""
    worker = AmqpConsumer(settings.amqp_uri, consumer, runtime.delivery_handlers(consumer), prefetch=50)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not until():
            assert time.monotonic() < deadline, f"{consumer} did not catch up in time"
            time.sleep(0.05)
    finally:
        worker.should_stop = True
        thread.join(timeout=10)


def test_the_feedback_consumer_reads_visits_events_and_checks_links(cluster, cluster_settings, unique):
    # R-REC-1: a visit logged in the visits service is known to feedback through evt-visits--feedback
    api = Api(cluster)
    codes = form_group(_call(api), unique)
    _relay(cluster, cluster_settings, "contracts")
    feedback_db = cluster.db("feedback")
    _consume(cluster, cluster_settings, "visits", lambda: cluster.app("visits").reads.assignment(codes["group"]) is not None)
    _consume(cluster, cluster_settings, "feedback",
             lambda: bool(feedback_db.query("SELECT 1 AS x FROM fb_dir_groups WHERE code = %s", (codes["group"],))))
    visit = api.post("/api/v1/visits", {"group": codes["group"], "date": "2022-03-03", "days": 1,
                                        "planners": [codes["tier1"]], "leader_met": True})
    assert visit.status_code == 201, visit.json_body
    _relay(cluster, cluster_settings, "visits")
    vhost = cluster_settings.amqp_uri.rsplit("/", 1)[1]
    assert management_get(f"queues/{vhost}/evt-visits--feedback")["name"] == "evt-visits--feedback"
    _consume(cluster, cluster_settings, "feedback",
             lambda: bool(feedback_db.query("SELECT 1 AS x FROM fb_dir_visits WHERE id = %s", (visit.json_body["id"],))))
    body = {"group": codes["group"], "title": "建设口袋公园", "text": "街角空地", "category": "greening",
            "source": "survey", "date": "2022-03-05"}
    raised = api.post("/api/v1/recommendations", {**body, "visits": [visit.json_body["id"]]})
    assert raised.status_code == 201, raised.json_body
    unknown = api.post("/api/v1/recommendations", {**body, "visits": ["00000000-0000-0000-0000-000000000001"]})
    assert unknown.status_code == 422 and unknown.json_body["error"]["rule"] == "R-REC-1"
