"""R-RPT-8: the day's reminders reach the people concerned through the feedback
service's notifier: recorded once per date as an event in feedback's store,
turned into outbox messages, delivered by the dispatcher."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from services.backbone.auth import issue_token
from services.feedback.notifications import Dispatcher, RecordingNotifier
from services.reporting.daily_reminders import issue_day, issuer_for, run_daily

API = "/api/v1"
DAY = dt.date(2022, 3, 20)


def remind(runtime: Any, day: dt.date = DAY) -> dict[str, Any]:
    """The daily job as embedded mode runs it: read models caught up, then handed over in-process."""
    runtime.drain()
    return issue_day(runtime.db("reporting"), day, issuer_for(runtime))


def deliver(runtime: Any) -> list[Any]:
    """What the notifier is asked to deliver now (the outbox projection first takes in the event)."""
    runtime.drain()
    notifier = RecordingNotifier()
    Dispatcher(runtime.db("feedback"), notifier).dispatch_once(limit=1000)
    return notifier.messages


def reminded(messages: list[Any]) -> list[Any]:
    return [m for m in messages if m.event == "RemindersIssued"]


def stored(runtime: Any) -> list[dict[str, Any]]:
    return [e for e in runtime.app("feedback").envelopes(0, 10_000) if e["type"].endswith(".RemindersIssued.v1")]


def test_a_group_without_a_visit_by_the_20th_is_reminded(world, february, runtime):
    # R-RPT-8, R-VIS-2: March is a duty month of g2 and g3, neither has a service day by the 20th
    f = february
    deliver(runtime)  # what the february world's own events announced
    assert remind(runtime)["issued"] is True
    no_visit = [m for m in reminded(deliver(runtime)) if m.payload["reminder"] == "no_visit"]
    assert sorted((m.recipient.kind, m.recipient.code) for m in no_visit) == [("group", f["g2"]), ("group", f["g3"])]
    for message in no_visit:
        assert message.payload["rule"] == "R-VIS-2" and message.payload["date"] == "2022-03-20"
        assert message.payload["message"].startswith("【本月尚未到片区服务】")
        assert "2022-03" in message.payload["message"] and "尚未到片区服务" in message.payload["message"]


def test_the_day_before_the_20th_nobody_is_reminded_of_a_missing_visit(world, february, runtime):
    # R-RPT-8: "without a visit by the 20th"
    remind(runtime, dt.date(2022, 3, 19))
    assert [m for m in reminded(deliver(runtime)) if m.payload["reminder"] == "no_visit"] == []


def test_issuing_the_same_date_twice_stores_once_and_delivers_once(world, february, runtime, api):
    # R-RPT-8: one fact per date; a retried job, a restart or a second runtime tell nobody twice
    deliver(runtime)
    computed = api.get(f"{API}/reminders?date=2022-03-20").json_body
    operator = api.as_role("operator", "rps-service")
    first = operator.post(f"{API}/daily-reminders", {"date": "2022-03-20", "reminders": computed["reminders"]})
    assert first.status_code == 201, first.json_body
    assert first.json_body["issued"] is True and first.json_body["count"] == len(computed["reminders"])
    messages = reminded(deliver(runtime))
    # One message per reminder and addressee; the new letter's government was told when the letter was issued.
    assert len(messages) == len(computed["reminders"]) - computed["counts"].get("new_letter", 0)
    assert len({m.id for m in messages}) == len(messages)
    # Again, in-process and over HTTP with other content: the first issue stands, nothing more is sent.
    again = remind(runtime)
    assert again["issued"] is False and again["count"] == len(computed["reminders"])
    late = operator.post(f"{API}/daily-reminders", {"date": "2022-03-20", "reminders": []})
    assert late.status_code == 200 and late.json_body["issued"] is False
    assert reminded(deliver(runtime)) == []
    assert len(stored(runtime)) == 1
    # A rebuild of the feedback read models replays the event: still nobody is told twice.
    runtime.rebuild("feedback.notifications")
    assert reminded(deliver(runtime)) == []


def test_an_overdue_recommendation_reaches_the_responsible_government(world, february, runtime):
    # R-RPT-8, R-REC-3: R1 was due 2022-02-20; on 03-20 it is 28 days overdue, and its government is told
    f = february
    deliver(runtime)
    remind(runtime)
    messages = reminded(deliver(runtime))
    [overdue] = [m for m in messages if m.payload["reminder"] == "overdue" and m.payload["ref"] == f["r1"]]
    assert (overdue.recipient.kind, overdue.recipient.code) == ("government", f["gov"])
    assert overdue.payload["rule"] == "R-REC-3" and overdue.payload["days"] == 28
    assert overdue.payload["due_date"] == "2022-02-20"
    assert overdue.payload["message"].startswith("【已超期】") and "超过办理期限" in overdue.payload["message"]
    # Overdue opinions and consultations go to the group that must answer them.
    others = {m.payload["ref"]: (m.recipient.kind, m.recipient.code) for m in messages
              if m.payload["reminder"] == "overdue" and m.payload["ref"] != f["r1"]}
    assert others == {ref: ("group", f["g1"]) for ref in (f["o2"], f["o3"], f["c2"])}


def test_a_new_letter_reaches_the_government_once(world, february, runtime, api):
    # R-RPT-8, R-REC-2: a new letter to a government; the letter itself already told it, the day's
    # reminders record it but do not tell it a second time
    f = february
    w = world
    r3 = w.recommendation(f["g1"], "2022-03-18")
    w.letter(f["gov"], "L3", "2022-03-20", "2022-05-19", [r3])
    letter_no = w.code("L3")
    told = deliver(runtime)  # the letter's own message
    remind(runtime)
    told += deliver(runtime)
    about_letter = [m for m in told if letter_no in (m.payload.get("letter_no"), m.payload.get("ref"))]
    assert [(m.recipient.kind, m.recipient.code) for m in about_letter] == [("government", f["gov"])]
    assert "2022-05-19" in about_letter[0].payload["message"]
    [event] = stored(runtime)
    assert {"kind": "new_letter", "ref": letter_no} in [
        {"kind": r["kind"], "ref": r["ref"]} for r in event["data"]["reminders"]]


def test_the_event_carries_no_personal_data_and_names_its_actor(world, february, runtime):
    # R-OPN-3: events never carry residents' personal data; R-SEC-2: the job is the actor
    w = world
    w.opinion(february["d1"], "2022-03-18", contact_phone="13812345678", contact_name="王小明")
    remind(runtime)
    [event] = stored(runtime)
    text = str(event)
    assert "13812345678" not in text and "王小明" not in text and "138****5678" not in text
    assert event["actor"] == "reminder-job" and event["data"]["date"] == "2022-03-20"
    assert {r["to"]["role"] for r in event["data"]["reminders"]} <= {"group", "government"}


def test_bad_reminders_are_refused_naming_the_field(api, runtime):
    # R-SEC-3: the command checks what it is handed; nothing is stored
    operator = api.as_role("operator", "rps-service")
    good = {"kind": "overdue", "rule": "R-REC-3", "to": {"role": "government", "code": "gov"}, "message": "超期"}
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    for body, status, field in (
        ({"date": "2022-03-20", "reminders": [{**good, "kind": "party"}]}, 422, "reminders.0.kind"),
        ({"date": "2022-03-20", "reminders": [{**good, "to": {"role": "resident", "code": "x"}}]}, 422,
         "reminders.0.to.role"),
        ({"date": "2022-03-20", "reminders": [{**good, "message": ""}]}, 422, "reminders.0.message"),
        ({"date": "2022-03-20", "reminders": [{**good, "phone": "13812345678"}]}, 400, "reminders.0.phone"),
        ({"date": future, "reminders": [good]}, 422, "date"),
    ):
        response = operator.post(f"{API}/daily-reminders", body)
        assert response.status_code == status, (body, response.json_body)
        assert response.json_body["error"]["field"] == field
    assert stored(runtime) == []
    planner = api.as_role("planner", group="g", district="d")
    assert planner.post(f"{API}/daily-reminders", {"date": "2022-03-20", "reminders": [good]}).status_code == 403


def test_the_daily_thread_issues_once_after_start_and_at_each_new_day():
    # R-RPT-8 "every day": the embedded runtime's thread; a failed day is tried again
    days = iter([dt.date(2022, 3, 20)] * 3 + [dt.date(2022, 3, 21)] * 3 + [dt.date(2022, 3, 22)] * 2)
    stop = threading.Event()
    done: list[dt.date] = []
    failures = {dt.date(2022, 3, 21): 1}

    def today() -> dt.date:
        try:
            return next(days)
        except StopIteration:
            stop.set()
            return dt.date(2022, 3, 22)

    def job(day: dt.date) -> None:
        if failures.get(day):
            failures[day] -= 1
            raise ConnectionError("store briefly down")
        done.append(day)

    run_daily(stop, job, today=today, poll_seconds=0)
    assert done == [dt.date(2022, 3, 20), dt.date(2022, 3, 21), dt.date(2022, 3, 22)]


def test_the_service_token_may_issue(api, runtime):
    # R-RPT-8 in the cluster: `rps remind` posts with the service token (role operator)
    token = issue_token(runtime.settings, "operator", subject="rps-service", ttl_seconds=600)
    response = api.request("POST", f"{API}/daily-reminders", {"date": "2022-03-20", "reminders": []},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201 and response.json_body["count"] == 0


def test_in_process_and_over_http_send_the_same_request():
    # R-RPT-8: embedded and cluster hand the reminders over alike (type and token beside the body)
    import json
    import wsgiref.simple_server

    from werkzeug.test import Client

    from services.reporting.daily_reminders import in_process, over_http

    seen: list[tuple[str, str, str, dict[str, Any]]] = []

    def feedback(environ, start_response):
        body = json.loads(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        seen.append((environ["PATH_INFO"], environ["CONTENT_TYPE"], environ["HTTP_AUTHORIZATION"], body))
        start_response("201 Created", [("Content-Type", "application/json")])
        return [json.dumps({"issued": True}).encode()]

    class Quiet(wsgiref.simple_server.WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = wsgiref.simple_server.make_server("127.0.0.1", 0, feedback, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        token = lambda: {"Authorization": "Bearer t"}  # noqa: E731
        reminders = [{"reminder": "no_visit", "组": "一"}]
        assert in_process(Client(feedback), token)(DAY, reminders) == {"issued": True}
        assert over_http(f"http://127.0.0.1:{server.server_port}/", token)(DAY, reminders) == {"issued": True}
    finally:
        server.shutdown()
        server.server_close()
    expected = ("/api/v1/daily-reminders", "application/json; charset=utf-8", "Bearer t",
                {"date": "2022-03-20", "reminders": reminders})
    assert seen == [expected, expected]
