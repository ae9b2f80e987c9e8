"""Issue 14, Figures: months split between service years (R-VIS-2 amended), the
contract setting ``leader_meeting_counts_for_visit`` (R-VIS-3 amended) and the
settlement fingerprint (R-FEE-1), over HTTP."""

from __future__ import annotations

from typing import Any

from tests.unit.reporting.world import World

API = "/api/v1"


def row(report: dict[str, Any], group: str) -> dict[str, Any] | None:
    return next((r for r in report["groups"] if r["group"] == group), None)


def organisation(api, unique, start: str, **contract: Any) -> tuple[World, str]:
    w = World(api=api, unique=unique)
    gov = w.government("gov")
    district = w.district("d", gov)
    w.contract = w.code("c")
    w.post("/contracts", {"id": w.contract, "team": "责任规划师团队", "start_date": start, "term_years": 3,
                          "annual_fee_fen": 6_000_000, "deduction_rule": "max", **contract})
    group = w.group("g", district, from_date=start)
    api.settle()  # the visits service learns of the group from the contracts events
    return w, group


def test_domain_example_a_contract_from_2023_03_16(api, unique):
    # R-VIS-2 amended, DOMAIN.md's example: service year 2023 holds March 2023 (its first duty month,
    # 16 of 31 days) .. February 2024; March 2024 belongs wholly to service year 2024, visits on
    # 2024-03-01..15 included (R-VIS-5, R-RPT-1, R-RPT-2, R-RPT-3, R-FEE-1).
    w, g = organisation(api, unique, "2023-03-16")
    w.visit(g, "2023-03-20", 2.0, leader_met=True)
    w.visit(g, "2024-02-28", 3.0)  # 02-28, 02-29 (year 2023) and 03-01 (year 2024)
    w.visit(g, "2024-03-10", 1.0, leader_met=True)
    w.visit(g, "2024-03-15", 1.5)

    march = row(w.report("monthly", "2023-03"), g)
    assert march is not None, "the group is missing from the report of its first duty month"
    assert (march["service_year"], march["duty_month"], march["visits"], march["days_in_month"],
            march["has_visit"], march["required_days_to_date"]) == (2023, True, 1, 2.0, True, 2.5)
    q1 = row(w.report("quarterly", "2023-Q1"), g)
    assert q1 is not None and (q1["duty_months"], q1["months_with_visit"], q1["visits"]) == (1, 1, 1)
    compliance = api.get(f"{API}/compliance/{g}/2023-03")
    assert compliance.status_code == 200, compliance.json_body
    h1 = row(w.report("half-yearly", "2023-H1"), g)
    assert h1 is not None and (h1["duty_months"], h1["days_in_period"]) == (4, 2.0)

    later = row(w.report("monthly", "2024-03"), g)
    assert later is not None
    assert (later["service_year"], later["duty_month"], later["visits"], later["days_in_month"],
            later["days_in_service_year"], later["required_days_to_date"]) == (2024, True, 2, 3.5, 3.5, 2.5)
    february = row(w.report("monthly", "2024-02"), g)
    assert february is not None
    assert (february["service_year"], february["days_in_month"], february["days_in_service_year"],
            february["required_days_to_date"]) == (2023, 2.0, 4.0, 30.0)

    settled = w.post("/settlements", {"group": g, "service_year": 2023})
    assert (settled["first_date"], settled["last_date"]) == ("2023-03-16", "2024-02-29")
    assert (settled["duty_months"], settled["days"], settled["months_with_visit"]) == (12, 4.0, 2)
    calendar = w.ok(api.get(f"{API}/duty-calendar/{g}/2024"), 200)
    assert calendar["first_date"] == "2024-03-01" and calendar["duty_month_list"][0] == "2024-03"
    # The contract shows the same dates of each service year (R-VIS-2, R-VIS-4).
    shown = w.ok(api.get(f"{API}/contracts/{w.contract}"), 200)["service_years"]
    assert [(y["year"], y["start"], y["end"]) for y in shown] == [
        (2023, "2023-03-16", "2024-02-29"), (2024, "2024-03-01", "2025-02-28"), (2025, "2025-03-01", "2026-03-15")]


def test_a_contract_from_the_16th_of_a_30_day_month_pays_twelve_months_a_year(api, unique):
    # R-VIS-2 amended, R-FEE-1: no service year has more than 12 duty months, so the fee is never 13/12.
    w, g = organisation(api, unique, "2021-06-16")
    years = [w.post("/settlements", {"group": g, "service_year": y}) for y in (2021, 2022, 2023)]
    assert [(s["duty_months"], s["fee_fen"]) for s in years] == [(12, 6_000_000)] * 3
    assert years[0]["duty_month_list"][-1] == "2022-05" and years[2]["duty_month_list"][-1] == "2024-05"
    june = w.ok(api.get(f"{API}/compliance/{g}/2024-06"), 200)
    assert (june["service_year"], june["duty_month"]) == (2023, False)  # the contract's last month gives way


def test_leader_meeting_setting_decides_which_months_have_a_visit(api, unique):
    # R-VIS-3 amended (with R-VIS-7): under leader_meeting_counts_for_visit a duty month has a visit only
    # when a visit dated in it met the leader and the sub-district has not disputed that meeting —
    # for R-FEE-1's visit shortfall, the R-VIS-2 finding and every report's months with a visit.
    w, g = organisation(api, unique, "2021-06-01", leader_meeting_counts_for_visit=True)
    contract = w.ok(api.get(f"{API}/contracts/{w.contract}"), 200)
    assert contract["leader_meeting_counts_for_visit"] is True
    w.visit(g, "2021-06-10", 3.0, leader_met=True)  # counts
    w.visit(g, "2021-07-10", 3.0)  # served, no leader: no visit under the setting
    denied = w.visit(g, "2021-08-10", 3.0, leader_met=True)
    w.post(f"/visits/{denied}/confirmation", {"confirmed": True, "leader_met_confirmed": False})
    disputed = w.visit(g, "2021-09-10", 3.0, leader_met=True)
    w.dispute(disputed)
    for m in ("10", "11", "12"):
        w.visit(g, f"2021-{m}-10", 3.0, leader_met=True)
    for m in ("01", "02", "03", "04", "05"):
        w.visit(g, f"2022-{m}-10", 3.0, leader_met=True)

    july = row(w.report("monthly", "2021-07"), g)
    assert july is not None and july["has_visit"] is False and july["days_in_month"] == 3.0
    assert "R-VIS-2" in [f["rule"] for f in july["findings"]]
    september = w.ok(api.get(f"{API}/compliance/{g}/2021-09"), 200)
    assert september["has_visit"] is False
    q3 = row(w.report("quarterly", "2021-Q3"), g)
    assert q3 is not None and (q3["duty_months"], q3["months_with_visit"]) == (3, 0)
    settled = w.post("/settlements", {"group": g, "service_year": 2021})
    # 36 days (no day shortfall); 9 of 12 months with a visit: visit shortfall 1/4 → 1,500,000.
    assert (settled["months_with_visit"], settled["visit_shortfall"], settled["deduction_fen"]) == (9, "1/4", 1_500_000)
    annual = row(w.report("annual", "2021"), g)
    assert annual is not None and annual["months_with_visit"] == 9


def test_without_the_setting_any_served_date_is_a_visit(api, unique):
    # R-VIS-2 (the default, R-VIS-3 amended): the same July visit without a leader meeting counts.
    w, g = organisation(api, unique, "2021-06-01")
    assert w.ok(api.get(f"{API}/contracts/{w.contract}"), 200)["leader_meeting_counts_for_visit"] is False
    w.visit(g, "2021-07-10", 3.0)
    assert w.ok(api.get(f"{API}/compliance/{g}/2021-07"), 200)["has_visit"] is True


def test_renewing_or_ending_the_contract_leaves_settlements_standing(api, unique):
    # R-FEE-1: a settlement is superseded only when its own inputs changed; renewing (R-CON-2) or ending
    # the contract changes no settled year's figures, so settling again returns the existing settlement.
    w, g = organisation(api, unique, "2021-06-01")
    visit = w.visit(g, "2021-06-10", 3.0)
    first = w.post("/settlements", {"group": g, "service_year": 2021})
    second_year = w.post("/settlements", {"group": g, "service_year": 2022})
    w.post(f"/contracts/{w.contract}/evaluations",
           {"date": "2024-05-25", "scores": {"service_time": 90, "recommendations": 80}})
    w.post(f"/contracts/{w.contract}/renewals", {"date": "2024-05-31"})
    api.settle()
    for year, settlement in ((2021, first), (2022, second_year)):
        view = w.ok(api.get(f"{API}/settlements/{g}/{year}"), 200)
        assert view["changed_since_settlement"] is False
        again = api.post(f"{API}/settlements", {"group": g, "service_year": year})
        assert again.status_code == 200 and again.json_body["id"] == settlement["id"]
    w.post(f"/contracts/{w.contract}/end", {"date": "2025-01-31", "reason": "提前终止"})
    api.settle()
    assert w.ok(api.get(f"{API}/settlements/{g}/2021"), 200)["changed_since_settlement"] is False
    again = api.post(f"{API}/settlements", {"group": g, "service_year": 2021})
    assert again.status_code == 200 and again.json_body["number"] == 1
    # A correction that changes no figure (the notes) leaves it standing too; one that changes the days does not.
    w.post(f"/visits/{visit}/corrections", {"notes": "补充说明", "reason": "补记"})
    assert api.post(f"{API}/settlements", {"group": g, "service_year": 2021}).status_code == 200
    w.post(f"/visits/{visit}/corrections", {"days": 4.0, "reason": "核实"})
    assert w.ok(api.get(f"{API}/settlements/{g}/2021"), 200)["changed_since_settlement"] is True
    renewed = api.post(f"{API}/settlements", {"group": g, "service_year": 2021})
    assert renewed.status_code == 201 and renewed.json_body["number"] == 2 and renewed.json_body["days"] == 4.0


def test_a_settled_year_closes_the_months_it_holds_and_no_others(api, unique):
    # R-VIS-7 with R-VIS-2 amended: once service year 2023 of a contract from 2023-03-16 is settled, its
    # planners may no longer log visits in February 2024, but March 2024 (all of it) is service year 2024's.
    w, g = organisation(api, unique, "2023-03-16")
    w.post("/settlements", {"group": g, "service_year": 2023})
    district = w.ok(api.get(f"{API}/groups/{g}"), 200)["district"]
    planner = api.as_role("planner", w.planners[g][0], group=g, district=district)
    body = {"group": g, "days": 1.0, "planners": [w.planners[g][0]], "activities": ["survey"]}
    closed = planner.post(f"{API}/visits", {**body, "date": "2024-02-20"})
    assert closed.status_code == 403 and closed.json_body["error"]["rule"] == "R-VIS-7"
    assert planner.post(f"{API}/visits", {**body, "date": "2024-03-05"}).status_code == 201


def test_a_four_year_term_from_29_february_ends_the_day_before_28_february_2024(api, unique):
    # R-VIS-2: "A service year that starts on 29 February has its anniversaries on 28 February" — in the
    # leap year 2024 too; R-CON-2: the term (start + 4 years − 1 day) ends 2024-02-27, so a visit on
    # 2024-02-28 is outside the contract (R-VIS-6) and service year 2023 ends 2024-02-27 with 12 duty months.
    w, g = organisation(api, unique, "2020-02-29", term_years=4)
    shown = w.ok(api.get(f"{API}/contracts/{w.contract}"), 200)
    assert shown["end_date"] == "2024-02-27"
    assert [(y["year"], y["start"], y["end"]) for y in shown["service_years"]] == [
        (2020, "2020-02-29", "2021-02-28"), (2021, "2021-03-01", "2022-02-28"),
        (2022, "2022-03-01", "2023-02-28"), (2023, "2023-03-01", "2024-02-27")]
    w.visit(g, "2024-02-26", 2.0)  # 02-26 and 02-27, the term's last day
    outside = api.post(f"{API}/visits", {"group": g, "date": "2024-02-28", "days": 1.0,
                                         "planners": [w.planners[g][0]], "activities": ["survey"]})
    assert outside.status_code == 422 and outside.json_body["error"]["rule"] == "R-VIS-6"
    settled = w.post("/settlements", {"group": g, "service_year": 2023})
    assert (settled["first_date"], settled["last_date"], settled["duty_months"], settled["days"]) == (
        "2023-03-01", "2024-02-27", 12, 2.0)
    february = w.ok(api.get(f"{API}/compliance/{g}/2024-02"), 200)
    assert (february["service_year"], february["duty_month"], february["days_in_month"]) == (2023, True, 2.0)


def test_a_month_split_by_an_early_end_belongs_to_the_year_holding_more_of_its_days_within_the_contract(
        api, unique):
    # R-VIS-2: the month belongs to "the one that covers more of the month's days within the contract (the
    # later one on a tie)". A contract from 2021-06-16 ended on 2022-06-20: June 2022 has 15 days before the
    # anniversary and 5 of its days after it within the contract (over the whole month it would be a tie,
    # 15/15, and go to 2022), so it is service year 2021's, its visits with it. It is that year's 13th month
    # with enough days to be a duty month; the contract's last month does not count (12 a year).
    w, g = organisation(api, unique, "2021-06-16")
    w.visit(g, "2022-06-18", 1.0)
    w.post(f"/contracts/{w.contract}/end", {"date": "2022-06-20", "reason": "提前终止"})
    api.settle()
    june = w.ok(api.get(f"{API}/compliance/{g}/2022-06"), 200)
    assert (june["service_year"], june["duty_month"], june["visits"], june["days_in_service_year"]) == (
        2021, False, 1, 1.0)
    settled = w.post("/settlements", {"group": g, "service_year": 2021})
    assert (settled["first_date"], settled["last_date"], settled["duty_months"], settled["days"]) == (
        "2021-06-16", "2022-06-20", 12, 1.0)
    assert settled["duty_month_list"][0] == "2021-06" and settled["duty_month_list"][-1] == "2022-05"
    assert api.post(f"{API}/settlements", {"group": g, "service_year": 2022}).status_code == 422
