"""The cluster: separate `rps serve`, `rps relay` and `rps project` processes
against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Http, free_port

pytestmark = pytest.mark.e2e


def test_a_visit_travels_through_the_cluster_into_the_report(processes, cluster_settings, unique):
    env = {"AMQP_URI": cluster_settings.amqp_uri, "DATABASE_URL": cluster_settings.database_url}
    processes.env.update(env)
    processes.run("migrate")  # again: migrations are safe to repeat
    visits_port, reporting_port = free_port(), free_port()
    processes.start("serve", "visits", env={"RPS_HTTP": f"127.0.0.1:{visits_port}"})
    processes.start("serve", "reporting", env={"RPS_HTTP": f"127.0.0.1:{reporting_port}"})
    processes.start("relay", "visits", env={"RPS_RELAY_IDLE_SECONDS": "0.1"})
    processes.start("project", "reporting")
    visits, reporting = Http(f"http://127.0.0.1:{visits_port}"), Http(f"http://127.0.0.1:{reporting_port}")
    visits.wait_ready()
    reporting.wait_ready()

    group = f"g-{unique}"
    for date, days in (("2022-05-30", 1.5), ("2022-05-31", 1.0)):
        status, body = visits.call("POST", "/api/v1/visits", {"group": group, "date": date, "days": days})
        assert status == 201, body
    # 05-30: 1.0, 05-31: 0.5 + 1.0 capped at 1.0 (R-VIS-5)
    report = reporting.eventually(
        "/api/v1/reports/monthly/2022-05",
        lambda body: any(g["group"] == group and g["visits"] == 2 for g in body["groups"]),
    )
    row = next(g for g in report["groups"] if g["group"] == group)
    assert row["days_in_month"] == 2.0
    status, body = visits.call("POST", "/api/v1/visits", raw=b'{"group": "x", "days": 1, "oops": 1}')
    assert status == 400 and body["error"]["field"] == "oops"
