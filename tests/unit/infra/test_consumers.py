"""Issue 15 item 3, issue 17: every read model the code declares has a consumer in the
cluster. A projection's ``consumer`` service runs its consumer role (`rps serve <consumer>`
with `--role project`, or with no `--role`: every role) in a Deployment of every overlay,
so no read model stays empty (contracts' directory, behind GET /groups, /districts,
/governments, had none)."""

from __future__ import annotations

from typing import Any

import pytest

from services.backbone.declaration import installed_services

from .manifests import OVERLAYS, containers, of_kind, render


def declared_consumers() -> dict[str, list[str]]:
    """Consumer service -> the read models (projection names) it keeps, as the code declares them."""
    consumers: dict[str, list[str]] = {}
    for declaration in installed_services():
        for cls in declaration.projection_classes():
            if cls.sources:  # a read model fed by events (not one written by its service directly)
                consumers.setdefault(cls.consumer, []).append(cls.name)
    return consumers


def consumed_by(command: list[str]) -> str | None:
    """The service whose consumer role ``command`` runs, if it runs one."""
    if command[:2] != ["rps", "serve"] or len(command) < 3:
        return None
    roles = [command[i + 1] for i, part in enumerate(command[:-1]) if part == "--role"]
    return command[2] if not roles or "project" in roles else None


def consumer_problems(docs: list[dict[str, Any]], consumers: dict[str, list[str]]) -> list[str]:
    """A problem per consumer with no Deployment running its consumer role."""
    running = {
        consumed_by(c.get("command", []) + c.get("args", []))
        for d in of_kind(docs, "Deployment")
        for c in containers(d)
    }
    return [
        f"no Deployment runs `rps serve {consumer} --role project`: {', '.join(names)} would stay empty"
        for consumer, names in sorted(consumers.items())
        if consumer not in running
    ]


def test_the_code_declares_consumers_for_its_read_models():
    # The test below must have something to check (contracts' directory among them).
    consumers = declared_consumers()
    assert {"contracts", "visits", "feedback", "reporting"} <= set(consumers), consumers
    assert "contracts.directory" in consumers["contracts"]


def test_the_command_forms_that_run_a_consumer():
    assert consumed_by(["rps", "serve", "visits", "--role", "relay", "--role", "project"]) == "visits"
    assert consumed_by(["rps", "serve", "visits"]) == "visits"  # every role
    assert consumed_by(["rps", "serve", "visits", "--role", "http"]) is None
    assert consumed_by(["rps", "notify"]) is None
    assert consumed_by(["rps", "serve", "feedback", "--role", "notify"]) is None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_declared_read_model_has_a_projection_runner(overlay):
    # Issue 15 item 3 (R-ORG-*'s lists answer from contracts.directory): one runner per consumer.
    assert consumer_problems(render(overlay), declared_consumers()) == []


def test_a_missing_runner_is_caught():
    # The check itself: without contracts-worker, contracts' read models are named.
    docs = [d for d in render(OVERLAYS[0]) if d["metadata"]["name"] != "contracts-worker"]
    problems = consumer_problems(docs, declared_consumers())
    assert len(problems) == 1 and "rps serve contracts --role project" in problems[0]
    assert "contracts.directory" in problems[0]
