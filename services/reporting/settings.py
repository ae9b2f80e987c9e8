"""The reporting service's settings (DOMAIN.md: choices a rule leaves open are settings).

Read from the environment once, when the process starts, with the other settings
(``Settings.from_env``); the service takes them from its runtime. Nothing here
connects to anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from services.backbone.settings import ConfigurationError, env_int

DEFAULT_ISSUER = "聊城市自然资源和规划局"
DEFAULT_POLICY_WINDOW = (dt.date(2021, 6, 1), dt.date(2023, 5, 31))  # R-CON-3
# DOMAIN.md section 8: its findings and warnings count for months from this one (a setting,
# default the first month after the release that brought them, December 2026), so reports of
# earlier months, issued or not, do not change.
DEFAULT_GOVERNANCE_FROM = dt.date(2027, 1, 1)


def _window(raw: str | None) -> tuple[dt.date, dt.date]:
    if not raw:
        return DEFAULT_POLICY_WINDOW
    try:
        first, last = (dt.date.fromisoformat(part.strip()) for part in raw.split(".."))
    except ValueError:
        raise ConfigurationError(f"RPS_POLICY_WINDOW must be YYYY-MM-DD..YYYY-MM-DD, got {raw!r}") from None
    if last < first:
        raise ConfigurationError("RPS_POLICY_WINDOW ends before it starts")
    return first, last


def _month(raw: str | None) -> dt.date:
    if not raw:
        return DEFAULT_GOVERNANCE_FROM
    try:
        return dt.date.fromisoformat(f"{raw.strip()}-01")
    except ValueError:
        raise ConfigurationError(f"RPS_GOVERNANCE_FROM must be YYYY-MM, got {raw!r}") from None


def _url(raw: str | None) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        raise ConfigurationError(f"RPS_FEEDBACK_URL must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


@dataclass(frozen=True)
class ReportSettings:
    issuer: str = DEFAULT_ISSUER
    # R-CON-3: the policy's validity window is data; reports outside it are warned about.
    policy_window: tuple[dt.date, dt.date] = DEFAULT_POLICY_WINDOW
    # R-RPT-8: a group without a visit by this day of a duty month is reminded.
    visit_reminder_day: int = 20
    # R-RPT-8: items due within this many days are reminded.
    due_within_days: int = 7
    # R-RPT-8, the cluster: the feedback service the daily job hands the reminders to
    # (``http://feedback:8000``); embedded mode hands them over in-process.
    feedback_url: str | None = None
    # Section 8 (R-TEAM-2, ...): the first day of the first month its findings and warnings count for.
    governance_from: dt.date = DEFAULT_GOVERNANCE_FROM

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, production: bool = False) -> "ReportSettings":
        return cls(
            issuer=env.get("RPS_REPORT_ISSUER") or DEFAULT_ISSUER,
            policy_window=_window(env.get("RPS_POLICY_WINDOW")),
            visit_reminder_day=env_int(env, "RPS_REMINDER_VISIT_DAY", 20, minimum=1, maximum=28),
            due_within_days=env_int(env, "RPS_REMINDER_DUE_WITHIN_DAYS", 7, minimum=0, maximum=90),
            feedback_url=_url(env.get("RPS_FEEDBACK_URL")),
            governance_from=_month(env.get("RPS_GOVERNANCE_FROM")),
        )

