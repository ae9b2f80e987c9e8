"""Shared set-up for the benchmarks: a fresh database and vhost, and percentiles."""

from __future__ import annotations

import contextlib
import os
import statistics
import uuid
from typing import Iterator
from urllib.parse import urlsplit

import psycopg

from services.backbone.settings import Settings
from services.bootstrap import migrate

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/rps_bench")
AMQP_URI = os.environ.get("BENCH_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")


@contextlib.contextmanager
def fresh_cluster() -> Iterator[Settings]:
    from tests.cluster import _management

    name = f"rps_bench_{uuid.uuid4().hex[:8]}"
    base = DATABASE_URL.rpartition("/")[0]
    amqp = urlsplit(AMQP_URI)
    _management("PUT", f"vhosts/{name}")
    _management("PUT", f"permissions/{name}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    settings = Settings(amqp_uri=f"{amqp.scheme}://{amqp.netloc}/{name}", database_url=f"{base}/{name}")
    migrate(settings)
    try:
        yield settings
    finally:
        _management("DELETE", f"vhosts/{name}")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms, mean {statistics.fmean(values) * 1000:.1f} ms"
