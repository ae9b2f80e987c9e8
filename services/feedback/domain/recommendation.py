"""A group's recommendation, from raised to verified (R-REC-1..3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import (
    CATEGORIES,
    LONG_TEXT_MAX,
    TITLE_MAX,
    check_code,
    check_not_before,
    check_not_future,
    check_status,
    check_text,
    iso_day,
)
from services.programme.overdue import recommendation_overdue_days


SOURCES = ("survey", "opinion", "consultation", "evaluation")
LINK_NAMES = {"opinions": "公众意见", "visits": "到访记录"}


def check_links(kind: str, links: list[str], districts: dict[str, str | None], district: str) -> None:
    """R-REC-1: a recommendation links opinions and visits of its own district only."""
    for i, link in enumerate(links):
        found = districts.get(link)
        if found is None:
            later = "（刚登记的到访记录需稍候片刻才能关联）" if kind == "visits" else ""
            raise RuleViolated(f"{kind}.{i}：没有编号为 {link} 的{LINK_NAMES[kind]}{later}", field=f"{kind}.{i}",
                               rule="R-REC-1")
        if found != district:
            raise RuleViolated(f"{kind}.{i}：{LINK_NAMES[kind]} {link} 属于其他镇街（{found or '尚未分派镇街'}），不能关联",
                               field=f"{kind}.{i}", rule="R-REC-1")


class Recommendation(Aggregate):
    """R-REC-1..3: raised → forwarded → accepted|declined → progress → completed → verified|reopened."""

    @classmethod
    def raise_(
        cls,
        *,
        today: dt.date,
        date: dt.date,
        group: str,
        district: str,
        government: str | None,
        title: str,
        text: str,
        category: str,
        source: str,
        opinions: list[str],
        visits: list[str],
        linked_districts: dict[str, dict[str, str | None]] | None = None,
    ) -> "Recommendation":
        """``linked_districts``: per kind (``opinions``, ``visits``), the district of each
        linked one the application found (None: unknown) — R-REC-1: only the district's own."""
        check_text(title, "title", "R-REC-1", maximum=TITLE_MAX)
        check_text(text, "text", "R-REC-1", maximum=LONG_TEXT_MAX)
        check_code(category, CATEGORIES, "category", "R-REC-1")
        check_code(source, SOURCES, "source", "R-REC-1")
        check_not_future(date, today)
        for kind, links in (("opinions", opinions), ("visits", visits)):
            check_links(kind, links, (linked_districts or {}).get(kind, {}), district)
        return cls(
            group=group,
            district=district,
            government=government,
            title=title,
            text=text,
            category=category,
            source=source,
            opinions=list(opinions),
            visits=list(visits),
            date=date.isoformat(),
            status="raised",
        )

    @event("RecommendationRaised")
    def __init__(self, group: str, district: str, government: str | None, title: str, text: str, category: str,
                 source: str, opinions: list[str], visits: list[str], date: str, status: str) -> None:
        self.group = group
        self.district = district
        self.government = government
        self.title = title
        self.text = text
        self.category = category
        self.source = source
        self.opinions = opinions
        self.visits = visits
        self.date = date
        self.status = status
        self.letter: str | None = None
        self.letter_no: str | None = None
        self.forwarded_on: str | None = None
        self.due_date: str | None = None
        self.decided_on: str | None = None
        self.decline_reason: str | None = None
        self.percent = 0
        self.progress: list[dict[str, Any]] = []
        self.completed_on: str | None = None
        self.verified_on: str | None = None
        self.reopened: list[dict[str, str]] = []
        self.withdrawn_on: str | None = None
        self.last_step_on = date

    def _codes(self) -> dict[str, Any]:
        return {"district": self.district, "group": self.group, "government": self.government}

    def _step_date(self, date: dt.date, today: dt.date) -> None:
        check_not_future(date, today)
        check_not_before(date, self.last_step_on, "date", "R-REC-2", "上一步的日期")

    def check_forwardable(self, *, government: str, date: dt.date, today: dt.date) -> None:
        check_status(self.status, ("raised",), "函告", "R-REC-2")
        if self.government and government != self.government:
            raise RuleViolated(
                f"government：该建议所在镇街属于 {self.government}，不能函告 {government}",
                field="government", rule="R-REC-2",
            )
        self._step_date(date, today)

    def forward(self, *, letter: str, letter_no: str, government: str, date: dt.date, due_date: dt.date,
                today: dt.date) -> None:
        self.check_forwardable(government=government, date=date, today=today)
        codes = {**self._codes(), "government": government}
        self._forwarded(letter=letter, letter_no=letter_no, date=date.isoformat(), due_date=due_date.isoformat(),
                        status="forwarded", **codes)

    @event("RecommendationForwarded")
    def _forwarded(self, district: str, group: str, government: str, letter: str, letter_no: str, date: str,
                   due_date: str, status: str) -> None:
        self.status = status
        self.government = government
        self.letter = letter
        self.letter_no = letter_no
        self.forwarded_on = date
        self.due_date = due_date
        self.last_step_on = date

    def accept(self, *, date: dt.date, today: dt.date, text: str | None = None) -> None:
        check_status(self.status, ("forwarded",), "采纳", "R-REC-2")
        check_text(text, "text", "R-REC-2", required=False)
        self._step_date(date, today)
        self._accepted(date=date.isoformat(), text=text, due_date=self.due_date, status="accepted", **self._codes())

    @event("RecommendationAccepted")
    def _accepted(self, district: str, group: str, government: str, date: str, text: str | None,
                  due_date: str | None, status: str) -> None:
        self.status = status
        self.decided_on = date
        self.last_step_on = date

    def decline(self, *, date: dt.date, today: dt.date, reason: str) -> None:
        check_status(self.status, ("forwarded",), "不予采纳", "R-REC-2")
        check_text(reason, "reason", "R-REC-2")
        self._step_date(date, today)
        self._declined(date=date.isoformat(), reason=reason, due_date=self.due_date, status="declined",
                       **self._codes())

    @event("RecommendationDeclined")
    def _declined(self, district: str, group: str, government: str, date: str, reason: str, due_date: str | None,
                  status: str) -> None:
        self.status = status
        self.decided_on = date
        self.decline_reason = reason
        self.last_step_on = date

    def report_progress(self, *, date: dt.date, today: dt.date, percent: int, text: str) -> None:
        check_status(self.status, ("accepted",), "报告落实进度", "R-REC-2")
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise RuleViolated("percent：进度应为 0 到 100 的整数", field="percent", rule="R-REC-2")
        check_text(text, "text", "R-REC-2")
        self._step_date(date, today)
        self._progress_reported(date=date.isoformat(), percent=percent, text=text, due_date=self.due_date,
                                **self._codes())

    @event("ImplementationProgressReported")
    def _progress_reported(self, district: str, group: str, government: str, date: str, percent: int, text: str,
                           due_date: str | None) -> None:
        self.percent = percent
        self.progress.append({"date": date, "percent": percent, "text": text})
        self.last_step_on = date

    def complete(self, *, date: dt.date, today: dt.date, text: str) -> None:
        check_status(self.status, ("accepted",), "报告完成", "R-REC-2")
        check_text(text, "text", "R-REC-2")
        self._step_date(date, today)
        self._completed(date=date.isoformat(), text=text, due_date=self.due_date, letter_date=self.forwarded_on,
                        status="completed", **self._codes())

    @event("RecommendationCompleted")
    def _completed(self, district: str, group: str, government: str, date: str, text: str, due_date: str | None,
                   letter_date: str | None, status: str) -> None:
        self.status = status
        self.percent = 100
        self.completed_on = date
        self.progress.append({"date": date, "percent": 100, "text": text})
        self.last_step_on = date

    def verify(self, *, date: dt.date, today: dt.date, text: str | None = None) -> None:
        check_status(self.status, ("completed",), "确认完成", "R-REC-2")
        check_text(text, "text", "R-REC-2", required=False)
        self._step_date(date, today)
        self._verified(date=date.isoformat(), text=text, status="verified", **self._codes())

    @event("RecommendationVerified")
    def _verified(self, district: str, group: str, government: str, date: str, text: str | None, status: str) -> None:
        self.status = status
        self.verified_on = date
        self.last_step_on = date

    def reopen(self, *, date: dt.date, today: dt.date, reason: str) -> None:
        check_status(self.status, ("completed",), "退回重办", "R-REC-2")
        check_text(reason, "reason", "R-REC-2")
        self._step_date(date, today)
        self._reopened(date=date.isoformat(), reason=reason, due_date=self.due_date, status="accepted",
                       **self._codes())

    @event("RecommendationReopened")
    def _reopened(self, district: str, group: str, government: str, date: str, reason: str, due_date: str | None,
                  status: str) -> None:
        self.status = status
        self.completed_on = None
        self.reopened.append({"date": date, "reason": reason})
        self.last_step_on = date

    def withdraw(self, *, date: dt.date, today: dt.date, reason: str) -> None:
        check_status(self.status, ("raised",), "撤回", "R-REC-2")
        check_text(reason, "reason", "R-REC-2")
        self._step_date(date, today)
        self._withdrawn(date=date.isoformat(), reason=reason, status="withdrawn", **self._codes())

    @event("RecommendationWithdrawn")
    def _withdrawn(self, district: str, group: str, government: str | None, date: str, reason: str,
                   status: str) -> None:
        self.status = status
        self.withdrawn_on = date
        self.last_step_on = date

    def overdue_days(self, today: dt.date) -> int:
        return recommendation_overdue_days(self.status, iso_day(self.due_date), today)
