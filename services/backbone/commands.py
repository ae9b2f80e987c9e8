"""What the ``rps`` commands share, the core's and those the services contribute (their
declarations' ``commands``): settings read at start, a runtime, signals, the metrics port."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import threading
from typing import Any


def settings(maintenance: bool = False) -> Any:
    """Settings from the environment (``Settings.from_env``: ``maintenance`` for a command that
    reads or rewrites whole histories)."""
    from services.backbone.settings import Settings

    return Settings.from_env(maintenance=maintenance)


def runtime_for(settings: Any, services: tuple[str, ...]) -> Any:
    """Embedded: the whole system; in the cluster, what ``services`` need."""
    from services.bootstrap import Runtime

    return Runtime.embedded(settings) if settings.embedded else Runtime.cluster(settings, services)


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def business_date(text: str) -> dt.date:
    """An argument that is a business date (API.md: YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None
