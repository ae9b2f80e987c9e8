"""Shared fixtures: an embedded system per test, driven through its HTTP gateway.

Tests isolate themselves with fresh data directories and random codes rather
than teardown of shared state.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any, Iterator

import pytest
from werkzeug.test import Client

from services.backbone.http import Gateway
from services.backbone.settings import Settings
from services.bootstrap import Runtime
from tests.processes import Processes


class Api:
    """A JSON client over the embedded gateway (no sockets)."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.client = Client(Gateway(runtime.service_objects()))

    def request(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, headers: dict | None = None):
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        response = self.client.open(
            path, method=method, data=data, headers=headers or {}, content_type="application/json"
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
