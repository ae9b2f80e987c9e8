"""What feedback's aggregates share: the id namespace, the categories and channels, text limits, and the
checks (each raising a domain error with its rule id)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Iterable

from services.backbone.domain import Conflict, RuleViolated


NAMESPACE = uuid.UUID("5f0c6a52-1d8e-4b7e-8f0e-2a4f9c1b7d33")

CHANNELS = ("app", "planner", "open311", "hotline", "other")
# R-REC-1's categories; opinions use the same list (R-OPN-1 names none), so an
# opinion escalates into a recommendation of the same category.
CATEGORIES = (
    "heritage",
    "public_space",
    "public_service",
    "transport",
    "utilities",
    "greening",
    "land_use",
    "project_design",
    "governance",
    "other",
)
CATEGORY_NAMES = {
    "heritage": "历史文化保护",
    "public_space": "公共空间",
    "public_service": "公共服务设施",
    "transport": "交通设施",
    "utilities": "市政设施",
    "greening": "绿化",
    "land_use": "土地利用",
    "project_design": "项目设计",
    "governance": "社区治理",
    "other": "其他",
}

TEXT_MAX = 2000  # R-OPN-1
LONG_TEXT_MAX = 20000  # summaries and recommendation texts
TITLE_MAX = 200


# -- checks ---------------------------------------------------------------


def check_text(value: str | None, field: str, rule: str, *, maximum: int = TEXT_MAX, required: bool = True) -> None:
    """Text is stored as given (escaped wherever it is shown), but not blank and not too long."""
    if value is None or not value.strip():
        if required:
            raise RuleViolated(f"{field}：不能为空", field=field, rule=rule)
        return
    if len(value) > maximum:
        raise RuleViolated(f"{field}：不能超过 {maximum} 个字符（现为 {len(value)}）", field=field, rule=rule)


def check_code(value: str | None, allowed: Iterable[str], field: str, rule: str) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise RuleViolated(f"{field}：取值应为 {', '.join(allowed)} 之一", field=field, rule=rule)


def check_not_future(date: dt.date, today: dt.date, field: str = "date") -> None:
    """API.md "Business dates": never later than today (Asia/Shanghai)."""
    if date > today:
        raise RuleViolated(f"{field}：业务日期不能晚于今天（{today.isoformat()}）", field=field, rule="R-SEC-3")


def check_not_before(date: dt.date, earlier: str | None, field: str, rule: str, what: str) -> None:
    if earlier and date < dt.date.fromisoformat(earlier):
        raise RuleViolated(f"{field}：不能早于{what}（{earlier}）", field=field, rule=rule)


def check_status(current: str, allowed: Iterable[str], action: str, rule: str) -> None:
    """Steps out of order are refused with 409 (R-OPN-2, R-REC-2, R-CSL-1)."""
    allowed = tuple(allowed)
    if current not in allowed:
        raise Conflict(f"status：当前状态为 {current}，不能{action}（需为 {'/'.join(allowed)}）", field="status", rule=rule)


def check_year(year: int, today: dt.date, rule: str) -> None:
    if year < 2000 or year > today.year:
        raise RuleViolated(f"year：年份应在 2000 到 {today.year} 之间", field="year", rule=rule)


def iso_day(value: str | None) -> dt.date | None:
    """An aggregate's or a row's ISO date as the programme's rules take it (None stays None)."""
    return dt.date.fromisoformat(value) if value else None
