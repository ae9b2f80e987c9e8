"""The visits service's success answers (the aggregates' as_dict, the duty and settlement views),
for the OpenAPI document; dates are ISO strings, service days numbers in 0.5 steps."""

from __future__ import annotations

from typing import Any

from services.backbone.answers import Answer, page_of


class Visit(Answer):
    id: str
    group: str
    district: str | None
    date: str
    days: float
    planners: list[str]
    activities: list[Any]
    places: list[Any]
    leader_met: bool
    leader_name: str | None
    notes: str | None
    point: Any
    attachments: list[Any]
    late: bool
    status: str
    voided: bool
    void_reason: str | None
    confirmation: str | None
    revision: int
    version: int


class VisitWithHistory(Visit):
    history: list[Any]


class DutyCalendar(Answer):
    group: str
    service_year: int
    first_date: str
    last_date: str
    duty_months: int
    duty_month_list: list[str]
    months_with_visit: int
    required_days: float
    days: float
    months: list[dict[str, Any]]


class Compliance(Answer):
    """A group's month against R-VIS (API.md "Report JSON", one group's month)."""

    group: str
    month: str
    service_year: int
    duty_month: bool
    visits: int
    days_in_month: float
    days_in_service_year: float
    required_days_to_date: float
    has_visit: bool
    leader_met: bool
    unconfirmed_visits: int
    findings: list[dict[str, Any]]
    warnings: list[Any]


class Settlement(Answer):
    """A service year's settlement (R-FEE-1); money in integer fen."""

    group: str
    service_year: int


VisitPage = page_of(Visit, "visits")
