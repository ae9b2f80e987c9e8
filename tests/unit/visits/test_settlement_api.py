"""Fee settlement over HTTP (R-FEE-1, R-VIS-7), with the worked examples end to end."""

from __future__ import annotations

import datetime as dt

import pytest

UTC = dt.timezone.utc
FIGURES = ("duty_months", "months_with_visit", "days", "required_days", "day_shortfall", "visit_shortfall",
           "fee_fen", "deduction_fen", "payable_fen")


def error(response):
    return response.json_body["error"]


def figures(settlement):
    return tuple(settlement[k] for k in FIGURES)


def log_example_1(api, s):
    ids = [api.post("/api/v1/visits", s.visit("2021-06-30", 1.5)).json_body["id"],
           api.post("/api/v1/visits", s.visit("2021-07-01", 1.0)).json_body["id"]]
    for month in ["2021-08", "2021-09", "2021-10", "2021-11", "2022-01", "2022-02", "2022-03", "2022-05"]:
        created = api.post("/api/v1/visits", s.visit(f"{month}-03", 2.5))
        assert created.status_code == 201, created.json_body
        ids.append(created.json_body["id"])
    return ids


def settle(api, group, year=2021):
    return api.post("/api/v1/settlements", {"group": group, "service_year": year})


def test_domain_example_1_end_to_end(api, runtime, setup):
    # DOMAIN.md §3 example 1 — R-VIS-2, R-VIS-5, R-FEE-1
    log_example_1(api, setup)
    response = settle(api, setup.group)
    assert response.status_code == 201, response.json_body
    s = response.json_body
    assert figures(s) == (12, 10, 22.0, 30.0, "4/15", "1/6", 6_000_000, 1_600_000, 4_400_000)
    assert s["shortfall"] == "4/15" and s["deduction_rule"] == "max" and s["number"] == 1
    assert (s["first_date"], s["last_date"]) == ("2021-06-01", "2022-05-31")
    assert "2021-12" not in s["months_with_visit_list"] and "2022-04" not in s["months_with_visit_list"]
    assert len(s["inputs"]["visits"]) == 10 and s["inputs"]["days_by_month"]["2021-07"] == 1.0
    envelope = runtime.app("visits").envelopes(after=0, limit=100)[-1]
    assert envelope["type"] == "cn.liaocheng.rps.visits.FeeSettled.v1"
    data = envelope["data"]
    assert (data["group"], data["service_year"], data["supersedes"]) == (setup.group, 2021, None)
    assert tuple(data[k] for k in FIGURES) == figures(s)
    assert api.get(f"/api/v1/settlements/{setup.group}/2021").json_body["payable_fen"] == 4_400_000


@pytest.mark.parametrize("rule", ["max", "sum"])
def test_domain_example_2_end_to_end(api, feed, unique, rule):
    # DOMAIN.md §3 example 2 — assigned from 2021-09-18; R-VIS-2, R-FEE-1 with both rules
    s = feed.setup(unique, from_date="2021-09-18", deduction_rule=rule)
    for month in ["2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-04", "2022-05"]:
        assert api.post("/api/v1/visits", s.visit(f"{month}-10", 3.0)).status_code == 201
    assert api.post("/api/v1/visits", s.visit("2021-09-20", 1.0)).status_code == 201
    result = settle(api, s.group).json_body
    assert figures(result) == (8, 7, 22.0, 20.0, "0", "1/8", 4_000_000, 500_000, 3_500_000)
    assert result["deduction_rule"] == rule
    calendar = api.get(f"/api/v1/duty-calendar/{s.group}/2021").json_body
    september = next(m for m in calendar["months"] if m["month"] == "2021-09")
    assert september == {"month": "2021-09", "days_in_month": 30, "covered_days": 13, "duty_month": False,
                         "days": 1.0, "has_visit": True}
    assert calendar["duty_month_list"][0] == "2021-10" and calendar["required_days"] == 20.0


def test_own_example_replacement_and_two_planners_end_to_end(api, feed, setup, unique):
    # Own example B — R-CON-4 (obligations per group), R-VIS-5 (two planners, one date: 1.0)
    p3 = feed.planner(f"p3-{unique}")
    feed.replace(setup.group, setup.tier1, p3, "2022-01-10")
    assert api.post("/api/v1/visits", setup.visit("2021-06-08", 1, planners=[setup.tier1])).status_code == 201
    assert api.post("/api/v1/visits", setup.visit("2021-06-08", 1, planners=[setup.local])).status_code == 201
    for m in range(7, 13):
        body = setup.visit(f"2021-{m:02d}-08", 2.5, planners=[setup.tier1, setup.local])
        assert api.post("/api/v1/visits", body).status_code == 201
    for m in range(1, 6):
        assert api.post("/api/v1/visits", setup.visit(f"2022-{m:02d}-12", 2.5, planners=[p3])).status_code == 201
    june = api.get(f"/api/v1/compliance/{setup.group}/2021-06").json_body
    assert (june["visits"], june["days_in_month"]) == (2, 1.0)
    result = settle(api, setup.group).json_body
    assert figures(result) == (12, 12, 28.5, 30.0, "1/20", "0", 6_000_000, 300_000, 5_700_000)


def test_own_example_month_end_visit_and_voided_visit_end_to_end(api, feed, unique):
    # Own example C — from 2021-11-16 (a duty month); 2.5 days from 11-30 serves November and December;
    # the January visit is voided. 7 duty months, 14.5 days, 6 months visited → 600,000 deducted.
    s = feed.setup(unique, from_date="2021-11-16")
    api.post("/api/v1/visits", s.visit("2021-11-30", 2.5))
    january = api.post("/api/v1/visits", s.visit("2022-01-20", 3.0)).json_body["id"]
    for m in (2, 3, 4, 5):
        api.post("/api/v1/visits", s.visit(f"2022-{m:02d}-14", 3.0))
    assert api.post(f"/api/v1/visits/{january}/void", {"reason": "重复登记"}).status_code == 200
    nov = api.get(f"/api/v1/compliance/{s.group}/2021-11").json_body
    dec = api.get(f"/api/v1/compliance/{s.group}/2021-12").json_body
    assert (nov["duty_month"], nov["days_in_month"], nov["has_visit"]) == (True, 1.0, True)
    assert (dec["duty_month"], dec["visits"], dec["days_in_month"], dec["has_visit"]) == (True, 0, 1.5, True)
    result = settle(api, s.group).json_body
    assert figures(result) == (7, 6, 14.5, 17.5, "6/35", "1/7", 3_500_000, 600_000, 2_900_000)


def test_own_example_calendar_year_basis_end_to_end(api, feed, unique):
    # Own example A — R-VIS-4 calendar years as a contract setting; contract from 2021-06-01
    s = feed.setup(unique, service_year_basis="calendar")
    for m in range(6, 12):
        api.post("/api/v1/visits", s.visit(f"2021-{m:02d}-05", 2.0))
    result = settle(api, s.group).json_body
    # R-VIS-2 amended: the year's dates are those of the months it holds, within the contract.
    assert (result["first_date"], result["last_date"]) == ("2021-06-01", "2021-12-31")
    assert figures(result) == (7, 6, 12.0, 17.5, "11/35", "1/7", 3_500_000, 1_100_000, 2_400_000)


def test_no_visits_deducts_everything_and_a_complete_year_nothing(api, feed, unique):
    # R-FEE-1
    idle, busy = feed.setup(unique), feed.setup(f"b{unique}")
    months = [f"2021-{m:02d}" for m in range(6, 13)] + [f"2022-{m:02d}" for m in range(1, 6)]
    for month in months:
        api.post("/api/v1/visits", busy.visit(f"{month}-15", 2.5))
    assert figures(settle(api, idle.group).json_body) == (12, 0, 0.0, 30.0, "1", "1", 6_000_000, 6_000_000, 0)
    assert figures(settle(api, busy.group).json_body) == (12, 12, 30.0, 30.0, "0", "0", 6_000_000, 0, 6_000_000)


def test_a_year_that_has_not_ended_is_409_and_stores_nothing(api, setup, set_now, stored):
    # R-FEE-1: allowed once the service year has ended (Asia/Shanghai)
    api.post("/api/v1/visits", setup.visit("2021-06-03", 1))
    set_now(dt.datetime(2022, 5, 31, 15, 59, tzinfo=UTC))  # 23:59 on 05-31 in Shanghai
    before = stored()
    response = settle(api, setup.group)
    assert response.status_code == 409 and error(response)["field"] == "service_year"
    assert stored() == before
    set_now(dt.datetime(2022, 5, 31, 16, 0, tzinfo=UTC))  # 00:00 on 06-01 in Shanghai
    assert settle(api, setup.group).status_code == 201


@pytest.mark.parametrize(
    "body, status, field, rule",
    [
        ({"group": "g-nobody", "service_year": 2021}, 422, "group", "R-VIS-1"),
        ({"service_year": 2020}, 422, "service_year", "R-VIS-4"),  # before the contract
        ({"service_year": 2024}, 422, "service_year", "R-VIS-4"),  # after its 3-year term
        ({"service_year": "2021"}, 400, "service_year", None),
        ({"service_year": 2021, "rule": "sum"}, 400, "rule", None),
    ],
)
def test_bad_settlements_are_refused_and_store_nothing(api, setup, stored, body, status, field, rule):
    # R-FEE-1, R-VIS-4, R-SEC-3
    before = stored()
    response = api.post("/api/v1/settlements", {"group": setup.group, **body})
    assert response.status_code == status, response.json_body
    assert error(response)["field"] == field and error(response).get("rule") == rule
    assert stored() == before
    assert api.get(f"/api/v1/settlements/{setup.group}/2021").status_code == 404


def test_settling_again_with_unchanged_inputs_returns_the_existing_settlement(api, setup, stored):
    # R-FEE-1
    ids = log_example_1(api, setup)
    first = settle(api, setup.group)
    before = stored()
    again = settle(api, setup.group)
    assert again.status_code == 200 and again.json_body["id"] == first.json_body["id"]
    # A confirmation changes no input unless the contract counts confirmed visits only.
    assert api.post(f"/api/v1/visits/{ids[0]}/confirmation", {"confirmed": True}).status_code == 200
    assert settle(api, setup.group).json_body["id"] == first.json_body["id"]
    assert stored() == before + 1


def test_after_settlement_only_the_bureau_corrects_and_that_calls_for_a_new_settlement(
    api, runtime, setup, act_as, stored
):
    # R-VIS-7, R-FEE-1: a correction after settlement by a planner is refused; by the bureau it leads
    # to a new settlement that supersedes the old one, and both are kept.
    ids = log_example_1(api, setup)
    first = settle(api, setup.group).json_body
    act_as("planner", "p-someone")
    before = stored()
    for path, body in (
        (f"/api/v1/visits/{ids[2]}/corrections", {"days": 5, "reason": "补记"}),
        (f"/api/v1/visits/{ids[2]}/void", {"reason": "作废"}),
        ("/api/v1/visits", setup.visit("2021-12-20", 2)),  # a new visit in the settled year
    ):
        response = api.post(path, body)
        assert response.status_code == 403, response.json_body
        assert error(response)["rule"] == "R-VIS-7"
    # A visit of the next, unsettled, service year is the planner's to log.
    assert api.post("/api/v1/visits", setup.visit("2022-06-02", 1)).status_code == 201
    assert stored() == before + 1

    act_as("bureau", "bureau-clerk")
    corrected = api.post(f"/api/v1/visits/{ids[2]}/corrections", {"days": 5, "reason": "核实后补记"})
    assert corrected.status_code == 200, corrected.json_body
    view = api.get(f"/api/v1/settlements/{setup.group}/2021").json_body
    assert view["id"] == first["id"] and view["changed_since_settlement"] is True

    second = settle(api, setup.group)
    assert second.status_code == 201
    s = second.json_body
    # 22 + 2.5 = 24.5 days: day shortfall 1 − 24.5/30 = 11/60 > 1/6 → 1,100,000.
    assert figures(s) == (12, 10, 24.5, 30.0, "11/60", "1/6", 6_000_000, 1_100_000, 4_900_000)
    assert s["number"] == 2 and s["supersedes"] == first["id"]
    types = [e["type"].split(".")[-2] for e in runtime.app("visits").envelopes(after=0, limit=100)[-2:]]
    assert types == ["FeeSettled", "FeeSettlementSuperseded"]

    view = api.get(f"/api/v1/settlements/{setup.group}/2021").json_body
    assert view["id"] == s["id"] and view["changed_since_settlement"] is False
    assert [h["number"] for h in view["history"]] == [1, 2]
    assert view["history"][0]["superseded_by"] == s["id"] and view["history"][0]["payable_fen"] == 4_400_000
    assert settle(api, setup.group).json_body["id"] == s["id"]


def test_a_contract_may_count_confirmed_visits_only(api, feed, unique):
    # R-VIS-7: a contract setting; by default all count and the unconfirmed are listed
    s = feed.setup(unique, settle_confirmed_only=True)
    t = feed.setup(f"t{unique}")
    a = api.post("/api/v1/visits", s.visit("2021-06-03", 2)).json_body["id"]
    b = api.post("/api/v1/visits", s.visit("2021-07-03", 2)).json_body["id"]
    api.post(f"/api/v1/visits/{a}/confirmation", {"confirmed": True})
    only = settle(api, s.group).json_body
    assert (only["days"], only["months_with_visit"], only["settle_confirmed_only"]) == (2.0, 1, True)
    assert only["unconfirmed_visits"] == [b]
    api.post(f"/api/v1/visits/{b}/confirmation", {"confirmed": True})
    recount = settle(api, s.group).json_body
    assert (recount["number"], recount["days"], recount["months_with_visit"]) == (2, 4.0, 2)

    c = api.post("/api/v1/visits", t.visit("2021-06-03", 2)).json_body["id"]
    every = settle(api, t.group).json_body
    assert (every["days"], every["unconfirmed_visits"], every["settle_confirmed_only"]) == (2.0, [c], False)


def test_compliance_of_a_month_reports_r_rpt_1_figures(api, setup, set_now):
    # R-RPT-1 fields, R-VIS-2..4; the month in progress has warnings, not findings
    api.post("/api/v1/visits", setup.visit("2021-06-03", 2, leader_met=True))
    api.post("/api/v1/visits", setup.visit("2021-07-30", 3))
    july = api.get(f"/api/v1/compliance/{setup.group}/2021-07").json_body
    assert {k: july[k] for k in ("group", "district", "month", "service_year", "duty_month", "visits",
                                 "days_in_month", "days_in_service_year", "required_days_to_date",
                                 "has_visit", "leader_met")} == {
        "group": setup.group, "district": setup.district, "month": "2021-07", "service_year": 2021,
        "duty_month": True, "visits": 1, "days_in_month": 2.0, "days_in_service_year": 4.0,
        "required_days_to_date": 5.0, "has_visit": True, "leader_met": False,
    }
    assert [f["rule"] for f in july["findings"]] == ["R-VIS-3", "R-VIS-4"]
    august = api.get(f"/api/v1/compliance/{setup.group}/2021-08").json_body
    assert (august["visits"], august["days_in_month"], august["has_visit"]) == (0, 1.0, True)
    set_now(dt.datetime(2021, 9, 10, 12, 0, tzinfo=UTC))
    september = api.get(f"/api/v1/compliance/{setup.group}/2021-09").json_body
    assert september["findings"] == [] and [w["rule"] for w in september["warnings"]] == ["R-VIS-2", "R-VIS-3", "R-VIS-4"]


@pytest.mark.parametrize("path, status", [
    ("/api/v1/compliance/{group}/2021-13", 400),
    ("/api/v1/compliance/g-nobody/2021-07", 404),
    ("/api/v1/compliance/{group}/2020-07", 404),  # issue 14: the group was not on duty then (before its contract)
    ("/api/v1/duty-calendar/g-nobody/2021", 404),
    ("/api/v1/settlements/g-nobody/2021", 404),
])
def test_bad_reads(api, setup, path, status):
    assert api.get(path.format(group=setup.group)).status_code == status
