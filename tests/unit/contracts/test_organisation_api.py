"""Governments, districts and planners over HTTP: status codes, error bodies, events (DOMAIN.md §2)."""

from __future__ import annotations

from services.contracts.seed import seed_liaocheng

API = "/api/v1"
SQUARE = {"type": "Polygon", "coordinates": [[[115.9, 36.4], [116.0, 36.4], [116.0, 36.5], [115.9, 36.5], [115.9, 36.4]]]}


def events(runtime, after: int = 0) -> list[tuple[str, dict]]:
    return [(e["type"].split(".")[-2], e["data"]) for e in runtime.app("contracts").envelopes(after=after, limit=1000)]


def error(response, status: int, rule: str | None, field: str) -> dict:
    assert response.status_code == status, response.json_body
    body = response.json_body["error"]
    assert body.get("rule") == rule and body["field"] == field
    assert body["message"].startswith(f"{field}：")
    return body


def test_a_district_under_an_unknown_government_is_refused_and_stores_nothing(api, runtime, unique):
    # R-ORG-6 (R-ORG-2): districts are registered under a registered government
    before = runtime.app("contracts").last_position()
    response = api.post(
        f"{API}/districts", {"code": f"d-{unique}", "name": "古楼街道", "types": ["historic"], "government": f"no-{unique}"}
    )
    error(response, 422, "R-ORG-6", "government")
    assert runtime.app("contracts").last_position() == before
    assert api.get(f"{API}/districts/d-{unique}").status_code == 404


def test_registering_a_government_and_its_district_publishes_the_catalogue_events(api, runtime, unique):
    # R-ORG-2, R-ORG-3, R-ORG-7: GovernmentRegistered, DistrictRegistered with the documented fields
    gov, dist = f"gov-{unique}", f"d-{unique}"
    created = api.post(
        f"{API}/governments",
        {"code": gov, "name": "聊城经济技术开发区管委会", "kind": "admin_committee", "leader": "王主任",
         "department": "规划建设部", "contact": "李四 0635-8888888"},
    )
    assert created.status_code == 201, created.json_body
    assert created.headers["Location"] == f"{API}/governments/{gov}"
    response = api.post(
        f"{API}/districts",
        {"code": dist, "name": "蒋官屯街道", "types": ["built", "new"], "government": gov, "leader": "张书记",
         "contact": "赵六", "boundary": SQUARE},
    )
    assert response.status_code == 201, response.json_body
    assert response.json_body["boundary"] == SQUARE
    assert events(runtime) == [
        ("GovernmentRegistered", {"code": gov, "name": "聊城经济技术开发区管委会", "kind": "admin_committee",
                                  "leader": "王主任", "department": "规划建设部", "contact": "李四 0635-8888888"}),
        ("DistrictRegistered", {"code": dist, "name": "蒋官屯街道", "types": ["built", "new"], "government": gov,
                                "leader": "张书记", "contact": "赵六", "boundary": SQUARE}),
    ]
    envelope = runtime.app("contracts").envelopes(after=0, limit=1)[0]
    assert envelope["type"] == "cn.liaocheng.rps.contracts.GovernmentRegistered.v1"
    assert envelope["source"] == "rps/contracts" and envelope["sequence"] == "0000000001"


def test_unknown_government_kind_and_district_type_are_rule_violations(api, runtime, unique):
    # R-ORG-6, R-ORG-3
    error(api.post(f"{API}/governments", {"code": f"g-{unique}", "name": "某县政府", "kind": "county"}), 422, "R-ORG-6", "kind")
    api.post(f"{API}/governments", {"code": f"g-{unique}", "name": "某区政府", "kind": "district_government"})
    error(
        api.post(f"{API}/districts", {"code": f"d-{unique}", "name": "某街道", "types": ["old"], "government": f"g-{unique}"}),
        422, "R-ORG-3", "types",
    )
    error(
        api.post(f"{API}/districts", {"code": f"d-{unique}", "name": "某街道", "types": [], "government": f"g-{unique}"}),
        422, "R-ORG-3", "types",
    )


def test_wrong_types_and_unknown_fields_are_400(api, unique):
    # R-SEC-3: schema failures name the field
    response = api.post(f"{API}/governments", {"code": f"g-{unique}", "name": "某区政府", "kind": "district_government", "x": 1})
    assert response.status_code == 400 and response.json_body["error"]["field"] == "x"
    response = api.post(f"{API}/governments", {"code": 7, "name": "某区政府", "kind": "district_government"})
    assert response.status_code == 400 and response.json_body["error"]["field"] == "code"
    response = api.post(f"{API}/governments", raw=b"{not json")
    assert response.status_code == 400 and response.json_body["error"]["code"] == "malformed_json"


def test_a_taken_code_is_a_conflict(api, runtime, unique):
    # R-ORG-2: codes are unique; creating one that exists is 409
    body = {"code": f"g-{unique}", "name": "某区政府", "kind": "district_government"}
    assert api.post(f"{API}/governments", body).status_code == 201
    position = runtime.app("contracts").last_position()
    assert api.post(f"{API}/governments", body).status_code == 409
    assert runtime.app("contracts").last_position() == position


def test_a_district_code_that_is_a_fixed_path_is_refused(api, runtime, unique):
    # R-SEC-3: GET /districts/names is the public list; a district coded "names" could never be read
    government = {"code": f"g-{unique}", "name": "某区政府", "kind": "district_government"}
    assert api.post(f"{API}/governments", government).status_code == 201
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/districts", {"code": "Names", "name": "某街道", "types": ["historic"],
                                             "government": f"g-{unique}"})
    error(response, 422, "R-SEC-3", "code")
    assert runtime.app("contracts").last_position() == before


def test_an_invalid_geojson_polygon_is_refused(org, api, runtime):
    # R-ORG-2: PUT /districts/{code}/boundary takes a GeoJSON Polygon/MultiPolygon
    before = runtime.app("contracts").last_position()
    open_ring = {"type": "Polygon", "coordinates": [[[115.9, 36.4], [116.0, 36.4], [116.0, 36.5]]]}
    error(api.put(f"{API}/districts/{org.district}/boundary", open_ring), 422, "R-ORG-2", "boundary")
    error(api.put(f"{API}/districts/{org.district}/boundary", {"type": "Point", "coordinates": [116, 36]}),
          422, "R-ORG-2", "boundary")
    assert runtime.app("contracts").last_position() == before
    ok = api.put(f"{API}/districts/{org.district}/boundary", SQUARE)
    assert ok.status_code == 200 and ok.json_body["boundary"] == SQUARE
    assert events(runtime, before) == [("DistrictBoundarySet", {"code": org.district, "boundary": SQUARE})]
    assert api.put(f"{API}/districts/no-such/boundary", SQUARE).status_code == 404


def test_changing_types_and_contacts(org, api, runtime):
    # R-ORG-3, R-ORG-7: DistrictTypesChanged, ContactsChanged
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/districts/{org.district}/types", {"types": ["historic", "built"]})
    assert response.status_code == 200 and response.json_body["types"] == ["historic", "built"]
    assert api.put(f"{API}/districts/{org.district}/contacts", {"leader": "张主任", "contact": "赵六"}).status_code == 200
    assert api.put(f"{API}/governments/{org.government}/contacts",
                   {"leader": "王局长", "department": "规划科", "contact": "李四"}).status_code == 200
    assert events(runtime, before) == [
        ("DistrictTypesChanged", {"code": org.district, "types": ["historic", "built"]}),
        ("ContactsChanged", {"entity": "district", "code": org.district, "leader": "张主任", "department": None,
                             "contact": "赵六"}),
        ("ContactsChanged", {"entity": "government", "code": org.government, "leader": "王局长",
                             "department": "规划科", "contact": "李四"}),
    ]
    assert api.get(f"{API}/governments/{org.government}").json_body["leader"] == "王局长"
    assert api.post(f"{API}/districts/no-such/types", {"types": ["new"]}).status_code == 404


def test_appointment_without_a_qualification_is_422_naming_the_rule(api, runtime, unique):
    # R-ORG-5
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/planners", {"id": f"p-{unique}", "name": "张三", "origin": "tier1", "qualifications": []})
    error(response, 422, "R-ORG-5", "qualifications")
    response = api.post(f"{API}/planners", {"id": f"p-{unique}", "name": "张三", "origin": "tier1",
                                            "qualifications": ["phd"]})
    error(response, 422, "R-ORG-5", "qualifications")
    assert runtime.app("contracts").last_position() == before


def test_planner_contact_data_stays_out_of_the_events(api, runtime, unique):
    # R-ORG-5: appointment records qualifications and experience; phone/e-mail stay in this service
    response = api.post(
        f"{API}/planners",
        {"id": f"p-{unique}", "name": "张三", "origin": "local", "qualifications": ["senior_title"],
         "experience_years": 12, "community_renewal": True, "phone": "13800001111", "email": "zs@example.cn"},
    )
    assert response.status_code == 201, response.json_body
    [(kind, data)] = events(runtime)
    assert kind == "PlannerAppointed"
    assert data["id"] == f"p-{unique}" and data["experience_years"] == 12 and data["community_renewal"] is True
    assert "13800001111" not in str(data) and "zs@example.cn" not in str(data)
    shown = api.get(f"{API}/planners/p-{unique}").json_body
    assert shown["phone"] == "13800001111" and shown["email"] == "zs@example.cn"
    bad = api.post(f"{API}/planners", {"id": f"q-{unique}", "name": "李四", "origin": "local",
                                       "qualifications": ["senior_title"], "email": "not-an-address"})
    error(bad, 422, "R-SEC-3", "email")


def test_unknown_ids_in_the_path_are_404(api):
    # R-SEC-3 / API.md: 404 = the id in the path does not exist
    for path in ("/districts/none", "/governments/none", "/contracts/none", "/planners/none", "/groups/none",
                 "/groups/none/terms", "/districts/none/serving"):
        response = api.get(f"{API}{path}")
        assert response.status_code == 404, path
        assert response.json_body["error"]["code"] == "not_found"
    assert api.post(f"{API}/contracts/none/renewals", {}).status_code == 404
    assert api.post(f"{API}/planners/none/dismissal", {}).status_code == 404


def test_seed_liaocheng_loads_the_reference_data_once(api, runtime):
    # R-ORG-2: ten sub-districts and four default governments, idempotently
    app = runtime.app("contracts")
    assert seed_liaocheng(app) == 14
    assert seed_liaocheng(app) == 0
    gaotie = api.get(f"{API}/districts/gaotie").json_body
    assert gaotie["name"] == "高铁新区（含侯营镇区）" and gaotie["government"] == "dongchangfu"
    assert api.get(f"{API}/districts/huxi").json_body["government"] == "dujiaqu"
    assert api.get(f"{API}/governments/jingkai").json_body["kind"] == "admin_committee"
    api.settle()
    listed = api.get(f"{API}/districts?government=dongchangfu").json_body["items"]
    assert [d["code"] for d in listed] == ["fenghuang", "gaotie", "gulou", "jiaming", "liuyuan", "xinqu"]
    assert [d["code"] for d in api.get(f"{API}/districts?government=jingkai").json_body["items"]] == [
        "beicheng", "jiangguantun"]
