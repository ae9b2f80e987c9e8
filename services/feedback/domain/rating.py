"""A group's yearly rating of its government or its sub-district (R-EVA-2)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import LONG_TEXT_MAX, NAMESPACE, check_code, check_not_future, check_text, check_year


RATING_TARGETS = ("government", "district")
RATING_ITEMS = ("cooperation", "workplace", "implementation")


class Rating(Aggregate):
    """R-EVA-2: a group's yearly rating of its government or its sub-district (1–5 per item)."""

    @classmethod
    def id_for(cls, group: str, year: int, target: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"rating:{group}:{year}:{target}")

    @classmethod
    def create_id(cls, group: str, year: int, target: str, **_: Any) -> uuid.UUID:
        return cls.id_for(group, year, target)

    @staticmethod
    def check(*, today: dt.date, date: dt.date, year: int, target: str, scores: dict[str, Any],
              text: str | None) -> None:
        check_code(target, RATING_TARGETS, "target", "R-EVA-2")
        check_year(year, today, "R-EVA-2")
        unknown = sorted(set(scores) - set(RATING_ITEMS))
        if unknown:
            raise RuleViolated(f"scores.{unknown[0]}：不是评价项目（{', '.join(RATING_ITEMS)}）",
                               field=f"scores.{unknown[0]}", rule="R-EVA-2")
        for item in RATING_ITEMS:
            value = scores.get(item)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise RuleViolated(f"scores.{item}：评分应为 1 到 5 的整数", field=f"scores.{item}", rule="R-EVA-2")
        check_text(text, "text", "R-EVA-2", maximum=LONG_TEXT_MAX, required=False)
        check_not_future(date, today)

    @event("RatingSubmitted")
    def __init__(self, group: str, district: str, government: str | None, year: int, target: str,
                 target_code: str | None, scores: dict[str, int], text: str | None, date: str,
                 revision: int) -> None:
        self._apply(group, district, government, year, target, target_code, scores, text, date, revision)

    # A resubmission is the submission again, superseding it: consumers see one event type
    # per document and keep the highest revision.
    republished_as = {"RatingResubmitted": "RatingSubmitted"}

    @event("RatingResubmitted")
    def resubmit(self, group: str, district: str, government: str | None, year: int, target: str,
                 target_code: str | None, scores: dict[str, int], text: str | None, date: str,
                 revision: int) -> None:
        self._apply(group, district, government, year, target, target_code, scores, text, date, revision)

    def _apply(self, group: str, district: str, government: str | None, year: int, target: str,
               target_code: str | None, scores: dict[str, int], text: str | None, date: str, revision: int) -> None:
        self.group, self.district, self.government = group, district, government
        self.year, self.target, self.target_code = year, target, target_code
        self.scores, self.text, self.date, self.revision = scores, text, date, revision
