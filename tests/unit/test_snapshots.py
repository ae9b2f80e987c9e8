"""Long-lived aggregates load from snapshots, and load the same as from events."""

from __future__ import annotations

import uuid

from tests.unit.visits.feed import ContractsFeed


def test_a_visit_corrected_many_times_loads_from_a_snapshot_with_the_same_state(api, runtime):
    group = ContractsFeed(runtime).setup("snap")
    visit = api.post("/api/v1/visits", group.visit("2022-03-03", 1)).json_body
    for i in range(60):
        days = 1.5 if i % 2 == 0 else 1.0
        response = api.post(f"/api/v1/visits/{visit['id']}/corrections", {"days": days, "reason": f"第{i}次更正"})
        assert response.status_code in (200, 201), response.json_body
    app = runtime.app("visits")
    snapshots = list(app.snapshots.get(uuid.UUID(visit["id"])))  # type: ignore[union-attr]
    assert snapshots, "a snapshot was taken after 50 events"
    from_snapshot = app.repository.get(uuid.UUID(visit["id"]))
    assert from_snapshot.version == 61 and from_snapshot.days == 1.0
    # The same aggregate rebuilt from its events alone, ignoring the snapshot.
    events = list(app.events.get(uuid.UUID(visit["id"])))
    assert len(events) == 61
    state = None
    for event in events:
        state = event.mutate(state)
    assert state.__dict__ == from_snapshot.__dict__
    assert api.get(f"/api/v1/visits/{visit['id']}").json_body["days"] == 1.0
