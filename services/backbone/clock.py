"""Business time: dates and periods are in Asia/Shanghai.

Tests fix the business date of a process with ``RPS_TODAY=YYYY-MM-DD`` (issue 15: no test
compares the server's "today" with its own across midnight): ``today()`` is that date and
``now()`` that date at the current time of day. ``Settings.from_env`` reads it (ignored in
production) and the process's runtime fixes the clock with it when it starts (``fix_today``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")

_fixed_today: dt.date | None = None


def fix_today(day: dt.date | None) -> None:
    """The business date of this process from now on (None: the real one)."""
    global _fixed_today
    _fixed_today = day


def now() -> dt.datetime:
    current = dt.datetime.now(TZ)
    if _fixed_today is not None:
        return dt.datetime.combine(_fixed_today, current.timetz())
    return current


def today() -> dt.date:
    return now().date()


# What `rps demo` leaves in its data directory (issue 16): the marker that lets the next demo wipe
# it, and the last business date the demo played ("as_of: YYYY-MM-DD").
DEMO_MARKER = ".rps-demo"


def data_as_of(data_dir) -> dt.date | None:
    """The last business date of a demo's data directory, None for any other data."""
    from pathlib import Path

    try:
        text = (Path(data_dir) / DEMO_MARKER).read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "as_of":
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                return None
    return None


def shown_today(data_dir, embedded: bool) -> dt.date:
    """The date the web pages open on: today, or a played demo's last business date once that is
    past (issue 16: browsing `make demo`'s year opens on its data, not on a later, empty today)."""
    current = today()
    ended = data_as_of(data_dir) if embedded else None
    return ended if ended is not None and ended < current else current
