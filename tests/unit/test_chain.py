"""The tamper-evident chain in the embedded store (R-RPT-5)."""

from __future__ import annotations

import sqlite3

from tests.unit.visits.feed import ContractsFeed


def _log(api, n):
    group = ContractsFeed(api.runtime).setup("chain")
    for i in range(n):
        response = api.post("/api/v1/visits", group.visit("2022-03-%02d" % (i % 9 + 1), 1))
        assert response.status_code == 201, response.json_body


def _events_file(runtime):
    return runtime.settings.data_dir / "visits-events.sqlite"


def test_an_untouched_history_verifies(api):
    _log(api, 5)
    api.settle()
    result = api.get("/api/v1/audit/verify").json_body
    assert result["intact"] is True
    visits = next(s for s in result["services"] if s["service"] == "visits")
    assert visits["links"] == 5 and visits["head_position"] == 5


def test_an_edited_event_is_named(api, runtime):
    # R-RPT-5: editing one stored row breaks its link
    _log(api, 5)
    api.settle()
    with sqlite3.connect(_events_file(runtime)) as conn:
        conn.execute("UPDATE stored_events SET state = replace(state, '\"days\":1.0', '\"days\":5.0') WHERE rowid = 3")
    visits = next(s for s in api.get("/api/v1/audit/verify").json_body["services"] if s["service"] == "visits")
    assert visits["intact"] is False and visits["broken_at"] == 3
    assert "changed" in visits["problem"]


def test_a_deleted_tail_is_caught_by_the_recorded_heads(api, runtime):
    # R-RPT-5: deleting the newest event and its link leaves a valid chain; reporting's head does not
    _log(api, 4)
    api.settle()
    with sqlite3.connect(_events_file(runtime)) as conn:
        conn.execute("DELETE FROM stored_events WHERE rowid = 4")
        conn.execute("DELETE FROM event_chain WHERE notification_id = 4")
    visits = next(s for s in api.get("/api/v1/audit/verify").json_body["services"] if s["service"] == "visits")
    assert visits["intact"] is False and visits["broken_at"] == 4
    assert "missing" in visits["problem"]


def test_an_event_deleted_in_the_middle_is_named(api, runtime):
    _log(api, 4)
    api.settle()
    with sqlite3.connect(_events_file(runtime)) as conn:
        conn.execute("DELETE FROM stored_events WHERE rowid = 2")
    visits = next(s for s in api.get("/api/v1/audit/verify").json_body["services"] if s["service"] == "visits")
    assert visits["broken_at"] == 2
