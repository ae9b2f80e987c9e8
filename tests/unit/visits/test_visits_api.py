"""Logging, correcting, voiding and confirming visits over HTTP (R-VIS-1, R-VIS-6, R-VIS-7)."""

from __future__ import annotations

import datetime as dt

import pytest

UTC = dt.timezone.utc


def error(response):
    return response.json_body["error"]


def test_a_visit_is_logged_with_every_field_and_the_groups_district(api, setup):
    # R-VIS-1
    body = setup.visit(
        "2021-06-03", 1.5, planners=[setup.tier1, setup.local],
        activities=["survey", "opinion_collection", "community_building"], places=["古楼东街", "社区服务中心"],
        leader_met=True, leader_name="张书记", notes="调研历史街区", point={"lat": 36.45, "lon": 115.98},
        attachments=["att-1", "att-2"],
    )
    created = api.post("/api/v1/visits", body)
    assert created.status_code == 201, created.json_body
    visit = created.json_body
    assert created.headers["Location"] == f"/api/v1/visits/{visit['id']}"
    for name, value in body.items():
        assert visit[name] == value
    assert visit["district"] == setup.district
    assert visit["last_date"] == "2021-06-04"
    assert visit["status"] == "unconfirmed" and visit["voided"] is False
    fetched = api.get(f"/api/v1/visits/{visit['id']}").json_body
    assert {k: v for k, v in fetched.items() if k != "history"} == visit


def test_the_visit_logged_event_carries_the_catalogue_fields(api, runtime, setup):
    # R-VIS-1, R-VIS-7: VisitLogged keeps its fields and adds `late`
    api.post("/api/v1/visits", setup.visit("2021-06-03", 1, leader_met=True, leader_name="张书记"))
    envelope = runtime.app("visits").envelopes(after=0, limit=10)[-1]
    assert envelope["type"] == "cn.liaocheng.rps.visits.VisitLogged.v1"
    assert set(envelope["data"]) == {
        "group", "district", "date", "days", "planners", "activities", "places", "leader_met", "leader_name",
        "notes", "point", "attachments", "logged_on", "late",
    }
    assert envelope["data"]["district"] == setup.district


# -- refusals: each names field and rule, and stores nothing ------------------------------------


@pytest.mark.parametrize(
    "change, status, field, rule",
    [
        ({"days": 0}, 422, "days", "R-VIS-1"),
        ({"days": 0.3}, 422, "days", "R-VIS-1"),
        ({"days": 6}, 422, "days", "R-VIS-1"),
        ({"days": 5.5}, 422, "days", "R-VIS-1"),
        ({"days": "two"}, 400, "days", None),
        ({"date": "2022-02-30"}, 400, "date", None),
        ({"activities": ["dancing"]}, 400, "activities.0", None),
        ({"colour": "red"}, 400, "colour", None),
        ({"planners": []}, 422, "planners", "R-VIS-1"),
        ({"group": "g-nobody"}, 422, "group", "R-VIS-1"),
        ({"planners": ["p-stranger"]}, 422, "planners", "R-VIS-6"),
        ({"district": "elsewhere"}, 422, "district", "R-VIS-6"),
        ({"date": "2021-05-31"}, 422, "date", "R-VIS-6"),  # before the assignment and the contract
    ],
)
def test_bad_visits_are_refused_naming_field_and_rule_and_store_nothing(api, setup, stored, change, status, field, rule):
    # R-VIS-1, R-VIS-6, R-SEC-3
    before = stored()
    response = api.post("/api/v1/visits", {**setup.visit("2021-06-10", 1), **change})
    assert response.status_code == status, response.json_body
    assert error(response)["field"] == field
    assert error(response).get("rule") == rule
    assert error(response)["message"].startswith(field.split(".")[0])
    assert stored() == before


def test_a_planner_of_another_group_and_another_groups_district_are_refused(api, feed, setup, stored, unique):
    # R-VIS-6: a planner from another group; a visit of another group's district by a planner of this group
    other = feed.setup(f"o{unique}")
    before = stored()
    response = api.post("/api/v1/visits", setup.visit("2021-06-10", 1, planners=[other.tier1]))
    assert response.status_code == 422 and error(response)["rule"] == "R-VIS-6"
    assert error(response)["field"] == "planners"
    response = api.post("/api/v1/visits", setup.visit("2021-06-10", 1, district=other.district))
    assert response.status_code == 422 and error(response)["rule"] == "R-VIS-6"
    assert error(response)["field"] == "district"
    response = api.post("/api/v1/visits", {**other.visit("2021-06-10", 1), "planners": [setup.tier1]})
    assert response.status_code == 422 and error(response)["field"] == "planners"
    assert stored() == before


def test_dates_outside_the_assignment_or_the_contract_are_refused(api, feed, setup, stored):
    # R-VIS-6: every served date within the group's assignment, within its contract
    feed.end_group(setup.group, "2022-03-10")
    before = stored()
    assert api.post("/api/v1/visits", setup.visit("2022-03-10", 1)).status_code == 201
    after_end = api.post("/api/v1/visits", setup.visit("2022-03-11", 1))
    assert after_end.status_code == 422 and error(after_end)["rule"] == "R-VIS-6"
    tail = api.post("/api/v1/visits", setup.visit("2022-03-09", 2.5))  # 03-09, 03-10, 03-11
    assert tail.status_code == 422 and error(tail)["field"] == "days" and error(tail)["rule"] == "R-VIS-6"
    assert stored() == before + 1


def test_an_ended_contract_refuses_later_dates(api, feed, unique, stored):
    # R-VIS-6: within the contract (ended early on 2022-01-31, the last day it covers)
    s = feed.setup(unique)
    feed.end_contract(s.contract, "2022-01-31")
    assert api.post("/api/v1/visits", s.visit("2022-01-31", 1)).status_code == 201
    before = stored()
    response = api.post("/api/v1/visits", s.visit("2022-02-01", 1))
    assert response.status_code == 422 and error(response)["rule"] == "R-VIS-6" and error(response)["field"] == "date"
    assert stored() == before


def test_future_dates_are_refused_in_shanghai_time(api, feed, set_now, stored, unique):
    # R-VIS-6: "today" is Asia/Shanghai's. At 00:30 local on 2022-04-01 (16:30 UTC on 03-31)
    # a visit dated 04-01 is accepted; one dated 04-02, or one from 04-01 running into 04-02, is not.
    s = feed.setup(unique)
    set_now(dt.datetime(2022, 3, 31, 16, 30, tzinfo=UTC))
    assert api.post("/api/v1/visits", s.visit("2022-04-01", 1)).status_code == 201
    before = stored()
    tomorrow = api.post("/api/v1/visits", s.visit("2022-04-02", 1))
    assert tomorrow.status_code == 422 and error(tomorrow)["field"] == "date" and error(tomorrow)["rule"] == "R-VIS-6"
    running_on = api.post("/api/v1/visits", s.visit("2022-04-01", 1.5))
    assert running_on.status_code == 422 and error(running_on)["field"] == "days"
    assert stored() == before


def test_the_date_defaults_to_today_in_shanghai(api, feed, set_now, unique):
    # R-VIS-1, API.md "Business dates"
    s = feed.setup(unique)
    set_now(dt.datetime(2022, 3, 31, 16, 30, tzinfo=UTC))
    body = s.visit("x", 1)
    del body["date"]
    created = api.post("/api/v1/visits", body)
    assert created.status_code == 201 and created.json_body["date"] == "2022-04-01"


def test_planners_present_must_be_members_on_that_date(api, feed, setup, stored, unique):
    # R-VIS-6, R-CON-4: p1 replaced by p3 on 2022-01-10 (p1's last day 01-09)
    newcomer = feed.planner(f"p3-{unique}")
    feed.replace(setup.group, setup.tier1, newcomer, "2022-01-10")
    assert api.post("/api/v1/visits", setup.visit("2022-01-09", 1)).status_code == 201
    assert api.post("/api/v1/visits", setup.visit("2022-01-10", 1, planners=[newcomer, setup.local])).status_code == 201
    before = stored()
    for body in (
        setup.visit("2022-01-10", 1),  # p1 has left
        setup.visit("2022-01-09", 1, planners=[newcomer]),  # p3 has not joined yet
        setup.visit("2022-01-09", 2, planners=[setup.tier1]),  # p1 not a member on the second day
    ):
        response = api.post("/api/v1/visits", body)
        assert response.status_code == 422 and error(response)["rule"] == "R-VIS-6", body
        assert error(response)["field"] == "planners"
    assert stored() == before


def test_late_logging_is_marked(api, feed, set_now, unique):
    # R-VIS-7: more than 7 days (a contract setting) after the visit's date
    s = feed.setup(unique)
    t = feed.setup(f"t{unique}", late_after_days=3)
    set_now(dt.datetime(2022, 3, 20, 10, 0, tzinfo=UTC))
    assert api.post("/api/v1/visits", s.visit("2022-03-13", 1)).json_body["late"] is False  # 7 days
    assert api.post("/api/v1/visits", s.visit("2022-03-12", 1)).json_body["late"] is True  # 8 days
    assert api.post("/api/v1/visits", t.visit("2022-03-16", 1)).json_body["late"] is True  # 4 > 3
    listed = api.get(f"/api/v1/visits?group={s.group}&late=true").json_body["visits"]
    assert [v["date"] for v in listed] == ["2022-03-12"]


# -- corrections and voids -----------------------------------------------------------------------


def test_a_correction_is_a_new_event_that_keeps_who_and_why(api, runtime, setup, act_as):
    # R-VIS-6
    visit = api.post("/api/v1/visits", setup.visit("2021-11-03", 2.5, notes="原记录")).json_body
    act_as("planner", "planner-7")
    corrected = api.post(
        f"/api/v1/visits/{visit['id']}/corrections",
        {"date": "2021-12-03", "notes": None, "planners": [setup.tier1, setup.local], "reason": "日期填错"},
    )
    assert corrected.status_code == 200, corrected.json_body
    assert corrected.json_body["date"] == "2021-12-03" and corrected.json_body["notes"] is None
    assert corrected.json_body["revision"] == 1 and corrected.json_body["version"] == 2
    envelope = runtime.app("visits").envelopes(after=0, limit=10)[-1]
    assert envelope["type"].endswith(".VisitCorrected.v1") and envelope["subject"] == visit["id"]
    data = envelope["data"]
    assert data["changed"] == ["date", "planners", "notes"]
    assert data["previous"] == {"date": "2021-11-03", "planners": [setup.tier1], "notes": "原记录"}
    assert data["reason"] == "日期填错" and data["by"] == "planner-7" and data["by_role"] == "planner"
    assert data["date"] == "2021-12-03" and data["days"] == 2.5  # the whole visit as corrected
    assert envelope["actor"] == "planner-7"
    history = api.get(f"/api/v1/visits/{visit['id']}").json_body["history"]
    assert history[-1]["reason"] == "日期填错" and history[-1]["by"] == "planner-7"


def test_a_correction_that_moves_a_visit_to_another_month(api, setup):
    # R-VIS-2, R-VIS-6: November loses its visit, December gains it
    visit = api.post("/api/v1/visits", setup.visit("2021-11-03", 2.5)).json_body
    api.post(f"/api/v1/visits/{visit['id']}/corrections", {"date": "2021-12-03", "reason": "日期填错"})
    nov = api.get(f"/api/v1/compliance/{setup.group}/2021-11").json_body
    dec = api.get(f"/api/v1/compliance/{setup.group}/2021-12").json_body
    assert (nov["visits"], nov["has_visit"], nov["days_in_month"]) == (0, False, 0)
    assert (dec["visits"], dec["has_visit"], dec["days_in_month"]) == (1, True, 2.5)
    assert any(f["rule"] == "R-VIS-2" for f in nov["findings"])


@pytest.mark.parametrize(
    "change, status, field, rule",
    [
        ({"days": 0.3}, 422, "days", "R-VIS-1"),
        ({"date": "2021-05-20"}, 422, "date", "R-VIS-6"),
        ({"date": "2099-01-01"}, 422, "date", "R-VIS-6"),
        ({"planners": ["p-stranger"]}, 422, "planners", "R-VIS-6"),
        ({"date": None}, 400, "date", None),
        ({"group": "g-other"}, 400, "group", None),
        ({"notes": "同样的"}, 422, "body", "R-VIS-6"),  # nothing changes
        ({}, 422, "body", "R-VIS-6"),
    ],
)
def test_bad_corrections_are_refused_and_store_nothing(api, setup, stored, change, status, field, rule):
    # R-VIS-6
    visit = api.post("/api/v1/visits", setup.visit("2021-11-03", 1, notes="同样的")).json_body
    before = stored()
    response = api.post(f"/api/v1/visits/{visit['id']}/corrections", {**change, "reason": "更正"})
    assert response.status_code == status, response.json_body
    assert error(response)["field"] == field and error(response).get("rule") == rule
    assert stored() == before


def test_a_correction_needs_a_reason(api, setup, stored):
    # R-VIS-6: the correction keeps why
    visit = api.post("/api/v1/visits", setup.visit("2021-11-03", 1)).json_body
    before = stored()
    response = api.post(f"/api/v1/visits/{visit['id']}/corrections", {"days": 2})
    assert response.status_code == 400 and error(response)["field"] == "reason"
    assert stored() == before


def test_a_voided_visit_counts_nothing_and_stays_in_the_history(api, setup, stored):
    # R-VIS-5, R-VIS-6
    visit = api.post("/api/v1/visits", setup.visit("2021-11-03", 2)).json_body
    voided = api.post(f"/api/v1/visits/{visit['id']}/void", {"reason": "重复登记"})
    assert voided.status_code == 200 and voided.json_body["status"] == "voided"
    assert voided.json_body["void_reason"] == "重复登记" and voided.json_body["date"] == "2021-11-03"
    month = api.get(f"/api/v1/compliance/{setup.group}/2021-11").json_body
    assert (month["visits"], month["days_in_month"], month["has_visit"], month["voided_visits"]) == (0, 0, False, 1)
    before = stored()
    again = api.post(f"/api/v1/visits/{visit['id']}/void", {"reason": "再次作废"})
    assert again.status_code == 409
    fix = api.post(f"/api/v1/visits/{visit['id']}/corrections", {"days": 1, "reason": "更正"})
    assert fix.status_code == 409
    confirm = api.post(f"/api/v1/visits/{visit['id']}/confirmation", {"confirmed": True})
    assert confirm.status_code == 409
    no_reason = api.post(f"/api/v1/visits/{visit['id']}/void", {})
    assert no_reason.status_code == 400 and error(no_reason)["field"] == "reason"
    assert stored() == before


def test_unknown_visits_are_404(api):
    assert api.get("/api/v1/visits/not-a-uuid").status_code == 404
    assert api.get("/api/v1/visits/7b0f6f0e-3f5e-4c53-9c1a-6a1d2f7b9e41").status_code == 404
    assert api.post("/api/v1/visits/7b0f6f0e-3f5e-4c53-9c1a-6a1d2f7b9e41/void", {"reason": "x"}).status_code == 404


# -- confirmation by the sub-district --------------------------------------------------------


def test_the_sub_district_confirms_or_disputes(api, runtime, setup, act_as, stored):
    # R-VIS-7
    a = api.post("/api/v1/visits", setup.visit("2021-11-03", 1, leader_met=True)).json_body
    b = api.post("/api/v1/visits", setup.visit("2021-11-10", 1, leader_met=True)).json_body
    act_as("subdistrict", "gulou-office")
    ok = api.post(f"/api/v1/visits/{a['id']}/confirmation", {"confirmed": True, "leader_met_confirmed": True})
    assert ok.status_code == 200 and ok.json_body["status"] == "confirmed"
    assert ok.json_body["confirmed_by"] == "gulou-office"
    data = runtime.app("visits").envelopes(after=0, limit=10)[-1]["data"]
    assert data == {"leader_met_confirmed": True, "by": "gulou-office"}
    before = stored()
    no_reason = api.post(f"/api/v1/visits/{b['id']}/confirmation", {"confirmed": False})
    assert no_reason.status_code == 422 and error(no_reason)["rule"] == "R-VIS-7"
    assert error(no_reason)["field"] == "reason"
    assert api.post(f"/api/v1/visits/{a['id']}/confirmation", {"confirmed": True, "leader_met_confirmed": True}).status_code == 409
    assert stored() == before
    disputed = api.post(f"/api/v1/visits/{b['id']}/confirmation", {"confirmed": False, "reason": "当天无人到场"})
    assert disputed.status_code == 200 and disputed.json_body["status"] == "disputed"
    assert runtime.app("visits").envelopes(after=0, limit=10)[-1]["data"]["reason"] == "当天无人到场"
    month = api.get(f"/api/v1/compliance/{setup.group}/2021-11").json_body
    assert (month["unconfirmed_visits"], month["disputed_visits"]) == (0, 1)
    # A correction needs confirming again: what was confirmed is not what the record says now.
    act_as("planner", "planner-7")
    corrected = api.post(f"/api/v1/visits/{a['id']}/corrections", {"days": 1.5, "reason": "补记半天"}).json_body
    assert corrected["status"] == "unconfirmed"


def test_a_leader_meeting_the_sub_district_denies_does_not_count(api, setup):
    # R-VIS-3, R-VIS-7
    visit = api.post("/api/v1/visits", setup.visit("2021-11-03", 1, leader_met=True)).json_body
    assert api.get(f"/api/v1/compliance/{setup.group}/2021-11").json_body["leader_met"] is True
    api.post(f"/api/v1/visits/{visit['id']}/confirmation", {"confirmed": True, "leader_met_confirmed": False})
    month = api.get(f"/api/v1/compliance/{setup.group}/2021-11").json_body
    assert month["leader_met"] is False and any(f["rule"] == "R-VIS-3" for f in month["findings"])


# -- lists ----------------------------------------------------------------------------------


def test_visits_are_listed_with_filters_and_cursor_paging(api, feed, setup, unique):
    # API.md "Lists"
    other = feed.setup(f"o{unique}")
    dates = ["2021-06-03", "2021-06-20", "2021-07-01", "2021-07-15", "2021-08-02"]
    ids = [api.post("/api/v1/visits", setup.visit(d, 1)).json_body["id"] for d in dates]
    api.post("/api/v1/visits", other.visit("2021-06-05", 1))
    api.post(f"/api/v1/visits/{ids[1]}/void", {"reason": "重复"})
    api.post(f"/api/v1/visits/{ids[2]}/confirmation", {"confirmed": True})

    seen, cursor = [], None
    while True:
        page = api.get(f"/api/v1/visits?group={setup.group}&limit=2" + (f"&cursor={cursor}" if cursor else "")).json_body
        seen += [v["id"] for v in page["visits"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids

    def listed(query):
        return [v["date"] for v in api.get(f"/api/v1/visits?{query}").json_body["visits"]]

    assert listed(f"group={setup.group}&month=2021-07") == ["2021-07-01", "2021-07-15"]
    assert listed(f"group={setup.group}&from=2021-06-20&to=2021-07-01") == ["2021-06-20", "2021-07-01"]
    assert listed(f"district={other.district}") == ["2021-06-05"]
    assert listed(f"group={setup.group}&status=voided") == ["2021-06-20"]
    assert listed(f"group={setup.group}&status=confirmed") == ["2021-07-01"]
    assert listed(f"group={setup.group}&status=unconfirmed") == ["2021-06-03", "2021-07-15", "2021-08-02"]
    item = api.get(f"/api/v1/visits?group={setup.group}&month=2021-07&status=confirmed").json_body["visits"][0]
    single = api.get(f"/api/v1/visits/{ids[2]}").json_body
    assert item == {k: v for k, v in single.items() if k != "history"}


@pytest.mark.parametrize(
    "query, field",
    [("limit=0", "limit"), ("limit=x", "limit"), ("from=2021-13-01", "from"), ("status=lost", "status"),
     ("month=2021-7", "month"), ("cursor=%25%25", "cursor"), ("colour=red", "colour")],
)
def test_bad_list_queries_are_400_naming_the_parameter(api, query, field):
    response = api.get(f"/api/v1/visits?{query}")
    assert response.status_code == 400 and error(response)["field"] == field


def test_the_visit_ledger_rebuilds_from_the_event_history(api, runtime, setup):
    # R-RPT-5 spirit: read models are projections of the events
    ids = [api.post("/api/v1/visits", setup.visit(d, 1)).json_body["id"] for d in ("2021-06-03", "2021-07-03")]
    api.post(f"/api/v1/visits/{ids[0]}/corrections", {"days": 2, "reason": "补记"})
    api.settle()
    before = api.get(f"/api/v1/visits?group={setup.group}").json_body
    assert runtime.rebuild("visits.ledger") == {"visits.ledger": 3}
    assert api.get(f"/api/v1/visits?group={setup.group}").json_body == before


def test_the_bureau_enters_a_paper_record_with_the_day_it_was_reported(api, runtime, unique):
    # R-VIS-7: lateness counts from the day the visit was reported; only the bureau may say when that was
    from tests.unit.visits.feed import ContractsFeed

    group = ContractsFeed(runtime).setup(f"paper-{unique}")
    on_time = api.post("/api/v1/visits", group.visit("2022-03-03", 1, reported_on="2022-03-05"))
    assert on_time.status_code == 201, on_time.json_body
    assert (on_time.json_body["logged_on"], on_time.json_body["late"]) == ("2022-03-05", False)
    late = api.post("/api/v1/visits", group.visit("2022-03-04", 1, reported_on="2022-03-20"))
    assert late.json_body["late"] is True
    before = runtime.app("visits").last_position()
    planner = api.as_role("planner", group=group.group, district=group.district)
    refused = planner.post("/api/v1/visits", group.visit("2022-03-06", 1, reported_on="2022-03-07"))
    assert refused.status_code == 422, refused.json_body
    assert (refused.json_body["error"]["field"], refused.json_body["error"]["rule"]) == ("reported_on", "R-VIS-7")
    too_early = api.post("/api/v1/visits", group.visit("2022-03-06", 1, reported_on="2022-03-01"))
    assert too_early.status_code == 422 and too_early.json_body["error"]["field"] == "reported_on"
    assert runtime.app("visits").last_position() == before


def test_the_next_command_sees_a_change_the_contracts_service_made(api, feed, setup, stored, unique):
    # The group's assignment is kept between commands (ReadModels); contracts' events renew it at once.
    assert api.post("/api/v1/visits", setup.visit("2022-03-01", 1)).status_code == 201
    p3 = feed.planner(f"p3-{unique}")
    feed.replace(setup.group, setup.tier1, p3, "2022-03-10")
    before = stored()
    refused = api.post("/api/v1/visits", setup.visit("2022-03-11", 1))
    assert refused.status_code == 422 and refused.json_body["error"]["rule"] == "R-VIS-6"
    assert stored() == before
    assert api.post("/api/v1/visits", {**setup.visit("2022-03-11", 1), "planners": [p3]}).status_code == 201
    feed.end_group(setup.group, "2022-03-20")
    refused = api.post("/api/v1/visits", {**setup.visit("2022-03-21", 1), "planners": [p3]})
    assert refused.status_code == 422 and refused.json_body["error"]["field"] == "date"
