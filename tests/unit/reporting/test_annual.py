"""The annual report (R-RPT-4) on DOMAIN.md's worked examples (R-VIS-2, R-VIS-5, R-FEE-1)."""

from __future__ import annotations

import pytest

from tests.unit.reporting.conftest import row, rules


@pytest.fixture
def year(world):
    """Worked examples 1 and 2: contract from 2021-06-01, 6,000,000 fen a year, rule max."""
    w = world
    gov = w.government("gov", "东昌府区人民政府")
    d1, d2 = w.district("d1", gov), w.district("d2", gov)
    w.sign()
    a, b = w.group("ga", d1), w.group("gb", d2, "2021-09-18")
    visits = {"a-06-30": w.visit(a, "2021-06-30", 1.5, leader_met=True), "a-07-01": w.visit(a, "2021-07-01", 1.0)}
    for month in ("2021-08", "2021-09", "2021-10", "2021-11", "2022-01", "2022-02", "2022-03", "2022-05"):
        visits[f"a-{month}"] = w.visit(a, f"{month}-03", 2.5, leader_met=month == "2021-10")
    for month in ("2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-04", "2022-05"):
        w.visit(b, f"{month}-10", 3.0)
    w.visit(b, "2021-09-20", 1.0)
    # Paperwork of the year (R-EVA-2, R-EVA-3) and items for the evaluation inputs (R-EVA-1).
    w.post("/ratings", {"group": a, "year": 2021, "target": "government",
                        "scores": {"cooperation": 4, "workplace": 5, "implementation": 3}, "date": "2022-06-10"})
    w.post("/ratings", {"group": a, "year": 2021, "target": "district",
                        "scores": {"cooperation": 5, "workplace": 5, "implementation": 4}, "date": "2022-06-10"})
    w.post("/ratings", {"group": b, "year": 2021, "target": "government",
                        "scores": {"cooperation": 2, "workplace": 4, "implementation": 4}, "date": "2022-06-11"})
    w.post("/annual-summaries", {"kind": "implementation", "year": 2021, "government": gov,
                                 "text": "全年落实建议 1 条", "date": "2022-06-15"})
    w.post("/annual-summaries", {"kind": "planning_evaluation", "year": 2021, "group": a,
                                 "text": "古楼片区规划评估小结", "date": "2022-06-20"})
    rec = w.recommendation(a, "2021-10-05")
    w.letter(gov, "L2021", "2021-10-10", "2021-12-31", [rec])
    w.complete(rec, "2021-10-15", "2021-11-20")  # 41 days after the letter, on time
    consultation = w.consultation(a, "2021-11-01", "2021-11-15")
    w.consultation_answer(consultation, "2021-11-10")
    opinion = w.opinion(d1, "2021-12-01")  # answer due 2021-12-31
    w.acknowledge(opinion, "2021-12-02")
    w.answer(opinion, "2021-12-20")
    w.post(f"/contracts/{w.contract}/evaluations", {"date": "2022-05-20",
                                                      "scores": {"service_time": 90, "recommendations": 80}})
    return {"gov": gov, "a": a, "b": b, "d1": d1, "visits": visits}


def test_the_worked_examples_settle_and_show_in_the_annual_report(world, year):
    # R-FEE-1 worked examples 1 and 2; R-RPT-4
    assert world.settle(year["a"], 2021)["payable_fen"] == 4_400_000
    assert world.settle(year["b"], 2021)["payable_fen"] == 3_500_000
    report = world.report("annual", "2021")
    assert report["title"] == "责任规划师工作年度报告（2021服务年度）"
    assert (report["first_date"], report["last_date"], report["service_year"]) == ("2021-06-01", "2022-05-31", 2021)
    a, b = row(report, year["a"]), row(report, year["b"])
    assert (a["duty_months"], a["months_with_visit"], a["days"], a["required_days"]) == (12, 10, 22.0, 30.0)
    assert (a["day_shortfall"], a["visit_shortfall"], a["shortfall"]) == ("4/15", "1/6", "4/15")
    assert (a["fee_fen"], a["deduction_fen"], a["payable_fen"]) == (6_000_000, 1_600_000, 4_400_000)
    assert a["figures_from"] == "settlement" and a["settlement"]["number"] == 1 and a["settlement_differs"] is False
    assert a["months_with_leader_met"] == 2  # June and October
    assert (b["duty_months"], b["months_with_visit"], b["days"], b["required_days"]) == (8, 7, 22.0, 20.0)
    assert (b["day_shortfall"], b["visit_shortfall"]) == ("0", "1/8")
    assert (b["fee_fen"], b["deduction_fen"], b["payable_fen"]) == (4_000_000, 500_000, 3_500_000)
    assert b["duty_month_list"] == ["2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-03", "2022-04",
                                    "2022-05"]
    # Findings: December and April without a visit; ten duty months without the leader; 22 < 30 days.
    assert [n["month"] for n in a["findings"] if n["rule"] == "R-VIS-2"] == ["2021-12", "2022-04"]
    assert len([n for n in a["findings"] if n["rule"] == "R-VIS-3"]) == 10
    assert rules([n for n in a["findings"] if n["rule"] in ("R-VIS-4", "R-FEE-1")]) == ["R-VIS-4"]
    assert rules(b["findings"]) == ["R-VIS-2"] + ["R-VIS-3"] * 8
    totals = report["totals"]
    assert (totals["fee_fen"], totals["deduction_fen"], totals["payable_fen"]) == (10_000_000, 2_100_000, 7_900_000)
    assert (totals["settled_groups"], totals["groups_with_changed_settlement"]) == (2, 0)


def test_a_change_after_settling_is_a_finding_and_the_settlement_stands(world, year):
    # R-RPT-4: the latest settlement, with a finding where the live figures now differ (R-VIS-7)
    world.settle(year["a"], 2021)
    world.void(year["visits"]["a-2021-08"])  # the bureau voids August's 2.5 days after settling
    report = world.report("annual", "2021")
    a = row(report, year["a"])
    assert (a["days"], a["months_with_visit"], a["payable_fen"]) == (22.0, 10, 4_400_000)  # as settled
    assert a["settlement_differs"] is True
    # Live: 19.5 days, 9 months; day shortfall 1 - 19.5/30 = 7/20, visit shortfall 3/12 = 1/4;
    # deduction 6,000,000 × 7/20 = 2,100,000.
    live = a["live"]
    assert (live["days"], live["months_with_visit"], live["day_shortfall"], live["visit_shortfall"]) == (
        19.5, 9, "7/20", "1/4")
    assert (live["deduction_fen"], live["payable_fen"]) == (2_100_000, 3_900_000)
    assert [n["rule"] for n in a["findings"]].count("R-FEE-1") == 1
    assert [n["month"] for n in a["findings"] if n["rule"] == "R-VIS-2"] == ["2021-08", "2021-12", "2022-04"]
    assert report["totals"]["groups_with_changed_settlement"] == 1
    # B was never settled: its figures are live, and the ended year says so.
    b = row(report, year["b"])
    assert (b["figures_from"], b["settlement"], b["payable_fen"]) == ("live", None, 3_500_000)
    assert any(w["rule"] == "R-FEE-1" and w["group"] == year["b"] for w in report["warnings"])
    # Settling again issues settlement No. 2 and the finding goes.
    assert world.settle(year["a"], 2021)["number"] == 2
    again = row(world.report("annual", "2021"), year["a"])
    assert (again["settlement"]["number"], again["settlement_differs"], again["payable_fen"]) == (2, False, 3_900_000)


def test_ratings_summaries_evaluation_inputs_and_the_governments_assessment(world, year):
    # R-EVA-1..4
    report = world.report("annual", "2021")
    gov = next(g for g in report["governments"] if g["government"] == year["gov"])
    assert (gov["rating_cooperation"], gov["rating_workplace"], gov["rating_implementation"]) == (3.0, 4.5, 3.5)
    assert gov["ratings_received"] == 2 and gov["annual_summary_submitted"] is True
    assert (gov["forwarded"], gov["completed"], gov["on_time_rate"], gov["median_days_to_complete"], gov["rank"]) == (
        1, 1, 1.0, 41, 1)
    assert len(report["ratings"]) == 3
    assert {(r["group"], r["target"], r["cooperation"]) for r in report["ratings"]} == {
        (year["a"], "government", 4), (year["a"], "district", 5), (year["b"], "government", 2)}
    assert [s["text"] for s in report["government_summaries"]] == ["全年落实建议 1 条"]
    assert [(e["group"], e["text"]) for e in report["planning_evaluations"]] == [(year["a"], "古楼片区规划评估小结")]
    # B rated no district and wrote no planning evaluation.
    missing = sorted((w["rule"], w["group"]) for w in report["warnings"] if w["rule"] in ("R-EVA-2", "R-EVA-3"))
    assert missing == [("R-EVA-2", year["b"]), ("R-EVA-3", year["b"])]
    inputs = next(i for i in report["evaluation_inputs"] if i["group"] == year["a"])
    assert inputs == {
        "group": year["a"], "district": year["d1"], "district_name": "d1街道",
        "days": 22.0, "required_days": 30.0, "duty_months": 12, "months_with_visit": 10,
        "months_with_leader_met": 2, "recommendations_raised": 1, "recommendations_implemented": 1,
        "consultations_answered": 1, "consultations_answered_on_time": 1,
        "opinions_received": 1, "opinions_answered_in_time": 1,
    }
    (team,) = [e for e in report["evaluations"] if e["subject_kind"] == "team"]
    assert (team["total"], team["passed"], team["scores"]) == ("85.00", True, {"recommendations": 80, "service_time": 90})


def test_the_programme_review_notes_and_a_year_outside_the_policy_window(world, year, api):
    # R-EVA-4 (the bureau's yearly review of the programme), R-CON-3
    answer = api.post("/api/v1/reports/annual/2021/notes", {"text": "建议下一年度增加园区小组", "date": "2022-06-30"})
    assert answer.status_code == 201 and answer.json_body["number"] == 1
    report = world.report("annual", "2021")
    assert [(n["date"], n["text"]) for n in report["notes"]] == [("2022-06-30", "建议下一年度增加园区小组")]
    assert not any(w["rule"] == "R-CON-3" for w in report["warnings"])
    later = world.report("annual", "2023")  # 2023-06-01 .. 2024-05-31: after the policy's window
    assert (later["first_date"], later["last_date"]) == ("2023-06-01", "2024-05-31")
    assert [w["rule"] for w in later["warnings"]].count("R-CON-3") == 1
