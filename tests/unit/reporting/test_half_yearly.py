"""The half-yearly report to the planning committee (R-RPT-3) against hand-computed figures."""

from __future__ import annotations

from services.backbone.policy import rule_for
from tests.unit.reporting.conftest import row

NOTES = "/api/v1/reports/half-yearly/2022-H1/notes"


def test_the_half_year_with_summaries_open_items_and_the_bureaus_notes(world, february, api):
    # R-RPT-3, R-PUB-1, R-REC-3, R-OPN-2, R-CSL-1
    f = february
    world.post("/work-summaries", {"group": f["g1"], "period": "2022-H1", "text": "上半年开展调研 5 次",
                                   "highlights": ["古楼步道方案", "社区议事会"], "date": "2022-06-30"})
    world.post("/work-summaries", {"group": f["g1"], "period": "2022-Q1", "kind": "highlights",
                                   "text": "一季度亮点", "highlights": ["口袋公园选址"], "date": "2022-04-02"})
    first = api.post(NOTES, {"text": "请各区加快落实逾期建议", "date": "2022-07-05"})
    second = api.post(NOTES, {"text": "下半年重点：历史街区微更新"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json_body["number"], second.json_body["number"]) == (1, 2)

    report = world.report("half-yearly", "2022-H1")
    assert report["title"] == "责任规划师工作半年报告（2022年上半年）"
    g1 = row(report, f["g1"])
    # January–May belong to service year 2021, June to 2022: six duty months either way.
    assert (g1["duty_months"], g1["months_with_visit"], g1["months_with_leader_met"]) == (6, 3, 1)
    assert (g1["visits"], g1["days_in_period"], g1["required_days_in_period"]) == (5, 4.5, 15.0)
    assert (g1["service_year"], g1["days_in_service_year"], g1["required_days_to_date"]) == (2022, 0.0, 2.5)
    assert [n["month"] for n in g1["findings"] if n["rule"] == "R-VIS-2"] == ["2022-04", "2022-05", "2022-06"]
    assert [n["month"] for n in g1["findings"] if n["rule"] == "R-VIS-3"] == [
        "2022-01", "2022-03", "2022-04", "2022-05", "2022-06"]
    assert len(g1["findings"]) == 3 + 5 + 1 + 4

    # Work summaries (述职) aggregated for the team; g2 and g3 have not submitted theirs.
    assert [(s["group"], s["text"]) for s in report["work_summaries"]] == [(f["g1"], "上半年开展调研 5 次")]
    team = report["team_summary"]
    assert (team["groups"], team["submitted"], team["highlights"]) == (3, 1, 3)
    assert sorted(team["missing"]) == sorted([f["g2"], f["g3"]])
    assert sorted(w["group"] for w in report["warnings"] if w["rule"] == "R-RPT-3") == sorted([f["g2"], f["g3"]])
    assert [(h["period"], h["highlights"]) for h in report["highlights"]] == [("2022-Q1", ["口袋公园选址"])]

    # Open items as of 2022-06-30, most overdue first, with their ages in days.
    open_items = [(i["ref"], i["kind"], i["overdue_days"], i["age_days"]) for i in report["open_items"]]
    assert open_items == [
        (f["o2"], "opinion", 141, 171),  # answer due 02-09; received 01-10
        (f["r1"], "recommendation", 130, 161),  # due 02-20; raised 01-20
        (f["c2"], "consultation", 125, 130),  # due 02-25; requested 02-20
        (f["o3"], "opinion", 95, 125),  # never acknowledged; answer due 03-27 (R-OPN-2: the deadline named); received 02-25
        (f["r2"], "recommendation", 0, 143),  # raised 02-07, not yet forwarded
    ]
    assert report["open_items_totals"] == {"open": 5, "overdue": 4, "opinion": 2, "recommendation": 2,
                                           "consultation": 1}
    assert [(n["number"], n["date"], n["text"]) for n in report["notes"]][0] == (1, "2022-07-05", "请各区加快落实逾期建议")
    assert len(report["notes"]) == 2 and report["notes"][1]["author"] == "bureau-test"
    (gov,) = [g for g in report["governments"] if g["government"] == f["gov"]]
    assert (gov["forwarded"], gov["completed"], gov["rank"]) == (1, 0, 1)


def test_notes_are_refused_where_they_do_not_belong(api):
    # R-RPT-3 (notes on half-yearly reports), R-SEC-3
    assert rule_for("POST", "/api/v1/reports/<kind>/<period>/notes") is not None
    assert api.post("/api/v1/reports/monthly/2022-03/notes", {"text": "x"}).status_code == 404
    assert api.post(NOTES, {"text": ""}).json_body["error"]["field"] == "text"
    assert api.post(NOTES, {"text": "x", "extra": 1}).status_code == 400
    future = api.post(NOTES, {"text": "x", "date": "2099-01-01"})
    assert future.status_code == 422 and future.json_body["error"]["rule"] == "R-SEC-3"
    assert api.post("/api/v1/reports/half-yearly/2022-H3/notes", {"text": "x"}).status_code == 400
