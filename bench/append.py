"""Event-store append rate against raw PostgreSQL single-row INSERTs, same run.

    .venv/bin/python -m bench.append [N]

The baseline is a loop of autocommitted single-row INSERTs of a similar row
(id, version, topic, state bytes) into a plain table; the measured path is the
visits Application saving one new aggregate per command (event + notification
+ tamper-evident chain link, one transaction) — what every POST pays.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid

import psycopg

from bench.common import fresh_cluster
from services.backbone.domain import Aggregate
from services.backbone.persistence import event_store_env
from services.visits.application import VisitsApplication


class Sample(Aggregate):
    from eventsourcing.domain import event

    @event("Recorded")
    def __init__(self, group: str, date: str, days: float, notes: str) -> None:
        self.group, self.date, self.days, self.notes = group, date, days, notes


def raw_inserts(url: str, n: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_raw (id uuid, version int, topic text, state bytea, n bigserial, PRIMARY KEY (id, version))")
        state = b'{"group":"g-bench","date":"2022-03-03","days":1.0,"notes":"' + b"x" * 80 + b'"}'
        started = time.perf_counter()
        for _ in range(n):
            conn.execute("INSERT INTO bench_raw (id, version, topic, state) VALUES (%s, 1, %s, %s)", (uuid.uuid4(), "bench:Sample.Recorded", state))
        return n / (time.perf_counter() - started)


def event_store_saves(settings, n: int, writers: int = 1) -> float:
    """``writers`` concurrent callers each saving one aggregate per command."""
    app = VisitsApplication(env=event_store_env("visits", settings, create_table=False))
    per_writer = n // writers

    def write() -> None:
        for _ in range(per_writer):
            app.save(Sample(group="g-bench", date="2022-03-03", days=1.0, notes="x" * 80))

    try:
        threads = [threading.Thread(target=write) for _ in range(writers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return per_writer * writers / (time.perf_counter() - started)
    finally:
        app.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with fresh_cluster() as settings:
        raw = raw_inserts(settings.database_url, n)
        sequential = event_store_saves(settings, n, writers=1)
        concurrent = event_store_saves(settings, n, writers=16)
    print(f"append benchmark, {n} commands each, PostgreSQL on this machine")
    print(f"  raw single-row INSERT loop (1 connection)       : {raw:8.0f} rows/s   1.00")
    print(f"  event store, 1 caller  (event+chain, 1 tx each)  : {sequential:8.0f} events/s {sequential / raw:5.2f}")
    print(f"  event store, 16 callers (group commit)           : {concurrent:8.0f} events/s {concurrent / raw:5.2f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
