"""The monthly dispatch (R-RPT-1) against hand-computed figures (conftest ``february``)."""

from __future__ import annotations

import datetime as dt

from services.backbone import clock
from tests.unit.reporting.conftest import row, rules


def test_every_figure_of_a_duty_month(world, february):
    # R-RPT-1, R-VIS-2..5, R-VIS-7, R-OPN-2, R-REC-3, R-CSL-1
    f = february
    report = world.report("monthly", "2022-02")
    assert report["kind"] == "monthly" and report["period"] == "2022-02"
    assert report["title"] == "责任规划师工作月度调度（2022年2月）"
    assert report["issuer"] == "聊城市自然资源和规划局"
    assert report["generated_at"].endswith("+08:00")
    assert report["issue"] is None
    assert report["warnings"] == []  # inside the policy window, and long over
    g1 = row(report, f["g1"])
    assert g1["district"] == f["d1"] and g1["government"] == f["gov"]
    assert g1["government_name"] == "东昌府区人民政府"
    assert g1["duty_month"] is True
    # 02-10 (0.5 and 1.0, disputed one of them) and 02-28; 01-31 and the voided 02-15 not.
    assert g1["visits"] == 3
    # 02-01: 0.5 (the 1.5 days from 01-31), 02-10: min(1, 0.5 + 1.0), 02-28: 1.0
    assert g1["days_in_month"] == 2.5
    # 2.0 (June) + 3.0 (September) + 1.0 (01-31) + 2.5 (February)
    assert g1["days_in_service_year"] == 8.5
    # June .. February: 9 duty months -> 30 × 9 / 12
    assert g1["required_days_to_date"] == 22.5
    assert g1["has_visit"] is True and g1["leader_met"] is True
    assert (g1["unconfirmed_visits"], g1["disputed_visits"], g1["late_visits"], g1["voided_visits"]) == (1, 1, 3, 1)
    # O1 and O3 received; O1 acknowledged and answered; O2 (due 02-09) overdue; O2 and O3 open.
    assert g1["opinions"] == {"received": 2, "acknowledged": 1, "answered": 1, "escalated": 0, "overdue": 1, "open": 2}
    # R2 raised (R1 was raised in January); R1 forwarded, due 02-20 and not completed: overdue.
    assert g1["recommendations"] == {
        "raised": 1, "forwarded": 1, "declined": 0, "completed": 0, "verified": 0, "overdue": 1, "open": 2,
    }
    # C1 answered 02-25 after its due date 02-18; C2 due 02-25, unanswered.
    assert g1["consultations"] == {"requested": 2, "answered": 1, "answered_on_time": 0, "overdue": 1, "open": 1}
    assert rules(g1["findings"]) == ["R-CSL-1", "R-OPN-2", "R-REC-3", "R-VIS-4"]
    overdue = {n["rule"]: n for n in g1["findings"] if "ref" in n}
    assert overdue["R-OPN-2"]["ref"] == f["o2"] and overdue["R-OPN-2"]["overdue_days"] == 19  # 02-09 -> 02-28
    assert overdue["R-REC-3"]["ref"] == f["r1"] and overdue["R-REC-3"]["overdue_days"] == 8  # 02-20 -> 02-28
    assert overdue["R-CSL-1"]["ref"] == f["c2"] and overdue["R-CSL-1"]["overdue_days"] == 3  # 02-25 -> 02-28
    assert g1["warnings"] == []


def test_partial_months_and_the_half_month_rule(world, february):
    # R-VIS-2: covered × 2 >= days in month; 11 of 28 days is not a duty month, 14 of 28 is.
    f = february
    report = world.report("monthly", "2022-02")
    g2, g3 = row(report, f["g2"]), row(report, f["g3"])
    assert (g2["duty_month"], g2["required_days_to_date"], g2["findings"]) == (False, 0.0, [])
    assert g2["visits"] == 0 and g2["days_in_month"] == 0.0 and g2["has_visit"] is False
    assert g3["duty_month"] is True and g3["required_days_to_date"] == 2.5
    assert rules(g3["findings"]) == ["R-VIS-2", "R-VIS-3", "R-VIS-4"]
    assert [r["group"] for r in report["groups"]] == sorted([f["g1"], f["g2"], f["g3"]])
    totals = report["totals"]
    assert totals["groups"] == 3 and totals["duty_groups"] == 2
    assert totals["visits"] == 3 and totals["days_in_month"] == 2.5
    assert totals["days_in_service_year"] == 8.5 and totals["required_days_to_date"] == 25.0
    assert totals["groups_with_visit"] == 1 and totals["groups_with_leader_met"] == 1
    assert totals["findings"] == 7
    assert totals["opinions"]["overdue"] == 1 and totals["consultations"]["requested"] == 2
    # Top-level findings name the group and district of each.
    top = [(n["rule"], n["group"]) for n in report["findings"]]
    assert sorted(top) == sorted(
        [("R-VIS-4", f["g1"]), ("R-OPN-2", f["g1"]), ("R-REC-3", f["g1"]), ("R-CSL-1", f["g1"]),
         ("R-VIS-2", f["g3"]), ("R-VIS-3", f["g3"]), ("R-VIS-4", f["g3"])]
    )


def test_a_visit_on_the_last_day_counts_in_its_month_and_one_running_over_serves_both(world, february):
    # R-VIS-2, R-VIS-5, R-RPT-1: period boundaries by business date
    f = february
    january = row(world.report("monthly", "2022-01"), f["g1"])
    assert january["visits"] == 1 and january["days_in_month"] == 1.0  # 01-31 only
    assert january["days_in_service_year"] == 6.0 and january["required_days_to_date"] == 20.0
    assert rules(january["findings"]) == ["R-VIS-3", "R-VIS-4"]  # no leader met; 6 < 20
    assert january["opinions"]["overdue"] == 0  # O2 is due 02-09
    march = world.report("monthly", "2022-03")
    g1 = row(march, f["g1"])
    assert g1["visits"] == 1 and g1["days_in_month"] == 1.0 and g1["days_in_service_year"] == 9.5
    assert g1["required_days_to_date"] == 25.0
    overdue = {n["ref"]: n["overdue_days"] for n in g1["findings"] if "ref" in n}
    # As of 03-31: O2 50 days past 02-09; O3 never acknowledged, 4 past its answer due
    # 03-27 (R-OPN-2: counted from the deadline the finding names); R1 39 past 02-20; C2 34 past 02-25.
    assert overdue == {f["o2"]: 50, f["o3"]: 4, f["r1"]: 39, f["c2"]: 34}
    assert row(march, f["g2"])["duty_month"] is True
    assert row(march, f["g3"])["required_days_to_date"] == 5.0  # February and March


def test_the_month_in_progress_shows_warnings_at_the_asia_shanghai_boundary(world, february, api, monkeypatch):
    # R-RPT-1: findings only once the month has ended, in Asia/Shanghai (not UTC)
    f = february
    api.settle()
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2022, 2, 28, 23, 59, 59, tzinfo=clock.TZ))
    during = api.get("/api/v1/reports/monthly/2022-02").json_body
    g1 = row(during, f["g1"])
    assert g1["findings"] == [] and rules(g1["warnings"]) == ["R-CSL-1", "R-OPN-2", "R-REC-3", "R-VIS-4"]
    assert during["findings"] == []
    assert any(w["rule"] == "R-RPT-1" for w in during["warnings"])
    assert rules(row(during, f["g3"])["warnings"]) == ["R-VIS-2", "R-VIS-3", "R-VIS-4"]
    # One second later it is March 1st in Liaocheng (still February 28th in UTC).
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2022, 3, 1, 0, 0, 0, tzinfo=clock.TZ))
    after = api.get("/api/v1/reports/monthly/2022-02").json_body
    assert rules(row(after, f["g1"])["findings"]) == ["R-CSL-1", "R-OPN-2", "R-REC-3", "R-VIS-4"]
    assert not any(w["rule"] == "R-RPT-1" for w in after["warnings"])


def test_periods_outside_the_policy_window_are_warned_about(world, february):
    # R-CON-3: the window is 2021-06-01 .. 2023-05-31; nothing is refused
    assert [w["rule"] for w in world.report("monthly", "2023-06")["warnings"]] == ["R-CON-3"]
    # before the contract: also the warning that no group was on duty (issue 14, Bad input)
    assert [w["rule"] for w in world.report("monthly", "2021-05")["warnings"]] == ["R-RPT-1", "R-CON-3"]
    assert world.report("monthly", "2023-05")["warnings"] == []


def test_bad_periods_formats_and_kinds(api):
    # R-SEC-3: a clear error naming the field
    assert api.get("/api/v1/reports/monthly/2022-13").status_code == 400
    assert api.get("/api/v1/reports/monthly/2022-3").json_body["error"]["field"] == "period"
    assert api.get("/api/v1/reports/quarterly/2022-Q5").status_code == 400
    assert api.get("/api/v1/reports/monthly/2022-03?format=doc").json_body["error"]["field"] == "format"
    assert api.get("/api/v1/reports/weekly/2022-03").status_code == 404
