"""Request bodies of the feedback service (strict: unknown fields are refused).

Schemas check shapes and types (400). Vocabularies, lengths and ranges that
a rule sets (categories, 1..2000 characters, 1–5 scores, 0–100 %) are checked
by the domain, so the refusal names its rule (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SHORT = 64  # codes and ids


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class GeoPoint(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class SubmitOpinion(Strict):
    category: str = Field(max_length=SHORT)
    text: str
    channel: str = Field(default="app", max_length=SHORT)
    district: str | None = Field(default=None, max_length=SHORT)
    point: GeoPoint | None = None
    public: bool = False
    date: dt.date | None = None
    contact_phone: str | None = Field(default=None, max_length=32)
    contact_name: str | None = None
    contact_email: str | None = Field(default=None, max_length=200)
    app_user_id: str | None = Field(default=None, max_length=128)
    address: str | None = None
    media_url: str | None = Field(default=None, max_length=2000)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=20)


class Dated(Strict):
    date: dt.date | None = None


class AcknowledgeOpinion(Dated):
    group: str | None = Field(default=None, max_length=SHORT)


class RelayOpinion(Dated):
    comment: str


class AnswerOpinion(Dated):
    reply: str


class EscalateOpinion(Dated):
    title: str | None = None
    text: str | None = None
    category: str | None = Field(default=None, max_length=SHORT)


class RaiseRecommendation(Dated):
    group: str = Field(max_length=SHORT)
    title: str
    text: str
    category: str = Field(max_length=SHORT)
    source: str = Field(max_length=SHORT)
    opinions: list[str] = Field(default_factory=list, max_length=50)
    visits: list[str] = Field(default_factory=list, max_length=50)


class ForwardRecommendation(Dated):
    letter_no: str
    due_date: dt.date | None = None


class SendLetter(Dated):
    government: str = Field(max_length=SHORT)
    letter_no: str
    due_date: dt.date | None = None
    recommendations: list[str] = Field(max_length=200)


class OptionalText(Dated):
    text: str | None = None


class Reason(Dated):
    reason: str


class Progress(Dated):
    percent: int
    text: str


class Completion(Dated):
    text: str


class RequestConsultation(Dated):
    group: str = Field(max_length=SHORT)
    kind: str = Field(max_length=SHORT)
    subject: str | None = None
    stage: str | None = Field(default=None, max_length=SHORT)
    documents: list[str] = Field(default_factory=list, max_length=50)
    question: str | None = None
    asked_by: str = Field(default="district", max_length=SHORT)
    due_date: dt.date | None = None


class ConsultationOpinion(Dated):
    text: str
    verdict: str | None = Field(default=None, max_length=SHORT)


class RecordPublicity(Dated):
    group: str = Field(max_length=SHORT)
    title: str
    mode: str = Field(max_length=SHORT)
    audience: int = 0
    platform: str | None = None
    text: str | None = None


class SubmitWorkSummary(Dated):
    group: str = Field(max_length=SHORT)
    period: str = Field(max_length=16)
    text: str
    kind: str = Field(default="half_yearly", max_length=SHORT)
    highlights: list[str] = Field(default_factory=list, max_length=50)


class SubmitRating(Dated):
    group: str = Field(max_length=SHORT)
    year: int
    target: str = Field(max_length=SHORT)
    scores: dict[str, Any]
    text: str | None = None


class SubmitAnnualSummary(Dated):
    kind: str = Field(max_length=SHORT)
    year: int
    text: str
    government: str | None = Field(default=None, max_length=SHORT)
    group: str | None = Field(default=None, max_length=SHORT)


class ReminderRecipient(Strict):
    role: str = Field(max_length=SHORT)
    code: str | None = Field(default=None, max_length=SHORT)


class Reminder(Strict):
    """One reminder as reporting computes it (``GET /api/v1/reminders``)."""

    kind: str = Field(max_length=SHORT)
    rule: str = Field(max_length=16)
    to: ReminderRecipient
    message: str
    group: str | None = Field(default=None, max_length=SHORT)
    district: str | None = Field(default=None, max_length=SHORT)
    government: str | None = Field(default=None, max_length=SHORT)
    item: str | None = Field(default=None, max_length=SHORT)
    ref: str | None = Field(default=None, max_length=200)
    due_date: dt.date | None = None
    days: int | float | None = None
    target_days: int | float | None = None


class IssueReminders(Dated):
    """R-RPT-8: a business date's reminders, handed over by reporting's daily job."""

    reminders: list[Reminder] = Field(max_length=5000)
