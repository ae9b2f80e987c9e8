"""The reporting service's success answers, for the OpenAPI document. A report's JSON is large and
grows by kind (API.md "Report JSON"): its documented top-level keys, the rest allowed."""

from __future__ import annotations

from typing import Any

from services.backbone.answers import Answer, ChainVerification


class Finding(Answer):
    rule: str
    message: str


class Report(Answer):
    """Monthly ``totals``; quarterly and half-yearly ``governments``; annual ``service_year``."""

    period: str
    generated_at: str
    warnings: list[Any]
    findings: list[Finding]
    groups: list[dict[str, Any]]


class IssuedReport(Answer):
    """A numbered frozen copy (R-RPT-7) and the formats stored with it."""

    number: int
    kind: str
    period: str
    issued_at: str
    formats: list[str]
    report: Report


class BureauNote(Answer):
    kind: str
    period: str


class AuditVerification(Answer):
    """Every service's tamper-evident chain recomputed (R-RPT-5)."""

    intact: bool
    services: list[ChainVerification]


class AuditTrail(Answer):
    entity: str
    id: str
    count: int
    events: list[dict[str, Any]]


class DueReminders(Answer):
    """A date's reminders (R-RPT-8), counted by kind."""

    date: str
    reminders: list[dict[str, Any]]
    counts: dict[str, int]
