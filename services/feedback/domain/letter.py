"""A letter (函告) from the bureau to one government carrying recommendations (R-REC-2)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import NAMESPACE, check_not_future, check_text
from services.feedback.domain.recommendation import Recommendation


class Letter(Aggregate):
    """A letter (函告) from the bureau to one government carrying recommendations (R-REC-2)."""

    @classmethod
    def id_for(cls, letter_no: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"letter:{letter_no}")

    @classmethod
    def create_id(cls, letter_no: str, **_: Any) -> uuid.UUID:
        return cls.id_for(letter_no)

    @classmethod
    def send(cls, *, today: dt.date, letter_no: str, government: str, date: dt.date, due_date: dt.date,
             recommendations: list[Recommendation]) -> "Letter":
        check_text(letter_no, "letter_no", "R-REC-2", maximum=100)
        if not recommendations:
            raise RuleViolated("recommendations：函告至少包含一条建议", field="recommendations", rule="R-REC-2")
        ids = [str(r.id) for r in recommendations]
        if len(set(ids)) != len(ids):
            raise RuleViolated("recommendations：同一建议不能重复列入", field="recommendations", rule="R-REC-2")
        check_not_future(date, today)
        if due_date < date:
            raise RuleViolated("due_date：办理期限不能早于函告日期", field="due_date", rule="R-REC-2")
        return cls(
            letter_no=letter_no,
            government=government,
            date=date.isoformat(),
            due_date=due_date.isoformat(),
            recommendations=ids,
            districts=sorted({r.district for r in recommendations}),
            groups=sorted({r.group for r in recommendations}),
        )

    @event("LetterIssued")
    def __init__(self, letter_no: str, government: str, date: str, due_date: str, recommendations: list[str],
                 districts: list[str], groups: list[str]) -> None:
        self.letter_no = letter_no
        self.government = government
        self.date = date
        self.due_date = due_date
        self.recommendations = recommendations
        self.districts = districts
        self.groups = groups
