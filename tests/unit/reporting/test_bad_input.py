"""Report requests a clerk can get wrong: no such period, a period before anyone was on
duty, a group that did not exist in the period (issue 14, Bad input; R-RPT-1..4)."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.mark.parametrize("kind, period", [
    ("monthly", "2022-13"), ("monthly", "2022-00"), ("monthly", "2022-3"), ("quarterly", "2022-Q5"),
    ("quarterly", "2022-Q0"), ("half-yearly", "2022-H3"), ("half-yearly", "2022-H0"), ("annual", "20222"),
    ("monthly", "９９９９-01"), ("annual", "0000"),
])
def test_a_period_that_does_not_exist_is_400_naming_it(api, kind, period):
    # R-RPT-1..4: 400 naming the period, never a 500
    for fmt in ("json", "html", "xlsx", "pdf"):
        answer = api.get(f"{API}/reports/{kind}/{period}?format={fmt}")
        assert answer.status_code == 400, (kind, period, fmt, answer.status_code)
        error = answer.json_body["error"]
        assert error["field"] == "period" and error["message"].startswith("period：")
        assert period in error["message"]


def test_a_period_before_any_contract_warns_that_no_group_was_on_duty(world, api):
    # R-RPT-1..4: 200 with an explicit warning, never an empty report that looks valid
    w = world
    gov = w.government("gov")
    w.sign()
    w.group("g1", w.district("d1", gov))
    for kind, period in (("monthly", "2019-03"), ("quarterly", "2019-Q1"), ("half-yearly", "2019-H1"),
                         ("annual", "2018")):
        report = w.report(kind, period)
        assert report["groups"] == [], (kind, period)
        messages = [x["message"] for x in report["warnings"]]
        assert any("没有履职的责任规划师小组" in m for m in messages), (kind, period, messages)
        html = api.get(f"{API}/reports/{kind}/{period}?format=html")
        assert html.status_code == 200 and "没有履职的责任规划师小组" in html.get_data(as_text=True)


def test_a_group_that_did_not_exist_in_the_period_is_404(world, api):
    # R-VIS-2, R-RPT-1: /compliance/{group}/{month} of a group formed later (or never) is 404, never a 500
    w = world
    gov = w.government("gov")
    w.sign()
    g1 = w.group("g1", w.district("d1", gov), "2022-03-01")
    api.settle()
    assert api.get(f"{API}/compliance/{g1}/2022-03").status_code == 200
    assert api.get(f"{API}/duty-calendar/{g1}/2021").status_code == 200  # 2021-06-01 .. 2022-05-31 holds March
    for path in (f"/compliance/{g1}/2022-02", f"/compliance/{g1}/2019-01", f"/compliance/{g1}/2030-01",
                 f"/compliance/no-such-{w.unique}/2022-03", f"/duty-calendar/{g1}/2019", f"/duty-calendar/{g1}/2024"):
        answer = api.get(f"{API}{path}")
        assert answer.status_code == 404, (path, answer.status_code, answer.json_body)
        assert answer.json_body["error"]["message"]
    bad = api.get(f"{API}/compliance/{g1}/2022-13")
    assert bad.status_code == 400 and bad.json_body["error"]["field"] == "period"


@pytest.mark.parametrize("path", ["/duty-calendar/{group}/99999", "/duty-calendar/{group}/0",
                                  "/settlements/{group}/99999", "/compliance/{group}/2022-1３"])
def test_a_service_year_or_month_that_does_not_exist_is_400(world, api, path):
    # R-VIS-2, R-FEE-1: never a 500 for a year or month no calendar has
    w = world
    w.sign()
    group = w.group("g1", w.district("d1", w.government("gov")))
    api.settle()
    answer = api.get(f"{API}{path.format(group=group)}")
    assert answer.status_code == 400, (path, answer.status_code, answer.json_body)
    assert answer.json_body["error"]["field"] in ("service_year", "period")
