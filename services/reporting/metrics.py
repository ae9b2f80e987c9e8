"""The programme's figures on /metrics (issue 9), read from reporting's read
models before each scrape (``Runtime.refresh_gauges`` calls ``refresh``).

Every figure is as of today (Asia/Shanghai) and computed by the functions the
reports use, so a dashboard and a report of the same day agree: a group's
month and service year are the visits service's own (R-VIS-2..5), an item is
open or overdue as items.py says (R-OPN-2, R-REC-3, R-CSL-1).

Labels are codes with few values: group, district and government codes, a
status, a service year; never ids, references, names or anything a resident
gave. A series whose group, district or status is gone is removed, so a
group whose assignment ended disappears from the dashboards.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from typing import Any, Iterable

from prometheus_client import Counter, Gauge

from services.backbone import clock
from services.backbone.domain import DomainError
from services.programme.calendar import month_bounds
from services.programme.duty import month_compliance, year_record
from services.reporting.views.facts import Facts, load

log = logging.getLogger(__name__)

UNKNOWN = "unknown"  # an item whose district names no government (yet)

# Label names are written out at each metric: tests/unit/infra reads them from the source.

# -- service time per group (R-VIS-2..5): the current month and service year ----------
VISITS_MONTH = Gauge(
    "rps_visits_month",
    "Visits dated in the current month, voided ones excluded (R-VIS-1)",
    ["group", "district", "government"],
)
SERVICE_DAYS_MONTH = Gauge(
    "rps_service_days_month",
    "Service days in the current month (R-VIS-1: at most one per date)",
    ["group", "district", "government"],
)
DUTY_MONTH = Gauge(
    "rps_duty_month",
    "1 when the current month is a duty month of the group, else 0 (R-VIS-2)",
    ["group", "district", "government"],
)
LEADER_MET_MONTH = Gauge(
    "rps_leader_met_month",
    "1 when a visit this month met the sub-district's leader, else 0 (R-VIS-3)",
    ["group", "district", "government"],
)
VISITS_YEAR = Gauge(
    "rps_visits_year",
    "Visits in the group's current service year so far, voided ones excluded",
    ["group", "district", "government"],
)
SERVICE_DAYS_YEAR = Gauge(
    "rps_service_days_year",
    "Service days in the group's current service year so far (R-VIS-4)",
    ["group", "district", "government"],
)
REQUIRED_DAYS_YEAR = Gauge(
    "rps_required_days_year",
    "Service days the whole current service year requires: 30 x duty months / 12 (R-VIS-4)",
    ["group", "district", "government"],
)
REQUIRED_DAYS_TO_DATE = Gauge(
    "rps_required_days_to_date",
    "Service days required by the end of the current month: 30 x duty months so far / 12 (R-VIS-4)",
    ["group", "district", "government"],
)
SERVICE_YEAR = Gauge(
    "rps_service_year",
    "The service year the group's figures belong to (R-VIS-4; its first day's year)",
    ["group", "district", "government"],
)

# -- residents' opinions per district (R-OPN-1, R-OPN-2) -----------------------------
OPINIONS_RECEIVED_MONTH = Gauge(
    "rps_opinions_received_month", "Opinions received this month", ["district", "government"]
)
OPINIONS_ANSWERED_MONTH = Gauge(
    "rps_opinions_answered_month", "Opinions answered or escalated this month", ["district", "government"]
)
OPINIONS_OPEN = Gauge(
    "rps_opinions_open", "Opinions received or acknowledged, not yet answered", ["district", "government"]
)
OPINIONS_OVERDUE = Gauge(
    "rps_opinions_overdue", "Opinions past their acknowledgement or answer due date (R-OPN-2)",
    ["district", "government"],
)

# -- recommendations per government (R-REC-1..3) -------------------------------------
RECOMMENDATION_STATES = ("raised", "forwarded", "accepted", "declined", "completed", "verified", "withdrawn")
RECOMMENDATIONS = Gauge(
    "rps_recommendations", "Recommendations by their status today", ["government", "state"]
)
RECOMMENDATIONS_OVERDUE = Gauge(
    "rps_recommendations_overdue",
    "Recommendations forwarded or accepted and past the letter's due date (R-REC-3)",
    ["government"],
)

# -- consultations per district (R-CSL-1) ----------------------------------------------
CONSULTATIONS_OPEN = Gauge(
    "rps_consultations_open", "Consultations requested and not yet answered", ["district", "government"]
)
CONSULTATIONS_OVERDUE = Gauge(
    "rps_consultations_overdue", "Consultations unanswered past their due date (R-CSL-1)",
    ["district", "government"],
)

# -- fee settlements (R-FEE-1) -----------------------------------------------------------
SETTLEMENTS = Gauge(
    "rps_settlements",
    "Settlements issued per service year: state=current (the one that stands) or superseded",
    ["service_year", "state"],
)

# -- this process's database pools -----------------------------------------------------
DB_POOL_CONNECTIONS = Gauge(
    "rps_db_pool_connections",
    "Connections of a PostgreSQL pool: state=open (held by the pool), idle (ready to lend), max (its limit)",
    ["service", "pool", "state"],
)
DB_POOL_WAITING = Gauge(
    "rps_db_pool_waiting_requests", "Requests waiting for a connection from a pool", ["service", "pool"]
)

# -- the refresh itself ------------------------------------------------------------------
REFRESH_SECONDS = Gauge(
    "rps_business_metrics_refresh_seconds", "How long the last refresh of the business figures took", []
)
REFRESH_FAILURES = Counter(
    "rps_business_metrics_refresh_failures_total",
    "Refreshes of the business figures that failed (the previous figures stay)",
    [],
)

_lock = threading.Lock()
_published: dict[Gauge, set[tuple[str, ...]]] = {}


def refresh(runtime: Any) -> None:
    """Set every gauge above from the read models; a failure leaves the previous figures."""
    started = time.monotonic()
    try:
        figures = business_figures(runtime.db("reporting"), clock.today())
        figures.update(pool_figures(runtime))
    except Exception:  # the read models are unreachable: /metrics still answers with the rest
        log.exception("business metrics not refreshed")
        REFRESH_FAILURES.inc()
        return
    with _lock:
        for gauge, values in figures.items():
            _publish(gauge, values)
    REFRESH_SECONDS.set(time.monotonic() - started)


Values = dict[tuple[str, ...], float]


def _publish(gauge: Gauge, values: Values) -> None:
    """Set this scrape's series first, then drop those that are gone: never an empty moment."""
    for labels, value in values.items():
        gauge.labels(*labels).set(value)
    for labels in _published.get(gauge, set()) - values.keys():
        try:
            gauge.remove(*labels)
        except KeyError:
            pass
    _published[gauge] = set(values)


def business_figures(db: Any, today: dt.date) -> dict[Gauge, Values]:
    m_first, m_last = month_bounds(today.year, today.month)
    facts = load(db, m_first, m_last, today)
    figures: dict[Gauge, Values] = {}
    figures.update(_group_figures(facts, today))
    figures.update(_item_figures(facts, today, m_first, m_last))
    figures[SETTLEMENTS] = _settlement_figures(db)
    return figures


def _group_figures(facts: Facts, today: dt.date) -> dict[Gauge, Values]:
    out: dict[Gauge, Values] = {g: {} for g in (
        VISITS_MONTH, SERVICE_DAYS_MONTH, DUTY_MONTH, LEADER_MET_MONTH, VISITS_YEAR, SERVICE_DAYS_YEAR,
        REQUIRED_DAYS_YEAR, REQUIRED_DAYS_TO_DATE, SERVICE_YEAR,
    )}
    for code in sorted(facts.org.groups):
        info = facts.org.groups[code]
        contract = info.assignment.contract
        if contract is None or not contract.covers(today) or not info.serves_on(today):
            continue  # not serving today: no series (an ended group drops off the dashboards)
        visits = [v for v in facts.visits.get(code, []) if v.date <= today]
        try:
            month = month_compliance(info.assignment, (today.year, today.month), visits, today=today)
            year = year_record(info.assignment, month["service_year"], visits)
        except DomainError:
            continue  # outside its contract's service years
        labels = (code, info.district, info.government or UNKNOWN)
        out[VISITS_MONTH][labels] = month["visits"]
        out[SERVICE_DAYS_MONTH][labels] = month["days_in_month"]
        out[DUTY_MONTH][labels] = 1 if month["duty_month"] else 0
        out[LEADER_MET_MONTH][labels] = 1 if month["leader_met"] else 0
        out[VISITS_YEAR][labels] = sum(1 for v in year.counted if year.first <= v.date <= year.last)
        out[SERVICE_DAYS_YEAR][labels] = float(year.days)
        out[REQUIRED_DAYS_YEAR][labels] = float(year.required_days)
        out[REQUIRED_DAYS_TO_DATE][labels] = month["required_days_to_date"]
        out[SERVICE_YEAR][labels] = year.service_year
    return out


def _item_figures(facts: Facts, today: dt.date, m_first: dt.date, m_last: dt.date) -> dict[Gauge, Values]:
    org = facts.org
    government_of = lambda district: org.government_of(district) or UNKNOWN  # noqa: E731
    # Every known district and government shows, with 0 where nothing is there.
    districts: Values = {(d, government_of(d)): 0 for d in org.districts}
    opinions = {g: dict(districts) for g in (OPINIONS_RECEIVED_MONTH, OPINIONS_ANSWERED_MONTH, OPINIONS_OPEN,
                                             OPINIONS_OVERDUE)}
    consultations = {g: dict(districts) for g in (CONSULTATIONS_OPEN, CONSULTATIONS_OVERDUE)}
    governments = set(org.governments)
    recommendations: Values = {(g, s): 0 for g in governments for s in RECOMMENDATION_STATES}
    overdue_recommendations: Values = {(g,): 0 for g in governments}
    for item in facts.items:
        if item.date > today:
            continue
        overdue = item.overdue_days(today) > 0
        if item.kind == "recommendation":
            government = item.government or government_of(item.district)
            state = item.status_on(today) or "raised"
            _add(recommendations, (government, state))
            _add(overdue_recommendations, (government,), overdue)
            continue
        if item.district is None:
            continue
        where = (item.district, item.government or government_of(item.district))
        if item.kind == "opinion":
            _add(opinions[OPINIONS_RECEIVED_MONTH], where, m_first <= item.date <= m_last)
            _add(opinions[OPINIONS_ANSWERED_MONTH], where, item.stepped(("answered", "escalated"), m_first, m_last))
            _add(opinions[OPINIONS_OPEN], where, item.is_open(today))
            _add(opinions[OPINIONS_OVERDUE], where, overdue)
        else:
            _add(consultations[CONSULTATIONS_OPEN], where, item.is_open(today))
            _add(consultations[CONSULTATIONS_OVERDUE], where, overdue)
    return {
        **opinions,
        **consultations,
        RECOMMENDATIONS: recommendations,
        RECOMMENDATIONS_OVERDUE: overdue_recommendations,
    }


def _add(values: Values, labels: tuple[str, ...], count: bool | int = 1) -> None:
    values[labels] = values.get(labels, 0) + int(count)


def _settlement_figures(db: Any) -> Values:
    rows = db.query(
        "SELECT service_year, superseded_by IS NULL AS standing, COUNT(*) AS n FROM rpt_settlements"
        " GROUP BY service_year, superseded_by IS NULL"
    )
    out: Values = defaultdict(float)
    for r in rows:
        out[(str(r["service_year"]), "current" if r["standing"] else "superseded")] += int(r["n"])
    return dict(out)


def pool_figures(runtime: Any) -> dict[Gauge, Values]:
    """psycopg_pool's own measures of every PostgreSQL pool this process holds (none in embedded mode)."""
    connections: Values = {}
    waiting: Values = {}
    for service, pool_name, pool in _pools(runtime):
        try:
            stats = pool.get_stats()
        except Exception:  # a pool being closed
            continue
        connections[(service, pool_name, "open")] = stats.get("pool_size", 0)
        connections[(service, pool_name, "idle")] = stats.get("pool_available", 0)
        connections[(service, pool_name, "max")] = stats.get("pool_max", 0)
        waiting[(service, pool_name)] = stats.get("requests_waiting", 0)
    return {DB_POOL_CONNECTIONS: connections, DB_POOL_WAITING: waiting}


def _pools(runtime: Any) -> Iterable[tuple[str, str, Any]]:
    for service, db in getattr(runtime, "dbs", {}).items():
        pool = getattr(db, "_pool", None)
        if pool is not None and hasattr(pool, "get_stats"):
            yield service, "tables", pool
    for service, app in getattr(runtime, "apps", {}).items():
        pool = getattr(getattr(getattr(app, "recorder", None), "datastore", None), "pool", None)
        if pool is not None and hasattr(pool, "get_stats"):
            yield service, "events", pool
