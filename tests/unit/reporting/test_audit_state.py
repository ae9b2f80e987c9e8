"""The audit trail's changes (R-RPT-5) are the same whether the aggregate's earlier
state is in memory or read back from the trail (a restart, an evicted subject, a failed run)."""

from __future__ import annotations

import pytest

from services.backbone.persistence import SQLiteDatabase, create_tables
from services.reporting.projections import audit_trail
from services.reporting.projections.audit_trail import AuditTrailProjection

VISIT = "4b1f5a3e-0000-4000-8000-000000000001"


def _event(position: int, event_type: str, data: dict) -> dict:
    return {
        "specversion": "1.0", "id": f"evt-{position}", "source": "rps/visits",
        "type": f"cn.liaocheng.rps.visits.{event_type}.v1", "time": f"2022-03-0{position}T08:00:00+08:00",
        "subject": VISIT, "data": data, "sequence": position, "position": position,
        "actor": "planner-1", "actorrole": "planner",
    }


LOGGED = _event(1, "VisitLogged", {"group": "g1", "date": "2022-03-01", "days": 1.5, "contact_phone": "13800000000"})
CORRECTED = _event(2, "VisitCorrected", {"date": "2022-03-01", "days": 1.0, "reason": "只服务了一天"})
VOIDED = _event(3, "VisitVoided", {"reason": "记错了小组"})


@pytest.fixture
def db(tmp_path):
    db = SQLiteDatabase(tmp_path / "reporting.sqlite")
    create_tables(db, AuditTrailProjection.tables)
    return db


def _changes(projection):
    return [e["changes"] for e in projection.history("visit", VISIT)]


EXPECTED = [
    {"date": {"from": None, "to": "2022-03-01"}, "days": {"from": None, "to": 1.5}, "group": {"from": None, "to": "g1"}},
    {"days": {"from": 1.5, "to": 1.0}, "reason": {"from": None, "to": "只服务了一天"}},
    {"reason": {"from": "只服务了一天", "to": "记错了小组"}},
]


def test_changes_in_one_run_in_separate_runs_and_after_a_restart_are_the_same(db):
    one_run = AuditTrailProjection(db)
    one_run.handle_run([LOGGED, CORRECTED, VOIDED])
    assert _changes(one_run) == EXPECTED
    one_run.reset()
    # Each event in a process of its own: the earlier state is read back from the trail.
    for event in (LOGGED, CORRECTED, VOIDED):
        AuditTrailProjection(db).handle(event)
    assert _changes(AuditTrailProjection(db)) == EXPECTED
    # R-OPN-3: the resident's phone never reaches the trail, not even as an earlier value.
    assert all("contact_phone" not in e["data"] for e in AuditTrailProjection(db).history("visit", VISIT))


def test_a_subject_evicted_from_memory_is_read_back(db, monkeypatch):
    monkeypatch.setattr(audit_trail, "STATES_KEPT", 0)
    projection = AuditTrailProjection(db)
    for event in (LOGGED, CORRECTED, VOIDED):
        projection.handle(event)
    assert _changes(projection) == EXPECTED


class FailsAfterApplying(AuditTrailProjection):
    """The run's rows are written, then the transaction fails (a commit refused, say)."""

    fail = True

    def apply(self, cur, envelopes):
        super().apply(cur, envelopes)
        if self.fail:
            raise RuntimeError("could not commit")


def test_a_failed_run_leaves_no_state_behind(db):
    projection = FailsAfterApplying(db)
    projection.fail = False
    projection.handle(LOGGED)
    projection.fail = True
    with pytest.raises(RuntimeError):
        projection.handle(_event(2, "VisitCorrected", {"days": 0.5, "reason": "rolled back"}))
    projection.fail = False
    projection.handle(CORRECTED)
    projection.handle(VOIDED)
    assert _changes(projection) == EXPECTED
