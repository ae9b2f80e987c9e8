"""The reminders of one business date, handed to this service's notifier (R-RPT-8)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import NAMESPACE, check_code, check_not_future, check_text


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


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

    @event("RemindersIssued")
    def __init__(self, date: str, reminders: list[dict[str, Any]]) -> None:
        """R-RPT-8: the reminders of one business date, once per date. Each reminder has kind (overdue, no_visit,
        behind_pro_rata, due_soon, new_letter), rule, to {role, code} (group, district, government or bureau),
        group, district, government, item, ref, due_date, days, target_days (null where they do not apply) and
        message (Simplified Chinese). No personal data."""
        self.date = date
        self.reminders = reminders
