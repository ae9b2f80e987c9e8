"""Long-lived aggregates load from a snapshot, and load the same as from their events."""

from __future__ import annotations


def test_a_recommendation_with_many_progress_reports_loads_from_a_snapshot(api, runtime, world, unique):
    raised = api.post(
        "/api/v1/recommendations",
        {"group": world["group"], "title": "口袋公园", "text": "建议增设口袋公园", "category": "greening", "source": "survey", "date": "2022-03-01"},
    )
    assert raised.status_code == 201, raised.json_body
    rid = raised.json_body["id"]
    assert api.post(f"/api/v1/recommendations/{rid}/forward", {"letter_no": f"L-{unique}", "date": "2022-03-02"}).status_code == 200
    assert api.post(f"/api/v1/recommendations/{rid}/accept", {"date": "2022-03-03"}).status_code == 200
    for i in range(60):
        response = api.post(f"/api/v1/recommendations/{rid}/progress", {"date": "2022-03-20", "percent": i % 100, "text": f"第{i}次进展"})
        assert response.status_code == 200, response.json_body
    app = runtime.app("feedback")
    aggregate_id = app.get_recommendation(rid).id
    assert list(app.snapshots.get(aggregate_id)), "a snapshot was taken after 50 events"  # type: ignore[union-attr]
    from_snapshot = app.repository.get(aggregate_id)
    state = None
    for event in app.events.get(aggregate_id):
        state = event.mutate(state)
    assert state.__dict__ == from_snapshot.__dict__
    assert from_snapshot.version == 63

