"""Groups over HTTP: formation, replacement, ending, and the reads other services need
(R-ORG-1, R-ORG-4, R-CON-2, R-CON-4)."""

from __future__ import annotations

API = "/api/v1"


def refused(response, status: int, rule: str | None, field: str) -> None:
    assert response.status_code == status, response.json_body
    body = response.json_body["error"]
    assert (body.get("rule"), body["field"]) == (rule, field)
    assert body["message"].startswith(f"{field}：")


def kinds(runtime, after: int) -> list[str]:
    return [e["type"].split(".")[-2] for e in runtime.app("contracts").envelopes(after=after, limit=100)]


def test_forming_a_group_publishes_group_formed(org, api, runtime, unique):
    # R-ORG-1, R-ORG-4: GroupFormed {code, district, contract, tier1, local, from_date}
    before = runtime.app("contracts").last_position()
    created = org.group(f"g-{unique}", [org.planners["local"], org.planners["tier1"]])
    assert (created["tier1"], created["local"]) == (org.planners["tier1"], org.planners["local"])
    [formed] = [e for e in runtime.app("contracts").envelopes(after=before, limit=10) if e["type"].endswith("GroupFormed.v1")]
    assert formed["data"] == {"code": f"g-{unique}", "district": org.district, "contract": org.contract,
                              "tier1": org.planners["tier1"], "local": org.planners["local"], "from_date": "2021-06-01"}
    assert kinds(runtime, before) == ["GroupFormed", "PlannerAssigned", "PlannerAssigned"]


def test_a_group_of_two_locals_is_refused_and_stores_nothing(org, api, runtime, unique):
    # R-ORG-4: one tier1 and one local
    second_local = org.planner(f"l2-{unique}", "local")
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/groups", {"code": f"g-{unique}", "district": org.district, "contract": org.contract,
                                          "planners": [org.planners["local"], second_local], "from_date": "2021-06-01"})
    refused(response, 422, "R-ORG-4", "planners")
    assert runtime.app("contracts").last_position() == before
    assert api.get(f"{API}/groups/g-{unique}").status_code == 404


def test_a_planner_in_two_active_groups_is_refused(org, api, runtime, unique):
    # R-ORG-4: a planner belongs to at most one active group
    org.group(f"g1-{unique}", [org.planners["tier1"], org.planners["local"]])
    other_district = org.district_under(f"d2-{unique}")
    other_local = org.planner(f"l2-{unique}", "local")
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/groups", {"code": f"g2-{unique}", "district": other_district, "contract": org.contract,
                                          "planners": [org.planners["tier1"], other_local], "from_date": "2021-06-01"})
    refused(response, 422, "R-ORG-4", "planners")
    assert runtime.app("contracts").last_position() == before


def test_unknown_codes_in_a_group_are_422_naming_field_and_rule(org, api, unique):
    # R-ORG-1 (district), R-CON-1 (contract), R-ORG-4 (planners)
    body = {"code": f"g-{unique}", "district": org.district, "contract": org.contract,
            "planners": [org.planners["tier1"], org.planners["local"]], "from_date": "2021-06-01"}
    refused(api.post(f"{API}/groups", {**body, "district": "nowhere"}), 422, "R-ORG-1", "district")
    refused(api.post(f"{API}/groups", {**body, "contract": "none"}), 422, "R-CON-1", "contract")
    refused(api.post(f"{API}/groups", {**body, "planners": [org.planners["tier1"], "nobody"]}), 422, "R-ORG-4", "planners")
    refused(api.post(f"{API}/groups", {**body, "from_date": "2024-06-01"}), 422, "R-CON-1", "from_date")


def test_a_district_has_one_group_at_a_time(org, api, unique):
    # R-ORG-1
    org.group(f"g1-{unique}", [org.planners["tier1"], org.planners["local"]])
    t2, l2 = org.planner(f"t2-{unique}", "tier1"), org.planner(f"l2-{unique}", "local")
    response = api.post(f"{API}/groups", {"code": f"g2-{unique}", "district": org.district, "contract": org.contract,
                                          "planners": [t2, l2], "from_date": "2022-01-01"})
    refused(response, 422, "R-ORG-1", "district")


def test_replacement_keeps_the_group_and_changes_who_serves(org, api, runtime, unique):
    # R-CON-4: replacing a planner is an event (who, when, why); the group and its obligations stay
    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]])
    newcomer = org.planner(f"t2-{unique}", "tier1")
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/groups/{group}/replacements",
                        {"out": org.planners["tier1"], "in": newcomer, "date": "2022-01-10", "reason": "工作调动"})
    assert response.status_code == 201, response.json_body
    assert (response.json_body["code"], response.json_body["from_date"]) == (group, "2021-06-01")
    assert response.json_body["planners"] == [newcomer, org.planners["local"]]
    [replaced] = [e for e in runtime.app("contracts").envelopes(after=before, limit=10) if "PlannerReplaced" in e["type"]]
    assert replaced["data"] == {"group": group, "out": org.planners["tier1"], "in": newcomer, "date": "2022-01-10",
                                "reason": "工作调动"}
    before_day = api.get(f"{API}/districts/{org.district}/serving?date=2022-01-09").json_body
    after_day = api.get(f"{API}/districts/{org.district}/serving?date=2022-01-10").json_body
    assert before_day["group"] == after_day["group"] == group
    assert [p["planner"] for p in before_day["planners"]] == [org.planners["tier1"], org.planners["local"]]
    assert [p["planner"] for p in after_day["planners"]] == [newcomer, org.planners["local"]]
    # the planner who left may serve elsewhere now
    assert api.get(f"{API}/planners/{org.planners['tier1']}").json_body["group"] is None


def test_replacement_needs_a_member_a_reason_and_the_same_origin(org, api, unique):
    # R-CON-4, R-ORG-4
    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]])
    local2 = org.planner(f"l2-{unique}", "local")
    tier2 = org.planner(f"t2-{unique}", "tier1")
    refused(api.post(f"{API}/groups/{group}/replacements", {"out": tier2, "in": local2, "date": "2022-01-10",
                                                             "reason": "调动"}), 422, "R-CON-4", "out")
    refused(api.post(f"{API}/groups/{group}/replacements", {"out": org.planners["tier1"], "in": local2,
                                                             "date": "2022-01-10", "reason": "调动"}), 422, "R-ORG-4", "in")
    missing_reason = api.post(f"{API}/groups/{group}/replacements", {"out": org.planners["tier1"], "in": tier2})
    assert missing_reason.status_code == 400 and missing_reason.json_body["error"]["field"] == "reason"
    assert api.post(f"{API}/groups/none/replacements", {"out": "a", "in": "b", "reason": "x"}).status_code == 404


def test_a_planner_who_failed_cannot_join_a_group_of_the_renewed_contract(org, api, runtime, unique):
    # R-CON-2: renewal waits until the failed planner is replaced; afterwards they cannot come back
    group = f"g-{unique}"
    failed = org.planners["local"]
    org.group(group, [org.planners["tier1"], failed])
    assert api.post(f"{API}/planners/{failed}/evaluations",
                    {"contract": org.contract, "date": "2024-05-20", "scores": {"service_time": 40}}).json_body[
               "passed"] is False
    assert api.post(f"{API}/contracts/{org.contract}/evaluations",
                    {"date": "2024-05-20", "scores": {"service_time": 85}}).json_body["passed"] is True
    refused(api.post(f"{API}/contracts/{org.contract}/renewals", {"date": "2024-05-31"}), 422, "R-CON-2", "planners")
    substitute = org.planner(f"l2-{unique}", "local")
    assert api.post(f"{API}/groups/{group}/replacements",
                    {"out": failed, "in": substitute, "date": "2024-05-25", "reason": "考评未通过"}).status_code == 201
    assert api.post(f"{API}/contracts/{org.contract}/renewals", {"date": "2024-05-31"}).status_code == 201
    before = runtime.app("contracts").last_position()
    response = api.post(f"{API}/groups/{group}/replacements",
                        {"out": substitute, "in": failed, "date": "2024-06-10", "reason": "回归"})
    refused(response, 422, "R-CON-2", "in")
    assert runtime.app("contracts").last_position() == before


def test_ending_an_assignment(org, api, runtime, unique):
    # R-ORG-1: GroupAssignmentEnded; the date is the assignment's last day
    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]])
    before = runtime.app("contracts").last_position()
    ended = api.post(f"{API}/groups/{group}/end", {"date": "2022-05-31", "reason": "调整"})
    assert ended.status_code == 200 and ended.json_body["status"] == "ended"
    assert kinds(runtime, before) == ["GroupAssignmentEnded", "PlannerReleased", "PlannerReleased"]
    assert api.get(f"{API}/districts/{org.district}/serving?date=2022-05-31").json_body["group"] == group
    assert api.get(f"{API}/districts/{org.district}/serving?date=2022-06-01").json_body["group"] is None
    assert api.post(f"{API}/groups/{group}/end", {"date": "2022-06-30"}).status_code == 409


def test_group_terms_and_the_organisation_as_of_a_date(org, api, unique):
    # R-CON-1, R-VIS-4: what visits and reporting need of a group's contract; the organisation on a date
    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]], from_date="2021-09-18")
    terms = api.get(f"{API}/groups/{group}/terms").json_body
    assert (terms["contract"], terms["annual_fee_fen"], terms["deduction_rule"]) == (org.contract, 6_000_000, "max")
    assert terms["assignment"] == {"from_date": "2021-09-18", "end_date": None}
    assert terms["service_years"][0] == {"year": 2021, "start": "2021-06-01", "end": "2022-05-31"}
    early = api.get(f"{API}/organisation?date=2021-09-17").json_body
    late = api.get(f"{API}/organisation?date=2021-09-18").json_body
    [gov_early] = [g for g in early["governments"] if g["code"] == org.government]
    [gov_late] = [g for g in late["governments"] if g["code"] == org.government]
    assert gov_early["districts"][0]["group"] is None
    assert gov_late["districts"][0]["group"]["code"] == group
    assert api.get(f"{API}/organisation?date=2021-13-01").status_code == 400


def test_the_application_answers_who_serves_a_district(org, runtime, unique):
    # R-VIS-1 needs it: the group serving district X on date D and its planners on D
    import datetime as dt

    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]])
    app = runtime.app("contracts")
    answer = app.serving(org.district, dt.date(2021, 6, 1))
    assert answer["group"] == group and answer["contract"] == org.contract
    assert {p["origin"] for p in answer["planners"]} == {"tier1", "local"}
    assert app.serving(org.district, dt.date(2021, 5, 31))["group"] is None
    assert app.serving(org.district, dt.date(2024, 6, 1))["group"] is None  # after the contract's term


def test_dismissal_waits_for_replacement(org, api, unique):
    # R-ORG-4: a group always has two planners
    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]])
    refused(api.post(f"{API}/planners/{org.planners['tier1']}/dismissal", {"date": "2022-01-10"}), 422, "R-ORG-4", "id")
    spare = org.planner(f"s-{unique}", "local")
    dismissed = api.post(f"{API}/planners/{spare}/dismissal", {"date": "2022-01-10", "reason": "离职"})
    assert dismissed.status_code == 200 and dismissed.json_body["status"] == "dismissed"
    assert api.post(f"{API}/planners/{spare}/dismissal", {}).status_code == 409
