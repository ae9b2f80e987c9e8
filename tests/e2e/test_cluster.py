"""The cluster: separate `rps serve`, `rps relay` and `rps project` processes
against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import pytest

from tests.organisation import form_group

pytestmark = pytest.mark.e2e


def test_a_visit_travels_through_the_cluster_into_the_report(processes, cluster_settings, unique):
    env = {"AMQP_URI": cluster_settings.amqp_uri, "DATABASE_URL": cluster_settings.database_url}
    processes.env.update(env)
    processes.run("migrate")  # again: migrations are safe to repeat
    contracts, visits, reporting = (processes.start_http("serve", s, "--role", "http")[1] for s in ("contracts", "visits", "reporting"))
    for service in ("contracts", "visits"):
        processes.start("relay", service, env={"RPS_RELAY_IDLE_SECONDS": "0.1"})
    processes.start("project", "visits")
    processes.start("project", "reporting")

    codes = form_group(contracts.call, unique)
    group = codes["group"]
    # visits learns of the group from contracts.events through its own projection runner
    visits.eventually(f"/api/v1/duty-calendar/{group}/2021", lambda body: True, timeout=30)
    for date, days in (("2022-05-30", 1.5), ("2022-05-31", 1.0)):
        body = {"group": group, "date": date, "days": days, "planners": [codes["tier1"]]}
        status, answer = visits.call("POST", "/api/v1/visits", body)
        assert status == 201, answer
    # 05-30: 1.0, 05-31: 0.5 + 1.0 capped at 1.0 (R-VIS-5)
    report = reporting.eventually(
        "/api/v1/reports/monthly/2022-05",
        lambda body: any(g["group"] == group and g["visits"] == 2 for g in body["groups"]),
    )
    row = next(g for g in report["groups"] if g["group"] == group)
    assert row["days_in_month"] == 2.0
    status, body = visits.call("POST", "/api/v1/visits", raw=b'{"group": "x", "days": 1, "oops": 1}')
    assert status == 400 and body["error"]["field"] == "oops"
