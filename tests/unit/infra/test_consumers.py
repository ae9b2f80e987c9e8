"""Issue 15 item 3: every read model the code declares has a consumer in the
cluster. A projection's ``consumer`` service is run by a `rps project
<consumer>` Deployment in every overlay, so no read model stays empty
(contracts' directory, behind GET /groups, /districts, /governments, had none)."""

from __future__ import annotations

from typing import Any

import pytest

from services.backbone.settings import SERVICES
from services.bootstrap import projection_classes

from .manifests import OVERLAYS, containers, of_kind, render


def declared_consumers() -> dict[str, list[str]]:
    """Consumer service -> the read models (projection names) it keeps, as the code declares them."""
    consumers: dict[str, list[str]] = {}
    for service in SERVICES:
        for cls in projection_classes(service):
            if cls.sources:  # a read model fed by events (not one written by its service directly)
                consumers.setdefault(cls.consumer, []).append(cls.name)
    return consumers


def consumer_problems(docs: list[dict[str, Any]], consumers: dict[str, list[str]]) -> list[str]:
    """A problem per consumer with no Deployment running `rps project <consumer>`."""
    running = {
        tuple(c.get("command", []) + c.get("args", []))
        for d in of_kind(docs, "Deployment")
        for c in containers(d)
    }
    return [
        f"no Deployment runs `rps project {consumer}`: {', '.join(names)} would stay empty"
        for consumer, names in sorted(consumers.items())
        if ("rps", "project", consumer) not in running
    ]


def test_the_code_declares_consumers_for_its_read_models():
    # The test below must have something to check (contracts' directory among them).
    consumers = declared_consumers()
    assert {"contracts", "visits", "feedback", "reporting"} <= set(consumers), consumers
    assert "contracts.directory" in consumers["contracts"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_declared_read_model_has_a_projection_runner(overlay):
    # Issue 15 item 3 (R-ORG-*'s lists answer from contracts.directory): one runner per consumer.
    assert consumer_problems(render(overlay), declared_consumers()) == []


def test_a_missing_runner_is_caught():
    # The check itself: without project-contracts, contracts' read models are named.
    docs = [d for d in render(OVERLAYS[0]) if d["metadata"]["name"] != "project-contracts"]
    problems = consumer_problems(docs, declared_consumers())
    assert len(problems) == 1 and "rps project contracts" in problems[0] and "contracts.directory" in problems[0]
