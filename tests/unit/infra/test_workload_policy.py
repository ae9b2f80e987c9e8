"""Every pod of the system is hardened and sized, and every API service is
probed on its health endpoints (issue 9)."""

from __future__ import annotations

import copy

import pytest

from .manifests import (
    API_SERVICES,
    CRONJOBS,
    OVERLAYS,
    WORKERS,
    WORKLOAD_KINDS,
    named,
    pod_spec,
    probe_problems,
    render,
    workload_problems,
)
from .test_dockerfile import final_stage_user


def _workloads(docs):
    return [d for d in docs if d.get("kind") in WORKLOAD_KINDS]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_is_non_root_read_only_limited_and_configured(overlay):
    workloads = _workloads(render(overlay))
    # 5 services, 4 workers (3 relays, 4 consumers), the notifier, the migration, the daily
    # reminders and the nightly purge of personal data (R-SEC-4)
    assert len(workloads) == len(API_SERVICES) + len(WORKERS) + 1 + len(CRONJOBS) == 13, [
        w["metadata"]["name"] for w in workloads]
    problems = [p for w in workloads for p in workload_problems(w)]
    assert problems == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_api_service_is_probed_on_its_health_endpoints(overlay):
    docs = render(overlay)
    problems = [p for s in API_SERVICES for p in probe_problems(named(docs, "Deployment", s))]
    assert problems == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_the_user_the_image_declares(overlay):
    uid = final_stage_user().partition(":")[0]
    assert uid.isdigit(), "the image's USER must be numeric for runAsNonRoot to verify it"
    for workload in _workloads(render(overlay)):
        assert str(pod_spec(workload)["securityContext"]["runAsUser"]) == uid, workload["metadata"]["name"]


def test_policy_catches_root_writable_unlimited_and_plain_secret():
    deployment = copy.deepcopy(named(render(OVERLAYS[0]), "Deployment", "visits"))
    spec = pod_spec(deployment)
    spec["securityContext"] = {"runAsUser": 0}
    container = spec["containers"][0]
    container["securityContext"] = {"readOnlyRootFilesystem": False}
    container["resources"] = {"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"cpu": "1"}}
    container["volumeMounts"] = []
    container["env"] = [{"name": "DATABASE_URL", "value": "postgresql://rps:secret@db/rps"}]
    container["image"] = "rps-visits:latest"
    problems = "\n".join(workload_problems(deployment))
    for expected in (
        "pod runs as uid 0",
        "runAsNonRoot is not true",
        "readOnlyRootFilesystem is not true",
        "allowPrivilegeEscalation is not false",
        "capabilities do not drop ALL",
        "/tmp is not an emptyDir",
        "no memory limit",
        "cpu request 2 exceeds its limit 1",
        "DATABASE_URL is not taken from a Secret",
        "AMQP_URI is not taken from a Secret",
        "has no pinned tag",
    ):
        assert expected in problems


def test_probe_check_catches_missing_and_misdirected_probes():
    deployment = copy.deepcopy(named(render(OVERLAYS[0]), "Deployment", "reporting"))
    container = pod_spec(deployment)["containers"][0]
    del container["readinessProbe"]
    container["livenessProbe"]["httpGet"] = {"path": "/metrics", "port": 9100}
    problems = "\n".join(probe_problems(deployment))
    assert "no readinessProbe" in problems
    assert "livenessProbe checks '/metrics'" in problems
    assert "livenessProbe is not on port 8000" in problems
