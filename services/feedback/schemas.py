"""Request bodies of the feedback service (strict: unknown fields are refused).

Schemas check shapes and types (400). Vocabularies, lengths and ranges that
a rule sets (categories, 1..2000 characters, 1–5 scores, 0–100 %) are checked
by the domain, so the refusal names its rule (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.backbone.text import Plain

SHORT = 64  # codes and ids
# A code: no bidirectional controls (R-SEC-3); titles and texts are free text.
Short = Annotated[str, Field(max_length=SHORT), Plain]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class GeoPoint(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class SubmitOpinion(Strict):
    category: Short
    text: str
    channel: Short = "app"
    district: Short | None = None
    point: GeoPoint | None = None
    public: bool = False
    date: dt.date | None = None
    contact_phone: str | None = Field(default=None, max_length=32)
    contact_name: Annotated[str, Plain] | None = None
    contact_email: str | None = Field(default=None, max_length=200)
    app_user_id: str | None = Field(default=None, max_length=128)
    address: str | None = None
    media_url: str | None = Field(default=None, max_length=2000)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=20)


class Dated(Strict):
    date: dt.date | None = None


class AcknowledgeOpinion(Dated):
    group: Short | None = None


class AssignDistrict(Dated):
    """R-OPN-1: the district of an opinion that came with only a street address."""

    district: Short


class RelayOpinion(Dated):
    comment: str


class AnswerOpinion(Dated):
    reply: str


class EscalateOpinion(Dated):
    title: str | None = None
    text: str | None = None
    category: Short | None = None


class RaiseRecommendation(Dated):
    group: Short
    title: str
    text: str
    category: Short
    source: Short
    opinions: list[str] = Field(default_factory=list, max_length=50)
    visits: list[str] = Field(default_factory=list, max_length=50)


class ForwardRecommendation(Dated):
    letter_no: str
    due_date: dt.date | None = None


class SendLetter(Dated):
    government: Short
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
    group: Short
    kind: Short
    subject: str | None = None
    stage: Short | None = None
    documents: list[str] = Field(default_factory=list, max_length=50)
    question: str | None = None
    asked_by: Short | None = None  # R-CSL-1: default the caller's own (a government's or a sub-district's)
    due_date: dt.date | None = None


class ConsultationOpinion(Dated):
    text: str
    verdict: Short | None = None


class RecordPublicity(Dated):
    group: Short
    title: str
    mode: Short
    audience: int = 0
    platform: str | None = None
    text: str | None = None


class SubmitWorkSummary(Dated):
    group: Short
    period: str = Field(max_length=16)
    text: str
    kind: Short = "half_yearly"
    highlights: list[str] = Field(default_factory=list, max_length=50)


class SubmitRating(Dated):
    group: Short
    year: int
    target: Short
    scores: dict[str, Any]
    text: str | None = None


class SubmitAnnualSummary(Dated):
    kind: Short
    year: int
    text: str
    government: Short | None = None
    group: Short | None = None


class ReminderRecipient(Strict):
    role: Short
    code: Short | None = None


class Reminder(Strict):
    """One reminder as reporting computes it (``GET /api/v1/reminders``)."""

    kind: Short
    rule: str = Field(max_length=16)
    to: ReminderRecipient
    message: str
    group: Short | None = None
    district: Short | None = None
    government: Short | None = None
    item: Short | None = None
    ref: str | None = Field(default=None, max_length=200)
    due_date: dt.date | None = None
    days: int | float | None = None
    target_days: int | float | None = None


class IssueReminders(Dated):
    """R-RPT-8: a business date's reminders, handed over by reporting's daily job."""

    reminders: list[Reminder] = Field(max_length=5000)


class Open311Request(BaseModel):
    """A GeoReport v2 ``POST requests`` form (urlencoded or multipart), as ``open311.opinion_from_form``
    reads it; ``attribute[district]``, ``attribute[public]`` and other ``attribute[...]`` fields are allowed.
    Documents the form for the OpenAPI document (issue 16); the handler reads the form itself."""

    model_config = ConfigDict(extra="allow")

    service_code: str = Field(max_length=SHORT)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: str | None = None
    description: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    account_id: str | None = None
    media_url: str | None = None
