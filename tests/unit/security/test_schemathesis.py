"""schemathesis against the served /openapi.json: no 500 for any generated input
(issue 8 "Input hardening"; API.md: never a 500 for anything a client sent).

The schema is read from the embedded system's WSGI gateway, exactly as a client
reads it; every operation is called with generated inputs (valid and invalid)
as the bureau, then once more with the path pointing at real objects of the
security world, so generated bodies reach the domain code and not only the
404 for an unknown id. Examples are capped and derandomized to keep the file
well inside `make test`'s budget.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.backbone.auth import issue_token
from services.backbone.http import Gateway
from services.backbone.settings import Settings
from services.bootstrap import Runtime

MAX_EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = schemathesis.Config.from_dict({
    # Generated (valid and invalid) inputs only: the schema's own examples and the
    # boundary-value "coverage" phase would multiply the calls past the budget.
    "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True},
})


def _served_schema():
    """The schema as an embedded system serves it at /openapi.json (read over WSGI).

    The document is generated from the code, the same for every system, so a
    throwaway one serves it at collection; the calls go to the security world.
    (schemathesis' lazy ``from_fixture`` loader needs a pytest internal that
    pytest 9 no longer has.)
    """
    with tempfile.TemporaryDirectory(prefix="rps-openapi-") as tmp:
        runtime = Runtime.embedded(Settings(data_dir=Path(tmp) / "var"))
        try:
            return schemathesis.openapi.from_wsgi("/openapi.json", Gateway(runtime.service_objects()), config=CONFIG)
        finally:
            runtime.close()


schema = _served_schema()


@pytest.fixture(scope="module")
def app(world):
    return Gateway(world.runtime.service_objects())


@pytest.fixture(scope="module")
def headers(world):
    return {"Authorization": f"Bearer {issue_token(world.runtime.settings, 'bureau', subject='bureau-schemathesis')}"}


@pytest.fixture(scope="module")
def known(world) -> dict[str, str]:
    """Path values that name existing objects of the security world (own scope)."""
    own = world.own
    return {"ref": own.ref, "rec_id": own.rec, "visit_id": own.visit, "consultation_id": own.consultation,
            "letter_id": own.letter, "group": own.group, "service": "feedback", "kind": "monthly",
            "period": "2022-03", "service_year": 2021}


_CODE_OF = {"contracts": "contract", "districts": "district", "governments": "government", "groups": "group",
            "planners": "planner"}


def _known_path(case, known: dict[str, str], world) -> dict[str, object] | None:
    """The case's path parameters with every one we know replaced; None when none is known."""
    params = dict(case.path_parameters or {})
    replaced = False
    for name in params:
        if name in known:
            params[name] = known[name]
            replaced = True
        elif name == "code":
            collection = re.match(r"^/api/v1/(\w+)/", case.operation.path)
            attr = _CODE_OF.get(collection.group(1)) if collection else None
            if attr:
                params[name] = getattr(world.own, attr)
                replaced = True
    return params if replaced else None


@schema.parametrize()
# No per-example deadline: speed is measured by bench/, not by timed tests (a loaded CI core is not a defect).
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_generated_input_gets_a_500(case, app, headers, known, world):
    # issue 8 / API.md "Status codes": a 500 for client input is a defect; issue 16 "OpenAPI": every answer's
    # status, content type and body are the ones the document declares (a generated client reads them)
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
    params = _known_path(case, known, world)
    if params is not None:
        case.path_parameters = params
        case.call_and_validate(app=app, headers=headers, checks=CHECKS)


def test_an_issued_report_number_past_any_stored_one_is_404(api):
    # found by schemathesis: a number beyond SQLite's INTEGER (and PostgreSQL's BIGINT) was a 500
    for number in (2**63, 153262385319535031107692003328):
        for fmt in ("json", "pdf"):
            response = api.get(f"/api/v1/reports/issued/{number}?format={fmt}")
            assert response.status_code == 404, response.json_body
            assert response.json_body["error"]["field"] == "number"
    assert api.get(f"/api/v1/reports/issued/{2**63 - 1}").status_code == 404
