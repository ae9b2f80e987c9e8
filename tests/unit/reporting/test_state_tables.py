"""Reporting's own tables survive a first use that rolls back (R-SEC-3, R-RPT-7)."""

from __future__ import annotations

import pytest

from services.backbone.persistence import SQLiteDatabase
from services.reporting import state


def test_tables_made_in_a_keyed_request_that_rolled_back_are_made_again(tmp_path):
    # R-SEC-3 / R-RPT-7: the first use of a fresh reporting database is a keyed request whose
    # transaction rolls back (its answer could not be stored); the next issue must still find its tables.
    db = SQLiteDatabase(tmp_path / "reporting-state.sqlite")
    with pytest.raises(RuntimeError):
        with db.joined():
            state.ensure(db)
            raise RuntimeError("the key's answer could not be stored")
    state.ensure(db)
    assert db.query("SELECT COUNT(*) AS n FROM rpt_issued") == [{"n": 0}]
    assert db.query("SELECT COUNT(*) AS n FROM rpt_notes") == [{"n": 0}]
