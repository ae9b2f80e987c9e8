"""The contracts service on the real PostgreSQL and RabbitMQ: its events on
contracts.events in the documented envelope, and the visits service's view of
who serves a district after a replacement (R-ORG-4, R-CON-4)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from kombu import Connection, Queue

from services.backbone.amqp import AmqpConsumer, AmqpPublisher, events_exchange
from services.backbone.relay import OutboxRelay
from services.bootstrap import Runtime, consumers_of
from tests.conftest import Api
from tests.organisation import form_group

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster(cluster_settings):
    runtime = Runtime.cluster(cluster_settings, ("contracts", "visits"))
    try:
        yield runtime
    finally:
        runtime.close()


def _call(api: Api):
    def call(method, path, body=None):
        response = api.request(method, path, body)
        return response.status_code, response.json_body

    return call


def _consume_into_visits(runtime: Runtime, settings, until, timeout: float = 20.0) -> None:
    consumer = AmqpConsumer(settings.amqp_uri, "visits", runtime.delivery_handlers("visits"), prefetch=50)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not until():
            assert time.monotonic() < deadline, "visits did not learn of the change in time"
            time.sleep(0.05)
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)


def test_contracts_events_reach_their_exchange_and_visits_follows_a_replacement(cluster, cluster_settings, unique):
    api = Api(cluster)
    relay = OutboxRelay(cluster.app("contracts"), cluster.db("contracts"), AmqpPublisher(cluster_settings.amqp_uri, consumers_of))
    with Connection(cluster_settings.amqp_uri) as conn:
        probe = Queue(f"probe-{unique}", exchange=events_exchange("contracts"), routing_key="#", exclusive=True)
        probe(conn.default_channel).declare()
        codes = form_group(_call(api), unique)
        while relay.relay_once():
            pass
        seen = {}
        for _ in range(200):
            message = probe(conn.default_channel).get(no_ack=True)
            if message is None:
                break
            envelope = json.loads(message.body)
            seen[message.delivery_info["routing_key"]] = envelope
        formed = seen["GroupFormed"]
        assert formed["type"] == "cn.liaocheng.rps.contracts.GroupFormed.v1" and formed["source"] == "rps/contracts"
        assert formed["data"]["code"] == codes["group"] and formed["data"]["district"] == codes["district"]
        assert (formed["data"]["tier1"], formed["data"]["local"]) == (codes["tier1"], codes["local"])
        assert formed["actorrole"] == "bureau" and formed["correlationid"] and formed["chainhash"]
        assert {"GovernmentRegistered", "DistrictRegistered", "ContractSigned", "PlannerAppointed"} <= set(seen)
        # Personal contact data of planners stays in contracts (R-ORG-5 / issue 4).
        assert "phone" not in json.dumps(seen["PlannerAppointed"]["data"])

    _consume_into_visits(cluster, cluster_settings, lambda: cluster.app("visits").reads.assignment(codes["group"]) is not None)

    newcomer = f"p3-{unique}"
    assert api.post("/api/v1/planners", {"id": newcomer, "name": "王工", "origin": "tier1",
                                         "qualifications": ["registered_architect_class1"]}).status_code == 201
    replaced = api.post(f"/api/v1/groups/{codes['group']}/replacements",
                        {"out": codes["tier1"], "in": newcomer, "date": "2022-01-10", "reason": "工作调动"})
    assert replaced.status_code == 201, replaced.json_body
    # contracts' own answer: who serves the district on a date
    before = api.get(f"/api/v1/districts/{codes['district']}/serving?date=2022-01-09").json_body
    after = api.get(f"/api/v1/districts/{codes['district']}/serving?date=2022-01-10").json_body
    assert codes["tier1"] in json.dumps(before) and newcomer not in json.dumps(before)
    assert newcomer in json.dumps(after) and codes["tier1"] not in json.dumps(after)

    while relay.relay_once():
        pass

    def knows_newcomer() -> bool:
        assignment = cluster.app("visits").reads.assignment(codes["group"])
        return any(m.planner == newcomer for m in assignment.members)

    _consume_into_visits(cluster, cluster_settings, knows_newcomer)
    # visits' view, from the events alone: the old planner served until the 9th, the new one from the 10th.
    planner = api.as_role("planner", group=codes["group"], district=codes["district"])
    visit = {"group": codes["group"], "days": 1, "activities": ["survey"]}
    assert planner.post("/api/v1/visits", {**visit, "date": "2022-01-09", "planners": [codes["tier1"]]}).status_code == 201
    refused = planner.post("/api/v1/visits", {**visit, "date": "2022-01-10", "planners": [codes["tier1"]]})
    assert refused.status_code == 422 and refused.json_body["error"]["field"] == "planners"
    assert planner.post("/api/v1/visits", {**visit, "date": "2022-01-10", "planners": [newcomer]}).status_code == 201
