"""Feedback: opinions, recommendations, letters, consultations and the groups'
yearly paperwork (DOMAIN.md §4, R-EVA-2, R-EVA-3), and the daily reminders
handed to this service's notifier (R-RPT-8).

Each public method checks its rules with small ``check_...`` functions and
then triggers one event through a private ``@event`` method whose arguments
are exactly the event's data: the business codes (``district``, ``group``,
``government``) and business dates every consumer needs travel in every
event, so reporting never has to look anything up. Nothing here computes
``now()``, ids or random values: the application passes them in.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, Iterable

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict, RuleViolated

NAMESPACE = uuid.UUID("5f0c6a52-1d8e-4b7e-8f0e-2a4f9c1b7d33")

CHANNELS = ("app", "planner", "open311", "hotline", "other")
# R-REC-1's categories; opinions use the same list (R-OPN-1 names none), so an
# opinion escalates into a recommendation of the same category.
CATEGORIES = (
    "heritage",
    "public_space",
    "public_service",
    "transport",
    "utilities",
    "greening",
    "land_use",
    "project_design",
    "governance",
    "other",
)
CATEGORY_NAMES = {
    "heritage": "历史文化保护",
    "public_space": "公共空间",
    "public_service": "公共服务设施",
    "transport": "交通设施",
    "utilities": "市政设施",
    "greening": "绿化",
    "land_use": "土地利用",
    "project_design": "项目设计",
    "governance": "社区治理",
    "other": "其他",
}
SOURCES = ("survey", "opinion", "consultation", "evaluation")
CONSULTATION_KINDS = ("project_review", "advice")
# R-CSL-1: who asks (``asked_by``) and the role that acts for the asker; only it (or the bureau) closes.
ASKER_ROLES = {"government": "government", "district": "subdistrict"}
ASKER_NAMES = {"government": "区政府（管委会）", "district": "镇街"}
STAGES = ("plan", "design", "implementation")
VERDICTS = ("agree", "agree_with_changes", "disagree")
PUBLICITY_MODES = ("online", "offline")
SUMMARY_KINDS = ("half_yearly", "highlights")
RATING_TARGETS = ("government", "district")
RATING_ITEMS = ("cooperation", "workplace", "implementation")
ANNUAL_SUMMARY_KINDS = ("implementation", "planning_evaluation")

TEXT_MAX = 2000  # R-OPN-1
LONG_TEXT_MAX = 20000  # summaries and recommendation texts
TITLE_MAX = 200


# -- checks ---------------------------------------------------------------


def check_text(value: str | None, field: str, rule: str, *, maximum: int = TEXT_MAX, required: bool = True) -> None:
    """Text is stored as given (escaped wherever it is shown), but not blank and not too long."""
    if value is None or not value.strip():
        if required:
            raise RuleViolated(f"{field}：不能为空", field=field, rule=rule)
        return
    if len(value) > maximum:
        raise RuleViolated(f"{field}：不能超过 {maximum} 个字符（现为 {len(value)}）", field=field, rule=rule)


def check_code(value: str | None, allowed: Iterable[str], field: str, rule: str) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise RuleViolated(f"{field}：取值应为 {', '.join(allowed)} 之一", field=field, rule=rule)


def check_not_future(date: dt.date, today: dt.date, field: str = "date") -> None:
    """API.md "Business dates": never later than today (Asia/Shanghai)."""
    if date > today:
        raise RuleViolated(f"{field}：业务日期不能晚于今天（{today.isoformat()}）", field=field, rule="R-SEC-3")


def check_not_before(date: dt.date, earlier: str | None, field: str, rule: str, what: str) -> None:
    if earlier and date < dt.date.fromisoformat(earlier):
        raise RuleViolated(f"{field}：不能早于{what}（{earlier}）", field=field, rule=rule)


def check_status(current: str, allowed: Iterable[str], action: str, rule: str) -> None:
    """Steps out of order are refused with 409 (R-OPN-2, R-REC-2, R-CSL-1)."""
    allowed = tuple(allowed)
    if current not in allowed:
        raise Conflict(f"status：当前状态为 {current}，不能{action}（需为 {'/'.join(allowed)}）", field="status", rule=rule)


def check_year(year: int, today: dt.date, rule: str) -> None:
    if year < 2000 or year > today.year:
        raise RuleViolated(f"year：年份应在 2000 到 {today.year} 之间", field="year", rule=rule)


_PERIOD = {
    "half_yearly": re.compile(r"^\d{4}-H[12]$"),
    "highlights": re.compile(r"^\d{4}-(H[12]|Q[1-4]|(0[1-9]|1[0-2]))$"),
}


def check_period(kind: str, period: str) -> None:
    if not _PERIOD[kind].match(period or ""):
        example = "2022-H1" if kind == "half_yearly" else "2022-H1、2022-Q3 或 2022-03"
        raise RuleViolated(f"period：期间格式应如 {example}", field="period", rule="R-PUB-1")


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# -- opinions ---------------------------------------------------------------

# R-SEC-4: what an opinion's events must not carry, and how the public point is shown.
PUBLIC_POINT_DECIMALS = 3
PERSONAL_ALWAYS = ("address", "media_url")


def public_point(point: dict[str, float] | None) -> dict[str, float] | None:
    """A public opinion's point as shown: rounded to 3 decimals (about 100 m)."""
    if not point:
        return None
    return {axis: round(float(value), PUBLIC_POINT_DECIMALS) for axis, value in point.items()}


def redact_received(state: dict[str, Any]) -> dict[str, Any]:
    """An ``OpinionSubmitted`` event's state (stored before R-SEC-4 was amended) made what it
    is now, in place; returns the personal fields it held (empty when none): the address and
    photo always, a non-public opinion's text and exact point, a public one's exact point."""
    held = {name: state.pop(name) for name in PERSONAL_ALWAYS if name in state}
    held = {name: value for name, value in held.items() if value is not None}
    point = state.get("point")
    if state.get("public"):
        shown = public_point(point)
        if point and shown != point:
            held["point"], state["point"] = point, shown
    else:
        if state.get("text") is not None:
            held["text"], state["text"] = state["text"], None
        if point is not None:
            held["point"], state["point"] = point, None
    return held


class Opinion(Aggregate):
    """A resident's opinion (R-OPN-1..4): received → acknowledged → answered | escalated → closed."""

    @classmethod
    def id_for(cls, ref: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"opinion:{ref}")

    @classmethod
    def create_id(cls, ref: str, **_: Any) -> uuid.UUID:
        return cls.id_for(ref)

    @classmethod
    def receive(
        cls,
        *,
        today: dt.date,
        date: dt.date,
        acknowledge_days: int,
        answer_days: int,
        ref: str,
        district: str | None,
        government: str | None,
        group: str | None,
        category: str,
        text: str,
        channel: str,
        public: bool,
        point: dict[str, float] | None,
        address: str | None,
        media_url: str | None,
        attributes: dict[str, str],
        contact_phone_masked: str | None,
        person_key: str | None,
    ) -> "Opinion":
        check_code(category, CATEGORIES, "category", "R-OPN-1")
        check_code(channel, CHANNELS, "channel", "R-OPN-1")
        check_text(text, "text", "R-OPN-1")
        check_text(address, "address", "R-OPN-1", maximum=500, required=False)
        check_not_future(date, today)
        # R-SEC-4: the address and photos, and a non-public opinion's text and exact point, are
        # personal: the application keeps them in the personal store, the event never carries them.
        return cls(
            ref=ref,
            district=district,
            government=government,
            group=group,
            category=category,
            text=text if public else None,
            channel=channel,
            public=public,
            point=public_point(point) if public else None,
            attributes=attributes,
            contact_phone_masked=contact_phone_masked,
            person_key=person_key,
            date=date.isoformat(),
            acknowledge_due_date=(date + dt.timedelta(days=acknowledge_days)).isoformat(),
            due_date=(date + dt.timedelta(days=answer_days)).isoformat(),
            received_on=today.isoformat(),
            status="received",
        )

    @event("Received")
    def __init__(
        self,
        ref: str,
        district: str | None,
        government: str | None,
        group: str | None,
        category: str,
        text: str | None,
        channel: str,
        public: bool,
        point: dict[str, float] | None,
        attributes: dict[str, str],
        contact_phone_masked: str | None,
        person_key: str | None,
        date: str,
        acknowledge_due_date: str,
        due_date: str,
        received_on: str,
        status: str,
    ) -> None:
        self.ref = ref
        self.district = district
        self.government = government
        self.group = group
        self.category = category
        self.text = text
        self.channel = channel
        self.public = public
        self.point = point
        self.attributes = attributes
        self.contact_phone_masked = contact_phone_masked
        self.person_key = person_key
        self.date = date
        self.acknowledge_due_date = acknowledge_due_date
        self.due_date = due_date
        self.received_on = received_on
        self.status = status
        self.acknowledged_on: str | None = None
        self.answered_on: str | None = None
        self.closed_on: str | None = None
        self.reply: str | None = None
        self.recommendation: str | None = None
        self.relays: list[dict[str, str]] = []
        self.personal_data_erased = False

    def _codes(self) -> dict[str, Any]:
        return {"ref": self.ref, "district": self.district, "government": self.government, "group": self.group}

    def _last_step_date(self) -> str:
        return self.answered_on or self.acknowledged_on or self.date

    # R-OPN-2
    def acknowledge(self, *, date: dt.date, today: dt.date, group: str) -> None:
        check_status(self.status, ("received",), "受理", "R-OPN-2")
        check_not_future(date, today)
        check_not_before(date, self.date, "date", "R-OPN-2", "意见收到日期")
        codes = {**self._codes(), "group": group}
        self._acknowledged(date=date.isoformat(), status="acknowledged", **codes)

    @event("Acknowledged")
    def _acknowledged(self, ref: str, district: str, government: str | None, group: str, date: str, status: str) -> None:
        self.status = status
        self.group = group
        self.acknowledged_on = date

    # R-OPN-1: one that came with only a street address waits in the bureau's triage list until
    # the bureau assigns its district; its service levels run from receipt all the same.
    def assign_district(self, *, district: str, government: str | None, group: str | None, date: dt.date,
                        today: dt.date) -> None:
        if self.district is not None:
            raise RuleViolated(f"district：该意见已属于镇街 {self.district}，无需分派", field="district",
                               rule="R-OPN-1")
        check_status(self.status, ("received",), "分派镇街", "R-OPN-1")
        check_not_future(date, today)
        check_not_before(date, self.date, "date", "R-OPN-1", "意见收到日期")
        self._district_assigned(ref=self.ref, district=district, government=government, group=group,
                                date=date.isoformat(), acknowledge_due_date=self.acknowledge_due_date)

    @event("DistrictAssigned")
    def _district_assigned(self, ref: str, district: str, government: str | None, group: str | None,
                           date: str, acknowledge_due_date: str) -> None:
        self.district, self.government, self.group = district, government, group

    # R-OPN-2: 上传下达 at any point after acknowledgement, while not closed.
    def relay(self, *, date: dt.date, today: dt.date, comment: str) -> None:
        check_status(self.status, ("acknowledged", "answered", "escalated"), "上报", "R-OPN-2")
        check_text(comment, "comment", "R-OPN-2")
        check_not_future(date, today)
        check_not_before(date, self.acknowledged_on, "date", "R-OPN-2", "受理日期")
        self._relayed(date=date.isoformat(), comment=comment, to=["government", "bureau"], **self._codes())

    @event("Relayed")
    def _relayed(self, ref: str, district: str, government: str | None, group: str | None, date: str,
                 comment: str, to: list[str]) -> None:
        self.relays.append({"date": date, "comment": comment})

    def answer(self, *, date: dt.date, today: dt.date, reply: str) -> None:
        check_status(self.status, ("acknowledged",), "答复", "R-OPN-2")
        check_text(reply, "reply", "R-OPN-2")
        check_not_future(date, today)
        check_not_before(date, self.acknowledged_on, "date", "R-OPN-2", "受理日期")
        self._answered(date=date.isoformat(), reply=reply, status="answered", due_date=self.due_date, **self._codes())

    @event("Answered")
    def _answered(self, ref: str, district: str, government: str | None, group: str | None, date: str,
                  reply: str, status: str, due_date: str) -> None:
        self.status = status
        self.reply = reply
        self.answered_on = date

    def check_can_escalate(self, *, date: dt.date, today: dt.date) -> None:
        check_status(self.status, ("acknowledged",), "转为建议", "R-OPN-2")
        check_not_future(date, today)
        check_not_before(date, self.acknowledged_on, "date", "R-OPN-2", "受理日期")

    def escalate(self, *, date: dt.date, today: dt.date, recommendation: str) -> None:
        self.check_can_escalate(date=date, today=today)
        self._escalated(date=date.isoformat(), recommendation=recommendation, status="escalated",
                        due_date=self.due_date, **self._codes())

    @event("Escalated")
    def _escalated(self, ref: str, district: str, government: str | None, group: str | None, date: str,
                   recommendation: str, status: str, due_date: str) -> None:
        self.status = status
        self.recommendation = recommendation
        self.answered_on = date

    def close(self, *, date: dt.date, today: dt.date) -> None:
        check_status(self.status, ("answered", "escalated"), "办结", "R-OPN-2")
        check_not_future(date, today)
        check_not_before(date, self._last_step_date(), "date", "R-OPN-2", "上一步的日期")
        self._closed(date=date.isoformat(), status="closed", **self._codes())

    @event("Closed")
    def _closed(self, ref: str, district: str, government: str | None, group: str | None, date: str,
                status: str) -> None:
        self.status = status
        self.closed_on = date

    # R-OPN-3, R-SEC-4: the event records that erasure happened; the data was never in an event.
    def erase_personal_data(self, *, date: dt.date) -> None:
        self._personal_data_erased(date=date.isoformat(), person_key=self.person_key, **self._codes())

    @event("PersonalDataErased")
    def _personal_data_erased(self, ref: str, district: str, government: str | None, group: str | None,
                              date: str, person_key: str | None) -> None:
        self.personal_data_erased = True
        self.contact_phone_masked = None

    def overdue(self, today: dt.date) -> bool:
        """R-OPN-2 service levels: acknowledgement and answer due dates are inclusive."""
        if self.status == "received" and today > dt.date.fromisoformat(self.acknowledge_due_date):
            return True
        return self.status in ("received", "acknowledged") and today > dt.date.fromisoformat(self.due_date)


# -- recommendations and letters -----------------------------------------------


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

    @event("Raised")
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

    @event("Forwarded")
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

    @event("Accepted")
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

    @event("Declined")
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

    @event("ProgressReported")
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

    @event("Completed")
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

    @event("Verified")
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

    @event("Reopened")
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

    @event("Withdrawn")
    def _withdrawn(self, district: str, group: str, government: str | None, date: str, reason: str,
                   status: str) -> None:
        self.status = status
        self.withdrawn_on = date
        self.last_step_on = date

    def overdue_days(self, today: dt.date) -> int:
        """R-REC-3: days past the (inclusive) due date while not completed or declined; 0 when not overdue."""
        if self.status not in ("forwarded", "accepted") or not self.due_date:
            return 0
        return max(0, (today - dt.date.fromisoformat(self.due_date)).days)


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

    @event("Sent")
    def __init__(self, letter_no: str, government: str, date: str, due_date: str, recommendations: list[str],
                 districts: list[str], groups: list[str]) -> None:
        self.letter_no = letter_no
        self.government = government
        self.date = date
        self.due_date = due_date
        self.recommendations = recommendations
        self.districts = districts
        self.groups = groups


# -- consultations ---------------------------------------------------------------


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

    @event("Requested")
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

    @event("Answered")
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

    @event("Closed")
    def _closed(self, district: str, group: str, government: str | None, date: str, text: str | None,
                status: str) -> None:
        self.status = status
        self.closed_on = date

    def overdue_days(self, today: dt.date) -> int:
        if self.status != "requested":
            return 0
        return max(0, (today - dt.date.fromisoformat(self.due_date)).days)


# -- publicity, summaries, ratings -------------------------------------------------


class Publicity(Aggregate):
    """R-PUB-1: a publicity action of a group (online or offline, with its audience)."""

    @classmethod
    def record(cls, *, today: dt.date, date: dt.date, group: str, district: str, government: str | None, mode: str,
               title: str, audience: int, platform: str | None, text: str | None) -> "Publicity":
        check_code(mode, PUBLICITY_MODES, "mode", "R-PUB-1")
        check_text(title, "title", "R-PUB-1", maximum=TITLE_MAX)
        check_text(platform, "platform", "R-PUB-1", maximum=TITLE_MAX, required=False)
        check_text(text, "text", "R-PUB-1", maximum=LONG_TEXT_MAX, required=False)
        if isinstance(audience, bool) or not isinstance(audience, int) or audience < 0:
            raise RuleViolated("audience：受众人数应为非负整数", field="audience", rule="R-PUB-1")
        check_not_future(date, today)
        return cls(group=group, district=district, government=government, date=date.isoformat(), mode=mode,
                   title=title, audience=audience, platform=platform, text=text)

    @event("Recorded")
    def __init__(self, group: str, district: str, government: str | None, date: str, mode: str, title: str,
                 audience: int, platform: str | None, text: str | None) -> None:
        self.group = group
        self.district = district
        self.government = government
        self.date = date
        self.mode = mode
        self.title = title
        self.audience = audience
        self.platform = platform
        self.text = text


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

    @event("Submitted")
    def __init__(self, group: str, district: str, government: str | None, kind: str, period: str, date: str,
                 text: str, highlights: list[str], revision: int) -> None:
        self._apply(group, district, government, kind, period, date, text, highlights, revision)

    @event("Resubmitted")
    def resubmit(self, group: str, district: str, government: str | None, kind: str, period: str, date: str,
                 text: str, highlights: list[str], revision: int) -> None:
        self._apply(group, district, government, kind, period, date, text, highlights, revision)

    def _apply(self, group: str, district: str, government: str | None, kind: str, period: str, date: str,
               text: str, highlights: list[str], revision: int) -> None:
        self.group, self.district, self.government = group, district, government
        self.kind, self.period, self.date = kind, period, date
        self.text, self.highlights, self.revision = text, highlights, revision


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

    @event("Submitted")
    def __init__(self, group: str, district: str, government: str | None, year: int, target: str,
                 target_code: str | None, scores: dict[str, int], text: str | None, date: str,
                 revision: int) -> None:
        self._apply(group, district, government, year, target, target_code, scores, text, date, revision)

    @event("Resubmitted")
    def resubmit(self, group: str, district: str, government: str | None, year: int, target: str,
                 target_code: str | None, scores: dict[str, int], text: str | None, date: str,
                 revision: int) -> None:
        self._apply(group, district, government, year, target, target_code, scores, text, date, revision)

    def _apply(self, group: str, district: str, government: str | None, year: int, target: str,
               target_code: str | None, scores: dict[str, int], text: str | None, date: str, revision: int) -> None:
        self.group, self.district, self.government = group, district, government
        self.year, self.target, self.target_code = year, target, target_code
        self.scores, self.text, self.date, self.revision = scores, text, date, revision


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

    @event("Submitted")
    def __init__(self, kind: str, author: str, government: str | None, district: str | None, group: str | None,
                 year: int, text: str, date: str, revision: int) -> None:
        self._apply(kind, author, government, district, group, year, text, date, revision)

    @event("Resubmitted")
    def resubmit(self, kind: str, author: str, government: str | None, district: str | None, group: str | None,
                 year: int, text: str, date: str, revision: int) -> None:
        self._apply(kind, author, government, district, group, year, text, date, revision)

    def _apply(self, kind: str, author: str, government: str | None, district: str | None, group: str | None,
               year: int, text: str, date: str, revision: int) -> None:
        self.kind, self.author, self.government, self.district, self.group = kind, author, government, district, group
        self.year, self.text, self.date, self.revision = year, text, date, revision


# -- reminders (R-RPT-8) ------------------------------------------------------------

REMINDER_KINDS = ("overdue", "no_visit", "behind_pro_rata", "due_soon", "new_letter")
REMINDER_ROLES = ("group", "district", "government", "bureau")
REMINDER_MESSAGE_MAX = 500
REMINDERS_MAX = 5000
# What a reminder may say: codes, references, dates and figures (no personal data travels, R-OPN-3).
_REMINDER_TEXT = ("group", "district", "government", "item", "ref")
_REMINDER_NUMBERS = ("days", "target_days")
_RULE = re.compile(r"^R-[A-Z]{3}-\d{1,2}$")


def _reminder(value: Any, field: str) -> dict[str, Any]:
    """One reminder as the event keeps it: known keys only, each checked."""
    if not isinstance(value, dict):
        raise RuleViolated(f"{field}：提醒应为对象", field=field, rule="R-RPT-8")
    check_code(value.get("kind"), REMINDER_KINDS, f"{field}.kind", "R-RPT-8")
    rule = value.get("rule")
    if not isinstance(rule, str) or not _RULE.match(rule):
        raise RuleViolated(f"{field}.rule：应为规则编号（如 R-VIS-2）", field=f"{field}.rule", rule="R-RPT-8")
    to = value.get("to")
    if not isinstance(to, dict):
        raise RuleViolated(f"{field}.to：应注明提醒对象", field=f"{field}.to", rule="R-RPT-8")
    check_code(to.get("role"), REMINDER_ROLES, f"{field}.to.role", "R-RPT-8")
    code = to.get("code")
    if code is not None and not (isinstance(code, str) and code.strip()):
        raise RuleViolated(f"{field}.to.code：应为编码", field=f"{field}.to.code", rule="R-RPT-8")
    check_text(value.get("message"), f"{field}.message", "R-RPT-8", maximum=REMINDER_MESSAGE_MAX)
    fact: dict[str, Any] = {"kind": value["kind"], "rule": rule, "to": {"role": to["role"], "code": code}}
    for key in _REMINDER_TEXT:
        text = value.get(key)
        if text is not None and not isinstance(text, str):
            raise RuleViolated(f"{field}.{key}：应为文本", field=f"{field}.{key}", rule="R-RPT-8")
        fact[key] = text
    due = value.get("due_date")
    if due is not None:
        try:
            due = dt.date.fromisoformat(due if isinstance(due, str) else due.isoformat())
        except (AttributeError, ValueError):
            raise RuleViolated(f"{field}.due_date：日期格式应为 YYYY-MM-DD", field=f"{field}.due_date",
                               rule="R-RPT-8") from None
    fact["due_date"] = _iso(due)
    for key in _REMINDER_NUMBERS:
        number = value.get(key)
        if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))):
            raise RuleViolated(f"{field}.{key}：应为数字", field=f"{field}.{key}", rule="R-RPT-8")
        fact[key] = number
    fact["message"] = value["message"]
    return fact


class Reminders(Aggregate):
    """R-RPT-8: the reminders of one business date, as reporting computed them from its
    read models, handed to this service's notifier.

    One aggregate per date (its id is derived from the date): issuing a date
    a second time finds it and adds nothing, so nobody is reminded twice.
    """

    @classmethod
    def id_for(cls, date: dt.date | str) -> uuid.UUID:
        day = date if isinstance(date, str) else date.isoformat()
        return uuid.uuid5(NAMESPACE, f"reminders:{day}")

    @classmethod
    def create_id(cls, date: str, **_: Any) -> uuid.UUID:
        return cls.id_for(date)

    @classmethod
    def issue(cls, *, today: dt.date, date: dt.date, reminders: list[Any]) -> "Reminders":
        check_not_future(date, today)
        if len(reminders) > REMINDERS_MAX:
            raise RuleViolated(f"reminders：每天最多 {REMINDERS_MAX} 条提醒", field="reminders", rule="R-RPT-8")
        facts = [_reminder(r, f"reminders.{i}") for i, r in enumerate(reminders)]
        return cls(date=date.isoformat(), reminders=facts)

    @event("Issued")
    def __init__(self, date: str, reminders: list[dict[str, Any]]) -> None:
        self.date = date
        self.reminders = reminders


Reminders.Issued.__doc__ = (  # type: ignore[attr-defined]  # docs/asyncapi.yaml describes the event with it
    "R-RPT-8: the reminders of one business date, once per date. Each reminder has kind (overdue, no_visit, "
    "behind_pro_rata, due_soon, new_letter), rule, to {role, code} (group, district, government or bureau), "
    "group, district, government, item, ref, due_date, days, target_days (null where they do not apply) and "
    "message (Simplified Chinese). No personal data."
)


# A resubmission is the same fact again, superseding the first: consumers
# see one event type per document and keep the highest revision.
# The catalogue's names where they differ from aggregate + event (docs/asyncapi.yaml).
Opinion.Received.event_type = "OpinionSubmitted"  # type: ignore[attr-defined]
Opinion.PersonalDataErased.event_type = "PersonalDataErased"  # type: ignore[attr-defined]
Letter.Sent.event_type = "LetterIssued"  # type: ignore[attr-defined]
Recommendation.ProgressReported.event_type = "ImplementationProgressReported"  # type: ignore[attr-defined]
Consultation.Answered.event_type = "ConsultationOpinionIssued"  # type: ignore[attr-defined]
WorkSummary.Resubmitted.event_type = "WorkSummarySubmitted"  # type: ignore[attr-defined]
Rating.Resubmitted.event_type = "RatingSubmitted"  # type: ignore[attr-defined]
AnnualSummary.Resubmitted.event_type = "AnnualSummarySubmitted"  # type: ignore[attr-defined]
