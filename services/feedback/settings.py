"""The feedback service's settings (DOMAIN.md: choices a rule leaves open are settings).

Read from the environment once, when the process starts, with the other settings
(``Settings.from_env``); the runtime hands them to the application (``wire``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from services.backbone.settings import env_int


@dataclass(frozen=True)
class FeedbackSettings:
    # R-OPN-2 service levels, calendar days from the opinion's date.
    opinion_acknowledge_days: int = 5
    opinion_answer_days: int = 30
    # R-REC-2: a letter's default due date.
    recommendation_due_days: int = 60
    # R-CSL-1: the due date a consultation gets when the asker names none.
    consultation_due_days: int = 30
    # Notifications: attempts before a message is parked, and the first back-off.
    notify_max_attempts: int = 5
    notify_backoff_seconds: int = 30
    notify_webhook_url: str | None = None
    notify_webhook_secret: str | None = None
    # R-SEC-4 (PIPL data minimisation): days residents' personal data is kept after
    # their opinion was closed (or, never closed, last changed); then
    # `rps purge-personal-data` erases it.
    personal_data_retention_days: int = 365

    @classmethod
    def from_env(cls, env: Mapping[str, Any], *, production: bool = False) -> "FeedbackSettings":
        return cls(
            opinion_acknowledge_days=env_int(env, "RPS_OPINION_ACKNOWLEDGE_DAYS", 5, minimum=1),
            opinion_answer_days=env_int(env, "RPS_OPINION_ANSWER_DAYS", 30, minimum=1),
            recommendation_due_days=env_int(env, "RPS_RECOMMENDATION_DUE_DAYS", 60, minimum=1),
            consultation_due_days=env_int(env, "RPS_CONSULTATION_DUE_DAYS", 30, minimum=1),
            notify_max_attempts=env_int(env, "RPS_NOTIFY_MAX_ATTEMPTS", 5, minimum=1),
            notify_backoff_seconds=env_int(env, "RPS_NOTIFY_BACKOFF_SECONDS", 30, minimum=0),
            notify_webhook_url=env.get("RPS_NOTIFY_WEBHOOK_URL") or None,
            notify_webhook_secret=env.get("RPS_NOTIFY_WEBHOOK_SECRET") or None,
            personal_data_retention_days=env_int(env, "RPS_PERSONAL_DATA_RETENTION_DAYS", 365, minimum=1),
        )
