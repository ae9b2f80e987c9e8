"""R-SEC-1: one policy table for every route; denials write nothing, are logged and counted;
field-level rules; lists held to the caller's scope."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from services.backbone import policy
from services.backbone.auth import ROLES
from services.backbone.http import routes_of
from services.backbone.declaration import service_names
from services.bootstrap import service_class
from tests.unit.security.conftest import World

# Routes a scoped role may read without a scope check: the published organisation chart.
REFERENCE_DATA = {
    "/api/v1/governments", "/api/v1/governments/<code>", "/api/v1/districts", "/api/v1/districts/<code>",
    "/api/v1/districts/<code>/serving", "/api/v1/contracts", "/api/v1/contracts/<code>", "/api/v1/planners",
    "/api/v1/groups", "/api/v1/groups/<code>", "/api/v1/groups/<code>/terms", "/api/v1/organisation",
    "/api/v1/teams", "/api/v1/teams/<code>", "/api/v1/institutions", "/api/v1/institutions/<code>",  # R-TEAM-1
}
# Read by scoped roles without a scope check: the quarterly ranking circulated to every
# government and sub-district, live or as issued (R-RPT-2; the rule's ``only`` holds them to that kind).
CIRCULATED = {("GET", "/api/v1/reports/<kind>/<period>"), ("GET", "/api/v1/reports/issued/<int:number>")}
# What residents (no token) may call.
PUBLIC = {
    ("GET", "/health/live"), ("GET", "/health/ready"), ("GET", "/metrics"), ("GET", "/openapi.json"),
    ("POST", "/api/v1/opinions"), ("GET", "/api/v1/opinions/<ref>"),
    ("GET", "/api/v1/open311/v2/services.json"), ("POST", "/api/v1/open311/v2/requests.json"),
    ("GET", "/api/v1/open311/v2/requests.json"), ("GET", "/api/v1/open311/v2/requests/<ref>.json"),
    # issue 16: GeoReport v2's discovery, service definitions and XML forms
    ("GET", "/api/v1/open311/v2/discovery.json"), ("GET", "/api/v1/open311/v2/discovery.xml"),
    ("GET", "/api/v1/open311/v2/services.xml"), ("GET", "/api/v1/open311/v2/services/<code>.json"),
    ("GET", "/api/v1/open311/v2/services/<code>.xml"), ("POST", "/api/v1/open311/v2/requests.xml"),
    ("GET", "/api/v1/open311/v2/requests.xml"), ("GET", "/api/v1/open311/v2/requests/<ref>.xml"),
    ("GET", "/"), ("GET", "/web/<path:path>"), ("GET", "/web/config.json"), ("POST", "/web/dev-token"),
    # issue 16: the resident's form picks a district (code and name only)
    ("GET", "/api/v1/districts/names"),
}


def declared_routes() -> set[tuple[str, str]]:
    found = {(m, p) for name in service_names() for m, p, _ in routes_of(service_class(name)())}
    try:  # the web pages' service, where it exists
        from services.web.service import WebService
    except ImportError:
        return found
    return found | {(m, p) for m, p, _ in routes_of(WebService())}


def test_every_declared_route_has_a_policy_entry():
    # R-SEC-1: a route missing from the table would be denied; none may be missing
    missing = sorted(f"{m} {p}" for m, p in declared_routes() if policy.rule_for(m, p) is None)
    assert not missing, f"add these routes to their service's policy.py POLICY: {missing}"


def test_every_policy_entry_is_a_declared_route():
    # The table stays honest: no entry for a route that no longer exists.
    shapes = {(m, policy.shape(p)) for m, p in declared_routes()}
    stale = sorted(f"{m} {p}" for m, p in policy.POLICY if (m, policy.shape(p)) not in shapes)
    assert not stale, f"remove or rename these POLICY entries: {stale}"


def test_scoped_roles_never_get_an_unscoped_command_or_object():
    # R-SEC-1: a planner, sub-district or government is held to its scope on every call but the organisation chart
    loose = []
    for (method, path), rule in policy.POLICY.items():
        scoped = rule.roles & set(policy.SCOPED)
        if not scoped or rule.scope or "resident" in rule.roles:  # public routes are everyone's
            continue
        if method == "GET" and (path in REFERENCE_DATA or all(r in rule.narrow for r in scoped)):
            continue
        if (method, path) in CIRCULATED and all(r in rule.only for r in scoped):
            continue
        loose.append(f"{method} {path}: {sorted(scoped)}")
    assert not loose, loose


def test_residents_reach_only_the_public_routes():
    # R-SEC-1, R-OPN-4: anonymous residents submit and follow, nothing else
    open_to_residents = {(m, p) for (m, p), rule in policy.POLICY.items() if "resident" in rule.roles}
    assert open_to_residents == PUBLIC


def test_roles_are_the_seven_of_the_domain():
    assert set(ROLES) == {"resident", "planner", "subdistrict", "government", "bureau", "committee", "operator"}
    for rule in policy.POLICY.values():
        assert rule.roles <= set(ROLES)


class _Undeclared:
    """A service whose route nobody put in the table."""

    name = "contracts"

    def __init__(self, runtime):
        self.runtime = runtime

    from services.backbone.http import route

    @route("POST", "/api/v1/not-in-the-table")
    def secret(self, request):
        raise AssertionError("the handler must not run")


def test_a_route_missing_from_the_table_is_denied_by_default(api, runtime):
    # R-SEC-1: deny by default
    from werkzeug.test import Client

    from services.backbone.http import Gateway

    client = Client(Gateway([_Undeclared(runtime)]))
    response = client.post("/api/v1/not-in-the-table", json={}, headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


# -- field-level rules ---------------------------------------------------------------------------------


def test_a_resident_cannot_set_a_status_or_a_date(world: World):
    # R-SEC-1 (field level), R-OPN-2: the lifecycle and the record's dates are the staff's
    resident = world.as_role("resident")
    before = world.positions()
    for field, value in (("status", "closed"), ("date", "2020-01-01"), ("group", world.own.group)):
        body = {"district": world.own.district, "category": "public_space", "text": "井盖缺失", field: value}
        response = resident.post("/api/v1/opinions", body)
        assert response.status_code == 403, response.json_body
        assert response.json_body["error"]["field"] == field
    assert world.positions() == before
    # staff may enter a paper record's date
    staff = world.as_role("planner").post("/api/v1/opinions", {
        "district": world.own.district, "category": "public_space", "text": "井盖缺失", "date": "2022-03-01"})
    assert staff.status_code == 201


def test_a_government_cannot_verify_or_set_a_verification(world: World):
    # R-SEC-1 (field level), R-REC-2: only the bureau confirms a completed recommendation
    government = world.as_role("government")
    before = world.positions()
    assert government.post(f"/api/v1/recommendations/{world.own.rec}/verify", {}).status_code == 403
    for field in ("verified", "status"):
        response = government.post(f"/api/v1/recommendations/{world.own.rec}/complete", {"text": "完成", field: True})
        assert response.status_code == 403 and response.json_body["error"]["field"] == field
    assert world.positions() == before


def test_annual_summaries_are_the_authors_own(world: World):
    # R-EVA-3: a government writes its own summary, a group its own evaluation, never the other's
    government, planner = world.as_role("government"), world.as_role("planner")
    before = world.positions()
    as_group = {"kind": "planning_evaluation", "year": 2021, "text": "评估", "group": world.own.group}
    assert government.post("/api/v1/annual-summaries", as_group).status_code == 403
    as_government = {"kind": "implementation", "year": 2021, "text": "总结", "government": world.own.government}
    assert planner.post("/api/v1/annual-summaries", as_government).status_code == 403
    assert world.positions() == before


# -- lists are held to the caller's scope --------------------------------------------------------------------


def test_lists_show_only_the_callers_scope(world: World):
    # R-SEC-1: "a government must not see another government's items"
    own, other = world.own, world.other
    planner_visits = world.as_role("planner").get("/api/v1/visits").json_body["visits"]
    assert planner_visits and {v["group"] for v in planner_visits} == {own.group}
    for role, path, key in (
        ("subdistrict", "/api/v1/opinions", "district"),
        ("government", "/api/v1/recommendations", "government"),
        ("government", "/api/v1/consultations", "government"),
        ("planner", "/api/v1/consultations", "group"),
        ("government", "/api/v1/letters", "government"),
    ):
        response = world.as_role(role).get(path)
        assert response.status_code == 200, (role, path, response.json_body)
        values = {item[key] for item in response.json_body["items"]}
        assert values == {getattr(own, key)}, (role, path, values)
    # asking for another's items outright is refused, not silently emptied
    assert world.as_role("government").get(f"/api/v1/recommendations?government={other.government}").status_code == 403
    assert world.as_role("planner").get(f"/api/v1/visits?group={other.group}").status_code == 403
    # a government reads its districts' visits by naming the district
    gov = world.as_role("government")
    assert gov.get("/api/v1/visits").status_code == 403
    assert gov.get(f"/api/v1/visits?district={own.district}").status_code == 200
    assert gov.get(f"/api/v1/visits?district={other.district}").status_code == 403


# -- denials are logged and counted ----------------------------------------------------------------------------


def _denied(service: str, route: str, role: str) -> float:
    return REGISTRY.get_sample_value(
        "rps_access_denied_total", {"service": service, "route": route, "role": role}
    ) or 0.0


def test_a_denial_is_logged_and_counted_without_personal_data(world: World, caplog):
    # R-SEC-1: "a denial writes nothing and is logged"; metrics never carry ids or personal data
    route = "/api/v1/visits/<visit_id>/void"
    counted = _denied("visits", route, "planner")
    caplog.set_level(logging.WARNING, logger="services.backbone.policy")
    response = world.as_role("planner").post(f"/api/v1/visits/{world.other.visit}/void", {"reason": "13812345678"})
    assert response.status_code == 404
    assert _denied("visits", route, "planner") == counted + 1
    line = next(r.getMessage() for r in caplog.records if "access denied" in r.getMessage())
    assert "role=planner" in line and route in line and f"subject=planner-of-{world.own.group}" in line
    assert "13812345678" not in line and world.other.visit not in line


def test_the_metric_is_exposed(world: World):
    world.as_role("committee").post("/api/v1/visits", {"group": world.own.group})
    text = world.api.get("/metrics").get_data(as_text=True)
    assert 'rps_access_denied_total{role="committee",route="/api/v1/visits",service="visits"}' in text


@pytest.mark.parametrize("role", ["planner", "subdistrict", "government", "committee", "operator"])
def test_unauthorised_roles_get_403_before_any_body_check(world: World, role):
    # the role is decided before the body is even read: no hint from validation errors
    response = world.as_role(role).post("/api/v1/settlements", raw=b"{not json")
    assert response.status_code == 403


def test_every_scope_a_call_names_is_checked(world: World):
    # R-SEC-1: the object's scope and the body's both (acknowledging one's own opinion for another group)
    planner = world.as_role("planner")
    before = world.positions()
    response = planner.post(f"/api/v1/opinions/{world.own.ref}/acknowledge", {"group": world.other.group})
    assert response.status_code == 403 and world.positions() == before


# -- the quarterly ranking is circulated (R-RPT-2) ---------------------------------------------------------


def test_a_government_reads_the_quarterly_ranking_but_not_the_other_reports(world: World):
    # R-RPT-2: "the ranking is circulated to governments and sub-districts (通报)"; the monthly
    # dispatch, the half-yearly and annual reports stay with the bureau and committee
    for role in ("government", "subdistrict"):
        client = world.as_role(role)
        ranking = client.get("/api/v1/reports/quarterly/2022-Q2")
        assert ranking.status_code == 200, (role, ranking.json_body)
        # every government's place, not only the reader's own: the whole ranking is circulated
        listed = {g["government"] for g in ranking.json_body["governments"]}
        assert {world.own.government, world.other.government} <= listed
        html = client.get("/api/v1/reports/quarterly/2022-Q2?format=html")
        assert html.status_code == 200 and html.mimetype == "text/html"
        for path in ("/api/v1/reports/monthly/2022-03", "/api/v1/reports/half-yearly/2022-H1",
                     "/api/v1/reports/annual/2021"):
            refused = client.get(path)
            assert refused.status_code == 403, (role, path, refused.json_body)
            assert refused.json_body["error"]["field"] == "kind"
    assert world.as_role("planner").get("/api/v1/reports/quarterly/2022-Q2").status_code == 403


def test_issued_quarterly_copies_are_circulated_and_no_other_issued_copy_is(world: World):
    # R-RPT-2 (通报) with R-RPT-7: the numbered copy the bureau issues is what governments and
    # sub-districts receive; issued monthly copies stay with the bureau and the committee.
    bureau = world.as_role("bureau")
    quarterly = bureau.post("/api/v1/reports/quarterly/2022-Q2/issue").json_body["number"]
    monthly = bureau.post("/api/v1/reports/monthly/2022-03/issue").json_body["number"]
    for role in ("government", "subdistrict"):
        client = world.as_role(role)
        copy = client.get(f"/api/v1/reports/issued/{quarterly}")
        assert copy.status_code == 200 and copy.json_body["period"] == "2022-Q2", (role, copy.json_body)
        # A monthly copy and a number never issued are refused alike: nothing leaks about other copies.
        for number in (monthly, monthly + 1000, 2**70):
            refused = client.get(f"/api/v1/reports/issued/{number}")
            assert refused.status_code == 403, (role, number, refused.json_body)
    assert world.as_role("planner").get(f"/api/v1/reports/issued/{quarterly}").status_code == 403
    assert world.as_role("committee").get(f"/api/v1/reports/issued/{monthly}").status_code == 200
