"""Rebuilding a read model: indexes made once the rows are in, and a rebuild
cut short is noticed (R-RPT-5: rebuilt reports equal the live ones)."""

from __future__ import annotations

import pytest

from services.backbone.persistence import SQLiteDatabase, create_tables
from services.backbone.tracking import Projection, handles
from tests.unit.visits.feed import envelope


def _envelope(position: int, subject: str) -> dict:
    return envelope("VisitLogged", subject, {"group": subject[:1]}, sequence=1, position=position, source="visits")


class ByGroup(Projection):
    name = "test.by_group"
    consumer = "test"
    sources = ("visits",)
    tables = (
        "CREATE TABLE IF NOT EXISTS by_group (id TEXT PRIMARY KEY, grp TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS by_group_grp ON by_group (grp)",
    )
    table_names = ("by_group",)
    defer_indexes = True
    fail_at: int | None = None

    @handles("VisitLogged")
    def logged(self, cur, env):
        if env["position"] == self.fail_at:
            raise ConnectionError("the store went away")  # transient: a rebuild cut short (one bad event is parked instead)
        cur.execute("INSERT INTO by_group (id, grp) VALUES (%s, %s)", (env["subject"], env["data"]["group"]))


@pytest.fixture
def projection(tmp_path):
    db = SQLiteDatabase(tmp_path / "p.sqlite")
    create_tables(db, ())
    p = ByGroup(db)
    p.create_tables()
    return p


HISTORY = [_envelope(i, s) for i, s in enumerate(["a1", "b1", "a2", "c1", "a3"], start=1)]


def _reader(source):
    return lambda after, limit: [e for e in HISTORY if e["position"] > after][:limit]


def _indexes(db):
    return {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'by_group'")}


def test_a_rebuild_makes_the_deferred_indexes_after_the_rows_and_records_the_tables(projection, monkeypatch):
    seen_during_load = []
    apply_batch = projection.apply_batch

    def watched(envelopes, covers=None):
        applied = apply_batch(envelopes, covers)
        seen_during_load.append(_indexes(projection.db))
        return applied

    monkeypatch.setattr(projection, "apply_batch", watched)
    assert projection.rebuild(_reader) == 5
    assert "by_group_grp" not in seen_during_load[0]  # rows went in without it
    assert "by_group_grp" in _indexes(projection.db)
    assert projection.schema_current()
    rows = projection.db.query("SELECT grp, COUNT(*) AS n FROM by_group GROUP BY grp ORDER BY grp")
    assert [(r["grp"], r["n"]) for r in rows] == [("a", 3), ("b", 1), ("c", 1)]


def test_a_rebuild_cut_short_is_not_taken_for_a_current_read_model(projection):
    projection.rebuild(_reader)
    projection.fail_at = 4
    with pytest.raises(ConnectionError):
        projection.rebuild(_reader)
    # Where tables are made (Runtime.rebuild_stale), this read model is rebuilt again.
    assert not projection.schema_current()
    projection.fail_at = None
    assert projection.rebuild(_reader) == 5
    assert projection.schema_current()


# -- tracking: a mark for what a catch-up covers, a record each for the bus's deliveries -----------------


def _records(projection):
    return [r["position"] for r in projection.db.query("SELECT position FROM tracking ORDER BY position")]


def test_a_catch_up_moves_one_mark_and_a_redelivered_event_still_counts_once(projection):
    # R-RPT-1: each visit counted once, however often it arrives.
    assert projection.catch_up("visits", _reader("visits"), batch=2) == 5
    assert _records(projection) == []  # one mark, no record per event
    assert projection.last_position("visits") == 5
    assert projection.handle(HISTORY[2]) is False  # the bus delivers position 3 again
    later = _envelope(6, "b2")
    assert projection.handle(later) is True and _records(projection) == [6]
    assert projection.handle(later) is False
    rows = projection.db.query("SELECT COUNT(*) AS n FROM by_group")
    assert rows[0]["n"] == 6


def test_a_covering_run_takes_over_the_records_above_the_mark(projection):
    projection.catch_up("visits", _reader("visits"))
    seventh = _envelope(7, "c2")
    assert projection.handle(seventh) is True  # delivered ahead of 6
    run = [_envelope(6, "b2"), seventh, _envelope(8, "a4")]
    assert projection.handle_run(run, ("visits", 5, 8)) == 2  # 7 was applied already
    assert _records(projection) == [] and projection.last_position("visits") == 8
    assert projection.handle_run(run, ("visits", 5, 8)) == 0


def test_a_run_that_does_not_start_at_the_mark_writes_records(projection):
    projection.catch_up("visits", _reader("visits"))
    run = [_envelope(7, "c2"), _envelope(8, "a4")]
    # Position 6 is not in hand: the mark cannot pass it.
    assert projection.handle_run(run, ("visits", 6, 8)) == 2
    assert _records(projection) == [7, 8]
    assert projection.handle(_envelope(6, "b2")) is True
