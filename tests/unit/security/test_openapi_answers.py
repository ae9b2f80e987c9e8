"""Every real answer of a running embedded system fits the schema /openapi.json declares for its
operation and status (issue 16 "OpenAPI": a client generated from the document reads every response).

The calls go to the security world (tests/unit/security/conftest.py): each resource read, listed
and changed once along its ordinary path, as the roles that may do so.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

_PARAM = re.compile(r"\{[^}]+\}")


@pytest.fixture(scope="module")
def document(world) -> dict:
    response = world.api.get("/openapi.json")
    assert response.status_code == 200
    return response.json_body


def _operation(document: dict, method: str, path: str) -> dict:
    """The document's operation answering ``method path``: the template matching it with the fewest
    parameters (``/reports/issued/7`` is not ``/reports/{kind}/{period}``)."""
    bare = path.split("?")[0]
    matching = sorted((template.count("{"), template) for template, item in document["paths"].items()
                      if method.lower() in item
                      and re.fullmatch("[^/]+".join(map(re.escape, _PARAM.split(template))), bare))
    assert matching, f"{method} {bare}: no operation in the document"
    return document["paths"][matching[0][1]][method.lower()]


def _problems(document: dict, method: str, path: str, response: Any) -> list[str]:
    """Why the answer does not fit the operation's declared status, media type and schema ([] when it does)."""
    operation = _operation(document, method, path)
    declared = operation["responses"].get(str(response.status_code))
    if declared is None:
        return [f"{method} {path}: status {response.status_code} not in {sorted(operation['responses'])}"]
    if response.status_code == 204:
        return [] if not response.get_data() else [f"{method} {path}: 204 with a body"]
    content = declared.get("content", {})
    if response.mimetype not in content:
        return [f"{method} {path}: {response.mimetype} not in {sorted(content)}"]
    schema = content[response.mimetype]["schema"]
    assert schema, f"{method} {path}: {response.mimetype} answer without a schema"
    # the operation's schema with the document's components, so that its references resolve
    validator = Draft202012Validator({"allOf": [schema], "components": document["components"]})
    return [f"{method} {path} {response.status_code} /{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator.iter_errors(response.json_body)]


def test_every_answer_fits_the_schema_the_document_declares_for_it(world, document):
    own, api = world.own, world.api
    operator = world.api.as_role("operator", "operator-answers")
    answers: list[tuple[str, str, Any]] = []

    def call(method: str, path: str, body: Any = None, client: Any = api) -> Any:
        response = client.request(method, path, body)
        assert 200 <= response.status_code < 300, (method, path, response.status_code, response.json_body)
        answers.append((method, path, response))
        return response.json_body

    # reads: every resource, one and listed, and the operational routes
    for path in (
        "/api/v1/governments", f"/api/v1/governments/{own.government}", "/api/v1/districts",
        f"/api/v1/districts/{own.district}", f"/api/v1/districts/{own.district}/serving?date=2022-03-05",
        "/api/v1/contracts", f"/api/v1/contracts/{own.contract}", "/api/v1/planners", f"/api/v1/planners/{own.planner}",
        "/api/v1/groups", f"/api/v1/groups/{own.group}", f"/api/v1/groups/{own.group}/terms",
        "/api/v1/organisation?date=2022-03-05", "/api/v1/visits", f"/api/v1/visits/{own.visit}",
        f"/api/v1/duty-calendar/{own.group}/2021", f"/api/v1/compliance/{own.group}/2022-03",
        "/api/v1/opinions", f"/api/v1/opinions/{own.ref}", "/api/v1/recommendations",
        f"/api/v1/recommendations/{own.rec}", "/api/v1/letters", f"/api/v1/letters/{own.letter}",
        "/api/v1/consultations", f"/api/v1/consultations/{own.consultation}",
        "/api/v1/reports/monthly/2022-03", "/api/v1/reports/quarterly/2022-Q1", "/api/v1/reports/half-yearly/2022-H1",
        "/api/v1/reports/annual/2021", "/api/v1/audit/verify", f"/api/v1/audit/opinion/{own.ref}",
        "/api/v1/reminders?date=2022-03-05", "/api/v1/events/feedback?limit=2", "/api/v1/events/feedback/chain",
        "/web/config.json", "/health/live", "/openapi.json",
    ):
        call("GET", path)

    # changes along each resource's ordinary path
    ref = call("POST", "/api/v1/opinions", {"district": own.district, "category": "public_space", "text": "井盖松动",
                                            "channel": "app", "date": "2022-03-04"})["ref"]
    call("POST", f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-05"})
    call("POST", f"/api/v1/opinions/{ref}/escalate", {"date": "2022-03-06", "title": "更换井盖"})
    call("DELETE", f"/api/v1/opinions/{own.ref}/personal-data")
    call("POST", f"/api/v1/recommendations/{own.rec}/forward", {"letter_no": f"函-{own.group}", "date": "2022-03-05"})
    call("POST", f"/api/v1/consultations/{own.consultation}/opinion", {"text": "檐口高度不超过 12 米",
                                                                       "date": "2022-03-06"})
    call("POST", "/api/v1/publicity", {"group": own.group, "title": "社区规划开放日", "mode": "offline",
                                       "audience": 120, "date": "2022-03-05"})
    call("POST", "/api/v1/work-summaries", {"group": own.group, "period": "2022-H1", "text": "上半年述职",
                                            "date": "2022-03-05"})
    call("POST", f"/api/v1/visits/{own.visit}/confirmation", {"confirmed": True})
    call("POST", "/api/v1/settlements", {"group": own.group, "service_year": 2021})
    call("GET", f"/api/v1/settlements/{own.group}/2021")
    issued = call("POST", "/api/v1/reports/monthly/2022-03/issue")
    call("GET", f"/api/v1/reports/issued/{issued['number']}")
    call("POST", "/api/v1/reports/half-yearly/2022-H1/notes", {"text": "市局意见", "date": "2022-03-06"})
    reminders = call("GET", "/api/v1/reminders?date=2022-03-20")
    call("POST", "/api/v1/daily-reminders", {"date": "2022-03-20", "reminders": reminders["reminders"]}, operator)
    world.api.settle()

    problems = [problem for method, path, response in answers
                for problem in _problems(document, method, path, response)]
    assert problems == []
    # the statuses are the exact ones: a creation 201, a read 200, an erasure 204
    assert {(m, p.split("?")[0], r.status_code) for m, p, r in answers} >= {
        ("POST", "/api/v1/opinions", 201), ("GET", "/api/v1/opinions", 200),
        ("DELETE", f"/api/v1/opinions/{own.ref}/personal-data", 204),
    }


def test_each_operation_declares_exactly_the_success_statuses_its_handler_answers(document):
    success = {(method.upper(), path): sorted(code for code in op["responses"] if code.startswith("2"))
               for path, item in document["paths"].items() for method, op in item.items()}
    assert success[("POST", "/api/v1/opinions")] == ["201"]
    assert success[("POST", "/api/v1/opinions/{ref}/acknowledge")] == ["200"]
    assert success[("POST", "/api/v1/settlements")] == ["200", "201"]
    assert success[("DELETE", "/api/v1/opinions/{ref}/personal-data")] == ["204"]
    assert success[("POST", "/web/dev-token")] == ["201"]
    reads = {(method, path): codes for (method, path), codes in success.items() if method in ("GET", "PUT")}
    assert {key: codes for key, codes in reads.items() if codes != ["200"]} == {("GET", "/"): []}  # "/" redirects
