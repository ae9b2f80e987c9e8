"""The quarterly summary (R-RPT-2): groups over the quarter, and the governments'
implementation figures and ranking, against hand-computed figures."""

from __future__ import annotations

from tests.unit.reporting.conftest import row, rules


def test_group_figures_over_the_quarter(world, february):
    # R-RPT-2: R-RPT-1's figures over Q1 2022 and the service year to date at its end
    f = february
    report = world.report("quarterly", "2022-Q1")
    assert report["title"] == "责任规划师工作季度小结（2022年第一季度）"
    assert (report["first_date"], report["last_date"]) == ("2022-01-01", "2022-03-31")
    g1 = row(report, f["g1"])
    assert g1["duty_months"] == 3 and g1["months_with_visit"] == 3 and g1["months_with_leader_met"] == 1
    assert g1["visits"] == 5  # 01-31; 02-10 ×2, 02-28; 03-01
    assert g1["days_in_period"] == 4.5  # 1.0 + 2.5 + 1.0
    assert g1["required_days_in_period"] == 7.5  # 30 × 3 / 12
    assert g1["days_in_service_year"] == 9.5 and g1["required_days_to_date"] == 25.0  # 30 × 10 / 12
    assert (g1["unconfirmed_visits"], g1["disputed_visits"], g1["late_visits"], g1["voided_visits"]) == (3, 1, 5, 1)
    assert g1["opinions"] == {"received": 3, "acknowledged": 2, "answered": 1, "escalated": 0, "overdue": 2, "open": 2}
    assert g1["recommendations"]["raised"] == 2 and g1["recommendations"]["overdue"] == 1
    assert g1["consultations"] == {"requested": 2, "answered": 1, "answered_on_time": 0, "overdue": 1, "open": 1}
    # R-VIS-3 in January and March; R-VIS-4 once, at the quarter's end; O2, O3, R1, C2 overdue.
    assert rules(g1["findings"]) == ["R-CSL-1", "R-OPN-2", "R-OPN-2", "R-REC-3", "R-VIS-3", "R-VIS-3", "R-VIS-4"]
    assert [n["month"] for n in g1["findings"] if n["rule"] == "R-VIS-3"] == ["2022-01", "2022-03"]
    assert [m["month"] for m in g1["months"]] == ["2022-01", "2022-02", "2022-03"]
    g2, g3 = row(report, f["g2"]), row(report, f["g3"])
    assert (g2["duty_months"], g2["required_days_in_period"]) == (1, 2.5)  # March only
    assert rules(g2["findings"]) == ["R-VIS-2", "R-VIS-3", "R-VIS-4"]
    assert (g3["duty_months"], g3["required_days_in_period"], g3["required_days_to_date"]) == (2, 5.0, 5.0)
    assert rules(g3["findings"]) == ["R-VIS-2", "R-VIS-2", "R-VIS-3", "R-VIS-3", "R-VIS-4"]
    assert report["totals"]["duty_months"] == 6 and report["totals"]["required_days_in_period"] == 15.0
    # The one government: R1 was due 02-20, in the quarter, and is not completed.
    (gov,) = [g for g in report["governments"] if g["government"] == f["gov"]]
    assert (gov["forwarded"], gov["completed"], gov["completion_rate"], gov["on_time_rate"]) == (1, 0, 0.0, 0.0)
    assert gov["median_days_to_complete"] is None and gov["rank"] == 1 and gov["overdue"] == 1


def _government_with(world, name: str):
    gov = world.government(name, f"{name}管委会")
    district = world.district(f"{name}-d", gov)
    group = world.group(f"{name}-g", district)
    return gov, group


def test_ranking_with_ties_and_governments_with_nothing_due(world):
    # R-RPT-2, R-EVA-4: rank by completion rate, then on-time rate, then median days, then code;
    # a government with nothing due in the quarter is listed unranked.
    w = world
    w.sign()
    govs = {}
    for name in ("ga", "gb", "gc", "gd", "ge", "gf"):
        govs[name] = _government_with(w, name)

    def recs(name: str, n: int, raised: str = "2022-03-01") -> list[str]:
        return [w.recommendation(govs[name][1], raised, f"{name} 建议 {i}") for i in range(n)]

    # GA: letter 03-15 due 04-30. Completed 04-10 (26 days), 04-30 (46, on the due date),
    # 05-10 (56, late); one declined. 3/4 completed, 2/4 on time, median 46.
    a = recs("ga", 4)
    w.letter(govs["ga"][0], "LA", "2022-03-15", "2022-04-30", a)
    w.complete(a[0], "2022-03-20", "2022-04-10")
    w.complete(a[1], "2022-03-20", "2022-04-30")
    w.complete(a[2], "2022-03-20", "2022-05-10")
    w.step(a[3], "decline", "2022-03-20")
    withdrawn = recs("ga", 1)[0]
    w.step(withdrawn, "withdraw", "2022-03-02")  # never forwarded: counts nowhere
    # GB: letter 04-01 due 05-31. Completed 04-11 (10; then verified), 05-01 (30; reopened
    # only after the quarter), 05-31 (60, on the due date); one still open. 3/4, 3/4, median 30.
    b = recs("gb", 4)
    w.letter(govs["gb"][0], "LB", "2022-04-01", "2022-05-31", b)
    w.complete(b[0], "2022-04-02", "2022-04-11")
    w.step(b[0], "verify", "2022-04-15")
    w.complete(b[1], "2022-04-02", "2022-05-01")
    w.step(b[1], "reopen", "2022-07-05")
    w.complete(b[2], "2022-04-02", "2022-05-31")
    w.step(b[3], "accept", "2022-04-02")
    # GC: letter 04-01 due 04-30. Completed 04-05 (4), 04-20 (19), 05-15 (44, late); one open.
    # 3/4, 2/4, median 19.
    c = recs("gc", 4)
    w.letter(govs["gc"][0], "LC", "2022-04-01", "2022-04-30", c)
    w.complete(c[0], "2022-04-02", "2022-04-05")
    w.complete(c[1], "2022-04-02", "2022-04-20")
    w.complete(c[2], "2022-04-02", "2022-05-15")
    w.step(c[3], "accept", "2022-04-02")
    # GD: the same as GC, but its fourth was completed 04-25 and reopened 05-02: it no
    # longer counts. 3/4, 2/4, median 19: tied with GC, which goes first by code.
    d = recs("gd", 4)
    w.letter(govs["gd"][0], "LD", "2022-04-01", "2022-04-30", d)
    w.complete(d[0], "2022-04-02", "2022-04-05")
    w.complete(d[1], "2022-04-02", "2022-04-20")
    w.complete(d[2], "2022-04-02", "2022-05-15")
    w.complete(d[3], "2022-04-02", "2022-04-25")
    w.step(d[3], "reopen", "2022-05-02")
    # GE: its only recommendation is due in Q3, though completed in Q2 (19 days after its letter).
    e = recs("ge", 1)
    w.letter(govs["ge"][0], "LE", "2022-05-01", "2022-07-31", e)
    w.complete(e[0], "2022-05-02", "2022-05-20")
    # GF: nothing at all.

    report = w.report("quarterly", "2022-Q2")
    by = {g["government"]: g for g in report["governments"]}
    ga, gb, gc, gd, ge, gf = (by[govs[n][0]] for n in ("ga", "gb", "gc", "gd", "ge", "gf"))
    assert (ga["forwarded"], ga["completed"], ga["completed_on_time"], ga["declined"]) == (4, 3, 2, 1)
    assert (ga["completion_rate"], ga["on_time_rate"], ga["median_days_to_complete"]) == (0.75, 0.5, 46)
    assert (gb["forwarded"], gb["completed"], gb["completed_on_time"]) == (4, 3, 3)
    assert (gb["completion_rate"], gb["on_time_rate"], gb["median_days_to_complete"]) == (0.75, 0.75, 30)
    assert gb["overdue"] == 1  # b[3], due 05-31, accepted only
    assert (gc["completion_rate"], gc["on_time_rate"], gc["median_days_to_complete"]) == (0.75, 0.5, 19)
    assert (gd["completed"], gd["completion_rate"], gd["on_time_rate"], gd["median_days_to_complete"]) == (
        3, 0.75, 0.5, 19)
    assert (ge["forwarded"], ge["completion_rate"], ge["rank"], ge["median_days_to_complete"]) == (0, None, None, 19)
    assert (gf["forwarded"], gf["rank"], gf["median_days_to_complete"]) == (0, None, None)
    assert [gb["rank"], gc["rank"], gd["rank"], ga["rank"]] == [1, 2, 3, 4]
    listed = [g["government"] for g in report["governments"]]
    assert listed[:4] == [govs[n][0] for n in ("gb", "gc", "gd", "ga")]
    assert set(listed[4:]) == {govs["ge"][0], govs["gf"][0]}
    totals = report["totals"]["governments"]
    assert (totals["ranked"], totals["forwarded"], totals["completed"], totals["completed_on_time"]) == (4, 16, 12, 9)

    # In Q3, GB's reopened recommendation is no longer completed; GE's is due and done on time.
    q3 = {g["government"]: g for g in w.report("quarterly", "2022-Q3")["governments"]}
    assert (q3[govs["ge"][0]]["forwarded"], q3[govs["ge"][0]]["completed"], q3[govs["ge"][0]]["rank"]) == (1, 1, 1)
    assert q3[govs["gb"][0]]["forwarded"] == 0 and q3[govs["gb"][0]]["rank"] is None
