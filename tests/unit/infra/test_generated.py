"""Issue 17 item 5: the Kubernetes manifests follow from the service declarations. Each
installed service's Deployments (infra/k8s/base/services/, written by infra/k8s/generate.py)
are what its declaration generates: a service with read models is deployed with their
consumer, one with an outbox with its relay."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import yaml

from services.backbone.declaration import declaration_of, installed_services

from .manifests import K8S

GENERATED = K8S / "base" / "services"


def _generator():
    spec = importlib.util.spec_from_file_location("rps_k8s_generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_manifests_are_what_the_declarations_generate():
    stale = _generator().differences(GENERATED)
    assert stale == [], f"run `make k8s-manifests` (infra/k8s/generate.py): {stale} differ"


def test_a_changed_or_left_over_file_is_caught(tmp_path: Path):
    generator = _generator()
    generator.write(tmp_path)
    assert generator.differences(tmp_path) == []
    first = tmp_path / "contracts.yaml"  # its worker's replicas: 2 changed by hand
    first.write_text(first.read_text(encoding="utf-8").replace("replicas: 2", "replicas: 1"), encoding="utf-8")
    (tmp_path / "retired.yaml").write_text("{}\n", encoding="utf-8")
    assert generator.differences(tmp_path) == sorted([first.name, "retired.yaml"])


def test_each_service_runs_every_role_it_declares():
    # An outbox is relayed and read models are consumed wherever the service is deployed.
    docs = {
        doc["metadata"]["name"]: doc
        for path in GENERATED.glob("*.yaml") if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc and doc["kind"] == "Deployment"
    }
    for declaration in installed_services():
        name = declaration.name
        http = docs[name]["spec"]["template"]["spec"]["containers"][0]
        assert http["args"] == ["serve", name, "--role", "http"]
        wanted = [r for r, has in (("relay", declaration.publishes), ("project", bool(declaration.projection_classes())))
                  if has]
        for declared in declaration.workers:
            if declared.role:  # its own pods, labelled by the worker (the NetworkPolicy's rules)
                role = docs[declared.role]
                assert role["spec"]["replicas"] == 2  # one active, one standby (the lease)
                assert role["metadata"]["labels"]["app.kubernetes.io/component"] == declared.name
                assert role["spec"]["template"]["spec"]["containers"][0]["args"] == ["serve", name, "--role", declared.role]
        if not wanted:
            assert f"{name}-worker" not in docs
            continue
        worker = docs[f"{name}-worker"]
        assert worker["spec"]["replicas"] == 2  # one active, one standby (the leases)
        args = worker["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args == ["serve", name, *(part for role in wanted for part in ("--role", role))]


def test_the_notifier_is_generated_as_feedback_declares_it():
    # Its role in feedback's container, its own Deployment (the gateway's egress is the notifier's alone).
    assert [(w.name, w.role) for w in declaration_of("feedback").workers] == [("notifier", "notify")]
    assert not (K8S / "base" / "workers" / "notifier.yaml").exists()


# -- the monitoring's per-service parts (issue 17 item 1: the core names no service) ---------

def test_the_committed_availability_alerts_and_panels_are_what_the_declarations_generate():
    stale = _generator().monitoring_differences()
    assert stale == [], f"run `make k8s-manifests` (infra/k8s/generate.py): infra/{stale} differ"


def test_a_hand_edited_alert_or_panel_is_caught(tmp_path: Path):
    generator = _generator()
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "grafana").mkdir()
    board = K8S.parent / "grafana" / "rps-operations.json"
    (tmp_path / "grafana" / board.name).write_text(board.read_text(encoding="utf-8"), encoding="utf-8")
    generator.write_monitoring(tmp_path)
    assert generator.monitoring_differences(tmp_path) == []
    rules = tmp_path / "prometheus" / "availability.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace('|web"', '"'), encoding="utf-8")
    written = tmp_path / "grafana" / board.name
    written.write_text(written.read_text(encoding="utf-8").replace("|notify", ""), encoding="utf-8")
    assert generator.monitoring_differences(tmp_path) == ["grafana/rps-operations.json", "prometheus/availability.yaml"]


def test_every_deployment_of_every_service_is_in_the_availability_alerts_and_panels():
    # The jobs are those of the generated Deployments' Services, service by service.
    generator = _generator()
    services = {}
    for path in GENERATED.glob("*.yaml"):
        if path.name != "kustomization.yaml":
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d and d["kind"] == "Service"]
            services[path.stem] = [d["metadata"]["name"] for d in docs]
    assert {name: generator.jobs_of(name) for name in services} == services
    rules = yaml.safe_load((K8S.parent / "prometheus" / "availability.yaml").read_text(encoding="utf-8"))
    by_name = {r["alert"]: r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]}
    for declaration in installed_services():
        name = declaration.name
        assert f'absent(up{{job="{name}"}})' in by_name["RpsServiceDown"]
        assert all(job in by_name["RpsTargetDown"] for job in services[name])
        assert all(job in by_name["RpsWorkerDown"] for job in services[name][1:])
    board = json.loads((K8S.parent / "grafana" / "rps-operations.json").read_text(encoding="utf-8"))
    panels = {p["title"]: p["targets"][0]["expr"] for p in board["panels"] if p["title"].endswith(": replicas answering scrapes")}
    assert panels == {
        f"{name}: replicas answering scrapes": f'sum by (job) (up{{namespace="$namespace",job=~"{"|".join(jobs)}"}})'
        for name, jobs in services.items()
    }
