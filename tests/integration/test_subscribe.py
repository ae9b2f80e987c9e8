"""`rps subscribe` against the real RabbitMQ and PostgreSQL (issue 9, API.md "Events").

A department's subscriber binds its own durable queue before it catches up
from the feeds, so what happened before it ever ran comes from the feed,
what happens after from the queue, and where the two overlap (a restart
while events keep coming) each event is still handed on exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest

from services.bootstrap import Runtime
from tests.cluster import management_get, ready_messages
from tests.processes import RPS, Http, wait_for
from tests.unit.visits.feed import ContractsFeed

pytestmark = pytest.mark.integration

GOVERNMENT = "dongchangfu"  # the government ContractsFeed.district registers districts under
WANTED = ("VisitLogged", "RecommendationForwarded")


@pytest.fixture(scope="module")
def org(cluster_settings):
    """A group known to visits and feedback, as contracts' events would make it."""
    runtime = Runtime.cluster(cluster_settings, ("visits", "feedback"))
    try:
        feed = ContractsFeed(runtime, consumers=("visits", "feedback"))
        feed.emit("GovernmentRegistered", f"government:{GOVERNMENT}", {
            "code": GOVERNMENT, "name": "东昌府区人民政府", "kind": "district_government",
            "leader": None, "department": None, "contact": None,
        })
        return feed.setup("sub")
    finally:
        runtime.close()


class System:
    """visits and feedback served and relayed, on the module's database and vhost."""

    def __init__(self, processes, settings, org, tmp_path: Path):
        self.p = processes
        self.settings = settings
        self.org = org
        self.tmp = tmp_path
        self.vhost = urlsplit(settings.amqp_uri).path.lstrip("/")
        self.p.env.update(AMQP_URI=settings.amqp_uri, DATABASE_URL=settings.database_url, RPS_RELAY_IDLE_SECONDS="0.05")
        self.http: dict[str, Http] = {}
        self.servers: dict[str, subprocess.Popen] = {}
        self.day = 0

    def start(self) -> "System":
        for service in ("visits", "feedback"):
            self.servers[service], self.http[service] = self.p.start_http("serve", service)
            self.p.start("relay", service)
        return self

    # -- what happens in the programme ------------------------------------------------

    def visit(self) -> str:
        self.day += 1
        status, body = self.http["visits"].call("POST", "/api/v1/visits", self.org.visit(f"2022-03-{self.day:02d}", 1))
        assert status == 201, body
        return body["id"]

    def void(self, visit: str) -> None:
        status, body = self.http["visits"].call("POST", f"/api/v1/visits/{visit}/void", {"reason": "重复登记"})
        assert status in (200, 201), body

    def forwarded_recommendation(self, n: int) -> str:
        feedback = self.http["feedback"]
        status, rec = feedback.call("POST", "/api/v1/recommendations", {
            "group": self.org.group, "title": f"增设口袋公园 {n}", "text": "建议内容", "category": "greening",
            "source": "survey", "date": "2022-03-01",
        })
        assert status == 201, rec
        status, letter = feedback.call("POST", "/api/v1/letters", {
            "government": GOVERNMENT, "letter_no": f"聊规函〔2022〕{os.getpid()}-{n}-{time.monotonic_ns()}",
            "date": "2022-03-02", "due_date": "2022-04-02", "recommendations": [rec["id"]],
        })
        assert status == 201, letter
        return rec["id"]

    # -- what the system holds -------------------------------------------------------

    def feed(self, service: str) -> list[dict]:
        operator = self.http[service].as_role("operator")
        events, after = [], 0
        while True:
            status, body = operator.call("GET", f"/api/v1/events/{service}?after={after}&limit=1000")
            assert status == 200, body
            events += body["events"]
            if len(body["events"]) < 1000:
                return events
            after = body["next_after"]

    def expected(self) -> list[dict]:
        """Every stored event of the wanted types: what the subscriber must have handed on, once each."""
        return [e for s in ("visits", "feedback") for e in self.feed(s) if e["type"].split(".")[-2] in WANTED]

    def sql(self, query: str, params=()):
        with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def published_all(self) -> bool:
        """Each relay has published (and recorded) everything its service stored."""
        for service in ("visits", "feedback"):
            stored = self.sql(f"SELECT COALESCE(MAX(notification_id), 0) FROM {service}.{service}_events")[0][0]
            relayed = self.sql(f"SELECT COALESCE(MAX(position), 0) FROM {service}.relay_position")[0][0]
            if relayed < stored:
                return False
        return True

    def queue(self, name: str) -> dict | None:
        try:
            return management_get(f"queues/{quote(self.vhost, safe='')}/{name}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def bindings(self, name: str) -> set[tuple[str, str]]:
        rows = management_get(f"queues/{quote(self.vhost, safe='')}/{name}/bindings")
        return {(b["source"], b["routing_key"]) for b in rows if b["source"]}

    def settled(self, name: str, expected: list[dict]) -> bool:
        """Nothing more can reach subscriber ``name`` (issue 15: a condition instead of a fixed sleep):
        every relay has published what its service stored; its queue acknowledged every message routed
        to it (the management API's counters of one sample) and holds none now (the broker's own count);
        its saved positions reached the last expected event of each source."""
        if not self.published_all():
            return False
        info = self.queue(f"sub-{name}") or {}
        stats = info.get("message_stats", {})
        if not (0 < stats.get("publish", 0) <= stats.get("ack", 0) and info.get("messages") == 0):
            return False
        if ready_messages(self.settings.amqp_uri, f"sub-{name}") != 0:
            return False
        try:
            positions = json.loads((self.tmp / f"state-{name}.json").read_text())["positions"]
        except (OSError, ValueError, KeyError):
            return False
        last: dict[str, int] = {}
        for envelope in expected:
            source = envelope["source"].rsplit("/", 1)[-1]
            last[source] = max(last.get(source, 0), envelope["position"])
        return all(positions.get(source, 0) >= position for source, position in last.items())

    # -- the subscriber ---------------------------------------------------------------

    def subscribe(self, name: str, *args: str) -> "Subscription":
        env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
        # A department has the broker and the feeds, not the system's database.
        env.update(
            AMQP_URI=self.settings.amqp_uri,
            RPS_EVENTS_URL_VISITS=f"{self.http['visits'].base}/api/v1/events/visits",
            RPS_EVENTS_URL_FEEDBACK=f"{self.http['feedback'].base}/api/v1/events/feedback",
        )
        out = self.tmp / f"subscribe-{name}.out"
        err = self.tmp / f"subscribe-{name}.err"
        command = [RPS, "-v", "subscribe", "--events", ",".join(WANTED), "--name", name,
                   "--state", str(self.tmp / f"state-{name}.json"), *args]
        with open(out, "ab") as stdout, open(err, "ab") as stderr:
            proc = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
        self.p.running.append(proc)
        return Subscription(proc, out, err)


class Subscription:
    def __init__(self, proc: subprocess.Popen, out: Path, err: Path):
        self.proc, self.out, self.err = proc, out, err

    def lines(self) -> list[dict]:
        text = self.out.read_text(encoding="utf-8") if self.out.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def log(self) -> str:
        return self.err.read_text(errors="replace") if self.err.exists() else ""

    def consuming(self, runs: int = 1) -> "Subscription":
        """Wait until it has caught up and consumes its queue (``runs``: how many starts logged so far)."""
        wait_for(lambda: self.log().count("; consuming") >= runs, what="the subscriber consuming")
        return self

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=20)
        assert self.proc.returncode == 0, self.log()


def key(envelope: dict) -> tuple[str, int]:
    return envelope["source"], envelope["position"]


def assert_exactly_once(handed_on: list[dict], expected: list[dict]) -> None:
    keys = [key(e) for e in handed_on]
    assert len(keys) == len(set(keys)), f"handed on twice: {sorted(k for k in keys if keys.count(k) > 1)}"
    assert {e["type"].split(".")[-2] for e in handed_on} <= set(WANTED)
    # The very envelopes the services published, in each source's order.
    assert sorted(handed_on, key=key) == sorted(expected, key=key)
    for source in {e["source"] for e in handed_on}:
        positions = [e["position"] for e in handed_on if e["source"] == source]
        assert positions == sorted(positions)


@pytest.fixture
def system(processes, cluster_settings, org, tmp_path):
    system = System(processes, cluster_settings, org, tmp_path).start()
    yield system
    # An idle `rps serve` stops within a second of SIGTERM (its eventlet hub watches the
    # signal's wakeup pipe): no request is needed to wake it; `processes` waits for each.
    for proc in system.servers.values():
        proc.terminate()


def test_the_feed_before_it_ran_the_queue_after_each_event_once_and_only_the_types_asked_for(system, unique):
    name = f"dept-{unique}"
    queue = f"sub-{name}"
    # Before the subscriber ever ran: published to exchanges where no queue of its own waits.
    before = [system.visit() for _ in range(3)]
    system.void(before[0])
    system.forwarded_recommendation(1)
    wait_for(system.published_all, what="everything published before the subscriber starts")
    assert system.queue(queue) is None

    sub = system.subscribe(name, "--from-start").consuming()
    wait_for(lambda: len(sub.lines()) == 4, what="3 visits and 1 forwarded recommendation from the feeds")
    assert system.bindings(queue) == {("visits.events", "VisitLogged"), ("feedback.events", "RecommendationForwarded")}
    assert system.queue(queue)["arguments"] == {"x-queue-type": "quorum"}

    # After it started: these reach it through its queue.
    after = [system.visit() for _ in range(2)]
    system.void(after[1])
    system.forwarded_recommendation(2)
    wait_for(lambda: len(sub.lines()) == 7, what="2 more visits and 1 more forwarded recommendation")
    wait_for(lambda: (system.queue(queue) or {}).get("message_stats", {}).get("ack", 0) >= 3,
         what="the queue delivering the later events")
    wait_for(lambda: system.settled(name, system.expected()), what="the queue drained and the positions at the last event")
    sub.stop()  # nothing more arrives: the overlap of feed and queue was dropped
    handed_on = sub.lines()
    assert_exactly_once(handed_on, system.expected())
    subjects = [e["subject"] for e in handed_on if e["type"].endswith(".VisitLogged.v1")]
    assert set(before + after) <= set(subjects)
    all_types = {e["type"].split(".")[-2] for s in ("visits", "feedback") for e in system.feed(s)}
    assert {"VisitVoided", "RecommendationRaised", "LetterIssued"} <= all_types  # there, and not handed on
    assert system.queue(queue)["durable"] is True


def test_a_restart_resumes_from_its_positions_through_the_overlap_of_feed_and_queue(system, unique):
    name = f"restart-{unique}"
    system.visit()
    system.forwarded_recommendation(0)
    wait_for(system.published_all, what="the history published")
    sub = system.subscribe(name, "--from-start").consuming()
    wait_for(lambda: len(sub.lines()) == len(system.expected()), what="the history handed on")
    sub.stop()
    state = json.loads((system.tmp / f"state-{name}.json").read_text())
    assert state["queue"] == f"sub-{name}" and state["events"] == list(WANTED)
    # While it is down its queue keeps what is published, and the feed has it too.
    for _ in range(3):
        system.visit()
    system.forwarded_recommendation(3)
    wait_for(system.published_all, what="published into its queue while it is down")
    again = system.subscribe(name).consuming(runs=2)  # no --from-start: from the saved positions
    expected = system.expected()
    wait_for(lambda: len(sub.lines()) >= len(expected), what="the events of the downtime")
    wait_for(lambda: system.settled(name, expected), what="its queue drained and the positions at the last event")
    again.stop()
    assert_exactly_once(sub.lines(), expected)  # both runs append to the same output
    # The downtime's 4 came from the feed; their copies in the queue were dropped.
    assert "caught up, 4 events from the feeds" in again.log().split("rps subscribe: stopped")[1]
    assert "stopped after 4 events (4 duplicates dropped)" in again.log()


class Receiver(BaseHTTPRequestHandler):
    """A department's endpoint: refuses the first two deliveries, then takes them."""

    received: list[dict] = []
    refusals = 2
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["content-length"]))
        with self.lock:
            if Receiver.refusals > 0:
                Receiver.refusals -= 1
                self.send_response(503)
                self.end_headers()
                return
            envelope = json.loads(body)
            assert self.headers["content-type"].startswith("application/cloudevents+json")
            assert self.headers["idempotency-key"] == envelope["id"]
            Receiver.received.append(envelope)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_forwarding_posts_each_event_once_and_retries_a_refusing_receiver(system, unique):
    Receiver.received, Receiver.refusals = [], 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        system.visit()
        url = f"http://127.0.0.1:{server.server_address[1]}/events"
        sub = system.subscribe(f"fwd-{unique}", "--from-start", "--forward-url", url).consuming()
        expected = system.expected()
        wait_for(lambda: len(Receiver.received) >= len(expected), what="the history forwarded")
        system.visit()
        wait_for(lambda: len(Receiver.received) == len(expected) + 1, what="a new visit forwarded")
        name = f"fwd-{unique}"
        wait_for(lambda: system.settled(name, system.expected()), what="the queue drained and the positions at the last event")
        sub.stop()
        assert Receiver.refusals == 0 and sub.lines() == []  # forwarded, not printed
        assert_exactly_once(list(Receiver.received), system.expected())
    finally:
        server.shutdown()


def test_an_unknown_event_type_is_refused_naming_it(cluster_settings, tmp_path):
    done = subprocess.run(
        [RPS, "subscribe", "--events", "VisitLogged,VisitTeleported", "--state", str(tmp_path / "s.json")],
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "AMQP_URI": cluster_settings.amqp_uri},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "VisitTeleported" in done.stderr

