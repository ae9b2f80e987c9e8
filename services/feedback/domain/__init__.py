"""Feedback: opinions, recommendations, letters, consultations and the groups'
yearly paperwork (DOMAIN.md §4, R-EVA-2, R-EVA-3), and the daily reminders
handed to this service's notifier (R-RPT-8).

Each public method checks its rules with small ``check_...`` functions and
then triggers one event through a private ``@event`` method whose arguments
are exactly the event's data: the business codes (``district``, ``group``,
``government``) and business dates every consumer needs travel in every
event, so reporting never has to look anything up. Nothing here computes
``now()``, ids or random values: the application passes them in.

The package holds one module per aggregate and ``checks`` for what they share;
its names are importable from here.
"""

from __future__ import annotations

from services.feedback.domain.checks import (
    CATEGORIES,
    CATEGORY_NAMES,
    CHANNELS,
    LONG_TEXT_MAX,
    NAMESPACE,
    TEXT_MAX,
    TITLE_MAX,
    check_code,
    check_not_before,
    check_not_future,
    check_status,
    check_text,
    check_year,
)
from services.feedback.domain.opinion import (
    PERSONAL_ALWAYS,
    PUBLIC_POINT_DECIMALS,
    Opinion,
    public_point,
    redact_received,
)
from services.feedback.domain.recommendation import LINK_NAMES, SOURCES, Recommendation, check_links
from services.feedback.domain.letter import Letter
from services.feedback.domain.consultation import (
    ASKER_NAMES,
    ASKER_ROLES,
    CONSULTATION_KINDS,
    STAGES,
    VERDICTS,
    Consultation,
    check_asker,
)
from services.feedback.domain.publicity import PUBLICITY_MODES, Publicity
from services.feedback.domain.work_summary import SUMMARY_KINDS, WorkSummary, check_period
from services.feedback.domain.rating import RATING_ITEMS, RATING_TARGETS, Rating
from services.feedback.domain.annual_summary import ANNUAL_SUMMARY_KINDS, AnnualSummary
from services.feedback.domain.reminders import (
    REMINDERS_MAX,
    REMINDER_KINDS,
    REMINDER_MESSAGE_MAX,
    REMINDER_ROLES,
    Reminders,
)
from services.feedback.domain import previous_topics  # noqa: F401 (what the previous release stored keeps loading)

__all__ = [
    "ANNUAL_SUMMARY_KINDS",
    "ASKER_NAMES",
    "ASKER_ROLES",
    "AnnualSummary",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "CHANNELS",
    "CONSULTATION_KINDS",
    "Consultation",
    "LINK_NAMES",
    "LONG_TEXT_MAX",
    "Letter",
    "NAMESPACE",
    "Opinion",
    "PERSONAL_ALWAYS",
    "PUBLICITY_MODES",
    "PUBLIC_POINT_DECIMALS",
    "Publicity",
    "RATING_ITEMS",
    "RATING_TARGETS",
    "REMINDERS_MAX",
    "REMINDER_KINDS",
    "REMINDER_MESSAGE_MAX",
    "REMINDER_ROLES",
    "Rating",
    "Recommendation",
    "Reminders",
    "SOURCES",
    "STAGES",
    "SUMMARY_KINDS",
    "TEXT_MAX",
    "TITLE_MAX",
    "VERDICTS",
    "WorkSummary",
    "check_asker",
    "check_code",
    "check_links",
    "check_not_before",
    "check_not_future",
    "check_period",
    "check_status",
    "check_text",
    "check_year",
    "public_point",
    "redact_received",
]
