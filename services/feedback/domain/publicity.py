"""A group's publicity action (R-PUB-1)."""

from __future__ import annotations

import datetime as dt

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.feedback.domain.checks import LONG_TEXT_MAX, TITLE_MAX, check_code, check_not_future, check_text


PUBLICITY_MODES = ("online", "offline")


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

    @event("PublicityRecorded")
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
