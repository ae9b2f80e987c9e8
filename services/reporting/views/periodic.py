"""The quarterly summary (每季一小结, R-RPT-2) and the half-yearly report to
the planning committee (每半年报告, R-RPT-3).

Both give every group's figures of R-RPT-1 over the period (duty months,
days against the required days of the period, the service year to date at
its end, items) and every government's implementation figures and rank
(views/governments.py). The half-yearly report adds the groups' work
summaries (述职) aggregated for the team, their highlights, the open and
overdue items with their ages, and the bureau's notes.
"""

from __future__ import annotations

from typing import Any

from services.reporting import periods
from services.reporting.items import Item
from services.reporting.projections.progress import latest_progress
from services.reporting.settings import ReportSettings
from services.reporting.views.common import header, note, period_warnings, sum_counters, sum_numbers, top_level
from services.reporting.views.facts import Facts, sort_key
from services.reporting.views.governments import government_figures, rate, rate_number
from services.reporting.views.groups import groups_in, loose_notes, period_row

COUNTER_FAMILIES = ("opinions", "recommendations", "consultations", "publicity")
NUMBERS = (
    "duty_months",
    "months_with_visit",
    "months_with_leader_met",
    "visits",
    "days_in_period",
    "required_days_in_period",
    "days_in_service_year",
    "required_days_to_date",
    "unconfirmed_visits",
    "disputed_visits",
    "late_visits",
    "voided_visits",
)


def build(facts: Facts, p: periods.Period, settings: ReportSettings, notes: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [r for r in (period_row(facts, g, p.months, p.first, p.last) for g in groups_in(facts, p.first, p.last)) if r]
    rows.sort(key=sort_key)
    as_of = p.as_of(facts.today)
    ended = p.last < facts.today
    loose = loose_notes(facts, as_of)
    governments = government_figures(facts.items, facts.org, p.first, p.last, as_of)
    report: dict[str, Any] = {
        **header(p, settings, facts.today),
        "warnings": period_warnings(p, settings, facts.today) + top_level(rows, "warnings") + ([] if ended else loose),
        "findings": top_level(rows, "findings") + (loose if ended else []),
        "groups": rows,
        "governments": governments,
        "totals": totals(rows, governments),
    }
    if p.kind == "half-yearly":
        report.update(half_yearly_parts(facts, p, rows, notes, report["warnings"]))
    report["progress"] = progress_section(facts, as_of)
    report["issue"] = None
    return report


def totals(rows: list[dict[str, Any]], governments: list[dict[str, Any]]) -> dict[str, Any]:
    forwarded = sum(g["forwarded"] for g in governments)
    completed = sum(g["completed"] for g in governments)
    on_time = sum(g["completed_on_time"] for g in governments)
    return {
        "groups": len(rows),
        **sum_numbers(rows, NUMBERS),
        **sum_counters(rows, COUNTER_FAMILIES),
        "findings": sum(len(r["findings"]) for r in rows),
        "governments": {
            "governments": len(governments),
            "ranked": sum(1 for g in governments if g["rank"] is not None),
            "forwarded": forwarded,
            "completed": completed,
            "completed_on_time": on_time,
            "completion_rate": rate_number(rate(completed, forwarded)),
            "on_time_rate": rate_number(rate(on_time, forwarded)),
        },
    }


def _sub_periods(p: periods.Period) -> list[str]:
    """The labels a half-year's highlights may carry: the half, its quarters, its months."""
    half = p.label
    quarters = [f"{p.year}-Q{q}" for q in ((1, 2) if half.endswith("H1") else (3, 4))]
    return [half, *quarters, *(f"{y:04d}-{m:02d}" for y, m in p.months)]


def half_yearly_parts(
    facts: Facts, p: periods.Period, rows: list[dict[str, Any]], notes: list[dict[str, Any]],
    warnings: list[dict[str, Any]],
) -> dict[str, Any]:
    as_of = p.as_of(facts.today)
    documents = facts.reads.work_summaries(_sub_periods(p))
    summaries = [
        {**facts.names(d["grp"]), "period": d["period"], "date": d["date"], "text": d["text"],
         "highlights": d["highlights"], "revision": d["revision"]}
        for d in documents if d["kind"] == "half_yearly" and d["period"] == p.label
    ]
    summaries.sort(key=sort_key)
    highlights = [
        {**facts.names(d["grp"]), "period": d["period"], "date": d["date"], "text": d["text"],
         "highlights": d["highlights"]}
        for d in documents if d["kind"] == "highlights"
    ]
    highlights.sort(key=lambda h: (h["period"], *sort_key(h)))
    submitted = {s["group"] for s in summaries}
    missing = [r["group"] for r in rows if r["group"] not in submitted]
    if p.last < facts.today:
        for group in missing:
            warnings.append(note("R-RPT-3", f"小组 {group} 尚未提交 {p.label} 半年工作述职", group=group))
    open_items = [
        i.as_open_item(as_of, facts.group_of(i)) for i in facts.items if _open(i, as_of)
    ]
    open_items.sort(key=lambda i: (-i["overdue_days"], -i["age_days"], i["kind"], i["ref"]))
    return {
        "work_summaries": summaries,
        "team_summary": {
            "groups": len(rows),
            "submitted": len(summaries),
            "missing": missing,
            "highlights": sum(len(s["highlights"]) for s in summaries) + sum(len(h["highlights"]) for h in highlights),
            "publicity_actions": sum(r["publicity"]["actions"] for r in rows),
            "publicity_audience": sum(r["publicity"]["audience"] for r in rows),
        },
        "highlights": highlights,
        "open_items": open_items,
        "open_items_totals": {
            "open": len(open_items),
            "overdue": sum(1 for i in open_items if i["overdue_days"] > 0),
            **{
                kind: sum(1 for i in open_items if i["kind"] == kind)
                for kind in ("opinion", "recommendation", "consultation")
            },
        },
        "notes": notes,
    }


REPORTER_ROLES = {"government": "区政府（管委会）", "subdistrict": "镇街（园区）", "bureau": "市自然资源和规划局"}


def progress_section(facts: Facts, as_of: Any) -> list[dict[str, Any]]:
    """Every recommendation open at the period's end with its latest implementation progress
    then (R-REC-2): percent, date, text and who reported it; none reported yet: empty."""
    open_recs = [i for i in facts.items if i.kind == "recommendation" and _open(i, as_of)]
    latest = latest_progress(facts.reads.db, (i.ref for i in open_recs), as_of.isoformat())
    out = []
    for item in open_recs:
        found = latest.get(item.ref)
        forwarded = item.forwarded_on is not None and item.forwarded_on <= as_of  # as the period's end saw it
        out.append({
            **facts.names(item.group or ""),
            "district": item.district,
            "district_name": (facts.org.districts.get(item.district or "") or {}).get("name"),
            "government": item.government,
            "government_name": (facts.org.governments.get(item.government or "") or {}).get("name"),
            "ref": item.ref,
            "title": item.title,
            "letter_no": item.letter_no if forwarded else None,
            "status": item.status_on(as_of),
            "due_date": item.due_date.isoformat() if item.due_date and forwarded else None,
            "percent": found["percent"] if found else None,
            "progress_date": found["date"] if found else None,
            "progress_text": found["text"] if found else None,
            "reporter": _reporter(facts, item, found),
        })
    out.sort(key=lambda r: (r["government"] or "", r["district"] or "", r["progress_date"] or "", r["ref"]))
    return out


def _reporter(facts: Facts, item: Item, found: dict[str, Any] | None) -> str | None:
    """Who reported the progress, by name: the government or sub-district of the recommendation, or the bureau."""
    if not found:
        return None
    role = found["role"]
    if role == "government":
        name = (facts.org.governments.get(item.government or "") or {}).get("name")
    elif role == "subdistrict":
        name = (facts.org.districts.get(item.district or "") or {}).get("name")
    else:
        name = None
    return name or REPORTER_ROLES.get(role) or found["actor"]


def _open(item: Item, as_of: Any) -> bool:
    return item.date <= as_of and item.is_open(as_of)
