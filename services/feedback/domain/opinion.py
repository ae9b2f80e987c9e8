"""A resident's opinion (R-OPN-1..4) and what its events may carry (R-SEC-4)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import (
    CATEGORIES,
    CHANNELS,
    NAMESPACE,
    check_code,
    check_not_before,
    check_not_future,
    check_status,
    check_text,
    iso_day,
)
from services.programme.overdue import opinion_overdue_days


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

    @event("OpinionSubmitted")
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

    @event("OpinionAcknowledged")
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

    @event("OpinionDistrictAssigned")
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

    @event("OpinionRelayed")
    def _relayed(self, ref: str, district: str, government: str | None, group: str | None, date: str,
                 comment: str, to: list[str]) -> None:
        self.relays.append({"date": date, "comment": comment})

    def answer(self, *, date: dt.date, today: dt.date, reply: str) -> None:
        check_status(self.status, ("acknowledged",), "答复", "R-OPN-2")
        check_text(reply, "reply", "R-OPN-2")
        check_not_future(date, today)
        check_not_before(date, self.acknowledged_on, "date", "R-OPN-2", "受理日期")
        self._answered(date=date.isoformat(), reply=reply, status="answered", due_date=self.due_date, **self._codes())

    @event("OpinionAnswered")
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

    @event("OpinionEscalated")
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

    @event("OpinionClosed")
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
        return opinion_overdue_days(self.status, iso_day(self.acknowledge_due_date), iso_day(self.due_date), today) > 0
