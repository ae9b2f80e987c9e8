"""Must not regress (issue 17): the event stores the previous release wrote load unchanged after
its modules and classes moved (contracts' and feedback's domains became packages, every event
class took its type's name). tests/fixtures/previous-release: stores with every event type of
contracts, visits and feedback, and what that release published and reported from them."""

from __future__ import annotations

import json
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import CanInitAggregate
from eventsourcing.utils import resolve_topic

from services.backbone.catalogue import catalogue
from services.backbone.envelope import event_type_name, sequence_number, sequence_text

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "previous-release"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
SERVICES = ("contracts", "visits", "feedback")
# Event types added since that release, which its stores cannot hold (issue 19: R-TEAM-1).
ADDED_SINCE = {"contracts": {"TeamRegistered", "TeamQualificationRecorded", "InstitutionRegistered"}}


@pytest.fixture
def previous_stores(tmp_path) -> Path:
    """The stores in the data directory the ``runtime`` fixture opens (requested before it)."""
    with tarfile.open(FIXTURE / "var.tar.xz") as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "var"


def published(envelope: dict[str, Any]) -> dict[str, Any]:
    return {k: envelope[k] for k in ("type", "subject", "sequence", "position", "data")}


def as_amended(envelope: dict[str, Any]) -> dict[str, Any]:
    """The previous release published ``sequence`` as an integer; API.md now says the
    zero-padded string (issue 16), everything else unchanged."""
    return {**envelope, "sequence": sequence_text(envelope["sequence"])}


def without_clock(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "generated_at"}  # when it was computed


def test_every_topic_the_previous_release_stored_names_the_same_aggregate_or_event(previous_stores, runtime):
    # the old topics are registered when the services' domains are imported (the runtime imports them)
    assert EXPECTED["topics"]
    for topic, was in EXPECTED["topics"].items():
        cls = resolve_topic(topic)
        if was["type"] is None:
            assert cls.__name__ == was["aggregate"], topic
        else:
            assert cls.__qualname__.split(".")[0] == was["aggregate"], topic
            assert (event_type_name(cls), issubclass(cls, CanInitAggregate)) == (was["type"], was["creates"]), topic


def test_the_previous_release_stores_publish_load_and_report_as_they_did(previous_stores, frozen_clock, runtime, api):
    # frozen_clock: the business date the stores were written on (make_store.py's TODAY)
    listed = catalogue()
    for service in SERVICES:
        app = runtime.app(service)
        envelopes = app.envelopes(0, 100_000)
        # what a subscriber is sent: the same envelopes, event for event
        assert [published(e) for e in envelopes] == [as_amended(e) for e in EXPECTED["envelopes"][service]], service
        counts: dict[str, int] = {}
        for envelope in envelopes:
            name = envelope["type"].split(".")[-2]
            counts[name] = counts.get(name, 0) + 1
        assert counts == EXPECTED["events"][service], service
        assert set(counts) == set(listed[service]) - ADDED_SINCE.get(service, set()), (
            f"{service}: the fixture lacks an event type")
        # every aggregate loads (two feedback aggregates from the previous release's snapshots)
        versions: dict[str, int] = {}
        for envelope in envelopes:
            versions[envelope["subject"]] = sequence_number(envelope)
        for subject, version in versions.items():
            aggregate = app.repository.get(uuid.UUID(subject))
            assert aggregate.version == version, (service, subject)
    snapshots = runtime.app("feedback").snapshots
    assert snapshots is not None and len(list(snapshots.recorder.select_events(
        uuid.UUID(next(e["subject"] for e in EXPECTED["envelopes"]["feedback"]
                       if e["type"].endswith(".RecommendationVerified.v1")))))) == 1
    # the read models rebuilt from the stored events give the reports the previous release gave
    runtime.rebuild()
    for path, report in EXPECTED["reports"].items():
        response = api.get(path)
        assert response.status_code == 200, path
        assert without_clock(response.json_body) == without_clock(report), path
