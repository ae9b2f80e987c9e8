"""Real PostgreSQL and RabbitMQ: each test module gets its own database and vhost.

Used by the integration and e2e suites (their conftests import the fixture)."""

from __future__ import annotations

import base64
import json
import os
import urllib.request
import uuid
from urllib.parse import urlsplit
from typing import Iterator

import psycopg
import pytest

from services.backbone.settings import Settings
from services.bootstrap import migrate

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/rps_test")
AMQP_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")
MANAGEMENT = os.environ.get("TEST_RABBITMQ_MANAGEMENT", "http://127.0.0.1:15672")


def management_get(path: str) -> dict:
    request = urllib.request.Request(
        f"{MANAGEMENT}/api/{path}",
        headers={"authorization": "Basic " + base64.b64encode(b"guest:guest").decode()},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def ready_messages(amqp_uri: str, queue: str) -> int | None:
    """The messages waiting in ``queue`` now (the broker's own count, not the management API's
    sampled figures); None when the queue does not exist."""
    from kombu import Connection

    with Connection(amqp_uri, connect_timeout=5) as conn:
        try:
            return conn.channel().queue_declare(queue=queue, passive=True).message_count
        except conn.channel_errors:
            return None


def management_delete(path: str) -> None:
    _management("DELETE", path)


def _management(method: str, path: str, body: dict | None = None) -> None:
    request = urllib.request.Request(
        f"{MANAGEMENT}/api/{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "content-type": "application/json",
            "authorization": "Basic " + base64.b64encode(b"guest:guest").decode(),
        },
    )
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture(scope="module")
def cluster_settings() -> Iterator[Settings]:
    name = f"rps_it_{uuid.uuid4().hex[:10]}"
    base, _, _ = DATABASE_URL.rpartition("/")
    amqp = urlsplit(AMQP_URI)
    _management("PUT", f"vhosts/{name}")
    _management("PUT", f"permissions/{name}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    settings = Settings(amqp_uri=f"{amqp.scheme}://{amqp.netloc}/{name}", database_url=f"{base}/{name}", relay_idle_seconds=0.05)
    migrate(settings)
    try:
        yield settings
    finally:
        _management("DELETE", f"vhosts/{name}")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
