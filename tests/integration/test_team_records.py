"""The team, the local institutions and recruitment on the real PostgreSQL (issue 19,
R-TEAM-1, R-TEAM-2): the refusal stores nothing, the directory's new tables and columns
are written and filtered there, the organisation view counts appointed / target."""

from __future__ import annotations

import pytest

from services.bootstrap import Runtime
from tests.conftest import Api

pytestmark = pytest.mark.integration
API = "/api/v1"


@pytest.fixture
def cluster(cluster_settings):
    runtime = Runtime.cluster(cluster_settings, ("contracts",))
    try:
        yield runtime
    finally:
        runtime.close()


def test_team_institution_and_recruitment_on_postgresql(cluster, unique):
    api = Api(cluster)

    def ok(response, status=201):
        assert response.status_code == status, response.json_body
        return response.json_body

    cert = {"grade": "甲级", "certificate_no": "A1", "issuer": "住房和城乡建设部", "valid_from": "2019-01-01",
            "valid_until": "2021-05-31"}
    team, inst = f"bj-{unique}", f"lc-{unique}"
    ok(api.post(f"{API}/teams", {"code": team, "name": "北京规划院", "city_tier": "tier1", "qualification": cert}))
    ok(api.post(f"{API}/institutions", {"code": inst, "name": "聊城规划院",
                                        "qualification": {**cert, "grade": "乙级", "valid_until": "2026-12-31"}}))
    contract = {"id": f"c-{unique}", "team": "北京规划院", "start_date": "2021-06-01", "annual_fee_fen": 6_000_000,
                "team_code": team, "signed_on": "2021-06-01", "targets": {"tier1": 1, "local": 1}}
    before = cluster.app("contracts").last_position()
    refused = api.post(f"{API}/contracts", contract)
    assert refused.status_code == 422 and (refused.json_body["error"]["rule"], refused.json_body["error"]["field"]) == (
        "R-TEAM-1", "team_code")
    assert cluster.app("contracts").last_position() == before
    ok(api.put(f"{API}/teams/{team}/qualification",
               {"qualification": {**cert, "certificate_no": "A2", "valid_from": "2021-06-01",
                                  "valid_until": "2026-05-31"}}), 200)
    assert ok(api.post(f"{API}/contracts", contract))["team_code"] == team
    gov, district = f"gov-{unique}", f"d-{unique}"
    ok(api.post(f"{API}/governments", {"code": gov, "name": "东昌府区人民政府", "kind": "district_government"}))
    ok(api.post(f"{API}/districts", {"code": district, "name": "古楼街道", "types": ["historic"], "government": gov}))
    tier1, local = f"t-{unique}", f"l-{unique}"
    ok(api.post(f"{API}/planners", {"id": tier1, "name": "张工", "origin": "tier1",
                                    "qualifications": ["registered_planner"], "community_renewal": True}))
    ok(api.post(f"{API}/planners", {"id": local, "name": "李工", "origin": "local", "qualifications": ["senior_title"],
                                    "institution_code": inst, "serves_locally": True, "date": "2021-06-01"}))
    ok(api.post(f"{API}/groups", {"code": f"g-{unique}", "district": district, "contract": contract["id"],
                                  "planners": [tier1, local], "from_date": "2021-06-01"}))
    cluster.rebuild("contracts")  # the directory from the store, on PostgreSQL

    listed = ok(api.get(f"{API}/teams?valid_on=2022-01-01"), 200)["items"]
    assert [t["qualification"]["certificate_no"] for t in listed if t["code"] == team] == ["A2"]
    assert [i["code"] for i in ok(api.get(f"{API}/institutions?valid_on=2027-01-01"), 200)["items"]
            if i["code"] == inst] == []
    [row] = ok(api.get(f"{API}/planners?institution={inst}"), 200)["items"]
    assert (row["id"], row["serves_locally"]) == (local, True)
    [signed] = [c for c in ok(api.get(f"{API}/contracts"), 200)["items"] if c["id"] == contract["id"]]
    assert (signed["team_code"], signed["targets"]) == (team, {"tier1": 1, "local": 1})
    [recruited] = [r for r in ok(api.get(f"{API}/organisation?date=2021-07-01"), 200)["recruitment"]
                   if r["contract"] == contract["id"]]
    assert (recruited["tier1"], recruited["local"]) == ({"appointed": 1, "target": 1}, {"appointed": 1, "target": 1})
