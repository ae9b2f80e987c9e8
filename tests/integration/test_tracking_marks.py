"""Tracking on PostgreSQL: a catch-up moving the mark and the bus's consumer
writing records for the same events, at the same time, apply each event once
(R-RPT-1 counted exactly once) and neither waits for ever."""

from __future__ import annotations

import threading
import time

import pytest

from services.backbone.persistence import PostgresDatabase, create_tables
from services.backbone.tracking import Projection, handles
from tests.unit.visits.feed import envelope


def _envelope(position: int) -> dict:
    return envelope("VisitLogged", f"v{position}", {}, sequence=1, position=position, source="visits")


class Counted(Projection):
    name = "test.counted"
    consumer = "test"
    sources = ("visits",)
    tables = ("CREATE TABLE IF NOT EXISTS counted (subject TEXT NOT NULL)",)
    table_names = ("counted",)
    slow: dict[str, threading.Event] = {}

    @handles("VisitLogged")
    def logged(self, cur, env):
        cur.execute("INSERT INTO counted (subject) VALUES (%s)", (env["subject"],))
        entered = self.slow.get(threading.current_thread().name)
        if entered is not None:  # hold the transaction open while the other one starts
            entered.set()
            time.sleep(0.5)


@pytest.fixture
def projection(cluster_settings):
    db = PostgresDatabase(cluster_settings, "reporting")
    create_tables(db, ())
    p = Counted(db)
    p.reset()
    p.handle_run([_envelope(1)], ("visits", 0, 1))
    yield p
    db.close()


def _race(projection, first, second):
    """Run ``first`` in a thread; once it is inside its transaction, run ``second``."""
    entered = threading.Event()
    Counted.slow = {"first": entered}
    results = {}
    one = threading.Thread(target=lambda: results.setdefault("first", first()), name="first")
    one.start()
    assert entered.wait(5)
    results["second"] = second()
    one.join(10)
    assert not one.is_alive()
    Counted.slow = {}
    return results


def _count(projection):
    return projection.db.query("SELECT COUNT(*) AS n FROM counted WHERE subject = 'v3'")[0]["n"]


def test_the_bus_delivering_during_a_catch_up_is_told_it_is_a_duplicate(projection):
    run = [_envelope(2), _envelope(3), _envelope(4)]
    results = _race(projection, lambda: projection.handle_run(run, ("visits", 1, 4)), lambda: projection.handle(_envelope(3)))
    assert results == {"first": 3, "second": False}
    assert _count(projection) == 1 and projection.last_position("visits") == 4


def test_a_catch_up_during_the_bus_delivering_skips_what_it_applied(projection):
    run = [_envelope(2), _envelope(3), _envelope(4)]
    results = _race(projection, lambda: projection.handle(_envelope(3)), lambda: projection.handle_run(run, ("visits", 1, 4)))
    assert results == {"first": True, "second": 2}
    assert _count(projection) == 1 and projection.last_position("visits") == 4
    rows = projection.db.query("SELECT COUNT(*) AS n FROM tracking WHERE projection = 'test.counted'")
    assert rows[0]["n"] == 0  # the mark stands for all four
