"""Event-store append rate against raw PostgreSQL single-row INSERTs, same run.

    .venv/bin/python -m bench.append [N]

The baseline is a loop of autocommitted single-row INSERTs of a similar row
(id, version, topic, state bytes) into a plain table; the measured path is the
visits Application saving one new aggregate per command (event + notification
+ tamper-evident chain link, one transaction) — what every POST pays.

The three take turns in rounds on one database: every commit waits for the
disk, whose speed drifts within a run (checkpoints, other writers), and a
baseline measured apart from the path it divides varied 676..2,257 rows/s
between runs minutes apart.
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


ROUNDS = 8  # the baseline and each path take turns, so the disk's changing speed (fsync) is shared


def raw_inserts(conn: psycopg.Connection, n: int) -> float:
    """Seconds for ``n`` autocommitted single-row INSERTs of a row like an event's."""
    state = b'{"group":"g-bench","date":"2022-03-03","days":1.0,"notes":"' + b"x" * 80 + b'"}'
    started = time.perf_counter()
    for _ in range(n):
        conn.execute("INSERT INTO bench_raw (id, version, topic, state) VALUES (%s, 1, %s, %s)", (uuid.uuid4(), "bench:Sample.Recorded", state))
    return time.perf_counter() - started


def event_store_saves(app: VisitsApplication, n: int, writers: int = 1) -> float:
    """Seconds for ``writers`` concurrent callers each saving ``n // writers`` aggregates, one per command."""
    per_writer = n // writers

    def write() -> None:
        for _ in range(per_writer):
            app.save(Sample(group="g-bench", date="2022-03-03", days=1.0, notes="x" * 80))

    threads = [threading.Thread(target=write) for _ in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    chunk = max(n // ROUNDS, 16)
    seconds = {"raw": 0.0, "sequential": 0.0, "concurrent": 0.0}
    with fresh_cluster() as settings:
        app = VisitsApplication(env=event_store_env("visits", settings, create_table=False))
        try:
            with psycopg.connect(settings.database_url, autocommit=True) as conn:
                conn.execute("CREATE TABLE bench_raw (id uuid, version int, topic text, state bytea, n bigserial, PRIMARY KEY (id, version))")
                for _ in range(ROUNDS):
                    seconds["raw"] += raw_inserts(conn, chunk)
                    seconds["sequential"] += event_store_saves(app, chunk, writers=1)
                    seconds["concurrent"] += event_store_saves(app, chunk, writers=16)
        finally:
            app.close()
    done = chunk * ROUNDS
    raw, sequential, concurrent = (done / seconds[k] for k in ("raw", "sequential", "concurrent"))
    print(f"append benchmark, {done} commands each, PostgreSQL on this machine ({ROUNDS} rounds taking turns)")
    print(f"  raw single-row INSERT loop (1 connection)       : {raw:8.0f} rows/s   1.00")
    print(f"  event store, 1 caller  (event+chain, 1 tx each)  : {sequential:8.0f} events/s {sequential / raw:5.2f}")
    print(f"  event store, 16 callers (group commit)           : {concurrent:8.0f} events/s {concurrent / raw:5.2f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
