"""The annual report of a service year (R-RPT-4).

Per group: the year's compliance and fee settlement (R-FEE-1) — the figures
of the latest settlement, with a finding where the live figures computed now
by the visits service's own functions differ (a visit corrected or voided
after settling) — plus ratings (R-EVA-2), the governments' annual summaries
and the groups' planning evaluations (R-EVA-3), the evaluation inputs side
by side (R-EVA-1) and the governments' assessment (R-EVA-4).

The service year is each group's contract's: year 2021 of a contract from
2021-06-01 runs 2021-06-01 .. 2022-05-31 (R-VIS-4); the report's dates span
its groups' years.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from statistics import mean
from typing import Any

from services.backbone.domain import DomainError
from services.programme.calendar import month_bounds, month_label, served_dates
from services.programme.duty import VisitFacts, check_service_year
from services.programme.fees import calculate
from services.reporting import periods
from services.reporting.items import counters
from services.reporting.projections.contract_terms import contract_terms
from services.reporting.readmodels import GroupInfo, Organisation
from services.reporting.settings import ReportSettings
from services.reporting.views.common import header, note, period_warnings, sum_counters, sum_numbers, top_level
from services.reporting.views.facts import Facts, sort_key
from services.reporting.views.governments import government_figures
from services.reporting.views.groups import item_notes, loose_notes

# R-FEE-1's figures compared between the latest settlement and the live calculation.
COMPARED = (
    "duty_months",
    "months_with_visit",
    "days",
    "required_days",
    "day_shortfall",
    "visit_shortfall",
    "shortfall",
    "annual_fee_fen",
    "deduction_rule",
    "fee_fen",
    "deduction_fen",
    "payable_fen",
)
RATING_ITEMS = ("cooperation", "workplace", "implementation")
COUNTER_FAMILIES = ("opinions", "recommendations", "consultations", "publicity")


def year_bounds(org: Organisation, year: int) -> tuple[dt.date, dt.date] | None:
    """The dates service year ``year`` spans over every contract it belongs to."""
    spans = []
    for contract in org.contracts.values():
        try:
            spans.append(check_service_year(contract, year))
        except DomainError:
            continue
    if not spans:
        return None
    return min(a for a, _ in spans), max(b for _, b in spans)


def period_for(org: Organisation, label: str) -> periods.Period:
    p = periods.parse("annual", label)
    bounds = year_bounds(org, p.year)
    return dataclasses.replace(p, first=bounds[0], last=bounds[1]) if bounds else p


def _serves_within(visit: VisitFacts, first: dt.date, last: dt.date) -> bool:
    return visit.date <= last and served_dates(visit.date, visit.days)[-1] >= first


def group_year(
    facts: Facts, info: GroupInfo, year: int, settlement: dict[str, Any] | None
) -> dict[str, Any] | None:
    assignment = info.assignment
    if assignment.contract is None:
        return None
    try:
        first, last = check_service_year(assignment.contract, year)  # type: ignore[arg-type]
        visits = [v for v in facts.visits.get(info.code, []) if _serves_within(v, first, last)]
        calc = calculate(assignment, year, visits)
    except DomainError:
        return None
    if not info.on_duty_between(first, last) and settlement is None:
        return None
    record = calc.record
    live = calc.figures.as_dict()
    today = facts.today
    in_year = [v for v in visits if first <= v.date <= last]
    counted = [v for v in in_year if not v.voided]
    leader_months = [
        m for m in record.duty_months
        if any(v.met_leader and month_bounds(*m)[0] <= v.date <= month_bounds(*m)[1] for v in counted)
    ]
    findings: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for m in record.duty_months:
        ended = month_bounds(*m)[1] < today
        target = findings if ended else warnings
        if m not in record.months_with_visit:
            target.append(note("R-VIS-2", "履职月没有到片区服务", month=month_label(m)))
        if m not in leader_months:
            target.append(note("R-VIS-3", "履职月没有与镇街（园区）主要负责同志当面交流", month=month_label(m)))
    if record.days < record.required_days:
        (findings if last < today else warnings).append(
            note("R-VIS-4", f"服务年度服务 {float(record.days)} 天，低于应服务的 {float(record.required_days)} 天")
        )
    shown = dict(live)
    differs: bool | None = None
    if settlement is not None:
        shown = {k: settlement["figures"].get(k) for k in live}
        changed = [k for k in COMPARED if settlement["figures"].get(k) != live.get(k)]
        differs = bool(changed)
        if changed:
            parts = "，".join(f"{k} {settlement['figures'].get(k)} → {live.get(k)}" for k in changed)
            findings.append(
                note("R-FEE-1", f"第 {settlement['number']} 号结算之后数据已有变化（{parts}），需重新结算")
            )
    elif last < today:
        warnings.append(note("R-FEE-1", f"{year} 服务年度已结束，尚未结算"))
    as_of = min(last, today)
    (findings if last < today else warnings).extend(item_notes(facts, info.code, as_of))
    return {
        **facts.names(info.code),
        "contract": info.contract,
        "service_year": year,
        "first_date": first.isoformat(),
        "last_date": last.isoformat(),
        "duty_months": shown["duty_months"],
        "months_with_visit": shown["months_with_visit"],
        "months_with_leader_met": len(leader_months),
        "visits": len(counted),
        "days": shown["days"],
        "required_days": shown["required_days"],
        "day_shortfall": shown["day_shortfall"],
        "visit_shortfall": shown["visit_shortfall"],
        "shortfall": shown["shortfall"],
        "deduction_rule": shown["deduction_rule"],
        "annual_fee_fen": shown["annual_fee_fen"],
        "fee_fen": shown["fee_fen"],
        "deduction_fen": shown["deduction_fen"],
        "payable_fen": shown["payable_fen"],
        "figures_from": "settlement" if settlement is not None else "live",
        "settlement": None if settlement is None else {
            "id": settlement["id"],
            "number": settlement["number"],
            "settled_on": settlement["settled_on"],
            "unconfirmed_visits": len(settlement["unconfirmed_visits"]),
        },
        "settlement_differs": differs,
        "live": live,
        "duty_month_list": [month_label(m) for m in record.duty_months],
        "months_with_visit_list": [month_label(m) for m in record.months_with_visit],
        "unconfirmed_visits": sum(1 for v in counted if v.confirmation == "unconfirmed"),
        "disputed_visits": sum(1 for v in counted if v.confirmation == "disputed"),
        "late_visits": sum(1 for v in counted if v.late),
        "voided_visits": sum(1 for v in in_year if v.voided),
        **counters(facts.group_items(info.code), first, last, as_of),
        "publicity": facts.group_publicity(info.code, first, last),
        "findings": findings,
        "warnings": warnings,
    }


def evaluation_inputs(facts: Facts, row: dict[str, Any]) -> dict[str, Any]:
    """R-EVA-1: the figures an evaluation weighs, side by side (the scores are the bureau's)."""
    first, last = dt.date.fromisoformat(row["first_date"]), dt.date.fromisoformat(row["last_date"])
    as_of = min(last, facts.today)
    items = facts.group_items(row["group"])
    opinions = [i for i in items if i.kind == "opinion" and first <= i.date <= last]
    consultations = [i for i in items if i.kind == "consultation"]
    answered = [(i, i.answered_on(as_of)) for i in consultations]
    answered = [(i, d) for i, d in answered if d is not None and first <= d <= last]
    recs = [i for i in items if i.kind == "recommendation"]
    return {
        "group": row["group"],
        "district": row["district"],
        "district_name": row["district_name"],
        "days": row["days"],
        "required_days": row["required_days"],
        "duty_months": row["duty_months"],
        "months_with_visit": row["months_with_visit"],
        "months_with_leader_met": row["months_with_leader_met"],
        "recommendations_raised": sum(1 for i in recs if first <= i.date <= last),
        "recommendations_implemented": sum(
            1 for i in recs if i.completed_on(as_of) is not None and first <= i.completed_on(as_of) <= last  # type: ignore[operator]
        ),
        "consultations_answered": len(answered),
        "consultations_answered_on_time": sum(1 for i, d in answered if i.due_date and d <= i.due_date),
        "opinions_received": len(opinions),
        "opinions_answered_in_time": sum(
            1 for i in opinions
            if i.answered_on(as_of) is not None and i.due_date and i.answered_on(as_of) <= i.due_date  # type: ignore[operator]
        ),
    }


def build(facts: Facts, p: periods.Period, settings: ReportSettings, notes: list[dict[str, Any]]) -> dict[str, Any]:
    year = p.year
    settlements = facts.reads.latest_settlements(year)
    rows = []
    for code in sorted(facts.org.groups):
        row = group_year(facts, facts.org.groups[code], year, settlements.get(code))
        if row is not None:
            rows.append(row)
    rows.sort(key=sort_key)
    today = facts.today
    as_of = p.as_of(today)
    ended = p.last < today
    warnings = period_warnings(p, settings, today) + top_level(rows, "warnings")
    findings = top_level(rows, "findings")

    ratings = [
        {**facts.names(r["grp"]), "target": r["target"], "target_code": r["target_code"],
         **{k: r["scores"].get(k) for k in RATING_ITEMS}, "text": r["text"], "date": r["date"]}
        for r in facts.reads.ratings(year)
    ]
    summaries = facts.reads.annual_summaries(year)
    government_summaries = [
        {"government": s["government"] or s["author"],
         "government_name": (facts.org.governments.get(s["government"] or s["author"] or "") or {}).get("name"),
         "date": s["date"], "text": s["text"], "revision": s["revision"]}
        for s in summaries if s["kind"] == "implementation"
    ]
    planning_evaluations = [
        {**facts.names(s["grp"] or s["author"]), "date": s["date"], "text": s["text"], "revision": s["revision"]}
        for s in summaries if s["kind"] == "planning_evaluation"
    ]
    planning_evaluations.sort(key=sort_key)

    governments = government_figures(facts.items, facts.org, p.first, p.last, as_of)
    involved = {r["government"] for r in rows if r["government"]}
    for g in governments:
        received = [r for r in ratings if r["target"] == "government" and r["target_code"] == g["government"]]
        for item in RATING_ITEMS:
            values = [r[item] for r in received if isinstance(r[item], int)]
            g[f"rating_{item}"] = round(mean(values), 2) if values else None
        g["ratings_received"] = len(received)
        g["annual_summary_submitted"] = any(s["government"] == g["government"] for s in government_summaries)

    if ended:
        rated = {(r["group"], r["target"]) for r in ratings}
        planned = {e["group"] for e in planning_evaluations}
        for row in rows:
            for target in ("government", "district"):
                if (row["group"], target) not in rated:
                    warnings.append(note("R-EVA-2", f"小组 {row['group']} 尚未提交对{'区政府（管委会）' if target == 'government' else '镇街（园区）'}的年度评价", group=row["group"]))
            if row["group"] not in planned:
                warnings.append(note("R-EVA-3", f"小组 {row['group']} 尚未提交年度规划评估小结", group=row["group"]))
        for code in sorted(involved):
            if not any(s["government"] == code for s in government_summaries):
                warnings.append(note("R-EVA-3", f"{code} 尚未提交年度落实情况总结", government=code))

    (findings if ended else warnings).extend(loose_notes(facts, as_of))
    return {
        **header(p, settings, today),
        "service_year": year,
        "warnings": warnings,
        "findings": findings,
        "groups": rows,
        "governments": governments,
        "totals": {
            "groups": len(rows),
            "settled_groups": sum(1 for r in rows if r["settlement"] is not None),
            "groups_with_changed_settlement": sum(1 for r in rows if r["settlement_differs"]),
            **sum_numbers(
                rows,
                ("duty_months", "months_with_visit", "months_with_leader_met", "visits", "days", "required_days",
                 "fee_fen", "deduction_fen", "payable_fen", "unconfirmed_visits", "disputed_visits", "late_visits",
                 "voided_visits"),
            ),
            **sum_counters(rows, COUNTER_FAMILIES),
            "findings": sum(len(r["findings"]) for r in rows),
        },
        **contracts_sections(facts, rows),
        "ratings": ratings,
        "government_summaries": government_summaries,
        "planning_evaluations": planning_evaluations,
        "evaluation_inputs": [evaluation_inputs(facts, r) for r in rows],
        "evaluations": [
            {"subject_kind": e["subject_kind"], "code": e["code"], "contract": e["contract"], "date": e["date"],
             "term": e["term"], "scores": e["scores"], "total": e["total"],
             "passed": None if e["passed"] is None else bool(e["passed"]), "pass_mark": e["pass_mark"]}
            for e in facts.reads.evaluations(p.first, p.last)
        ],
        "notes": notes,
        "issue": None,
    }


def contracts_sections(facts: Facts, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """R-CON-1 (amended): the contracts of the year's groups with their signing date (``contracts``),
    and their terms, one row per term (``contract_terms``)."""
    contracts, clauses = contract_terms(facts.reads.db, sorted({r["contract"] for r in rows if r.get("contract")}))
    for c in contracts:
        terms = facts.org.contracts.get(c["contract"])
        c["end_date"] = terms.end_date.isoformat() if terms is not None else None
    return {"contracts": contracts, "contract_terms": clauses}

