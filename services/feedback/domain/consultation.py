"""A technical consultation: requested, answered by the group, closed by the asker (R-CSL-1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import (
    LONG_TEXT_MAX,
    TITLE_MAX,
    check_code,
    check_not_before,
    check_not_future,
    check_status,
    check_text,
    iso_day,
)
from services.programme.overdue import consultation_overdue_days


CONSULTATION_KINDS = ("project_review", "advice")
# R-CSL-1: who asks (``asked_by``) and the role that acts for the asker; only it (or the bureau) closes.
ASKER_ROLES = {"government": "government", "district": "subdistrict"}
ASKER_NAMES = {"government": "区政府（管委会）", "district": "镇街"}
STAGES = ("plan", "design", "implementation")
VERDICTS = ("agree", "agree_with_changes", "disagree")


def check_asker(asked_by: str, role: str | None, message: str) -> None:
    """R-CSL-1: a government or sub-district acts only as the asker it is."""
    if role in ASKER_ROLES.values() and ASKER_ROLES[asked_by] != role:
        raise RuleViolated(f"asked_by：{message}", field="asked_by", rule="R-CSL-1")


class Consultation(Aggregate):
    """R-CSL-1: requested (with a due date) → answered by the group → closed by the asker."""

    @classmethod
    def request(cls, *, today: dt.date, date: dt.date, due_date: dt.date, group: str, district: str,
                government: str | None, kind: str, subject: str | None, stage: str | None,
                documents: list[str], question: str | None, asked_by: str,
                role: str | None = None) -> "Consultation":
        check_code(kind, CONSULTATION_KINDS, "kind", "R-CSL-1")
        check_code(asked_by, tuple(ASKER_ROLES), "asked_by", "R-CSL-1")
        check_asker(asked_by, role, "只能以本单位的名义提出技术咨询")
        if kind == "project_review":
            check_text(subject, "subject", "R-CSL-1", maximum=TITLE_MAX)
            check_code(stage, STAGES, "stage", "R-CSL-1")
            check_text(question, "question", "R-CSL-1", required=False)
        else:
            check_text(question, "question", "R-CSL-1")
            check_text(subject, "subject", "R-CSL-1", maximum=TITLE_MAX, required=False)
            if stage is not None:
                raise RuleViolated("stage：只有项目审查（project_review）才有阶段", field="stage", rule="R-CSL-1")
        check_not_future(date, today)
        if due_date < date:
            raise RuleViolated("due_date：答复期限不能早于咨询日期", field="due_date", rule="R-CSL-1")
        return cls(group=group, district=district, government=government, kind=kind, subject=subject, stage=stage,
                   documents=list(documents), question=question, asked_by=asked_by, date=date.isoformat(),
                   due_date=due_date.isoformat(), status="requested")

    @event("ConsultationRequested")
    def __init__(self, group: str, district: str, government: str | None, kind: str, subject: str | None,
                 stage: str | None, documents: list[str], question: str | None, asked_by: str, date: str,
                 due_date: str, status: str) -> None:
        self.group = group
        self.district = district
        self.government = government
        self.kind = kind
        self.subject = subject
        self.stage = stage
        self.documents = documents
        self.question = question
        self.asked_by = asked_by
        self.date = date
        self.due_date = due_date
        self.status = status
        self.verdict: str | None = None
        self.opinion: str | None = None
        self.answered_on: str | None = None
        self.closed_on: str | None = None

    def _codes(self) -> dict[str, Any]:
        return {"district": self.district, "group": self.group, "government": self.government}

    def answer(self, *, date: dt.date, today: dt.date, verdict: str | None, text: str) -> None:
        check_status(self.status, ("requested",), "出具意见", "R-CSL-1")
        if self.kind == "project_review":
            check_code(verdict, VERDICTS, "verdict", "R-CSL-1")
        elif verdict is not None:
            raise RuleViolated("verdict：只有项目审查（project_review）才给出结论", field="verdict", rule="R-CSL-1")
        check_text(text, "text", "R-CSL-1", maximum=LONG_TEXT_MAX)
        check_not_future(date, today)
        check_not_before(date, self.date, "date", "R-CSL-1", "咨询日期")
        self._answered(date=date.isoformat(), verdict=verdict, text=text, kind=self.kind, asked_by=self.asked_by,
                       due_date=self.due_date, on_time=date.isoformat() <= self.due_date, status="answered",
                       **self._codes())

    @event("ConsultationOpinionIssued")
    def _answered(self, district: str, group: str, government: str | None, date: str, verdict: str | None,
                  text: str, kind: str, asked_by: str, due_date: str, on_time: bool, status: str) -> None:
        self.status = status
        self.verdict = verdict
        self.opinion = text
        self.answered_on = date

    def may_be_closed_by(self, role: str) -> bool:
        """R-CSL-1: closed by the asker (a government or a sub-district) or the bureau."""
        return role not in ASKER_ROLES.values() or ASKER_ROLES[self.asked_by] == role

    def close(self, *, date: dt.date, today: dt.date, text: str | None = None, role: str | None = None) -> None:
        check_asker(self.asked_by, role, f"该技术咨询由{ASKER_NAMES[self.asked_by]}提出，只有提出方或市局可以关闭")
        check_status(self.status, ("answered",), "关闭", "R-CSL-1")
        check_text(text, "text", "R-CSL-1", required=False)
        check_not_future(date, today)
        check_not_before(date, self.answered_on, "date", "R-CSL-1", "意见出具日期")
        self._closed(date=date.isoformat(), text=text, status="closed", **self._codes())

    @event("ConsultationClosed")
    def _closed(self, district: str, group: str, government: str | None, date: str, text: str | None,
                status: str) -> None:
        self.status = status
        self.closed_on = date

    def overdue_days(self, today: dt.date) -> int:
        return consultation_overdue_days(self.status, iso_day(self.due_date), today)
