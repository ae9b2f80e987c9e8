"""What every report shares: the header, the period warnings, findings with
their rule ids, totals, and the digest that tells whether a report's figures
changed since it was issued (R-RPT-7)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Collection, Iterable

from services.backbone import clock
from services.reporting.periods import Period
from services.reporting.settings import ReportSettings

# Not figures: left out when comparing a live report with an issued copy.
NOT_FIGURES = ("generated_at", "issue")
ISSUE_RULE = "R-RPT-7"


def header(period: Period, settings: ReportSettings, today: dt.date) -> dict[str, Any]:
    return {
        "kind": period.kind,
        "period": period.label,
        "title": period.title,
        "issuer": settings.issuer,
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "first_date": period.first.isoformat(),
        "last_date": period.last.isoformat(),
        "as_of": period.as_of(today).isoformat(),
    }


def period_warnings(period: Period, settings: ReportSettings, today: dt.date) -> list[dict[str, Any]]:
    """R-CON-3 (outside the policy's validity window) and a period not yet over."""
    warnings = []
    start, end = settings.policy_window
    if period.last < start or period.first > end:
        warnings.append(
            {"rule": "R-CON-3", "message": f"报告期不在制度有效期（{start} 至 {end}）内，数据仅供参考"}
        )
    elif period.first < start or period.last > end:
        warnings.append(
            {"rule": "R-CON-3", "message": f"报告期部分不在制度有效期（{start} 至 {end}）内，数据仅供参考"}
        )
    if period.first > today:
        warnings.append({"rule": "R-RPT-1", "message": f"报告期尚未开始（今天是 {today}）"})
    elif period.in_progress(today):
        warnings.append(
            {"rule": "R-RPT-1", "message": f"本期尚未结束，数据为截至 {today} 的情况；未到期的问题列为提示"}
        )
    return warnings


def note(rule: str, message: str, **where: Any) -> dict[str, Any]:
    """A finding or warning: the rule id, a message, and where (group, district, ref, month)."""
    return {"rule": rule, "message": message, **{k: v for k, v in where.items() if v is not None}}


def top_level(groups: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Each group's findings (or warnings), named with the group and district."""
    out = []
    for row in groups:
        for item in row.get(key, ()):
            out.append({**item, "group": row["group"], "district": row.get("district")})
    return out


# One pass over the rows, adding in row order from 0 as ``sum`` does (the same
# floats): the monthly report's cache adds a thousand rows up on every change.
def sum_numbers(rows: list[dict[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(keys, 0)
    for row in rows:
        for key in out:
            value = row.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] += value
    return out


def sum_counters(rows: list[dict[str, Any]], families: Iterable[str]) -> dict[str, dict[str, int]]:
    """Per family, each counter any row has (in the order they first appear), added up."""
    out: dict[str, dict[str, int]] = {}
    for family in families:
        totals: dict[str, int] = {}
        for row in rows:
            for key, value in row.get(family, {}).items():
                totals[key] = totals.get(key, 0) + value
        out[family] = totals
    return out


def figures_digest(report: dict[str, Any], sections: Collection[str] | None = None) -> str:
    """A hash of what the report says, leaving out when it was generated and its issue state;
    with ``sections``, only those of its top-level keys (R-RPT-7: what an issued copy holds)."""
    core = figure_sections(report, sections)
    core["warnings"] = [w for w in core.get("warnings", []) if w.get("rule") != ISSUE_RULE]
    return hashlib.sha256(figures_json(core).encode()).hexdigest()


def figure_sections(report: dict[str, Any], sections: Collection[str] | None) -> dict[str, Any]:
    """The report's top-level keys a digest covers: its figures, or those of them in ``sections``.
    A copy issued before a section was added to its family (``contracts``, ``progress``) is
    compared over the sections it holds, so the new one alone does not make it "changed"."""
    return {k: v for k, v in report.items() if k not in NOT_FIGURES and (sections is None or k in sections)}


def figures_json(value: Any) -> str:
    """What ``figures_digest`` hashes (issued reports keep the digest: the bytes must never change)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
