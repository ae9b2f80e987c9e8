"""R-SEC-1: every role × every endpoint × own-scope / other-scope object.

The table below is the expectation, written independently of the policy
module. Columns are the roles; each cell is what the role gets on its own
scope's object and on the other scope's:

- ``A``   allowed on both (the policy lets it through; the handler answers,
          possibly refusing the input or the state: never 401/403);
- ``S``   allowed on its own, 403 on the other's;
- ``H``   allowed on its own, 404 on the other's (exactly the missing object's answer);
- ``X``   403 on its own (in scope, but another's to do), 404 on the other's;
- ``403`` refused on both; ``401`` no token, refused on both.

Every refused cell must write nothing: no event in any store, and no
idempotency record for the key it sent. Planner = group A, district D1,
government G1; sub-district = D1; government = G1; "other" = B, D2, G2.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tests.unit.security.conftest import ROLES, World

API = "/api/v1"
R = "resident planner subdistrict government bureau committee operator"
assert R.split() == list(ROLES)

class Form(str):
    """A form-encoded body (Open311), not JSON."""


_rec = {"title": "建设口袋公园", "text": "街角空地", "category": "greening", "source": "survey", "date": "2022-03-01"}

MATRIX: list[tuple[str, str, Any, str]] = [
    # method, path, body,                                              resident planner subdistrict government bureau committee operator
    # -- operations ------------------------------------------------------------------------------------------------
    ("GET", "/health/live", None,                                       "A A A A A A A"),
    ("GET", "/health/ready", None,                                      "A A A A A A A"),
    ("GET", "/metrics", None,                                           "A A A A A A A"),
    ("GET", "/openapi.json", None,                                      "A A A A A A A"),
    # the web pages: static files holding no data; dev-token is refused (404) in production
    ("GET", "/", None,                                                  "A A A A A A A"),
    ("GET", "/web/index.html", None,                                    "A A A A A A A"),
    ("GET", "/web/config.json", None,                                   "A A A A A A A"),
    ("POST", "/web/dev-token", {"role": "committee"},                   "A A A A A A A"),
    ("GET", f"{API}/events/visits?after=0&limit=1", None,               "401 403 403 403 A 403 A"),
    ("GET", f"{API}/events/feedback/chain", None,                       "401 403 403 403 A 403 A"),
    # -- contracts -------------------------------------------------------------------------------------------------
    ("GET", f"{API}/governments", None,                                 "401 A A A A A 403"),
    ("GET", f"{API}/governments/{{gov}}", None,                         "401 A A A A A 403"),
    ("POST", f"{API}/governments", {"code": "gv-{fresh}", "name": "某区人民政府", "kind": "district_government"},
                                                                        "401 403 403 403 A 403 403"),
    ("PUT", f"{API}/governments/{{gov}}/contacts", {"contact": "王科长"}, "401 403 403 S A 403 403"),
    ("GET", f"{API}/districts", None,                                   "401 A A A A A 403"),
    ("GET", f"{API}/districts/{{district}}", None,                      "401 A A A A A 403"),
    ("GET", f"{API}/districts/names", None,                             "A A A A A A A"),
    ("POST", f"{API}/districts", {"code": "ds-{fresh}", "name": "某街道", "types": ["built"], "government": "{gov}"},
                                                                        "401 403 403 403 A 403 403"),
    ("POST", f"{API}/districts/{{district}}/types", {"types": ["built"]}, "401 403 403 403 A 403 403"),
    ("PUT", f"{API}/districts/{{district}}/boundary", {"oops": 1},      "401 403 403 403 A 403 403"),
    ("PUT", f"{API}/districts/{{district}}/contacts", {"contact": "赵主任"}, "401 403 S S A 403 403"),
    ("GET", f"{API}/districts/{{district}}/serving", None,              "401 A A A A A 403"),
    ("GET", f"{API}/contracts", None,                                   "401 A A A A A 403"),
    ("GET", f"{API}/contracts/{{contract}}", None,                      "401 A A A A A 403"),
    ("POST", f"{API}/contracts", {"oops": 1},                           "401 403 403 403 A 403 403"),
    ("POST", f"{API}/contracts/{{contract}}/evaluations", {"oops": 1},  "401 403 403 403 A 403 403"),
    ("POST", f"{API}/contracts/{{contract}}/renewals", {"oops": 1},     "401 403 403 403 A 403 403"),
    ("POST", f"{API}/contracts/{{contract}}/end", {"oops": 1},          "401 403 403 403 A 403 403"),
    ("GET", f"{API}/planners", None,                                    "401 A A A A A 403"),
    ("GET", f"{API}/planners/{{planner}}", None,                        "401 S 403 403 A 403 403"),
    ("POST", f"{API}/planners", {"oops": 1},                            "401 403 403 403 A 403 403"),
    ("POST", f"{API}/planners/{{planner}}/evaluations", {"oops": 1},    "401 403 403 403 A 403 403"),
    ("POST", f"{API}/planners/{{planner}}/dismissal", {"oops": 1},      "401 403 403 403 A 403 403"),
    ("GET", f"{API}/groups", None,                                      "401 A A A A A 403"),
    ("GET", f"{API}/groups/{{group}}", None,                            "401 A A A A A 403"),
    ("GET", f"{API}/groups/{{group}}/terms", None,                      "401 A A A A A 403"),
    ("POST", f"{API}/groups", {"oops": 1},                              "401 403 403 403 A 403 403"),
    ("POST", f"{API}/groups/{{group}}/replacements", {"oops": 1},       "401 403 403 403 A 403 403"),
    ("POST", f"{API}/groups/{{group}}/end", {"oops": 1},                "401 403 403 403 A 403 403"),
    ("GET", f"{API}/organisation", None,                                "401 A A A A A 403"),
    # R-TEAM-1: the bureau records the team and the local institutions; the organisation's readers read them
    ("GET", f"{API}/teams", None,                                       "401 A A A A A 403"),
    ("GET", f"{API}/teams/tm-{{fresh}}", None,                          "401 A A A A A 403"),
    ("POST", f"{API}/teams", {"oops": 1},                               "401 403 403 403 A 403 403"),
    ("PUT", f"{API}/teams/tm-{{fresh}}/qualification", {"oops": 1},     "401 403 403 403 A 403 403"),
    ("GET", f"{API}/institutions", None,                                "401 A A A A A 403"),
    ("GET", f"{API}/institutions/in-{{fresh}}", None,                   "401 A A A A A 403"),
    ("POST", f"{API}/institutions", {"oops": 1},                        "401 403 403 403 A 403 403"),
    # -- visits ----------------------------------------------------------------------------------------------------
    ("POST", f"{API}/visits", {"group": "{group}", "date": "2022-03-10", "days": 0.5, "planners": []},
                                                                        "401 S 403 403 A 403 403"),
    ("GET", f"{API}/visits?group={{group}}", None,                      "401 S A 403 A 403 403"),
    ("GET", f"{API}/visits?district={{district}}", None,                "401 A S S A 403 403"),
    ("GET", f"{API}/visits/{{visit}}", None,                            "401 H H H A 403 403"),
    ("POST", f"{API}/visits/{{visit}}/confirmation", {"confirmed": True}, "401 403 H 403 A 403 403"),
    ("POST", f"{API}/visits/{{visit}}/corrections", {"notes": "补记", "reason": "补记"}, "401 H 403 403 A 403 403"),
    ("GET", f"{API}/duty-calendar/{{group}}/2021", None,                "401 S S S A A 403"),
    ("GET", f"{API}/compliance/{{group}}/2022-03", None,                "401 S S S A A 403"),
    ("POST", f"{API}/visits/{{visit}}/void", {"reason": "重复"},          "401 H 403 403 A 403 403"),
    # after the void: a settled year is the bureau's alone to correct (R-VIS-7)
    ("POST", f"{API}/settlements", {"group": "{group}", "service_year": 2021}, "401 403 403 403 A 403 403"),
    ("GET", f"{API}/settlements/{{group}}/2021", None,                  "401 S 403 403 A A 403"),
    # -- opinions --------------------------------------------------------------------------------------------------
    ("POST", f"{API}/opinions", {"district": "{district}", "category": "public_space", "text": "井盖缺失"},
                                                                        "A A A A A 403 403"),
    ("GET", f"{API}/opinions?district={{district}}", None,              "401 S S A A 403 403"),
    ("GET", f"{API}/opinions?government={{gov}}", None,                 "401 A A S A 403 403"),
    ("GET", f"{API}/opinions/{{ref}}", None,                            "A A A A A A A"),
    ("POST", f"{API}/opinions/{{ref}}/district", {"district": "{district}"}, "401 403 403 403 A 403 403"),
    ("POST", f"{API}/opinions/{{ref}}/acknowledge", {},                 "401 H 403 403 A 403 403"),
    ("POST", f"{API}/opinions/{{ref}}/relay", {"comment": "请关注"},      "401 H 403 403 A 403 403"),
    ("POST", f"{API}/opinions/{{ref}}/answer", {"reply": "已处理"},       "401 H 403 403 A 403 403"),
    ("POST", f"{API}/opinions/{{ref}}/escalate", {"title": "修复路灯"},    "401 H 403 403 A 403 403"),
    ("POST", f"{API}/opinions/{{ref}}/close", {},                       "401 H 403 403 A 403 403"),
    ("DELETE", f"{API}/opinions/{{ref}}/personal-data", None,           "401 403 403 403 A 403 403"),
    # -- recommendations and letters -----------------------------------------------------------------------------------
    ("POST", f"{API}/recommendations", {"group": "{group}", **_rec},    "401 S 403 403 A 403 403"),
    ("GET", f"{API}/recommendations?group={{group}}", None,             "401 S A A A 403 403"),
    ("GET", f"{API}/recommendations?government={{gov}}", None,          "401 A A S A 403 403"),
    ("GET", f"{API}/recommendations/{{rec}}", None,                     "401 H H H A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/forward", {"letter_no": "函-{fresh}", "date": "2022-03-05"},
                                                                        "401 403 403 403 A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/accept", {"date": "2022-03-06"}, "401 403 403 H A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/decline", {"reason": "经费不足"}, "401 403 403 H A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/progress", {"percent": 50, "text": "施工中", "date": "2022-03-07"},
                                                                        "401 403 H H A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/complete", {"text": "已完成", "date": "2022-03-08"},
                                                                        "401 403 H H A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/verify", {},               "401 403 403 403 A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/reopen", {"reason": "未完成"}, "401 403 403 403 A 403 403"),
    ("POST", f"{API}/recommendations/{{rec}}/withdraw", {"reason": "撤回"}, "401 403 403 403 A 403 403"),
    ("POST", f"{API}/letters", {"oops": 1},                             "401 403 403 403 A 403 403"),
    ("GET", f"{API}/letters?government={{gov}}", None,                  "401 403 403 S A 403 403"),
    ("GET", f"{API}/letters/{{letter}}", None,                          "401 403 403 H A 403 403"),
    # -- consultations and paperwork ----------------------------------------------------------------------------------
    ("POST", f"{API}/consultations", {"group": "{group}", "kind": "advice", "question": "如何控制高度？"},
                                                                        "401 403 S S A 403 403"),
    ("GET", f"{API}/consultations?group={{group}}", None,               "401 S A A A 403 403"),
    ("GET", f"{API}/consultations/{{consultation}}", None,              "401 H H H A 403 403"),
    ("POST", f"{API}/consultations/{{consultation}}/opinion", {"text": "建议控制在 18 米以内"},
                                                                        "401 H 403 403 A 403 403"),
    # R-CSL-1: the consultation was asked by the government; its district's sub-district may not close it
    ("POST", f"{API}/consultations/{{consultation}}/close", {},         "401 403 X H A 403 403"),
    ("POST", f"{API}/publicity", {"group": "{group}", "title": "规划进社区", "mode": "offline", "date": "2022-03-05"},
                                                                        "401 S 403 403 A 403 403"),
    ("POST", f"{API}/work-summaries", {"group": "{group}", "period": "2022-H1", "text": "半年工作小结"},
                                                                        "401 S 403 403 A 403 403"),
    ("POST", f"{API}/ratings", {"group": "{group}", "year": 2021, "target": "government",
                                "scores": {"cooperation": 4, "workplace": 5, "implementation": 3}},
                                                                        "401 S 403 403 A 403 403"),
    ("POST", f"{API}/annual-summaries", {"kind": "implementation", "year": 2021, "text": "落实总结", "government": "{gov}"},
                                                                        "401 403 403 S A 403 403"),
    ("POST", f"{API}/annual-summaries", {"kind": "planning_evaluation", "year": 2021, "text": "评估小结", "group": "{group}"},
                                                                        "401 S 403 403 A 403 403"),
    # -- Open311 (public) ----------------------------------------------------------------------------------------------
    ("GET", f"{API}/open311/v2/services.json", None,                    "A A A A A A A"),
    ("POST", f"{API}/open311/v2/requests.json",
     Form("service_code=public_space&description=%E8%B7%AF%E7%81%AF&attribute[district]={district}"),
                                                                        "A A A A A A A"),
    ("GET", f"{API}/open311/v2/requests.json", None,                    "A A A A A A A"),
    ("GET", f"{API}/open311/v2/requests/{{ref}}.json", None,            "A A A A A A A"),
    # issue 16: discovery, service definitions and the XML forms (the standard's base format)
    ("GET", f"{API}/open311/v2/discovery.json", None,                   "A A A A A A A"),
    ("GET", f"{API}/open311/v2/discovery.xml", None,                    "A A A A A A A"),
    ("GET", f"{API}/open311/v2/services.xml", None,                     "A A A A A A A"),
    ("GET", f"{API}/open311/v2/services/public_space.json", None,       "A A A A A A A"),
    ("GET", f"{API}/open311/v2/services/public_space.xml", None,        "A A A A A A A"),
    ("POST", f"{API}/open311/v2/requests.xml",
     Form("service_code=public_space&description=%E8%B7%AF%E7%81%AF&attribute[district]={district}"),
                                                                        "A A A A A A A"),
    ("GET", f"{API}/open311/v2/requests.xml", None,                     "A A A A A A A"),
    ("GET", f"{API}/open311/v2/requests/{{ref}}.xml", None,             "A A A A A A A"),
    # -- reporting -------------------------------------------------------------------------------------------------------
    ("GET", f"{API}/reports/monthly/2022-03", None,                     "401 403 403 403 A A 403"),
    ("GET", f"{API}/reports/half-yearly/2022-H1", None,                 "401 403 403 403 A A 403"),
    # R-RPT-2: the quarterly ranking is circulated to governments and sub-districts (every one's, unscoped)
    ("GET", f"{API}/reports/quarterly/2022-Q2", None,                   "401 403 A A A A 403"),
    ("POST", f"{API}/reports/monthly/2022-03/issue", {"oops": 1},       "401 403 403 403 A 403 403"),
    ("GET", f"{API}/reports/issued/1", None,                            "401 403 403 403 A A 403"),
    ("POST", f"{API}/reports/half-yearly/2022-H1/notes", {"oops": 1},   "401 403 403 403 A 403 403"),
    ("GET", f"{API}/audit/visit/{{visit}}", None,                       "401 403 403 403 A 403 403"),
    ("GET", f"{API}/audit/verify", None,                                "401 403 403 403 A 403 A"),
    ("GET", f"{API}/reminders", None,                                   "401 403 403 403 A 403 403"),
    # R-RPT-8: reporting's daily job (the service token: operator) hands a date's reminders to feedback
    ("POST", f"{API}/daily-reminders", {"oops": 1},                     "401 403 403 403 A 403 A"),
]


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, Form):
        return Form(re.sub(r"\{(\w+)\}", lambda m: names[m.group(1)], value))
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: names[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def _cells() -> list[Any]:
    cases = []
    for method, path, body, row in MATRIX:
        for role, cell in zip(ROLES, row.split()):
            cases.append(pytest.param(method, path, body, role, cell, id=f"{method} {path} [{role}]"))
    return cases


def _send(client: Any, method: str, path: str, body: Any, headers: dict[str, str]):
    if isinstance(body, Form):
        return client.request(method, path, raw=body.encode(), headers=headers,
                              content_type="application/x-www-form-urlencoded")
    return client.request(method, path, body, headers=headers)


def _idempotency_rows(world: World, key: str) -> int:
    return sum(
        db.query("SELECT COUNT(*) AS n FROM idempotency_keys WHERE idem_key = %s", (key,))[0]["n"]
        for db in world.runtime.dbs.values()
    )


@pytest.mark.parametrize("method, path, body, role, cell", _cells())
def test_role_and_scope(world: World, method, path, body, role, cell):
    # R-SEC-1 (role and scope before any domain code), R-SEC-3 (a refusal stores nothing)
    client = world.as_role(role)
    for which, scope in (("own", world.own), ("other", world.other)):
        names = {**scope.values(), "fresh": uuid.uuid4().hex[:8]}
        key = f"matrix-{uuid.uuid4().hex}"
        before = world.positions()
        headers = {"Idempotency-Key": key} if method == "POST" else {}
        response = _send(client, method, _fill(path, names), _fill(body, names), headers)
        status = response.status_code
        answer = json.dumps(response.json_body, ensure_ascii=False)[:300]
        where = f"{role} on {which} {method} {_fill(path, names)}: {status} {answer}"
        own = which == "own"
        expected = {"A": "ok", "S": "ok" if own else "403", "H": "ok" if own else "404",
                    "X": "403" if own else "404"}.get(cell, cell)
        if expected == "ok":
            assert status not in (401, 403), where
            if cell == "H":
                assert status != 404, where
            assert status < 500, where
            continue
        assert status == int(expected), where
        assert world.positions() == before, f"a refused call wrote events: {where}"
        assert _idempotency_rows(world, key) == 0, f"a refused call kept an idempotency record: {where}"
        if status == 404:
            # Hidden exactly as a missing object: same body as for an id that never existed.
            missing = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", str(uuid.uuid4()),
                             _fill(path, names))
            if "/opinions/" in missing:
                missing = missing.replace(names["ref"], "NOSUCHREF234")
            absent = _send(world.api, method, missing, _fill(body, names), {})
            assert (absent.status_code, absent.json_body) == (404, response.json_body), where
        elif status == 401:
            assert response.json_body["error"]["code"] == "unauthenticated"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert response.json_body["error"]["code"] in ("forbidden",), where


def test_the_matrix_covers_every_declared_route(world: World):
    # R-SEC-1: no route of any service escapes the matrix
    from werkzeug.routing import Map, Rule

    from services.backbone.http import routes_of
    from services.backbone.declaration import service_names
    from services.bootstrap import service_class

    declared = {(m, p) for name in service_names() for m, p, _ in routes_of(service_class(name)())}
    adapter = Map([Rule(p, methods=[m], endpoint=f"{m} {p}") for m, p in sorted(declared)]).bind("localhost")
    names = {**world.own.values(), "fresh": "x"}
    covered = {adapter.match(_fill(path, names).split("?")[0], method=method)[0] for method, path, _, _ in MATRIX}
    missing = sorted({f"{m} {p}" for m, p in declared} - covered)
    assert not missing, f"add these routes to MATRIX: {missing}"


def test_the_public_district_list_names_code_and_name_only(world: World):
    # issue 16: the resident's form picks a district without a token; nothing but code and name
    answer = world.as_role("resident").get(f"{API}/districts/names")
    assert answer.status_code == 200, answer.json_body
    items = answer.json_body["items"]
    assert {world.own.district, world.other.district} <= {item["code"] for item in items}
    assert all(set(item) == {"code", "name"} and item["name"] for item in items)
