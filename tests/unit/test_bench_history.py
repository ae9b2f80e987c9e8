"""The benchmarks' history is made by the domain (bench/history.py, issue 17): a small one, generated
in this process, holds only events the services publish, each as the catalogue (docs/asyncapi.yaml)
describes it, in notification order per source."""

from __future__ import annotations

import jsonschema

from bench.history import SOURCES, EventLog, generate
from services.backbone.catalogue import ENVELOPE, catalogue, data_schema
from services.backbone.envelope import TYPE_PREFIX


def test_a_small_history_holds_only_events_the_catalogue_describes(tmp_path):
    made: dict = {}
    generate(str(tmp_path), 4000, 100, 12, 7, made)
    log = EventLog(tmp_path, made["counts"])
    published = catalogue()
    envelope_schema = jsonschema.Draft202012Validator(ENVELOPE)
    data_schemas: dict[str, jsonschema.Draft202012Validator] = {}
    seen = set()
    for source in SOURCES:
        envelopes = list(log.envelopes(source))
        assert [e["position"] for e in envelopes] == list(range(1, made["counts"][source] + 1))
        for envelope in envelopes:
            envelope_schema.validate(envelope)
            prefix, service, name, version = envelope["type"].rsplit(".", 3)
            assert (prefix, service, envelope["source"]) == (TYPE_PREFIX, source, f"rps/{source}")
            spec = published[source][name]
            assert version == f"v{spec['version']}"
            if name not in data_schemas:
                data_schemas[name] = jsonschema.Draft202012Validator(data_schema(spec))
            data_schemas[name].validate(envelope["data"])
            seen.add(name)
    assert sum(made["counts"].values()) == made["total"] == 4000
    assert len(log.tail()) == 100  # the events made after the history (live events), in time order
    # The steps the benchmark depends on all happened: the organisation, visits and their fate, settlements, feedback.
    assert {"GovernmentRegistered", "GroupFormed", "PlannerAssigned", "VisitLogged", "VisitCorrected", "VisitVoided",
            "VisitConfirmed", "FeeSettled", "OpinionSubmitted", "RecommendationForwarded", "LetterIssued",
            "ConsultationRequested", "WorkSummarySubmitted"} <= seen
