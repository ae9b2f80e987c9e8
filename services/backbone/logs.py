"""How every ``rps`` process logs (issue 16, Operators).

``RPS_LOG_FORMAT=json`` writes one JSON object a line (time, level, logger,
message, correlation_id, actor_role, route, status, duration_ms where they
apply) for the cluster's log stack; ``text`` writes one plain line a record.
The default is ``json`` in the cluster (AMQP_URI and DATABASE_URL set) and
``text`` elsewhere. Neither ever writes terminal colour codes.

Every HTTP request, in ``rps run`` and ``rps serve`` alike, gives one access
record (logger ``rps.access``, INFO) with its route template — never the path
as sent, its query or its body — so no personal data reaches the log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, Mapping

from services.backbone import context
from services.backbone.logsafe import safe_log, structured

FORMATS = ("json", "text")
ACCESS = logging.getLogger("rps.access")
# The fields an access record carries (``extra=``), in the order a text line shows them.
ACCESS_FIELDS = ("correlation_id", "actor_role", "method", "route", "status", "duration_ms")


def log_format(env: Mapping[str, str]) -> str:
    """The format RPS_LOG_FORMAT names, else the default for where the process runs."""
    chosen = (env.get("RPS_LOG_FORMAT") or "").strip().lower()
    if chosen:
        if chosen not in FORMATS:
            from services.backbone.settings import ConfigurationError

            raise ConfigurationError(f"RPS_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {safe_log(chosen)!r}")
        return chosen
    return "json" if env.get("AMQP_URI") and env.get("DATABASE_URL") else "text"


def _correlation(record: logging.LogRecord) -> str | None:
    given = getattr(record, "correlation_id", None)
    if given:
        return given
    ctx = context._current.get()  # a record made inside a request or a consumed message
    return ctx.correlation_id if ctx is not None else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": _correlation(record),
        }
        for field in ACCESS_FIELDS[1:]:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = {f: getattr(record, f) for f in ACCESS_FIELDS if hasattr(record, f)}
        correlation = _correlation(record)
        if "correlation_id" not in fields and correlation:
            fields["correlation_id"] = correlation
        return line + structured("", **fields) if fields else line


def configure(env: Mapping[str, str], *, verbose: bool = False) -> str:
    """Send every record to stderr in the chosen format; returns the format."""
    chosen = log_format(env)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    ACCESS.setLevel(logging.INFO)
    # Their own access lines (werkzeug's carry terminal colours) give way to rps.access's.
    for name in ("werkzeug", "nameko.web.server", "eventlet.wsgi.server"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return chosen


def access(*, correlation_id: str, actor_role: str | None, method: str, route: str, status: int,
           seconds: float) -> None:
    """One request's access record: what the log stack needs, nothing a person typed."""
    ACCESS.info(
        "%s %s %s", method, route, status,
        extra={"correlation_id": correlation_id, "actor_role": actor_role or "-", "method": method,
               "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)},
    )
