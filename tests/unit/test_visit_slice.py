"""The first vertical slice in the embedded system: POST /visits -> monthly report."""

import datetime as dt

from services.backbone import clock


def test_logged_visit_is_counted_in_the_monthly_report(api, unique):
    # R-VIS-1, R-VIS-5, R-RPT-1
    group = f"g-{unique}"
    created = api.post("/api/v1/visits", {"group": group, "date": "2022-03-03", "days": 1.5, "leader_met": True})
    assert created.status_code == 201, created.json_body
    assert created.json_body["days"] == 1.5
    api.settle()
    report = api.get("/api/v1/reports/monthly/2022-03").json_body
    row = next(g for g in report["groups"] if g["group"] == group)
    assert row["visits"] == 1
    assert row["days_in_month"] == 1.5
    assert row["has_visit"] is True and row["leader_met"] is True


def test_two_visits_on_one_date_count_one_day(api, unique):
    # R-VIS-5: per group and date at most 1.0
    group = f"g-{unique}"
    for days in (1, 0.5):
        assert api.post("/api/v1/visits", {"group": group, "date": "2022-03-10", "days": days}).status_code == 201
    api.settle()
    row = next(g for g in api.get("/api/v1/reports/monthly/2022-03").json_body["groups"] if g["group"] == group)
    assert row["visits"] == 2
    assert row["days_in_month"] == 1.0


def test_a_visit_in_the_future_is_refused_and_stores_nothing(api, runtime, unique):
    # R-VIS-6
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    before = runtime.app("visits").last_position()
    response = api.post("/api/v1/visits", {"group": f"g-{unique}", "date": tomorrow, "days": 1})
    assert response.status_code == 422
    assert response.json_body["error"]["rule"] == "R-VIS-6"
    assert response.json_body["error"]["field"] == "date"
    assert runtime.app("visits").last_position() == before
