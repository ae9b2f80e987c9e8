"""Rebuilding a read model: indexes made once the rows are in, and a rebuild
cut short is noticed (R-RPT-5: rebuilt reports equal the live ones)."""

from __future__ import annotations

import pytest

from services.backbone.persistence import SQLiteDatabase, create_tables
from services.backbone.tracking import Projection, handles


def _envelope(position: int, subject: str) -> dict:
    return {
        "specversion": "1.0", "id": f"e{position}", "source": "rps/visits",
        "type": "cn.liaocheng.rps.visits.VisitLogged.v1", "time": "2022-03-01T00:00:00+00:00",
        "subject": subject, "data": {"group": subject[:1]}, "sequence": 1, "position": position,
    }


class ByGroup(Projection):
    name = "test.by_group"
    consumer = "test"
    sources = ("visits",)
    tables = (
        "CREATE TABLE IF NOT EXISTS by_group (id TEXT PRIMARY KEY, grp TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS by_group_grp ON by_group (grp)",
    )
    table_names = ("by_group",)
    deferred_indexes = ("by_group_grp",)
    fail_at: int | None = None

    @handles("VisitLogged")
    def logged(self, cur, env):
        if env["position"] == self.fail_at:
            raise RuntimeError("the store went away")
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

    def watched(envelopes):
        applied = apply_batch(envelopes)
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
    with pytest.raises(RuntimeError):
        projection.rebuild(_reader)
    # Where tables are made (Runtime.rebuild_stale), this read model is rebuilt again.
    assert not projection.schema_current()
    projection.fail_at = None
    assert projection.rebuild(_reader) == 5
    assert projection.schema_current()
