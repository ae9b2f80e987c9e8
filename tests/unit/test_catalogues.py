"""The published interface documents stay in step with the code (API.md)."""

from __future__ import annotations

import inspect
from pathlib import Path

from services.backbone.catalogue import asyncapi_yaml, catalogue
from services.backbone.http import routes_of

ROOT = Path(__file__).resolve().parents[2]


def test_docs_asyncapi_is_generated_from_the_current_events():
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8")
    assert committed == asyncapi_yaml(), "docs/asyncapi.yaml is stale: run `.venv/bin/rps asyncapi`"


def test_the_catalogue_names_past_tense_facts_and_carries_no_personal_data():
    # R-OPN-3: events never carry residents' personal data
    events = catalogue()
    assert {"VisitLogged", "GroupFormed", "RecommendationForwarded", "OpinionReceived"} <= {
        name for per_service in events.values() for name in per_service
    }
    for service, per_service in events.items():
        for name, spec in per_service.items():
            assert name[0].isupper() and " " not in name
            assert "contact_phone" not in spec["fields"] and "contact_name" not in spec["fields"], name


def test_every_event_a_real_scenario_publishes_is_catalogued(api, runtime):
    from tests.unit.visits.feed import ContractsFeed

    group = ContractsFeed(runtime).setup("cat")
    assert api.post("/api/v1/visits", group.visit("2022-03-03", 1)).status_code == 201
    listed = {f"{service}.{name}" for service, per in catalogue().items() for name in per}
    for service in ("contracts", "visits", "feedback"):
        for envelope in runtime.app(service).envelopes(0, 1000):
            assert f"{service}.{envelope['type'].split('.')[-2]}" in listed


def test_openapi_lists_every_route_with_its_request_schema(api, runtime):
    document = api.get("/openapi.json").json_body
    assert document["openapi"].startswith("3.")
    for service in runtime.service_objects():
        for method, path, bound in routes_of(service):
            openapi_path = path
            for conv in ("int:", "path:"):
                openapi_path = openapi_path.replace(f"<{conv}", "<")
            openapi_path = openapi_path.replace("<", "{").replace(">", "}")
            operation = document["paths"][openapi_path][method.lower()]
            source = inspect.getsource(getattr(bound, "__func__", bound).__wrapped__)
            if "parse_body(request" in source:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    assert "LogVisit" in document["components"]["schemas"]
