"""R-RPT-8, the daily job: a date's reminders handed to the feedback service's notifier as an event.

**Where the fact lives.** Reporting computes the reminders (``reminders.py``)
from its read models, but it keeps no event store: everything it holds is
rebuilt from the other services' events. The notifier — its outbox, the
contacts it resolves, the dispatcher — belongs to feedback. So the job
records a date's reminders in feedback's event store, as ``RemindersIssued``
of an aggregate whose id is derived from the date, through feedback's
command ``POST /api/v1/daily-reminders``. ``NotificationOutboxProjection``
turns the event into outbox rows in the transaction of its tracking record,
and the dispatcher delivers them like any other message. Issuing a date
again (a retried CronJob, a restart, ``rps remind --date`` by hand) finds
that aggregate and stores nothing, so nobody is told twice; and what people
were reminded of, and when, stays in the event history. An event store of
reporting's own, with a relay and a feedback projection of it, would be
three more moving parts for one event a day.

**How they get there.** Embedded mode posts them to feedback's route in-process
(the process serves feedback's API too; the same gate, with the job's own token):
a thread of ``rps run`` issues today's reminders after start and again at each new day. In the
cluster, ``rps remind`` (the CronJob ``remind``) posts them to
``RPS_FEEDBACK_URL`` with the service token (role ``operator``,
``services.backbone.auth.service_headers``).

A date's reminders are what reporting's read models hold at its first
issue; the embedded thread waits for the relays to drain before it
computes them, and the CronJob runs in the morning, long after the night's
events were projected.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any, Callable

from services.backbone import clock
from services.backbone.auth import issue_token, service_headers
from services.backbone.persistence import Database
from services.backbone.settings import ConfigurationError
from services.reporting.reminders import reminders_on
from services.reporting.settings import ReportSettings

log = logging.getLogger(__name__)

PATH = "/api/v1/daily-reminders"
# Who the events name as their actor when the job runs in-process (R-SEC-2).
JOB_SUBJECT = "reminder-job"

# (date, reminders) -> {"date", "issued" (false: the date was issued before), "count", "counts"}
Issuer = Callable[[dt.date, list[dict[str, Any]]], dict[str, Any]]


class IssueFailed(Exception):
    """The feedback service did not take the reminders (unreachable, or it refused them)."""


def _body(day: dt.date, reminders: list[dict[str, Any]]) -> bytes:
    return json.dumps({"date": day.isoformat(), "reminders": reminders}, ensure_ascii=False).encode()


def _request_headers(headers: Callable[[], dict[str, str]]) -> dict[str, str]:
    """What both ways of issuing send beside the body: its type, then the caller's token."""
    return {"Content-Type": "application/json; charset=utf-8", **headers()}


def in_process(client: Any, headers: Callable[[], dict[str, str]]) -> Issuer:
    """Embedded mode: feedback's ``POST /api/v1/daily-reminders`` called in this process
    (``client``: a WSGI test client of the process's gateway), through the same gate as over
    the network: reporting reaches feedback only by its public API."""

    def issue(day: dt.date, reminders: list[dict[str, Any]]) -> dict[str, Any]:
        response = client.post(PATH, data=_body(day, reminders), headers=_request_headers(headers))
        body = response.get_json(silent=True) or {}
        if response.status_code >= 400:
            message = (body.get("error") or {}).get("message", "") if isinstance(body, dict) else ""
            raise IssueFailed(f"feedback answered {response.status_code}: {message}")
        return body

    return issue


def over_http(base_url: str, headers: Callable[[], dict[str, str]], *, timeout: float = 30.0) -> Issuer:
    """The cluster: feedback's ``POST /api/v1/daily-reminders`` with the service token.

    No ``Idempotency-Key``: the date is the key (a second run that computed
    other reminders for the same date must get the first issue, not a 422).
    """
    url = base_url.rstrip("/") + PATH

    def issue(day: dt.date, reminders: list[dict[str, Any]]) -> dict[str, Any]:
        request = urllib.request.Request(
            url, data=_body(day, reminders), method="POST", headers=_request_headers(headers),
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
                return json.load(response)
        except urllib.error.HTTPError as exc:
            raise IssueFailed(f"{url} answered {exc.code}: {_error_message(exc)}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise IssueFailed(f"{url} unreachable: {getattr(exc, 'reason', exc)}") from None

    return issue


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(exc)["error"]["message"])
    except Exception:  # not our error shape (a proxy's page): the status says enough
        return exc.reason or ""


def issuer_for(runtime: Any) -> Issuer:
    """In-process where this process serves feedback's API too, else over HTTP."""
    client = runtime.local_client("feedback")
    if client is not None:
        return in_process(client, lambda: _job_headers(runtime.settings))
    url = runtime.settings.of("reporting").feedback_url
    if not url:
        raise ConfigurationError(
            "set RPS_FEEDBACK_URL (e.g. http://feedback:8000): the feedback service the reminders are handed to"
        )
    return over_http(url, lambda: service_headers(runtime.settings))


def _job_headers(settings: Any) -> dict[str, str]:
    """The job's own token (R-SEC-2: the events name it as their actor), or the configured service token."""
    if settings.service_token is None and settings.signing_secret is not None:
        return {"Authorization": f"Bearer {issue_token(settings, 'operator', subject=JOB_SUBJECT, ttl_seconds=600)}"}
    return service_headers(settings)


def issue_day(db: Database, day: dt.date, issuer: Issuer, *, settings: ReportSettings | None = None) -> dict[str, Any]:
    """Compute ``day``'s reminders from reporting's read models and hand them over (once per date)."""
    computed = reminders_on(db, day, settings=settings)
    return issuer(day, computed["reminders"])


def run_daily(
    stop: threading.Event,
    job: Callable[[dt.date], Any],
    *,
    today: Callable[[], dt.date] = clock.today,
    poll_seconds: float = 60.0,
) -> None:
    """Run ``job(today())`` once after start and again whenever the date (Asia/Shanghai)
    changes, until ``stop`` is set; a failed run is tried again at the next poll."""
    done: dt.date | None = None
    while not stop.is_set():
        day = today()
        if day != done:
            try:
                result = job(day)
                done = day
                log.info("reminders of %s: %s", day, result)
            except Exception:  # the read models or the store briefly unavailable: the next poll tries again
                log.exception("reminders of %s not issued yet; trying again in %.0f s", day, poll_seconds)
        stop.wait(poll_seconds)


def embedded_worker(runtime: Any, *, poll_seconds: float = 60.0) -> Callable[[threading.Event], None]:
    """R-RPT-8, embedded mode: today's reminders handed to the notifier once after start and
    again at each new day (the cluster runs ``rps remind`` as a CronJob instead)."""
    issuer = issuer_for(runtime)

    def job(day: dt.date) -> Any:
        runtime.drain(timeout=60.0)  # the read models first take in everything stored so far
        return issue_day(runtime.db("reporting"), day, issuer, settings=runtime.settings.of("reporting"))

    return lambda stop: run_daily(stop, job, poll_seconds=poll_seconds)
