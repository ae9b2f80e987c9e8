"""Bounded retries, parking and replay of events a projection keeps failing on."""

from __future__ import annotations

import sqlite3

import pytest

from services.backbone import metrics
from services.backbone.persistence import SQLiteDatabase, create_tables
from services.backbone.tracking import Projection, handles


def _envelope(position: int, subject: str) -> dict:
    return {
        "specversion": "1.0", "id": f"e{position}", "source": "rps/visits",
        "type": "cn.liaocheng.rps.visits.VisitLogged.v1", "time": "2022-03-01T00:00:00+00:00",
        "subject": subject, "data": {}, "sequence": 1, "position": position,
    }


class Picky(Projection):
    name = "test.picky"
    consumer = "test"
    sources = ("visits",)
    tables = ("CREATE TABLE IF NOT EXISTS seen (subject TEXT)",)
    table_names = ("seen",)
    poison = {"bad"}

    @handles("VisitLogged")
    def logged(self, cur, env):
        if env["subject"] in self.poison:
            raise ValueError("cannot read this event")
        cur.execute("INSERT INTO seen (subject) VALUES (%s)", (env["subject"],))


@pytest.fixture
def projection(tmp_path):
    db = SQLiteDatabase(tmp_path / "p.sqlite")
    create_tables(db, ())
    p = Picky(db)
    p.create_tables()
    return p


def _seen(projection):
    return [r["subject"] for r in projection.db.query("SELECT subject FROM seen ORDER BY subject")]


def test_a_poison_event_is_parked_after_its_retries_and_the_rest_go_on(projection):
    sleeps = []
    outcomes = [
        projection.deliver(_envelope(i, s), attempts=3, backoff_seconds=0.1, sleep=sleeps.append)
        for i, s in enumerate(["a", "bad", "c"], start=1)
    ]
    assert outcomes == ["applied", "parked", "applied"]
    assert sleeps == [0.1, 0.2]  # back-off doubles between the bounded attempts
    assert _seen(projection) == ["a", "c"]
    parked = projection.parked()
    assert [(r["source"], r["position"], r["attempts"]) for r in parked] == [("visits", 2, 3)]
    assert "cannot read this event" in parked[0]["error"]
    assert metrics.DEAD_LETTERS.labels("test.picky")._value.get() == 1


def test_replay_after_a_fix_counts_the_parked_event_once(projection):
    projection.deliver(_envelope(1, "bad"), attempts=2, sleep=lambda s: None)
    assert projection.replay_parked() == {"applied": 0, "duplicate": 0, "failed": 1}
    projection.poison = set()  # the fix
    assert projection.replay_parked() == {"applied": 1, "duplicate": 0, "failed": 0}
    assert projection.replay_parked() == {"applied": 0, "duplicate": 0, "failed": 0}
    assert projection.deliver(_envelope(1, "bad")) == "duplicate"  # a late redelivery changes nothing
    assert _seen(projection) == ["bad"]
    assert projection.parked() == []


def test_a_store_that_is_down_is_not_the_events_fault(projection):
    class Down(Picky):
        @handles("VisitLogged")
        def logged(self, cur, env):
            raise sqlite3.OperationalError("database is locked")

    down = Down(projection.db)
    with pytest.raises(sqlite3.OperationalError):
        down.deliver(_envelope(1, "a"), attempts=3, sleep=lambda s: None)
    assert down.parked() == []


# -- catch-up in runs: one transaction a batch, every event once ------------------------------------


def _history(subjects):
    return [_envelope(i, s) for i, s in enumerate(subjects, start=1)]


def _reader(history):
    return lambda after, limit: [e for e in history if e["position"] > after][:limit]


def test_catch_up_applies_in_batches_and_a_second_catch_up_adds_nothing(projection):
    history = _history([f"v{i:02d}" for i in range(1, 12)])
    assert projection.catch_up("visits", _reader(history), batch=4) == 11
    assert projection.catch_up("visits", _reader(history), batch=4) == 0
    assert _seen(projection) == [f"v{i:02d}" for i in range(1, 12)]


def test_a_run_redelivered_or_repeating_an_event_counts_each_event_once(projection):
    history = _history(["a", "b", "c"])
    assert projection.handle_run([history[0], history[1], history[0]]) == 2
    assert projection.handle_run(history) == 1  # only "c" is new
    assert _seen(projection) == ["a", "b", "c"]


def test_a_poison_event_in_a_batch_is_parked_and_the_catch_up_completes(projection):
    # R-SEC-3 amended (issue 15 item 1): a catch-up or rebuild never stops at one event: the batch
    # rolls back whole, then goes event by event; the poison one is parked (naming itself), the rest applied
    history = _history(["a", "b", "bad", "d"])
    assert projection.catch_up("visits", _reader(history), batch=10) == 3
    assert _seen(projection) == ["a", "b", "d"]
    assert projection.last_position("visits") == 4
    parked = projection.parked()
    assert [(r["position"], r["attempts"]) for r in parked] == [(3, 1)] and "cannot read this event" in parked[0]["error"]
    assert projection.count_parked() == 1 and metrics.DEAD_LETTERS.labels("test.picky")._value.get() == 1
    projection.poison = set()  # the cause fixed: the replay applies it
    assert projection.replay_parked() == {"applied": 1, "duplicate": 0, "failed": 0}
    assert _seen(projection) == ["a", "b", "bad", "d"]


def test_a_rebuild_parks_what_it_cannot_apply_and_completes(projection):
    # R-SEC-3 amended (issue 15 item 1): rebuild parks, completes (fingerprint recorded), and a rebuild
    # starts from an empty park (what it cannot apply is parked again, counted once)
    from services.backbone.tracking import rebuild

    history = _history(["a", "bad", "c"])
    for _ in range(2):
        assert rebuild([projection], lambda source: _reader(history), batch=2) == {"test.picky": 2}
        assert _seen(projection) == ["a", "c"] and projection.count_parked() == 1
        assert projection.schema_current()


def test_read_models_keep_text_no_store_can_keep_with_a_replacement_character(projection):
    # R-SEC-3 amended (issue 15 item 1): histories stored before the edge refused such text project
    history = _history(["nul\x00", "bell\x07", "surrogate\ud800", "tab\tcr\rlf\n", "bidi\u202e"])
    assert projection.catch_up("visits", _reader(history)) == 5
    assert _seen(projection) == ["bell\ufffd", "bidi\u202e", "nul\ufffd", "surrogate\ufffd", "tab\tcr\rlf\n"]
    assert projection.count_parked() == 0


def test_a_run_with_a_poison_event_parks_it_and_applies_the_others(projection):
    # The projection runner's path: the run fails whole, then event by event with retries and parking.
    history = _history(["a", "bad", "c"])
    projection.deliver_run(history, attempts=2, backoff_seconds=0)
    assert _seen(projection) == ["a", "c"]
    assert [(r["position"], r["attempts"]) for r in projection.parked()] == [(2, 2)]
