"""Today's reminders (R-RPT-8), computed from the read models as of a business date.

- a group on duty with no service day in a duty month by its 20th (a setting);
- a group behind the pro-rata service days: fewer days in the service year
  so far than 30 × (duty months ended before this one + the share of this
  duty month gone by) / 12 (R-VIS-4);
- an opinion, recommendation or consultation due within 7 days (a setting)
  or overdue (R-OPN-2, R-REC-3, R-CSL-1);
- a new letter to a government (R-REC-2): one dated that day.

A pure function of the facts and the date, so the reminders of any past day
can be recomputed; delivering them is the feedback service's notifier's job
(``daily_reminders.py`` hands each day's over, once per date).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from services.backbone.domain import DomainError
from services.backbone.persistence import Database
from services.programme.calendar import days_between, month_bounds, service_days
from services.programme.duty import DAYS_PER_YEAR, MONTHS_PER_YEAR, year_record
from services.reporting.items import Item
from services.reporting.settings import ReportSettings
from services.reporting.views.facts import Facts, load


def _to(role: str, code: str | None) -> dict[str, Any]:
    return {"role": role, "code": code}


def group_reminders(facts: Facts, day: dt.date, settings: ReportSettings) -> list[dict[str, Any]]:
    out = []
    month = (day.year, day.month)
    m_first, m_last = month_bounds(*month)
    for code in sorted(facts.org.groups):
        info = facts.org.groups[code]
        contract = info.assignment.contract
        if contract is None or not info.serves_on(day) or not contract.covers(day):
            continue
        visits = [v for v in facts.visits.get(code, []) if v.date <= day]
        try:
            record = year_record(info.assignment, contract.service_year_of(day), visits)
        except DomainError:
            continue
        is_duty = month in record.duty_months
        per_date = service_days((v.date, v.days) for v in visits if not v.voided)
        where = {"group": code, "district": info.district, "government": info.government}
        if is_duty and day.day >= settings.visit_reminder_day and days_between(per_date, m_first, day) == 0:
            out.append({
                "kind": "no_visit", "rule": "R-VIS-2", "to": _to("group", code), **where,
                "message": f"小组 {code} 本月（{m_first:%Y-%m}）是履职月，截至 {day} 尚未到片区服务",
            })
        ended = [m for m in record.duty_months if month_bounds(*m)[1] < m_first]
        share = Fraction(day.day, m_last.day) if is_duty else Fraction(0)
        target = Fraction(DAYS_PER_YEAR) * (len(ended) + share) / MONTHS_PER_YEAR
        served = days_between(per_date, record.first, day)
        if served < target:
            out.append({
                "kind": "behind_pro_rata", "rule": "R-VIS-4", "to": _to("group", code), **where,
                "days": float(served), "target_days": round(float(target), 1),
                "message": f"小组 {code} 服务年度累计服务 {float(served)} 天，低于按比例应达到的 {round(float(target), 1)} 天",
            })
    return out


def _pending_due(item: Item, day: dt.date) -> dt.date | None:
    """The next due date the item still has to meet on ``day``."""
    status = item.status_on(day)
    if item.kind == "opinion" and status == "received" and item.acknowledge_due and day <= item.acknowledge_due:
        return item.acknowledge_due
    return item.due_date


def item_reminders(facts: Facts, day: dt.date, settings: ReportSettings) -> list[dict[str, Any]]:
    out = []
    for item in facts.items:
        if item.date > day or not item.is_open(day):
            continue
        status = item.status_on(day)
        if item.kind == "recommendation" and status == "raised":
            continue  # nothing is due before the bureau forwards it
        group = facts.group_of(item)
        if item.kind == "recommendation":
            to = _to("government", item.government)
        elif group is None:  # R-OPN-1: still in the bureau's triage (no district yet): the bureau must act
            to = _to("bureau", "bureau")
        else:
            to = _to("group", group)
        where = {"group": group, "district": item.district, "government": item.government, "ref": item.ref,
                 "item": item.kind}
        overdue = item.overdue_days(day)
        if overdue:
            out.append({
                "kind": "overdue", "rule": _rule(item), "to": to, **where,
                "due_date": (item.overdue_due_date(day) or day).isoformat(), "days": overdue,
                "message": item.overdue_message(day),
            })
            continue
        due = _pending_due(item, day)
        if due is not None and 0 <= (due - day).days <= settings.due_within_days:
            left = (due - day).days
            out.append({
                "kind": "due_soon", "rule": _rule(item), "to": to, **where, "due_date": due.isoformat(), "days": left,
                "message": f"{item.label()} 将于 {due} 到期（还有 {left} 天）",
            })
    return out


def _rule(item: Item) -> str:
    return {"opinion": "R-OPN-2", "recommendation": "R-REC-3", "consultation": "R-CSL-1"}[item.kind]


def letter_reminders(facts: Facts, day: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "kind": "new_letter", "rule": "R-REC-2", "to": _to("government", letter["government"]),
            "government": letter["government"], "ref": letter["letter_no"], "due_date": letter["due_date"],
            "message": f"市自然资源和规划局函告 {letter['letter_no']}：{len(letter['recommendations'])} 条意见建议，"
                       f"办理期限 {letter['due_date']}",
        }
        for letter in facts.reads.letters(day, day)
    ]


def reminders(facts: Facts, day: dt.date, settings: ReportSettings) -> list[dict[str, Any]]:
    found = group_reminders(facts, day, settings) + item_reminders(facts, day, settings) + letter_reminders(facts, day)
    order = {"overdue": 0, "no_visit": 1, "behind_pro_rata": 2, "due_soon": 3, "new_letter": 4}
    return sorted(found, key=lambda r: (order[r["kind"]], r["to"]["role"], r["to"]["code"] or "", r.get("ref") or ""))


def reminders_on(db: Database, day: dt.date, *, settings: ReportSettings | None = None) -> dict[str, Any]:
    settings = settings or ReportSettings()
    facts = load(db, day, day, day)
    found = reminders(facts, day, settings)
    counts: dict[str, int] = {}
    for r in found:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    return {"date": day.isoformat(), "reminders": found, "counts": counts}
