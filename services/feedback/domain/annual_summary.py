"""A government's annual implementation summary, or a group's annual planning evaluation (R-EVA-3)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate
from services.feedback.domain.checks import LONG_TEXT_MAX, NAMESPACE, check_code, check_not_future, check_text, check_year


ANNUAL_SUMMARY_KINDS = ("implementation", "planning_evaluation")


class AnnualSummary(Aggregate):
    """R-EVA-3: a government's annual implementation summary, or a group's annual
    planning evaluation of its district (规划评估小结)."""

    @classmethod
    def id_for(cls, kind: str, author: str, year: int) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"annual-summary:{kind}:{author}:{year}")

    @classmethod
    def create_id(cls, kind: str, author: str, year: int, **_: Any) -> uuid.UUID:
        return cls.id_for(kind, author, year)

    @staticmethod
    def check(*, today: dt.date, date: dt.date, kind: str, year: int, text: str) -> None:
        check_code(kind, ANNUAL_SUMMARY_KINDS, "kind", "R-EVA-3")
        check_year(year, today, "R-EVA-3")
        check_text(text, "text", "R-EVA-3", maximum=LONG_TEXT_MAX)
        check_not_future(date, today)

    @event("AnnualSummarySubmitted")
    def __init__(self, kind: str, author: str, government: str | None, district: str | None, group: str | None,
                 year: int, text: str, date: str, revision: int) -> None:
        self._apply(kind, author, government, district, group, year, text, date, revision)

    # A resubmission is the submission again, superseding it: consumers see one event type
    # per document and keep the highest revision.
    republished_as = {"AnnualSummaryResubmitted": "AnnualSummarySubmitted"}

    @event("AnnualSummaryResubmitted")
    def resubmit(self, kind: str, author: str, government: str | None, district: str | None, group: str | None,
                 year: int, text: str, date: str, revision: int) -> None:
        self._apply(kind, author, government, district, group, year, text, date, revision)

    def _apply(self, kind: str, author: str, government: str | None, district: str | None, group: str | None,
               year: int, text: str, date: str, revision: int) -> None:
        self.kind, self.author, self.government, self.district, self.group = kind, author, government, district, group
        self.year, self.text, self.date, self.revision = year, text, date, revision
