"""A group's half-yearly work summary (述职) or periodic highlights (R-PUB-1, R-RPT-3)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import LONG_TEXT_MAX, NAMESPACE, TEXT_MAX, check_code, check_not_future, check_text


SUMMARY_KINDS = ("half_yearly", "highlights")

_PERIOD = {
    "half_yearly": re.compile(r"^\d{4}-H[12]$"),
    "highlights": re.compile(r"^\d{4}-(H[12]|Q[1-4]|(0[1-9]|1[0-2]))$"),
}


def check_period(kind: str, period: str) -> None:
    if not _PERIOD[kind].match(period or ""):
        example = "2022-H1" if kind == "half_yearly" else "2022-H1、2022-Q3 或 2022-03"
        raise RuleViolated(f"period：期间格式应如 {example}", field="period", rule="R-PUB-1")


class WorkSummary(Aggregate):
    """R-PUB-1 / R-RPT-3: a group's half-yearly work summary (述职) or periodic highlights."""

    @classmethod
    def id_for(cls, group: str, kind: str, period: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"work-summary:{group}:{kind}:{period}")

    @classmethod
    def create_id(cls, group: str, kind: str, period: str, **_: Any) -> uuid.UUID:
        return cls.id_for(group, kind, period)

    @staticmethod
    def check(*, today: dt.date, date: dt.date, kind: str, period: str, text: str, highlights: list[str]) -> None:
        check_code(kind, SUMMARY_KINDS, "kind", "R-PUB-1")
        check_period(kind, period)
        check_text(text, "text", "R-PUB-1", maximum=LONG_TEXT_MAX)
        for i, item in enumerate(highlights):
            check_text(item, f"highlights.{i}", "R-PUB-1", maximum=TEXT_MAX)
        check_not_future(date, today)

    @event("WorkSummarySubmitted")
    def __init__(self, group: str, district: str, government: str | None, kind: str, period: str, date: str,
                 text: str, highlights: list[str], revision: int) -> None:
        self._apply(group, district, government, kind, period, date, text, highlights, revision)

    # A resubmission is the submission again, superseding it: consumers see one event type
    # per document and keep the highest revision.
    republished_as = {"WorkSummaryResubmitted": "WorkSummarySubmitted"}

    @event("WorkSummaryResubmitted")
    def resubmit(self, group: str, district: str, government: str | None, kind: str, period: str, date: str,
                 text: str, highlights: list[str], revision: int) -> None:
        self._apply(group, district, government, kind, period, date, text, highlights, revision)

    def _apply(self, group: str, district: str, government: str | None, kind: str, period: str, date: str,
               text: str, highlights: list[str], revision: int) -> None:
        self.group, self.district, self.government = group, district, government
        self.kind, self.period, self.date = kind, period, date
        self.text, self.highlights, self.revision = text, highlights, revision
