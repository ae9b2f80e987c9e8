"""Shared fixtures: an embedded system per test, driven through its HTTP gateway.

Tests isolate themselves with fresh data directories and random codes rather
than teardown of shared state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from typing import Any, Iterator

import pytest
from werkzeug.test import Client

from services.backbone import clock
from services.backbone.auth import issue_token
from services.backbone.http import Gateway
from services.backbone.settings import Settings
from services.bootstrap import Runtime
from tests.processes import Processes
from tests.servers import (  # noqa: F401 (fixtures: private servers for the fault tests)
    FIGURES, fault_figures, healthy_servers, postgres_factory, private_postgres, private_rabbitmq, rabbitmq_factory,
)


class Api:
    """A JSON client over the embedded gateway (no sockets).

    Calls carry a bureau token unless the client was made for another role
    (``api.as_role("planner", group=..., district=...)``), for no one
    (``api.anonymous()``), or a call passes its own ``Authorization`` header.
    """

    def __init__(self, runtime: Runtime, client: Client | None = None, token: str | None = None, *,
                 anonymous: bool = False):
        self.runtime = runtime
        self.client = client or Client(Gateway(runtime.service_objects()))
        if token is None and not anonymous:
            token = issue_token(runtime.settings, "bureau", subject="bureau-test")
        self.token = token

    def as_role(self, role: str, subject: str | None = None, **scope: str | None) -> "Api":
        """The same system, called with a token of ``role`` and scope (group, district, government)."""
        return Api(self.runtime, self.client, issue_token(self.runtime.settings, role, subject=subject, **scope))

    def anonymous(self) -> "Api":
        """The same system, called without a token (a resident)."""
        return Api(self.runtime, self.client, anonymous=True)

    def use_role(self, role: str, subject: str | None = None, **scope: str | None) -> None:
        """From now on call as ``role`` (tests that switch roles midway)."""
        self.token = issue_token(self.runtime.settings, role, subject=subject, **scope)

    def request(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
                headers: dict | None = None, environ: dict | None = None, content_type: str = "application/json"):
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}  # headers={"Authorization": None} drops it
        response = self.client.open(
            path, method=method, data=data, headers=sent, content_type=content_type,
            environ_overrides=environ or {},
        )
        response.json_body = json.loads(response.get_data()) if response.mimetype == "application/json" else None
        return response

    def get(self, path: str, **kw: Any):
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any):
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any):
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any):
        return self.request("DELETE", path, **kw)

    def settle(self) -> None:
        """Wait until every stored event has reached every projection."""
        self.runtime.drain()


@pytest.fixture
def runtime(tmp_path) -> Iterator[Runtime]:
    rt = Runtime.embedded(Settings(data_dir=tmp_path / "var", relay_idle_seconds=0.05))
    rt.start_embedded_bus()
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def api(runtime: Runtime) -> Api:
    return Api(runtime)


# Issue 15: the business date of tests that compare the server's "today" with their own.
FROZEN_TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def frozen_clock(monkeypatch) -> dt.date:
    """This process's business clock and the event timestamps start at 10:00 Asia/Shanghai on
    FROZEN_TODAY and run on from there (no test crosses midnight); returns FROZEN_TODAY.
    Processes started by a test take ``RPS_TODAY`` (services/backbone/clock.py) instead."""
    import eventsourcing.application
    import eventsourcing.domain

    origin, started = dt.datetime.combine(FROZEN_TODAY, dt.time(10), clock.TZ), time.monotonic()

    def now() -> dt.datetime:
        return origin + dt.timedelta(seconds=time.monotonic() - started)

    monkeypatch.setattr(clock, "now", now)
    for module in (eventsourcing.domain, eventsourcing.application):  # events' and snapshots' timestamps
        monkeypatch.setattr(module, "datetime_now_with_tzinfo", lambda: now().astimezone(dt.timezone.utc))
    return FROZEN_TODAY


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    """Real `rps` processes, stopped (or killed) when the test ends."""
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    procs = Processes(env, tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The fault suite's closing figures (issue 15), when fault tests reported any."""
    if FIGURES.rows:
        line = FIGURES.write(config.rootpath / "var" / "faults-figures.json")
        terminalreporter.write_sep("=", "faults")
        terminalreporter.write_line(line)
        terminalreporter.write_line(f"(each test's figures: {config.rootpath / 'var' / 'faults-figures.json'})")
