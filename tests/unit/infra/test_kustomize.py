"""infra/k8s: every overlay renders with `kubectl kustomize`, validates against
the Kubernetes schemas offline, and is wired together (issue 9)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.backbone import settings as rps_settings

from .manifests import (
    API_SERVICES,
    K8S,
    OVERLAYS,
    SECRET_VARIABLES,
    named,
    of_kind,
    render,
    wiring_problems,
)

# The Kubernetes release whose schemas the manifests must satisfy: that of
# the kubectl on the project's machines (1.32). Raise it with the city's cluster.
KUBERNETES_VERSION = "1.32.0"
# Prometheus Operator CRDs: kubernetes-validate has no schema for them;
# test_monitoring.py checks their structure instead.
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}


def test_dev_and_prod_overlays_exist():
    assert {"dev", "prod"} <= set(OVERLAYS), f"overlays found: {OVERLAYS}"
    assert (K8S / "base" / "kustomization.yaml").is_file()


@pytest.fixture(scope="module")
def validator():
    try:
        import kubernetes_validate
    except ImportError:  # part of the `test` extra: a missing install is a failure, not a skip
        pytest.fail(
            "kubernetes-validate is not installed: .venv/bin/pip install -c constraints.txt -e '.[test]'",
            pytrace=False,
        )
    return kubernetes_validate


def _schema_errors(validator, docs):
    errors = []
    for doc in docs:
        if doc["kind"] in OPERATOR_KINDS:
            continue
        try:
            # strict: an unknown field (a misspelt key) is an error, not ignored
            validator.validate(doc, KUBERNETES_VERSION, strict=True)
        except validator.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            errors.append(f"{doc['kind']} {doc['metadata'].get('name')}: {where}: {exc.message}")
        except validator.SchemaNotFoundError as exc:
            errors.append(exc.message)
    return errors


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_against_kubernetes_schemas(overlay, validator):
    docs = render(overlay)
    checked = [d for d in docs if d["kind"] not in OPERATOR_KINDS]
    assert len(checked) >= 30, f"{overlay} rendered only {len(checked)} resources"
    assert _schema_errors(validator, docs) == []


def test_schema_validation_rejects_a_misspelt_field_and_a_wrong_type(validator):
    docs = copy.deepcopy(render(OVERLAYS[0]))
    deployment = of_kind(docs, "Deployment")[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbes"] = {}
    of_kind(docs, "HorizontalPodAutoscaler")[0]["spec"]["maxReplicas"] = "six"
    errors = _schema_errors(validator, docs)
    assert any("livenesProbes" in e for e in errors), errors
    assert any("'six' is not of type" in e for e in errors), errors


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_api_service_has_deployment_service_pdb_and_autoscaler(overlay):
    docs = render(overlay)
    for service in API_SERVICES:
        deployment = named(docs, "Deployment", service)
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] + container["args"] == ["rps", "serve", service]
        named(docs, "Service", service)
        named(docs, "PodDisruptionBudget", service)
        named(docs, "HorizontalPodAutoscaler", service)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_relays_and_projection_runners_run_two_replicas_with_metrics(overlay):
    docs = render(overlay)
    expected = {f"relay-{s}": ["relay", s] for s in rps_settings.PUBLISHERS}
    expected.update({f"project-{s}": ["project", s] for s in ("reporting", "visits", "feedback")})
    for name, args in expected.items():
        deployment = named(docs, "Deployment", name)
        # Two on purpose: the advisory lock keeps one active, the other on standby.
        assert deployment["spec"]["replicas"] == 2, name
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] + container["args"] == ["rps", *args]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env.get("RPS_METRICS_PORT") == "9100", name
        assert 9100 in {p["containerPort"] for p in container.get("ports", [])}, name
        assert named(docs, "Service", name)["spec"]["ports"][0]["port"] == 9100


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_runs_as_a_job_not_from_a_start_script(overlay):
    docs = render(overlay)
    job = named(docs, "Job", "migrate")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] + container["args"] == ["rps", "migrate"]
    for deployment in of_kind(docs, "Deployment"):
        c = deployment["spec"]["template"]["spec"]["containers"][0]
        assert "migrate" not in c["command"] + c.get("args", []), deployment["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_selectors_ports_and_references_resolve(overlay):
    assert wiring_problems(render(overlay)) == []


def test_wiring_check_catches_a_service_selecting_nothing_and_an_orphan_autoscaler():
    docs = copy.deepcopy(render(OVERLAYS[0]))
    named(docs, "Service", "visits")["spec"]["selector"] = {"app.kubernetes.io/name": "visitz"}
    named(docs, "HorizontalPodAutoscaler", "feedback")["spec"]["scaleTargetRef"]["name"] = "feedbak"
    problems = wiring_problems(docs)
    assert any(p.startswith("Service visits: selects 0") for p in problems), problems
    assert any("no Deployment feedbak" in p for p in problems), problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configmap_sets_only_variables_the_settings_read(overlay):
    # A misspelt key would be ignored silently by Settings.from_env.
    source = Path(rps_settings.__file__).read_text(encoding="utf-8")
    configs = [c for c in of_kind(render(overlay), "ConfigMap") if c["metadata"]["name"].startswith("rps-config")]
    assert len(configs) == 1
    data = configs[0]["data"]
    assert data["RPS_HTTP"].endswith(":8000") and not data["RPS_HTTP"].startswith("127.")
    for key in data:
        feed = re.fullmatch(r"RPS_EVENTS_URL_([A-Z]+)", key)
        if feed:
            assert feed.group(1).lower() in rps_settings.PUBLISHERS, key
        else:
            assert f'"{key}"' in source, f"{key} is not read in services/backbone/settings.py"
        assert key not in SECRET_VARIABLES, f"{key} belongs in the Secret"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_event_feed_urls_point_at_the_publishing_services(overlay):
    docs = render(overlay)
    data = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("rps-config"))["data"]
    for service in rps_settings.PUBLISHERS:
        url = urlsplit(data[f"RPS_EVENTS_URL_{service.upper()}"])
        assert url.hostname == service and url.path == f"/api/v1/events/{service}"
        ports = {p["port"] for p in named(docs, "Service", url.hostname)["spec"]["ports"]}
        assert url.port in ports


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_values_are_rendered(overlay):
    # DATABASE_URL and AMQP_URI come from a Secret made outside the repository.
    docs = render(overlay)
    assert of_kind(docs, "Secret") == []
    text = repr(docs)
    assert "postgresql://" not in text and "amqp://" not in text


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lands_in_the_overlay_namespace(overlay):
    docs = render(overlay)
    namespaces = [n["metadata"]["name"] for n in of_kind(docs, "Namespace")]
    assert len(namespaces) == 1
    assert of_kind(docs, "Namespace")[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespaces[0], f"{doc['kind']} {doc['metadata']['name']}"


def test_prod_runs_released_images_and_at_least_three_replicas():
    docs = render("prod")
    for deployment in of_kind(docs, "Deployment"):
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert re.search(r":\d+\.\d+\.\d+$", image), f"prod image {image} is not a release tag"
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] >= 3
