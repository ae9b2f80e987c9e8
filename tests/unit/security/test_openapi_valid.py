"""The served /openapi.json is a valid OpenAPI 3.1 document for `openapi-spec-validator`
(issue 16, "OpenAPI": other departments generate clients from it).

Read over WSGI from an embedded system, exactly as a client reads it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from werkzeug.test import Client

from services.backbone.http import Gateway
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
