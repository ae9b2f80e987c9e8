"""The programme's figures on /metrics (issue 9 "Metrics"), after a scenario
played over HTTP on 2022-03-20 with figures known by hand."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import uuid
from typing import Any

import psycopg

import pytest
from prometheus_client import Counter, Gauge
from prometheus_client.parser import text_string_to_metric_families

from services.backbone import clock
from services.backbone.settings import Settings
from services.bootstrap import Runtime, migrate
from tests.processes import wait_for
from services.reporting import metrics as business
from tests.unit.reporting.world import World

TODAY = dt.datetime(2022, 3, 20, 10, 0, tzinfo=clock.TZ)
# What business labels may be: codes and states, never ids, refs or names.
LABELS = {"group", "district", "government", "state", "service_year", "service", "pool"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: TODAY)
    return TODAY.date()


def scrape(api: Any) -> dict[tuple[str, frozenset], float]:
    api.settle()
    response = api.get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def programme(api, unique, today) -> dict[str, str]:
    """Contract from 2020-06-01 (service years from June 1st); g1 serves d1 and g2 serves d2 since then."""
    w = World(api=api, unique=unique)
    gov = w.government("gov")
    d1, d2 = w.district("d1", gov), w.district("d2", gov)
    w.sign(start="2020-06-01")
    g1, g2 = w.group("g1", d1, "2020-06-01"), w.group("g2", d2, "2020-06-01")
    # service year 2020, settled twice (the second supersedes the first)
    w.visit(g1, "2020-07-01", 2.0)
    w.settle(g1, 2020)
    w.visit(g1, "2020-08-03", 1.0)
    w.settle(g1, 2020)
    # service year 2021 (2021-06-01 .. 2022-05-31): 2 + 3 days before March
    w.visit(g1, "2021-06-10", 2.0)
    w.visit(g1, "2021-09-05", 3.0)
    # March 2022: 1.5 days meeting the leader, 1 day, and a voided visit
    w.visit(g1, "2022-03-03", 1.5, leader_met=True)
    w.visit(g1, "2022-03-10", 1.0)
    w.void(w.visit(g1, "2022-03-12", 2.0))
    # g2: nothing in the duty month March by the 20th
    # opinions of d1: answered this month; overdue (answer due 03-03); received this month, acknowledge due today
    o1 = w.opinion(d1, "2022-03-01")
    w.acknowledge(o1, "2022-03-02")
    w.answer(o1, "2022-03-10")
    o2 = w.opinion(d1, "2022-02-01")
    w.acknowledge(o2, "2022-02-02")
    w.opinion(d1, "2022-03-15")
    # recommendations: forwarded and overdue; completed; raised only
    r1 = w.recommendation(g1, "2022-02-01", "修缮步道")
    w.letter(gov, "L1", "2022-02-05", "2022-03-01", [r1])
    r2 = w.recommendation(g1, "2022-02-10", "增设口袋公园")
    w.letter(gov, "L2", "2022-02-12", "2022-04-12", [r2])
    w.complete(r2, "2022-02-15", "2022-03-05")
    w.recommendation(g1, "2022-03-11", "拓宽巷道")
    # consultations of g1: one unanswered past its due date, one not yet due
    w.consultation(g1, "2022-03-01", "2022-03-10")
    w.consultation(g1, "2022-03-15", "2022-03-25")
    return {"gov": gov, "d1": d1, "d2": d2, "g1": g1, "g2": g2}


def test_service_time_per_group_this_month_and_service_year_against_the_target(api, programme):
    # R-VIS-1..5 as the monthly report counts them, on 2022-03-20
    m = scrape(api)
    g1 = dict(group=programme["g1"], district=programme["d1"], government=programme["gov"])
    g2 = dict(group=programme["g2"], district=programme["d2"], government=programme["gov"])
    assert value(m, "rps_visits_month", **g1) == 2  # the voided one left out
    assert value(m, "rps_service_days_month", **g1) == 2.5
    assert value(m, "rps_duty_month", **g1) == 1 and value(m, "rps_leader_met_month", **g1) == 1
    assert value(m, "rps_visits_year", **g1) == 4
    assert value(m, "rps_service_days_year", **g1) == 7.5  # 2 + 3 + 1.5 + 1
    assert value(m, "rps_required_days_year", **g1) == 30.0  # 12 duty months
    assert value(m, "rps_required_days_to_date", **g1) == 25.0  # June .. March: 10 duty months
    assert value(m, "rps_service_year", **g1) == 2021
    # the alert's case: a duty month without a visit by the 20th
    assert value(m, "rps_duty_month", **g2) == 1
    assert value(m, "rps_visits_month", **g2) == 0 and value(m, "rps_service_days_month", **g2) == 0
    assert value(m, "rps_leader_met_month", **g2) == 0 and value(m, "rps_service_days_year", **g2) == 0


def test_opinions_recommendations_consultations_and_settlements(api, programme):
    # R-OPN-2, R-REC-3, R-CSL-1 (overdue as of today), R-FEE-1
    m = scrape(api)
    d1 = dict(district=programme["d1"], government=programme["gov"])
    d2 = dict(district=programme["d2"], government=programme["gov"])
    assert value(m, "rps_opinions_received_month", **d1) == 2
    assert value(m, "rps_opinions_answered_month", **d1) == 1
    assert value(m, "rps_opinions_open", **d1) == 2
    assert value(m, "rps_opinions_overdue", **d1) == 1
    figures = ("received_month", "answered_month", "open", "overdue")
    assert [value(m, f"rps_opinions_{n}", **d2) for n in figures] == [0, 0, 0, 0]
    gov = programme["gov"]
    states = {s: value(m, "rps_recommendations", government=gov, state=s) for s in business.RECOMMENDATION_STATES}
    assert states == {"raised": 1, "forwarded": 1, "accepted": 0, "declined": 0, "completed": 1, "verified": 0,
                      "withdrawn": 0}
    assert value(m, "rps_recommendations_overdue", government=gov) == 1
    assert value(m, "rps_consultations_open", **d1) == 2
    assert value(m, "rps_consultations_overdue", **d1) == 1
    assert value(m, "rps_consultations_overdue", **d2) == 0
    # Settlements count across the whole system: at least this scenario's.
    assert value(m, "rps_settlements", service_year="2020", state="current") >= 1
    assert value(m, "rps_settlements", service_year="2020", state="superseded") >= 1
    assert value(m, "rps_business_metrics_refresh_seconds") > 0


def test_a_group_that_stopped_serving_drops_off_and_labels_stay_codes(api, programme):
    # R-ORG-1; issue 9: labels are bounded, never ids or personal data
    before = scrape(api)
    g2 = dict(group=programme["g2"], district=programme["d2"], government=programme["gov"])
    assert value(before, "rps_duty_month", **g2) == 1
    assert api.post(f"/api/v1/groups/{programme['g2']}/end", {"date": "2022-03-18", "reason": "调整"}).status_code == 200
    after = scrape(api)
    assert not [k for k in after if ("group", programme["g2"]) in k[1]]
    assert value(after, "rps_visits_month", group=programme["g1"], district=programme["d1"],
                 government=programme["gov"]) == 2
    business_names = {m.describe()[0].name for m in vars(business).values() if isinstance(m, (Gauge, Counter))}
    for (name, labels), _ in after.items():
        if any(name.startswith(n) for n in business_names):
            assert {k for k, _ in labels} <= LABELS, name
            assert not any(UUID.match(v) for _, v in labels), (name, labels)


@pytest.mark.integration
def test_pool_use_is_read_from_psycopg_pool():
    # issue 9: DB pool use, from psycopg_pool's get_stats (PostgreSQL only; embedded mode has none).
    # Issue 15: a real pool of a cluster runtime on the real PostgreSQL, every connection taken
    # and one request waiting, not a fake pool's numbers.
    base = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/rps_test").rpartition("/")[0]
    name = f"rps_pool_{uuid.uuid4().hex[:10]}"
    settings = Settings(amqp_uri="amqp://unused", database_url=f"{base}/{name}")  # the broker is never contacted
    migrate(settings)
    runtime = Runtime.cluster(settings, ("reporting",))
    pool = runtime.dbs["reporting"]._pool
    held = [pool.getconn() for _ in range(pool.max_size)]
    waiter = threading.Thread(target=lambda: pool.putconn(pool.getconn(timeout=30)), daemon=True)
    try:
        waiter.start()
        wait_for(lambda: pool.get_stats().get("requests_waiting") == 1, 10, "a request waiting for a connection")
        figures = business.pool_figures(runtime)
        assert {k: v for k, v in figures[business.DB_POOL_CONNECTIONS].items() if k[:2] == ("reporting", "tables")} == {
            ("reporting", "tables", "open"): pool.max_size, ("reporting", "tables", "idle"): 0,
            ("reporting", "tables", "max"): pool.max_size,
        }
        assert figures[business.DB_POOL_WAITING][("reporting", "tables")] == 1
    finally:
        for conn in held:
            pool.putconn(conn)
        waiter.join(timeout=30)
        runtime.close()
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_failing_refresh_keeps_metrics_answering(api, monkeypatch):
    def broken(*_: Any) -> None:
        raise RuntimeError("read models unreachable")

    monkeypatch.setattr(business, "business_figures", broken)
    failures = value(scrape(api), "rps_business_metrics_refresh_failures_total") or 0
    m = scrape(api)
    assert value(m, "rps_business_metrics_refresh_failures_total") == failures + 1
    assert value(m, "rps_relay_lag_notifications", service="visits") is not None  # the rest still exported
