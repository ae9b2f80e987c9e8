"""The list endpoints: filters and cursor paging (API.md "Lists"), read from the directory projection."""

from __future__ import annotations

API = "/api/v1"


def codes(response, key: str = "code") -> list[str]:
    assert response.status_code == 200, response.json_body
    return [item[key] for item in response.json_body["items"]]


def test_districts_page_by_cursor_and_filter_by_government_and_type(org, api, unique):
    # R-ORG-6: reports and lists group districts by government
    other = f"gov2-{unique}"
    api.post(f"{API}/governments", {"code": other, "name": "某县人民政府", "kind": "district_government"})
    mine = sorted([org.district, org.district_under(f"e-{unique}"), org.district_under(f"f-{unique}", types=["new"])])
    org.district_under(f"x-{unique}", government=other)
    api.settle()
    first = api.get(f"{API}/districts?government={org.government}&limit=2")
    assert codes(first) == mine[:2] and first.json_body["next_cursor"]
    second = api.get(f"{API}/districts?government={org.government}&limit=2&cursor={first.json_body['next_cursor']}")
    assert codes(second) == mine[2:] and second.json_body["next_cursor"] is None
    assert codes(api.get(f"{API}/districts?type=new")) == [f"f-{unique}"]
    assert codes(api.get(f"{API}/districts?government={other}")) == [f"x-{unique}"]


def test_groups_filter_by_district_planner_status_and_dates(org, api, unique):
    # R-ORG-1, R-CON-4: lists follow replacements and ends
    g1 = f"g1-{unique}"
    org.group(g1, [org.planners["tier1"], org.planners["local"]])
    other = org.district_under(f"d2-{unique}")
    t2, l2 = org.planner(f"t2-{unique}", "tier1"), org.planner(f"l2-{unique}", "local")
    g2 = f"g2-{unique}"
    org.group(g2, [t2, l2], district=other, from_date="2022-01-01")
    t3 = org.planner(f"t3-{unique}", "tier1")
    api.post(f"{API}/groups/{g2}/replacements", {"out": t2, "in": t3, "date": "2022-03-01", "reason": "调动"})
    api.post(f"{API}/groups/{g1}/end", {"date": "2021-12-31"})
    api.settle()
    assert codes(api.get(f"{API}/groups")) == [g1, g2]
    assert codes(api.get(f"{API}/groups?district={other}")) == [g2]
    assert codes(api.get(f"{API}/groups?government={org.government}")) == [g1, g2]
    assert codes(api.get(f"{API}/groups?planner={t3}")) == [g2]
    assert codes(api.get(f"{API}/groups?planner={t2}")) == []
    assert codes(api.get(f"{API}/groups?status=active")) == [g2]
    assert codes(api.get(f"{API}/groups?status=ended")) == [g1]
    assert codes(api.get(f"{API}/groups?from=2022-01-01")) == [g2]
    assert codes(api.get(f"{API}/groups?to=2021-12-31")) == [g1]
    [row] = api.get(f"{API}/groups?district={other}").json_body["items"]
    assert (row["tier1"], row["local"]) == (t3, l2)


def test_planners_contracts_and_governments_lists(org, api, unique):
    # R-ORG-4, R-ORG-5: planners by origin, status and group
    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]])
    spare = org.planner(f"s-{unique}", "local", qualifications=["senior_title"])
    api.post(f"{API}/planners/{spare}/dismissal", {"date": "2022-01-10"})
    api.settle()
    assert codes(api.get(f"{API}/planners?origin=local"), "id") == sorted([org.planners["local"], spare])
    assert codes(api.get(f"{API}/planners?status=dismissed"), "id") == [spare]
    assert codes(api.get(f"{API}/planners?group={group}"), "id") == sorted(org.planners.values())
    assert codes(api.get(f"{API}/planners?qualification=senior_title"), "id") == [spare]
    assert codes(api.get(f"{API}/contracts?status=active"), "id") == [org.contract]
    assert codes(api.get(f"{API}/governments?kind=district_government")) == [org.government]
    assert codes(api.get(f"{API}/governments?kind=admin_committee")) == []


def test_bad_list_parameters_are_400(api):
    # R-SEC-3: bad input names the parameter
    for query, field in (("limit=0", "limit"), ("limit=x", "limit"), ("cursor=%%%", "cursor"),
                         ("status=open", "status")):
        response = api.get(f"{API}/groups?{query}")
        assert response.status_code == 400, query
        assert response.json_body["error"]["field"] == field
    assert api.get(f"{API}/districts?type=old").status_code == 400
    assert api.get(f"{API}/groups?from=yesterday").status_code == 400


def test_planners_with_community_renewal_experience_are_listed_first(org, api, unique):
    # R-ORG-5: community-renewal experience is preferred: shown on planner lists and ranked first
    # among the candidates the bureau appoints or swaps in (active, in no group), paging included
    plain = [org.planner(f"a{i}-{unique}", "tier1") for i in range(3)]
    preferred = [org.planner(f"z{i}-{unique}", "local", community_renewal=True) for i in range(2)]
    org.group(f"g-{unique}", [plain[0], preferred[0]])
    dismissed = org.planner(f"y-{unique}", "local", community_renewal=True)
    api.post(f"{API}/planners/{dismissed}/dismissal", {"date": "2022-01-10"})
    api.settle()
    mine = set(plain + preferred + [dismissed])
    everyone = [p for p in api.get(f"{API}/planners").json_body["items"] if p["id"] in mine]
    assert [p["id"] for p in everyone] == sorted(preferred + [dismissed]) + sorted(plain)
    assert {p["id"]: p["preferred"] for p in everyone} == {**dict.fromkeys(plain, False),
                                                           **dict.fromkeys(preferred + [dismissed], True)}
    # the org's own two planners (no such experience) are in a group neither: they follow the preferred one
    others = sorted(set(org.planners.values()) - mine)
    first = api.get(f"{API}/planners?available=true&limit=2")
    assert codes(first, "id") == [preferred[1], *sorted([plain[1], plain[2], *others])[:1]]
    rest, cursor = [], first.json_body["next_cursor"]
    while cursor:
        page = api.get(f"{API}/planners?available=true&limit=2&cursor={cursor}")
        rest, cursor = rest + codes(page, "id"), page.json_body["next_cursor"]
    assert rest == sorted([plain[1], plain[2], *others])[1:]
    assert api.get(f"{API}/planners?available=maybe").status_code == 400
