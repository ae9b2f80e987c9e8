"""Business time: dates and periods are in Asia/Shanghai.

Tests fix the business date of a process with ``RPS_TODAY=YYYY-MM-DD`` (issue 15: no test
compares the server's "today" with its own across midnight): ``today()`` is that date and
``now()`` that date at the current time of day. Honoured only outside production
(``RPS_ENV`` other than ``production``); in production it is ignored.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def _fixed_today() -> dt.date | None:
    raw = os.environ.get("RPS_TODAY", "").strip()
    if not raw or os.environ.get("RPS_ENV", "development") == "production":
        return None
    return dt.date.fromisoformat(raw)


FIXED_TODAY = _fixed_today()


def now() -> dt.datetime:
    current = dt.datetime.now(TZ)
    if FIXED_TODAY is not None:
        return dt.datetime.combine(FIXED_TODAY, current.timetz())
    return current


def today() -> dt.date:
    return now().date()
