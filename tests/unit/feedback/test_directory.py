"""The contracts service's reference data as the feedback service keeps it
(DirectoryProjection), fed with envelopes as contracts publishes them."""

from tests.unit.feedback.conftest import POINT_INSIDE, SQUARE


def test_boundary_set_later_makes_points_findable(api, contracts, unique):
    # R-OPN-1: a district registered without a boundary cannot claim points until DistrictBoundarySet
    contracts.government(f"gov-{unique}")
    contracts.district(f"d-{unique}", f"gov-{unique}", boundary=None)
    body = {"point": POINT_INSIDE, "category": "other", "text": "x", "date": "2022-03-01"}
    assert api.post("/api/v1/opinions", body).status_code == 422
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    contracts.publish("DistrictBoundarySet", f"d-{unique}", {"code": f"d-{unique}", "boundary": multi})
    response = api.post("/api/v1/opinions", body)
    assert response.status_code == 201, response.json_body
    assert response.json_body["district"] == f"d-{unique}"


def test_group_serves_from_its_start_until_its_assignment_ends(api, contracts, world):
    # R-ORG-1: the opinion goes to the group serving the district on its date
    before_start = api.post("/api/v1/opinions", {"district": world["district"], "category": "other", "text": "x",
                                                 "date": "2021-05-01"}).json_body
    assert before_start["group"] is None
    contracts.publish("GroupAssignmentEnded", world["group"], {"group": world["group"], "date": "2022-02-28",
                                                               "reason": "合同到期"})
    after_end = api.post("/api/v1/opinions", {"district": world["district"], "category": "other", "text": "x",
                                              "date": "2022-03-01"}).json_body
    assert after_end["group"] is None
    # R-REC-1: an ended group raises nothing dated after its end
    response = api.post("/api/v1/recommendations", {"group": world["group"], "title": "t", "text": "x",
                                                    "category": "other", "source": "survey", "date": "2022-03-01"})
    assert response.status_code == 422 and response.json_body["error"]["field"] == "group"
    ok = api.post("/api/v1/recommendations", {"group": world["group"], "title": "t", "text": "x",
                                              "category": "other", "source": "survey", "date": "2022-02-01"})
    assert ok.status_code == 201


def test_redelivered_contracts_events_change_nothing(contracts, world):
    # exactly once: the tracking record makes a repeat a no-op
    envelope = contracts.publish("DistrictTypesChanged", world["district"], {"code": world["district"], "types": ["built"]})
    assert contracts.projection.handle(envelope) is False
    rows = contracts.projection.db.query("SELECT types FROM fb_dir_districts WHERE code = %s", (world["district"],))
    assert rows[0]["types"] == '["built"]'


def test_planner_replacement_updates_the_group(contracts, world):
    # R-CON-4
    contracts.publish("PlannerReplaced", world["group"], {"group": world["group"], "out": "p01", "in": "p11",
                                                         "date": "2022-01-10", "reason": "调动"})
    rows = contracts.projection.db.query("SELECT tier1, local FROM fb_dir_groups WHERE code = %s", (world["group"],))
    assert (rows[0]["tier1"], rows[0]["local"]) == ("p11", "p02")
