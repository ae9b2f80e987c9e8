"""The monthly dispatch (每月一调度, R-RPT-1).

Figures that later issues feed (duty months from contracts, opinions,
recommendations, consultations) are present in the shape and zero until then.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from fractions import Fraction
from typing import Any

from services.backbone import clock
from services.backbone.persistence import Database
from services.visits.calendar import days_between, month_bounds, service_days

# R-CON-3: the policy's validity window (data, not a rule that refuses).
POLICY_WINDOW = (dt.date(2021, 6, 1), dt.date(2023, 5, 31))
# R-VIS-4: service years run from the contract start; until contracts feed
# the reports, the policy's own start (June 1st) is the default.
DEFAULT_SERVICE_YEAR_START = (6, 1)
MAX_VISIT_SPAN = 5  # days (R-VIS-1): how far back a visit can reach into a period


def parse_month(period: str) -> tuple[int, int]:
    try:
        year, month = period.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        y, m = int(year), int(month)
        dt.date(y, m, 1)
    except ValueError:
        raise ValueError("period") from None
    return y, m


def service_year_start(day: dt.date) -> dt.date:
    m, d = DEFAULT_SERVICE_YEAR_START
    start = dt.date(day.year, m, d)
    return start if day >= start else dt.date(day.year - 1, m, d)


def _days(value: Fraction) -> float:
    return float(value)


def _zero_counters() -> dict[str, dict[str, int]]:
    return {
        "opinions": {"received": 0, "answered": 0, "overdue": 0},
        "recommendations": {"raised": 0, "forwarded": 0, "completed": 0, "overdue": 0},
        "consultations": {"requested": 0, "answered": 0, "overdue": 0},
    }


def monthly_report(db: Database, period: str, *, today: dt.date | None = None) -> dict[str, Any]:
    year, month = parse_month(period)
    first, last = month_bounds(year, month)
    today = today or clock.today()
    year_start = service_year_start(first)
    rows = db.query(
        "SELECT id, grp, district, date, days, leader_met, voided, confirmation FROM rpt_visits "
        "WHERE voided = 0 AND date >= %s AND date <= %s ORDER BY grp, date, id",
        ((min(year_start, first) - dt.timedelta(days=MAX_VISIT_SPAN)).isoformat(), last.isoformat()),
    )
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_group[row["grp"]].append(row)

    groups = []
    for group, visits in sorted(by_group.items()):
        per_date = service_days((dt.date.fromisoformat(v["date"]), v["days"]) for v in visits)
        in_month = [v for v in visits if first.isoformat() <= v["date"] <= last.isoformat()]
        days_in_month = days_between(per_date, first, last)
        groups.append(
            {
                "group": group,
                "district": next((v["district"] for v in visits if v["district"]), None),
                "duty_month": False,
                "visits": len(in_month),
                "days_in_month": _days(days_in_month),
                "days_in_service_year": _days(days_between(per_date, year_start, last)),
                "required_days_to_date": 0.0,
                "has_visit": days_in_month > 0,
                "leader_met": any(v["leader_met"] for v in in_month),
                "unconfirmed_visits": sum(1 for v in in_month if not v["confirmation"]),
                **_zero_counters(),
                "findings": [],
            }
        )

    warnings = []
    if last < POLICY_WINDOW[0] or first > POLICY_WINDOW[1]:
        warnings.append(
            {
                "rule": "R-CON-3",
                "message": f"报告期不在制度有效期（{POLICY_WINDOW[0]} 至 {POLICY_WINDOW[1]}）内",
            }
        )
    if first <= today <= last:
        warnings.append({"rule": "R-RPT-1", "message": "本月尚未结束，数据为截至今日的情况"})
    return {
        "period": period,
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "warnings": warnings,
        "findings": [],
        "groups": groups,
        "totals": _totals(groups),
    }


def _totals(groups: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {
        "groups": len(groups),
        "visits": sum(g["visits"] for g in groups),
        "days_in_month": sum(g["days_in_month"] for g in groups),
        "days_in_service_year": sum(g["days_in_service_year"] for g in groups),
        "required_days_to_date": sum(g["required_days_to_date"] for g in groups),
        "groups_with_visit": sum(1 for g in groups if g["has_visit"]),
        "groups_with_leader_met": sum(1 for g in groups if g["leader_met"]),
        "unconfirmed_visits": sum(g["unconfirmed_visits"] for g in groups),
    }
    for family, counters in _zero_counters().items():
        totals[family] = {k: sum(g[family][k] for g in groups) for k in counters}
    return totals
