"""The served /openapi.json is a valid OpenAPI 3.1 document for `openapi-spec-validator`
(issue 16, "OpenAPI": other departments generate clients from it).

Read over WSGI from an embedded system, exactly as a client reads it.
"""

from __future__ import annotations

import inspect
import re
import tempfile
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from werkzeug.test import Client

from services.backbone.http import Gateway, routes_of
from services.backbone.settings import Settings
from services.bootstrap import Runtime


@pytest.fixture(scope="module")
def document() -> dict:
    with tempfile.TemporaryDirectory(prefix="rps-openapi-") as tmp:
        runtime = Runtime.embedded(Settings(data_dir=Path(tmp) / "var"))
        try:
            response = Client(Gateway(runtime.service_objects())).get("/openapi.json")
        finally:
            runtime.close()
    assert response.status_code == 200
    return response.get_json()


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


# issue 16 "OpenAPI": the validator reported 7 errors (default: null on CorrectVisit's non-nullable fields).
def test_served_openapi_has_no_error_for_openapi_spec_validator(document):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
              for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


@pytest.fixture(scope="module")
def sources() -> dict[tuple[str, str], str]:
    """Each operation's handler source, by (METHOD, OpenAPI path)."""
    with tempfile.TemporaryDirectory(prefix="rps-openapi-") as tmp:
        runtime = Runtime.embedded(Settings(data_dir=Path(tmp) / "var"))
        try:
            found = {}
            for service in runtime.service_objects():
                for method, path, bound in routes_of(service):
                    found[(method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path))] = inspect.getsource(
                        getattr(bound, "__func__", bound))
        finally:
            runtime.close()
    return found


# What a handler calls to read the query string (directly or through the services' helpers).
_READS_QUERY = re.compile(
    r"request\.args|_page\(request|_date\(request|_choice\(request|parse_query\(request|_format\(request"
    r"|_int_arg\(request|_find\(request")


# issue 16 "OpenAPI": no query parameter was documented (limit, cursor, status, district, overdue, format, after, …).
def test_every_handler_that_reads_the_query_string_documents_its_parameters(document, sources):
    undocumented = [f"{method} {path}" for (method, path), source in sources.items()
                    if _READS_QUERY.search(source)
                    and not any(p["in"] == "query" for p in document["paths"][path][method.lower()]["parameters"])]
    assert undocumented == []
    lists = {path: {p["name"] for p in item["get"]["parameters"] if p["in"] == "query"}
             for path, item in document["paths"].items()
             if path in ("/api/v1/opinions", "/api/v1/recommendations", "/api/v1/visits", "/api/v1/groups")}
    assert all({"limit", "cursor", "status", "district"} <= names for names in lists.values()), lists
    assert "overdue" in lists["/api/v1/opinions"]
    # R-OPN-1 (amended): the bureau's triage list is a documented boolean filter of the opinions
    [triage] = [p for p in document["paths"]["/api/v1/opinions"]["get"]["parameters"] if p["name"] == "triage"]
    assert triage["in"] == "query" and triage["schema"]["type"] == "boolean" and "R-OPN-1" in triage["schema"]["description"]
    assert "format" in {p["name"] for p in document["paths"]["/api/v1/reports/{kind}/{period}"]["get"]["parameters"]}
    assert "after" in {p["name"] for p in document["paths"]["/api/v1/events/{service}"]["get"]["parameters"]}


# issue 16 "OpenAPI": 10 POST/PUT operations had no request body (every recommendation step, Open311 POST).
def test_every_handler_that_reads_a_body_documents_it(document, sources):
    missing = [f"{method} {path}" for (method, path), source in sources.items()
               if re.search(r"parse_body\(|_step\(|form_fields\(|_submit\(request", source)
               and "requestBody" not in document["paths"][path][method.lower()]]
    assert missing == []
    step = document["paths"]["/api/v1/recommendations/{rec_id}/decline"]["post"]["requestBody"]
    assert step["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Reason"}
    form = document["paths"]["/api/v1/open311/v2/requests.json"]["post"]["requestBody"]["content"]
    assert set(form) == {"application/x-www-form-urlencoded", "multipart/form-data"}
    assert "service_code" in document["components"]["schemas"]["Open311Request"]["required"]


# issue 16 "OpenAPI": all 93 success responses had an empty schema; Open311 errors had the application's shape.
def test_success_answers_have_a_schema_and_open311_errors_the_georeport_shape(document):
    empty = [f"{method} {path} {code}" for method, path, op in _operations(document)
             for code, answer in op["responses"].items() if code.startswith("2")
             for media, content in answer.get("content", {}).items() if media.endswith("json") and not content["schema"]]
    assert empty == []
    opinions = document["paths"]["/api/v1/opinions"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"items", "next_cursor"} <= set(opinions["required"])
    missing = document["paths"]["/api/v1/open311/v2/requests/{ref}.json"]["get"]["responses"]["404"]["content"]
    assert missing["application/json"]["schema"]["items"]["required"] == ["code", "description"]
    assert "text/xml" in document["paths"]["/api/v1/open311/v2/requests.xml"]["get"]["responses"]["200"]["content"]
    report = document["paths"]["/api/v1/reports/{kind}/{period}"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "application/pdf", "text/html"} <= set(report)


# issue 16 "OpenAPI": where a handler returns a fixed shape, the document names its fields.
def test_fixed_answers_name_their_fields(document):
    feed = document["paths"]["/api/v1/events/{service}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert feed["schema"]["required"] == ["events", "next_after"]
    ready = document["paths"]["/health/ready"]["get"]["responses"]
    assert ready["503"]["content"]["application/json"]["schema"]["required"] == ["status", "checks"]
