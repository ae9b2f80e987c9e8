"""The first vertical slice in the embedded system: POST /visits -> monthly report.

A visit belongs to a group the contracts service formed (R-VIS-1, R-VIS-6);
the tests form one by feeding the contracts events straight to the visits
projections (tests/unit/visits/feed.py).
"""

import datetime as dt

from services.backbone import clock
from tests.unit.visits.feed import ContractsFeed


def _group(runtime, unique):
    return ContractsFeed(runtime).setup(unique)


def test_logged_visit_is_counted_in_the_monthly_report(api, runtime, unique):
    # R-VIS-1, R-VIS-5, R-RPT-1
    s = _group(runtime, unique)
    created = api.post("/api/v1/visits", s.visit("2022-03-03", 1.5, leader_met=True))
    assert created.status_code == 201, created.json_body
    assert created.json_body["days"] == 1.5
    api.settle()
    report = api.get("/api/v1/reports/monthly/2022-03").json_body
    row = next(g for g in report["groups"] if g["group"] == s.group)
    assert row["visits"] == 1
    assert row["days_in_month"] == 1.5
    assert row["has_visit"] is True and row["leader_met"] is True


def test_two_visits_on_one_date_count_one_day(api, runtime, unique):
    # R-VIS-5: per group and date at most 1.0
    s = _group(runtime, unique)
    for days in (1, 0.5):
        assert api.post("/api/v1/visits", s.visit("2022-03-10", days)).status_code == 201
    api.settle()
    row = next(g for g in api.get("/api/v1/reports/monthly/2022-03").json_body["groups"] if g["group"] == s.group)
    assert row["visits"] == 2
    assert row["days_in_month"] == 1.0


def test_a_visit_in_the_future_is_refused_and_stores_nothing(api, runtime, unique):
    # R-VIS-6
    s = _group(runtime, unique)
    tomorrow = (clock.today() + dt.timedelta(days=1)).isoformat()
    before = runtime.app("visits").last_position()
    response = api.post("/api/v1/visits", s.visit(tomorrow, 1))
    assert response.status_code == 422
    assert response.json_body["error"]["rule"] == "R-VIS-6"
    assert response.json_body["error"]["field"] == "date"
    assert runtime.app("visits").last_position() == before
