"""Notifications driven by events through the outbox (R-OPN-4, R-RPT-8):
the people who raised an item hear of every change; retries, parking,
erasure, and the city app's signed webhook."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from services.feedback.notifications import Dispatcher, RecordingNotifier, WebhookNotifier, dispatcher_for
from services.feedback.projections import NotificationOutboxProjection

PHONE = "13812345678"


class Clock:
    def __init__(self):
        self.now = time.time() + 1

    def __call__(self):
        return self.now


def opinion(api, world, **extra):
    body = {"district": world["district"], "category": "greening", "text": "行道树枯死", "date": "2022-03-01",
            "contact_phone": PHONE, "app_user_id": "app-7", **extra}
    return api.post("/api/v1/opinions", body).json_body["ref"]


def outbox(runtime):
    return runtime.db("feedback").query("SELECT * FROM fb_outbox ORDER BY created_at, id")


def test_every_status_change_reaches_the_resident(api, runtime, world):
    # R-OPN-4: the resident hears of acknowledgement, answer and closing; the group of the new opinion
    ref = opinion(api, world)
    for step, body in (("acknowledge", {"date": "2022-03-02"}), ("answer", {"date": "2022-03-05", "reply": "已补植"}),
                       ("close", {"date": "2022-03-06"})):
        assert api.post(f"/api/v1/opinions/{ref}/{step}", body).status_code == 200
    api.settle()
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(runtime.db("feedback"), notifier, clock=Clock())
    assert dispatcher.dispatch_once() == 5
    to_resident = [m for m in notifier.messages if m.recipient.kind == "resident"]
    assert [m.payload["status"] for m in to_resident] == ["received", "acknowledged", "answered", "closed"]
    assert {m.recipient.app_user for m in to_resident} == {"app-7"}
    assert to_resident[2].payload["reply"] == "已补植"
    [to_group] = [m for m in notifier.messages if m.recipient.kind == "group"]
    assert to_group.recipient.code == world["group"] and to_group.payload["ref"] == ref
    # Stored messages name the person by opaque key only.
    assert PHONE not in json.dumps(outbox(runtime)) and "app-7" not in json.dumps(outbox(runtime))
    assert PHONE not in repr(to_resident[0])
    assert dispatcher.dispatch_once() == 0  # delivered once
    assert dispatcher.state() == {"delivered": 5}


def test_recommendation_progress_reaches_the_residents_who_raised_it(api, runtime, world, unique):
    # R-OPN-4 (Decidim: tell the people who raised it); R-RPT-8 a new letter to a government
    ref = opinion(api, world)
    api.post(f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-02"})
    rid = api.post(f"/api/v1/opinions/{ref}/escalate", {"date": "2022-03-03"}).json_body["recommendation"]["id"]
    api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"L-{unique}", "date": "2022-03-04"})
    api.post(f"/api/v1/recommendations/{rid}/accept", {"date": "2022-03-05"})
    api.post(f"/api/v1/recommendations/{rid}/progress", {"date": "2022-03-06", "percent": 30, "text": "已选苗"})
    api.settle()
    notifier = RecordingNotifier()
    dispatcher_for(runtime, notifier).dispatch_once()  # as configured: 5 attempts, real clock
    resident = [m for m in notifier.messages if m.recipient.kind == "resident"]
    assert [m.event for m in resident][-3:] == ["RecommendationForwarded", "RecommendationAccepted",
                                                "ImplementationProgressReported"]
    assert resident[-1].payload["percent"] == 30 and resident[-1].payload["ref"] == ref
    [letter] = [m for m in notifier.messages if m.event == "LetterIssued"]
    assert letter.recipient.kind == "government" and letter.recipient.code == world["government"]
    assert letter.recipient.contact == {"name": "李某", "role": "科长"}  # R-ORG-7 contact


def test_failures_are_retried_with_backoff_then_parked(api, runtime, world):
    # Delivery: retried with back-off, parked after N failures
    opinion(api, world)
    api.settle()
    clock = Clock()
    flaky = RecordingNotifier(fail_first=100)
    dispatcher = Dispatcher(runtime.db("feedback"), flaky, max_attempts=3, backoff_seconds=10, clock=clock)
    assert dispatcher.dispatch_once() == 0
    assert dispatcher.dispatch_once() == 0 and flaky.attempts == 2  # not due again yet: nothing retried
    clock.now += 10
    dispatcher.dispatch_once()
    assert flaky.attempts == 4
    clock.now += 19
    dispatcher.dispatch_once()
    assert flaky.attempts == 4  # second back-off is 20 s
    clock.now += 1
    dispatcher.dispatch_once()
    assert dispatcher.state() == {"parked": 2}
    rows = outbox(runtime)
    assert {r["attempts"] for r in rows} == {3} and all("simulated failure" in r["last_error"] for r in rows)


def test_erasure_drops_messages_not_yet_delivered(api, runtime, world):
    # R-OPN-3, R-SEC-4: no message goes to a person whose data was erased
    ref = opinion(api, world)
    api.settle()
    assert api.delete(f"/api/v1/opinions/{ref}/personal-data").status_code == 204
    api.post(f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-02"})
    api.settle()
    notifier = RecordingNotifier()
    Dispatcher(runtime.db("feedback"), notifier, clock=Clock()).dispatch_once()
    assert [m.recipient.kind for m in notifier.messages] == ["group"]
    assert {r["status"] for r in outbox(runtime) if r["recipient_kind"] == "resident"} == {"dropped"}


def test_rebuild_tells_nobody_twice(api, runtime, world):
    # Rebuilding the read models replays the events; the outbox keeps one row per message
    opinion(api, world)
    api.settle()
    before = outbox(runtime)
    projection = next(p for p in runtime.projections["feedback"] if isinstance(p, NotificationOutboxProjection))
    projection.rebuild(runtime.event_reader)
    assert outbox(runtime) == before


class _Hook(BaseHTTPRequestHandler):
    failures_left = 0
    received: list = []
    secret = b"s3cret"

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(self.headers["X-RPS-Signature"], expected)
        if type(self).failures_left != 0:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        type(self).received.append((self.headers["X-RPS-Delivery"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_port}/notify"
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_that_fails_twice_delivers_once(api, runtime, world, webhook):
    # The city app's webhook: HMAC-signed body, retried, delivered exactly once
    _, url = webhook
    _Hook.failures_left = 2
    ref = opinion(api, world)
    api.settle()
    with runtime.db("feedback").transaction() as cur:  # keep only the resident's message
        cur.execute("DELETE FROM fb_outbox WHERE recipient_kind <> 'resident'")
    clock = Clock()
    dispatcher = Dispatcher(runtime.db("feedback"), WebhookNotifier(url, "s3cret", timeout=5), max_attempts=5,
                            backoff_seconds=1, clock=clock)
    for _ in range(4):
        dispatcher.dispatch_once()
        clock.now += 10
    assert len(_Hook.received) == 1
    delivery, body = _Hook.received[0]
    assert body["id"] == delivery and body["ref"] == ref and body["status"] == "received"
    assert body["recipient"] == {"kind": "resident", "app_user_id": "app-7"}
    assert dispatcher.state() == {"delivered": 1}


def test_webhook_that_always_fails_is_parked(api, runtime, world, webhook):
    # Parked after RPS_NOTIFY_MAX_ATTEMPTS failures
    _, url = webhook
    _Hook.failures_left = -1  # never stops failing
    opinion(api, world)
    api.settle()
    clock = Clock()
    dispatcher = Dispatcher(runtime.db("feedback"), WebhookNotifier(url, "s3cret", timeout=5), max_attempts=3,
                            backoff_seconds=1, clock=clock)
    for _ in range(5):
        dispatcher.dispatch_once()
        clock.now += 10
    assert _Hook.received == []
    assert dispatcher.state() == {"parked": 2}


def test_no_unmasked_phone_in_logs_or_metrics(api, runtime, world, caplog):
    # R-OPN-3: logs and metric labels carry no personal data
    import logging

    from services.backbone import metrics
    from services.feedback.notifications import LoggingNotifier

    caplog.set_level(logging.DEBUG)
    ref = opinion(api, world, contact_name="张三丰")
    api.post(f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-02"})
    api.post("/api/v1/opinions", {"district": world["district"], "category": "x", "text": "t", "contact_phone": PHONE})
    api.settle()
    Dispatcher(runtime.db("feedback"), LoggingNotifier(), clock=Clock()).dispatch_once()
    body, _ = metrics.exposition()
    for secret in (PHONE, "张三丰", "app-7"):
        assert secret not in caplog.text
        assert secret not in body.decode()
    assert "notify resident" in caplog.text  # the logging notifier did log
