"""What the ``rps`` commands share, the core's and those the services contribute (their
declarations' ``commands``): settings read at start, a runtime, signals, the metrics port."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import threading
from typing import Any


def settings(maintenance: bool = False) -> Any:
    """Settings from the environment. ``maintenance``: a command that reads or rewrites whole
    histories (migrate, rebuild, reports, audits) runs its statements without the request path's
    statement timeout, unless RPS_DB_STATEMENT_TIMEOUT_SECONDS is set explicitly."""
    import dataclasses

    from services.backbone.settings import Settings

    read = Settings.from_env()
    if maintenance and not os.environ.get("RPS_DB_STATEMENT_TIMEOUT_SECONDS"):
        read = dataclasses.replace(read, db_statement_timeout_seconds=0)
    return read


def runtime_for(settings: Any, services: tuple[str, ...]) -> Any:
    """Embedded: the whole system; in the cluster, what ``services`` need."""
    from services.bootstrap import Runtime

    return Runtime.embedded(settings) if settings.embedded else Runtime.cluster(settings, services)


def stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def metrics_server(settings: Any) -> None:
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port)


def business_date(text: str) -> dt.date:
    """An argument that is a business date (API.md: YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None
