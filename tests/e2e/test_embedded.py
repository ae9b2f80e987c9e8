"""`rps run` embedded: one process, SQLite, in-process bus, one HTTP listener."""

from __future__ import annotations

import pytest

from tests.organisation import form_group

pytestmark = pytest.mark.e2e


@pytest.fixture
def embedded(processes, tmp_path):
    return processes.start_http("run", env={"RPS_DATA_DIR": str(tmp_path / "var")})[1]


def _visit(embedded, codes, date, days, **fields):
    body = {"group": codes["group"], "date": date, "days": days, "planners": [codes["tier1"]], **fields}
    return embedded.call("POST", "/api/v1/visits", body)


def _formed(embedded, unique):
    codes = form_group(embedded.call, unique)
    # visits learns of the group from contracts' events (eventually consistent)
    embedded.eventually(f"/api/v1/duty-calendar/{codes['group']}/2021", lambda body: True)
    return codes


def test_the_slice_end_to_end_over_http(embedded, unique):
    # R-VIS-1, R-VIS-5, R-RPT-1: a logged visit shows in the month's dispatch
    codes = _formed(embedded, unique)
    status, visit = _visit(embedded, codes, "2022-03-03", 2.5, leader_met=True)
    assert status == 201, visit
    # the group is listed as soon as it is formed; wait for its visit to arrive too
    report = embedded.eventually(
        "/api/v1/reports/monthly/2022-03",
        lambda body: any(g["group"] == codes["group"] and g["visits"] == 1 for g in body["groups"]),
    )
    row = next(g for g in report["groups"] if g["group"] == codes["group"])
    assert row["visits"] == 1 and row["days_in_month"] == 2.5 and row["leader_met"] is True
    assert report["period"] == "2022-03"
    status, fetched = embedded.call("GET", f"/api/v1/visits/{visit['id']}")
    assert status == 200 and fetched["days"] == 2.5
    status, feed = embedded.call("GET", "/api/v1/events/visits?after=0")
    assert status == 200 and feed["events"][0]["type"] == "cn.liaocheng.rps.visits.VisitLogged.v1"
    status, feed = embedded.call("GET", "/api/v1/events/contracts?after=0&limit=1000")
    assert "cn.liaocheng.rps.contracts.GroupFormed.v1" in [e["type"] for e in feed["events"]]


def test_bad_input_gets_a_clear_error_never_a_500(embedded):
    # R-SEC-3 and API.md status codes
    cases = [
        ("POST", "/api/v1/visits", b"{not json", 400, "body"),
        ("POST", "/api/v1/visits", b'{"group": "g", "days": 1, "extra": true}', 400, "extra"),
        ("POST", "/api/v1/visits", b'{"group": 7, "days": 1}', 400, "group"),
        ("POST", "/api/v1/visits", b'{"group": "g"}', 400, "days"),
        ("POST", "/api/v1/visits", b'{"group": "g", "days": 7}', 422, "days"),
        ("GET", "/api/v1/visits/not-a-visit", None, 404, "id"),
        ("GET", "/api/v1/reports/monthly/2022-13", None, 400, "period"),
        ("GET", "/api/v1/events/visits?after=x", None, 400, "after"),
    ]
    for method, path, raw, status, field in cases:
        got, body = embedded.call(method, path, raw=raw)
        assert got == status, (path, raw, body)
        assert body["error"]["field"] == field, body
        assert body["error"]["message"]
    got, body = embedded.call("GET", "/api/v1/nowhere")
    assert got == 404 and body["error"]["code"] == "not_found"


def test_health_and_metrics_need_no_token(embedded, unique):
    status, ready = embedded.call("GET", "/health/ready")
    assert status == 200 and ready["status"] == "ready"
    assert embedded.call("GET", "/health/live")[0] == 200
    codes = _formed(embedded, unique)
    assert _visit(embedded, codes, "2022-03-03", 1)[0] == 201
    status, text = embedded.call("GET", "/metrics")
    assert status == 200
    assert 'rps_events_appended_total{service="visits"}' in text
    assert "rps_http_request_seconds_bucket" in text
