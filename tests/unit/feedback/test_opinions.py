"""Opinions over HTTP: intake, lifecycle, public follow-up, lists, personal data
(R-OPN-1..4, R-SEC-3, R-SEC-4)."""

import datetime as dt
import json

import pytest

from services.backbone import clock
from services.backbone.persistence import SQLiteDatabase, create_tables
from services.backbone.settings import Settings
from services.feedback.application import FeedbackApplication
from services.feedback.projections import PROJECTIONS
from tests.unit.feedback.conftest import POINT_INSIDE, POINT_OUTSIDE, Contracts

PHONE = "13812345678"
NAME = "张三丰"


def submit(api, world, **overrides):
    body = {"district": world["district"], "category": "public_space", "text": "街角路灯不亮", "channel": "app",
            "date": "2022-03-01"}
    body.update(overrides)
    return api.post("/api/v1/opinions", body)


def stored(runtime):
    """Everything the feedback service has stored: events and personal-data rows."""
    db = runtime.db("feedback")
    return runtime.app("feedback").last_position(), db.query("SELECT COUNT(*) AS n FROM fb_personal_data")[0]["n"]


def test_opinion_gets_a_random_reference_at_once(api, world):
    # R-OPN-1, R-OPN-4: a public, unguessable reference of at least 10 characters
    first = submit(api, world, contact_phone=PHONE, contact_name=NAME)
    second = submit(api, world)
    assert first.status_code == 201, first.json_body
    ref = first.json_body["ref"]
    assert len(ref) >= 10 and ref != second.json_body["ref"]
    assert first.headers["Location"] == f"/api/v1/opinions/{ref}"
    body = first.json_body
    assert (body["status"], body["district"], body["group"], body["government"]) == (
        "received", world["district"], world["group"], world["government"])
    assert (body["date"], body["acknowledge_due_date"], body["due_date"]) == ("2022-03-01", "2022-03-06", "2022-03-31")
    assert body["contact_phone_masked"] == "138****5678"
    assert PHONE not in json.dumps(body) and NAME not in json.dumps(body)


def test_district_is_found_from_a_point(api, world):
    # R-OPN-1: a WGS84 point inside the district's boundary
    response = submit(api, world, district=None, point=POINT_INSIDE)
    assert response.status_code == 201, response.json_body
    assert response.json_body["district"] == world["district"]


def test_point_outside_every_district_is_refused_and_stores_nothing(api, runtime, world):
    # R-OPN-1
    before = stored(runtime)
    response = submit(api, world, district=None, point=POINT_OUTSIDE, contact_phone=PHONE)
    assert response.status_code == 422
    assert response.json_body["error"]["field"] == "point"
    assert response.json_body["error"]["rule"] == "R-OPN-1"
    assert stored(runtime) == before


@pytest.mark.parametrize("overrides,status,field,rule", [
    ({"text": ""}, 422, "text", "R-OPN-1"),
    ({"text": "长" * 2001}, 422, "text", "R-OPN-1"),
    ({"contact_phone": "1234567"}, 422, "contact_phone", "R-OPN-1"),
    ({"category": "potholes"}, 422, "category", "R-OPN-1"),
    ({"channel": "fax"}, 422, "channel", "R-OPN-1"),
    ({"district": "atlantis"}, 422, "district", "R-OPN-1"),
    ({"district": None}, 422, "district", "R-OPN-1"),
    ({"date": "2099-01-01"}, 422, "date", "R-SEC-3"),
    ({"public": "yes"}, 400, "public", None),
    ({"colour": "red"}, 400, "colour", None),
])
def test_bad_opinions_are_refused_naming_field_and_rule_and_store_nothing(api, runtime, world, overrides, status,
                                                                          field, rule):
    # R-OPN-1, R-SEC-3: clear error, nothing stored, never a 500
    before = stored(runtime)
    response = submit(api, world, **{"contact_phone": PHONE, **overrides})
    assert response.status_code == status, response.json_body
    error = response.json_body["error"]
    assert error["field"] == field
    assert error.get("rule") == rule
    assert stored(runtime) == before


def test_malformed_json_is_a_400(api, runtime, world):
    # R-SEC-3
    before = stored(runtime)
    response = api.post("/api/v1/opinions", raw=b'{"district": ')
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "malformed_json"
    assert stored(runtime) == before


def test_hostile_text_is_stored_faithfully(api, world):
    # R-SEC-3: emoji, right-to-left overrides and SQL fragments are data, not code
    text = "路灯😀坏了 \u202egnp.exe'); DROP TABLE fb_opinions;-- <script>alert(1)</script>"
    response = submit(api, world, text=text, public=True)
    assert response.status_code == 201, response.json_body
    ref = response.json_body["ref"]
    assert api.get(f"/api/v1/opinions/{ref}").json_body["text"] == text
    api.settle()
    listed = api.get(f"/api/v1/opinions?district={world['district']}").json_body["items"]
    assert [i["text"] for i in listed] == [text]


def test_lifecycle_answered_then_closed(api, world):
    # R-OPN-2: received -> acknowledged -> answered -> closed
    ref = submit(api, world).json_body["ref"]
    ack = api.post(f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-02"})
    assert ack.status_code == 200 and ack.json_body["status"] == "acknowledged"
    relayed = api.post(f"/api/v1/opinions/{ref}/relay", {"date": "2022-03-03", "comment": "需区政府协调"})
    assert relayed.status_code == 200 and relayed.json_body["relays"][0]["comment"] == "需区政府协调"
    answered = api.post(f"/api/v1/opinions/{ref}/answer", {"date": "2022-03-10", "reply": "已联系供电公司修复"})
    assert answered.json_body["status"] == "answered"
    closed = api.post(f"/api/v1/opinions/{ref}/close", {"date": "2022-03-12"})
    assert closed.json_body["status"] == "closed"
    view = api.get(f"/api/v1/opinions/{ref}").json_body
    assert (view["status"], view["reply"], view["closed_on"]) == ("closed", "已联系供电公司修复", "2022-03-12")


def test_steps_out_of_order_are_409_and_store_nothing(api, runtime, world):
    # R-OPN-2
    ref = submit(api, world).json_body["ref"]
    before = stored(runtime)
    for path, body in (("answer", {"reply": "x", "date": "2022-03-02"}), ("close", {"date": "2022-03-02"}),
                       ("relay", {"comment": "x", "date": "2022-03-02"}), ("escalate", {"date": "2022-03-02"})):
        response = api.post(f"/api/v1/opinions/{ref}/{path}", body)
        assert response.status_code == 409, (path, response.json_body)
        assert response.json_body["error"]["rule"] == "R-OPN-2"
    assert stored(runtime) == before


def test_unknown_reference_is_404(api, world):
    # R-OPN-4
    assert api.get("/api/v1/opinions/NOSUCHREF234").status_code == 404
    assert api.post("/api/v1/opinions/NOSUCHREF234/acknowledge", {}).status_code == 404


def test_escalation_creates_a_linked_recommendation_the_resident_can_follow(api, world):
    # R-OPN-2, R-OPN-4: escalated -> linked recommendation and its progress, no login
    ref = submit(api, world, contact_phone=PHONE, contact_name=NAME).json_body["ref"]
    api.post(f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-02"})
    escalated = api.post(f"/api/v1/opinions/{ref}/escalate", {"date": "2022-03-03", "title": "增设路灯",
                                                                "category": "utilities"})
    assert escalated.status_code == 201, escalated.json_body
    rec = escalated.json_body["recommendation"]
    assert (rec["source"], rec["opinions"], rec["group"], rec["category"]) == ("opinion", [ref], world["group"], "utilities")
    rec_id = rec["id"]
    api.post(f"/api/v1/recommendations/{rec_id}/forward", {"letter_no": f"函-{ref}", "date": "2022-03-05"})
    api.post(f"/api/v1/recommendations/{rec_id}/accept", {"date": "2022-03-08"})
    api.post(f"/api/v1/recommendations/{rec_id}/progress", {"date": "2022-03-20", "percent": 40, "text": "已采购灯具"})
    view = api.get(f"/api/v1/opinions/{ref}")
    assert view.status_code == 200
    body = view.json_body
    assert body["status"] == "escalated"
    assert body["recommendation"]["id"] == rec_id
    assert (body["recommendation"]["status"], body["recommendation"]["percent"]) == ("accepted", 40)
    assert body["recommendation"]["progress"][-1]["text"] == "已采购灯具"
    # Never the resident's data, and not the text unless they chose public.
    text = json.dumps(body, ensure_ascii=False)
    assert PHONE not in text and NAME not in text and "138****5678" not in text
    assert body["text"] is None
    api.post(f"/api/v1/opinions/{ref}/close", {"date": "2022-03-21"})
    assert api.get(f"/api/v1/opinions/{ref}").json_body["status"] == "closed"


def test_public_flag_decides_whether_the_text_is_shown(api, world):
    # R-OPN-4
    private = submit(api, world, public=False).json_body["ref"]
    public = submit(api, world, public=True).json_body["ref"]
    assert api.get(f"/api/v1/opinions/{private}").json_body["text"] is None
    assert api.get(f"/api/v1/opinions/{public}").json_body["text"] == "街角路灯不亮"


def test_acknowledging_group_must_serve_the_district(api, world, contracts, unique):
    # R-OPN-2: acknowledged by the district's group
    contracts.district(f"other-{unique}", world["government"])
    contracts.group(f"g-other-{unique}", f"other-{unique}")
    ref = submit(api, world).json_body["ref"]
    response = api.post(f"/api/v1/opinions/{ref}/acknowledge", {"group": f"g-other-{unique}", "date": "2022-03-02"})
    assert response.status_code == 422
    assert (response.json_body["error"]["field"], response.json_body["error"]["rule"]) == ("group", "R-OPN-2")


def test_lists_filter_by_status_district_dates_relay_and_overdue(api, world):
    # R-OPN-2 service levels; API.md "Lists"
    late = submit(api, world, date="2022-01-10").json_body["ref"]  # not acknowledged in 5 days
    done = submit(api, world, date="2022-02-01").json_body["ref"]
    api.post(f"/api/v1/opinions/{done}/acknowledge", {"date": "2022-02-02"})
    api.post(f"/api/v1/opinions/{done}/relay", {"date": "2022-02-03", "comment": "请政府关注"})
    api.post(f"/api/v1/opinions/{done}/answer", {"date": "2022-02-05", "reply": "已处理"})
    api.settle()
    base = f"/api/v1/opinions?district={world['district']}"
    assert [i["ref"] for i in api.get(base).json_body["items"]] == [done, late]  # newest first
    assert [i["ref"] for i in api.get(base + "&overdue=true").json_body["items"]] == [late]
    assert [i["ref"] for i in api.get(base + "&status=answered").json_body["items"]] == [done]
    assert [i["ref"] for i in api.get(base + "&relayed=true").json_body["items"]] == [done]
    assert [i["ref"] for i in api.get(base + "&from=2022-01-01&to=2022-01-31").json_body["items"]] == [late]
    assert [i["ref"] for i in api.get(f"/api/v1/opinions?group={world['group']}&status=answered").json_body["items"]] == [done]
    assert api.get(base + "&overdue=maybe").status_code == 400
    assert api.get(base + "&colour=red").status_code == 400


def test_lists_page_with_a_cursor(api, world):
    # API.md "Lists": limit, cursor -> next_cursor
    refs = [submit(api, world, date=f"2022-03-0{d}").json_body["ref"] for d in range(1, 6)]
    api.settle()
    seen, cursor = [], None
    while True:
        url = f"/api/v1/opinions?district={world['district']}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url).json_body
        assert len(page["items"]) <= 2
        seen += [i["ref"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(refs))
    assert api.get("/api/v1/opinions?cursor=garbage").status_code == 400
    assert api.get("/api/v1/opinions?limit=0").status_code == 400


def test_personal_data_never_enters_any_event(api, runtime, world):
    # R-OPN-3, R-SEC-4: events carry the masked phone and an opaque key only
    ref = submit(api, world, contact_phone=PHONE, contact_name=NAME, app_user_id="app-user-778899").json_body["ref"]
    api.post(f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-02"})
    api.post(f"/api/v1/opinions/{ref}/answer", {"date": "2022-03-03", "reply": "已处理"})
    envelopes = runtime.app("feedback").envelopes(0, 1000)
    assert envelopes
    dumped = json.dumps(envelopes, ensure_ascii=False)
    for secret in (PHONE, NAME, "app-user-778899"):
        assert secret not in dumped
    received = next(e for e in envelopes if e["type"].endswith(".OpinionSubmitted.v1"))
    assert received["data"]["contact_phone_masked"] == "138****5678"
    assert received["data"]["person_key"].startswith("pk_")
    # ... and none in the feedback read models either, outside the vault.
    api.settle()
    db = runtime.db("feedback")
    for table in ("fb_opinions", "fb_outbox", "fb_notify_opinions"):
        assert PHONE not in json.dumps(db.query(f"SELECT * FROM {table}"), ensure_ascii=False)


def test_erasure_removes_personal_data_and_keeps_the_opinion(api, runtime, world):
    # R-OPN-3, R-SEC-4
    ref = submit(api, world, contact_phone=PHONE, contact_name=NAME).json_body["ref"]
    db = runtime.db("feedback")
    assert db.query("SELECT phone FROM fb_personal_data WHERE phone = %s", (PHONE,))
    response = api.delete(f"/api/v1/opinions/{ref}/personal-data")
    assert response.status_code == 204
    assert not db.query("SELECT phone FROM fb_personal_data WHERE phone = %s", (PHONE,))
    view = api.get(f"/api/v1/opinions/{ref}")
    assert view.status_code == 200 and view.json_body["status"] == "received"
    erased = [e for e in runtime.app("feedback").envelopes(0, 1000) if e["type"].endswith("PersonalDataErased.v1")]
    assert len(erased) == 1 and erased[0]["data"]["ref"] == ref
    # Asking again changes nothing and is still a success.
    before = stored(runtime)
    assert api.delete(f"/api/v1/opinions/{ref}/personal-data").status_code == 204
    assert stored(runtime) == before
    assert api.delete("/api/v1/opinions/NOSUCHREF234/personal-data").status_code == 404


def test_service_levels_come_from_the_environment(tmp_path, unique):
    # R-OPN-2: 5 and 30 days are settings (pure application test on in-memory events)
    app = FeedbackApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    settings = Settings.from_env({"RPS_OPINION_ACKNOWLEDGE_DAYS": "2", "RPS_OPINION_ANSWER_DAYS": "10"})
    db = SQLiteDatabase(tmp_path / "feedback.sqlite")
    create_tables(db, ())
    runtime = type("R", (), {"projections": {"feedback": [cls(db) for cls in PROJECTIONS]}})()
    for projection in runtime.projections["feedback"]:
        projection.create_tables()
    contracts = Contracts(runtime)
    contracts.government("gov")
    contracts.district("d1", "gov")
    app.wire(db, settings.of("feedback"))
    opinion = app.submit_opinion(district="d1", category="other", text="x", date=dt.date(2022, 3, 1))
    assert (opinion.acknowledge_due_date, opinion.due_date) == ("2022-03-03", "2022-03-11")
    assert opinion.group is None  # no group serves d1 yet
    db.close()


def test_business_date_defaults_to_today(api, world, frozen_clock):
    # API.md "Business dates": today in Asia/Shanghai (the clock frozen on 2026-06-15, issue 15)
    body = submit(api, world, date=None).json_body
    assert body["date"] == "2026-06-15" == frozen_clock.isoformat()


def test_a_governments_list_holds_only_the_relayed_opinions_of_its_districts(api, world):
    # R-OPN-2 (amended): the government sees the relayed opinions of its districts; the bureau sees all, marked
    plain = submit(api, world, date="2022-02-01").json_body["ref"]
    relayed = submit(api, world, date="2022-02-02").json_body["ref"]
    api.post(f"/api/v1/opinions/{relayed}/acknowledge", {"date": "2022-02-03"})
    api.post(f"/api/v1/opinions/{relayed}/relay", {"date": "2022-02-04", "comment": "请区政府协调"})
    api.settle()
    gov = api.as_role("government", "gov-1", government=world["government"])
    seen = gov.get("/api/v1/opinions")
    assert seen.status_code == 200, seen.json_body
    assert [(i["ref"], i["relayed"]) for i in seen.json_body["items"]] == [(relayed, True)]
    assert [i["ref"] for i in gov.get(f"/api/v1/opinions?district={world['district']}").json_body["items"]] == [relayed]
    asked = gov.get("/api/v1/opinions?relayed=false")
    assert asked.status_code == 403 and asked.json_body["error"]["field"] == "relayed"
    assert [i["ref"] for i in gov.get("/api/v1/opinions?relayed=1").json_body["items"]] == [relayed]
    everything = api.get(f"/api/v1/opinions?district={world['district']}").json_body["items"]
    assert [(i["ref"], i["relayed"]) for i in everything] == [(relayed, True), (plain, False)]


def test_the_bureaus_triage_list_holds_the_opinions_still_without_a_district(api, world):
    # R-OPN-1 (amended): an opinion with only an address waits, district NULL, in the bureau's triage
    # list (GET /opinions?triage=true) until the bureau assigns its district; then it leaves the list.
    placed = submit(api, world, date="2022-03-01").json_body["ref"]
    waiting = submit(api, world, district=None, address="柳园路 1 号", date="2022-03-02")
    assert waiting.status_code == 201, waiting.json_body
    ref = waiting.json_body["ref"]
    api.settle()
    triage = api.get("/api/v1/opinions?triage=true")
    assert triage.status_code == 200, triage.json_body
    assert [(i["ref"], i["district"], i["group"]) for i in triage.json_body["items"]] == [(ref, None, None)]
    assert placed not in [i["ref"] for i in triage.json_body["items"]]
    assert ref not in [i["ref"] for i in api.get("/api/v1/opinions?triage=false").json_body["items"]]
    assert api.get("/api/v1/opinions?triage=maybe").status_code == 400
    # the list is the bureau's: other staff never see an opinion without a district
    planner = api.as_role("planner", "planner-1", group=world["group"], district=world["district"])
    sub = api.as_role("subdistrict", "sub-1", district=world["district"], government=world["government"])
    gov = api.as_role("government", "gov-1", government=world["government"])
    for other in (planner, sub, gov):
        refused = other.get("/api/v1/opinions?triage=true")
        assert refused.status_code == 403 and refused.json_body["error"]["field"] == "triage"
        assert ref not in [i["ref"] for i in other.get("/api/v1/opinions").json_body["items"]]
    assigned = api.post(f"/api/v1/opinions/{ref}/district", {"district": world["district"]})
    assert assigned.status_code == 200, assigned.json_body
    api.settle()
    assert api.get("/api/v1/opinions?triage=true").json_body["items"] == []
    assert [i["ref"] for i in api.get(f"/api/v1/opinions?district={world['district']}").json_body["items"]] == [
        ref, placed]
