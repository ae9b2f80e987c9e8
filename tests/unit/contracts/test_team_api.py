"""The team, the local institutions and recruitment over HTTP (R-TEAM-1, R-TEAM-2; issue 19)."""

from __future__ import annotations

import pytest

API = "/api/v1"


def qualification(valid_until: str = "2025-12-31", **overrides) -> dict:
    return {"grade": "甲级", "certificate_no": "A111000123", "issuer": "住房和城乡建设部",
            "valid_from": "2020-01-01", "valid_until": valid_until, **overrides}


def team_body(code: str, **overrides) -> dict:
    return {"code": code, "name": "北京规划设计院", "city": "北京市", "city_tier": "tier1",
            "qualification": qualification(), **overrides}


def contract_body(code: str, **overrides) -> dict:
    return {"id": code, "team": "北京规划设计院", "start_date": "2021-06-01", "term_years": 3,
            "annual_fee_fen": 12_000_000, "deduction_rule": "max", **overrides}


def refused(response, status: int, rule: str | None, field: str) -> dict:
    assert response.status_code == status, response.json_body
    body = response.json_body["error"]
    assert (body.get("rule"), body["field"]) == (rule, field)
    assert body["message"].startswith(f"{field}：")
    return body


def test_a_contract_with_a_team_whose_qualification_expired_before_signing_is_422_and_stores_nothing(
        api, runtime, unique):
    # R-TEAM-1 (issue 19's bad input): the team's class-A qualification expired before the signing date
    team = f"bj-{unique}"
    assert api.post(f"{API}/teams", team_body(team, qualification=qualification("2021-05-31"))).status_code == 201
    before = runtime.app("contracts").last_position()
    body = refused(api.post(f"{API}/contracts", contract_body(f"c-{unique}", team_code=team, signed_on="2021-06-01")),
                   422, "R-TEAM-1", "team_code")
    assert "2021-06-01" in body["message"] and "2021-05-31" in body["message"]
    assert runtime.app("contracts").last_position() == before
    assert api.get(f"{API}/contracts/c-{unique}").status_code == 404
    # valid on the signing day: signed, naming the team
    signed = api.post(f"{API}/contracts", contract_body(f"c-{unique}", team_code=team, signed_on="2021-05-31"))
    assert signed.status_code == 201, signed.json_body
    assert signed.json_body["team_code"] == team


def test_a_qualification_not_yet_valid_or_an_unknown_team_is_refused(api, runtime, unique):
    # R-TEAM-1: valid from/to both count; a team_code nobody recorded is 422 too
    team = f"bj-{unique}"
    api.post(f"{API}/teams", team_body(team, qualification=qualification(valid_from="2022-01-01")))
    refused(api.post(f"{API}/contracts", contract_body(f"c-{unique}", team_code=team, signed_on="2021-06-01")),
            422, "R-TEAM-1", "team_code")
    refused(api.post(f"{API}/contracts", contract_body(f"c-{unique}", team_code=f"nobody-{unique}")),
            422, "R-TEAM-1", "team_code")
    assert api.get(f"{API}/contracts/c-{unique}").status_code == 404


def test_a_renewed_certificate_makes_the_team_qualified_again(api, unique):
    # R-TEAM-1: TeamQualificationRecorded keeps the earlier certificate; any valid on the day counts
    team = f"bj-{unique}"
    api.post(f"{API}/teams", team_body(team, qualification=qualification("2021-05-31")))
    renewed = api.put(f"{API}/teams/{team}/qualification",
                      {"qualification": qualification("2026-05-31", certificate_no="A111000999",
                                                      valid_from="2021-06-01")})
    assert renewed.status_code == 200, renewed.json_body
    assert renewed.json_body["qualification"]["certificate_no"] == "A111000999"
    assert [q["valid_until"] for q in renewed.json_body["qualifications"]] == ["2021-05-31", "2026-05-31"]
    assert api.post(f"{API}/contracts", contract_body(f"c-{unique}", team_code=team,
                                                      signed_on="2021-06-01")).status_code == 201


@pytest.mark.parametrize(
    "override, field",
    [
        ({"city_tier": "local"}, "city_tier"),
        ({"qualification": qualification(grade="乙级")}, "qualification.grade"),
        ({"qualification": qualification(valid_from="2026-01-01")}, "qualification.valid_from"),
    ],
)
def test_a_team_without_a_first_tier_class_a_qualification_is_refused(api, runtime, unique, override, field):
    # R-TEAM-1: a planning institution of a first-tier city with a class-A (甲级) qualification
    before = runtime.app("contracts").last_position()
    refused(api.post(f"{API}/teams", team_body(f"bj-{unique}", **override)), 422, "R-TEAM-1", field)
    assert runtime.app("contracts").last_position() == before


def test_a_team_without_a_certificate_number_is_a_schema_error(api, unique):
    # R-SEC-3, R-TEAM-1: a missing field of the qualification is 400 naming it
    q = qualification()
    del q["certificate_no"]
    response = api.post(f"{API}/teams", team_body(f"bj-{unique}", qualification=q))
    assert response.status_code == 400, response.json_body


def test_teams_and_institutions_are_listed_with_their_qualification(api, unique):
    # R-TEAM-1: lists page and filter by the day the qualification is valid on
    team = f"bj-{unique}"
    api.post(f"{API}/teams", team_body(team))
    lapsed, valid = f"old-{unique}", f"lc-{unique}"
    for code, until in ((lapsed, "2020-12-31"), (valid, "2026-12-31")):
        response = api.post(f"{API}/institutions", {"code": code, "name": f"聊城规划院{code}",
                                                    "qualification": qualification(until, grade="乙级")})
        assert response.status_code == 201, response.json_body
    api.settle()
    shown = api.get(f"{API}/teams/{team}").json_body
    assert shown["qualification"]["grade"] == "甲级" and shown["city_tier"] == "tier1"
    [listed] = [t for t in api.get(f"{API}/teams").json_body["items"] if t["code"] == team]
    assert listed["qualification"]["valid_until"] == "2025-12-31"
    assert team not in {t["code"] for t in api.get(f"{API}/teams?valid_on=2026-01-01").json_body["items"]}
    mine = {lapsed, valid}
    items = [i["code"] for i in api.get(f"{API}/institutions?valid_on=2021-06-01").json_body["items"]]
    assert [c for c in items if c in mine] == [valid]
    first = api.get(f"{API}/institutions?limit=1")
    assert len(first.json_body["items"]) == 1 and first.json_body["next_cursor"]
    assert api.get(f"{API}/institutions/{valid}").json_body["qualification"]["grade"] == "乙级"
    assert api.get(f"{API}/institutions/nobody-{unique}").status_code == 404


def test_a_local_planner_names_a_qualified_institution(api, runtime, unique):
    # R-TEAM-1: a local planner names their institution (recorded, qualification valid on the appointment)
    valid, lapsed = f"lc-{unique}", f"old-{unique}"
    api.post(f"{API}/institutions", {"code": valid, "name": "聊城市规划设计研究院", "qualification": qualification()})
    api.post(f"{API}/institutions", {"code": lapsed, "name": "旧机构", "qualification": qualification("2020-12-31")})
    base = {"origin": "local", "qualifications": ["registered_planner"], "date": "2021-06-01"}
    before = runtime.app("contracts").last_position()
    refused(api.post(f"{API}/planners", {"id": f"p1-{unique}", "name": "甲", **base, "institution_code": lapsed}),
            422, "R-TEAM-1", "institution_code")
    refused(api.post(f"{API}/planners", {"id": f"p1-{unique}", "name": "甲", **base,
                                         "institution_code": f"nobody-{unique}"}), 422, "R-TEAM-1", "institution_code")
    refused(api.post(f"{API}/planners", {"id": f"p1-{unique}", "name": "甲", **base, "origin": "tier1",
                                         "institution_code": valid}), 422, "R-TEAM-1", "institution_code")
    assert runtime.app("contracts").last_position() == before
    made = api.post(f"{API}/planners", {"id": f"p1-{unique}", "name": "甲", **base, "institution_code": valid,
                                        "serves_locally": True, "community_renewal": True, "experience_years": 12})
    assert made.status_code == 201, made.json_body
    assert (made.json_body["institution_code"], made.json_body["institution"]) == (valid, "聊城市规划设计研究院")
    api.settle()
    [row] = api.get(f"{API}/planners?institution={valid}").json_body["items"]
    assert (row["id"], row["institution_code"], row["serves_locally"]) == (f"p1-{unique}", valid, True)


def test_selection_criteria_are_recorded_and_community_renewal_candidates_come_first(org, api, runtime, unique):
    # R-TEAM-2: experience, community-renewal experience (preferred) and the commitment to serve
    # locally are recorded at appointment; the candidates for appointment and replacement
    # (available=true) list community-renewal experience first
    plain = org.planner(f"a-{unique}", "local", experience_years=20, serves_locally=True)
    renewal = org.planner(f"z-{unique}", "local", experience_years=3, community_renewal=True, serves_locally=False)
    [appointed] = [e for e in runtime.app("contracts").envelopes(after=0, limit=10_000)
                   if e["type"].endswith(".PlannerAppointed.v1") and e["data"]["id"] == renewal]
    assert (appointed["data"]["experience_years"], appointed["data"]["community_renewal"],
            appointed["data"]["serves_locally"]) == (3, True, False)
    api.settle()
    order = [p["id"] for p in api.get(f"{API}/planners?available=true&origin=local&limit=200").json_body["items"]]
    assert order.index(renewal) < order.index(plain)
    shown = api.get(f"{API}/planners/{plain}").json_body
    assert (shown["experience_years"], shown["community_renewal"], shown["serves_locally"]) == (20, False, True)


def test_the_organisation_shows_appointed_and_target_per_origin(org, api, unique):
    # R-TEAM-2: 10 + 10 by default; the contract's own targets when signed with them
    org.group(f"g-{unique}", [org.planners["tier1"], org.planners["local"]])
    view = api.get(f"{API}/organisation?date=2021-07-01").json_body
    [mine] = [r for r in view["recruitment"] if r["contract"] == org.contract]
    assert (mine["tier1"], mine["local"]) == ({"appointed": 1, "target": 10}, {"appointed": 1, "target": 10})
    small = f"c2-{unique}"
    signed = api.post(f"{API}/contracts", contract_body(small, targets={"tier1": 1, "local": 2}))
    assert signed.status_code == 201 and signed.json_body["targets"] == {"tier1": 1, "local": 2}
    view = api.get(f"{API}/organisation?date=2021-07-01").json_body
    [other] = [r for r in view["recruitment"] if r["contract"] == small]
    assert (other["tier1"], other["local"]) == ({"appointed": 0, "target": 1}, {"appointed": 0, "target": 2})
    refused(api.post(f"{API}/contracts", contract_body(f"c3-{unique}", targets={"tier1": -1})), 422, "R-TEAM-2",
            "targets")
    refused(api.post(f"{API}/contracts", contract_body(f"c3-{unique}", targets={"abroad": 1})), 422, "R-TEAM-2",
            "targets")
