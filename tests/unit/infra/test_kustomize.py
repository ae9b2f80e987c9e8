"""infra/k8s: every overlay renders with `kubectl kustomize`, validates against
the Kubernetes schemas offline, and is wired together (issue 9)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.backbone.declaration import publisher_names, service_names
from services.backbone.settings import ConfigurationError, Settings
from services.feedback.settings import FeedbackSettings
from services.reporting.settings import ReportSettings
from services.web.settings import WebSettings

from .manifests import (
    API_SERVICES,
    CRONJOBS,
    K8S,
    NEVER_IN_CONFIGMAP,
    OVERLAYS,
    PROD_SECRET_VARIABLES,
    REPO,
    SECRET_VARIABLES,
    WORKERS,
    WORKLOAD_KINDS,
    containers,
    named,
    of_kind,
    pod_spec,
    render,
    wiring_problems,
    workload_problems,
)

# Every module that reads settings from the environment.
SETTINGS_MODULES = sorted((REPO / "services").rglob("settings.py"))

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


def test_every_service_of_the_settings_is_deployed():
    # A service added to the entry points rps.services needs its Deployment, image and routes here.
    assert set(API_SERVICES) == set(service_names())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_api_service_has_deployment_service_pdb_and_autoscaler(overlay):
    docs = render(overlay)
    for service in API_SERVICES:
        deployment = named(docs, "Deployment", service)
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] + container["args"] == ["rps", "serve", service, "--role", "http"]
        named(docs, "Service", service)
        named(docs, "PodDisruptionBudget", service)
        named(docs, "HorizontalPodAutoscaler", service)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workers_and_notifier_run_two_replicas_with_metrics(overlay):
    docs = render(overlay)
    # Every publisher's outbox is relayed by its worker.
    assert all("relay" in WORKERS[f"{s}-worker"][0] for s in publisher_names())
    for name, (args, image) in WORKERS.items():
        deployment = named(docs, "Deployment", name)
        # Two on purpose: the lease keeps one active, the other on standby.
        assert deployment["spec"]["replicas"] == 2, name
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] + container["args"] == ["rps", *args]
        # The service's own image (the dispatcher is feedback's).
        assert container["image"].rsplit("/", 1)[-1].partition(":")[0] == image, name
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
def test_daily_reminders_run_as_a_cronjob_in_shanghai_time(overlay):
    # R-RPT-8: `rps remind` every day, never two at once, handing the reminders to the feedback Service
    docs = render(overlay)
    for name, (args, image, schedule) in CRONJOBS.items():
        cronjob = named(docs, "CronJob", name)
        spec = cronjob["spec"]
        assert spec["schedule"] == schedule and spec["timeZone"] == "Asia/Shanghai"
        assert spec["concurrencyPolicy"] == "Forbid"
        container = pod_spec(cronjob)["containers"][0]
        assert container["command"] + container["args"] == ["rps", *args]
        assert container["image"].rsplit("/", 1)[-1].partition(":")[0] == image
    feedback = urlsplit(_config(docs)["RPS_FEEDBACK_URL"])
    assert feedback.hostname == "feedback" and feedback.path in ("", "/")
    assert feedback.port in {p["port"] for p in named(docs, "Service", "feedback")["spec"]["ports"]}


def test_cronjob_pod_defaults_match_the_other_workloads():
    # One set of pod settings: the CronJobs' copy (at their depth) says exactly what pod-defaults.yaml says.
    import yaml

    base = K8S / "base"
    plain = yaml.safe_load((base / "pod-defaults.yaml").read_text(encoding="utf-8"))
    cron = yaml.safe_load((base / "pod-defaults-cronjob.yaml").read_text(encoding="utf-8"))
    assert cron["spec"]["jobTemplate"]["spec"]["template"] == plain["spec"]["template"]
    prod = K8S / "overlays" / "prod"
    plain = yaml.safe_load((prod / "secret-env.yaml").read_text(encoding="utf-8"))
    cron = yaml.safe_load((prod / "secret-env-cronjob.yaml").read_text(encoding="utf-8"))
    assert cron["spec"]["jobTemplate"]["spec"]["template"] == plain["spec"]["template"]


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


def _config(docs) -> dict[str, str]:
    configs = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("rps-config")]
    assert len(configs) == 1
    return configs[0]["data"]


def unread_keys(data: dict[str, str], modules: list[Path] = SETTINGS_MODULES) -> list[str]:
    """ConfigMap keys that no settings module reads (a misspelt key is ignored silently)."""
    sources = "\n".join(m.read_text(encoding="utf-8") for m in modules)
    unread = []
    for key in data:
        feed = re.fullmatch(r"RPS_EVENTS_URL_([A-Z]+)", key)
        if feed:
            if feed.group(1).lower() not in publisher_names():
                unread.append(key)
        elif f'"{key}"' not in sources:
            unread.append(key)
    return unread


def test_every_settings_module_is_searched():
    names = {str(m.relative_to(REPO)) for m in SETTINGS_MODULES}
    assert {"services/backbone/settings.py", "services/web/settings.py", "services/feedback/settings.py",
            "services/reporting/settings.py"} <= names, names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configmap_sets_only_variables_the_settings_read(overlay):
    data = _config(render(overlay))
    assert data["RPS_HTTP"].endswith(":8000") and not data["RPS_HTTP"].startswith("127.")
    assert unread_keys(data) == [], "not read by any services/**/settings.py"
    for key in data:
        assert key not in NEVER_IN_CONFIGMAP, f"{key} belongs in the Secret"


def test_configmap_check_catches_a_misspelt_key():
    data = {"RPS_OIDC_ISSUER": "https://id", "RPS_REPORT_ISSUER": "x", "RPS_OPINION_ACKNOWLEDGE_DAYS": "5",
            "RPS_TRUSTED_PROXY_HOP": "1", "RPS_EVENTS_URL_REPORTING": "http://reporting:8000"}
    assert unread_keys(data) == ["RPS_TRUSTED_PROXY_HOP", "RPS_EVENTS_URL_REPORTING"]


# Stand-ins for what the Secret holds, to start the settings as a pod would.
FAKE_SECRETS = {
    "DATABASE_URL": "postgresql://rps:pw@db.test:5432/rps",
    "AMQP_URI": "amqp://rps:pw@mq.test:5672/rps",
    "RPS_PSEUDONYM_KEY": "k" * 40,
    "RPS_SERVICE_TOKEN": "t" * 40,
    "RPS_CHAIN_KEYS": "k1:" + "Y2hhaW4ta2V5LW9uZS1mb3ItdGhlLW1hbmlmZXN0LXRlc3Rz",  # 36 bytes, R-RPT-5
    "RPS_CHAIN_KEY_ID": "k1",
}


def pod_environment(docs, container) -> dict[str, str]:
    """The environment a container starts with: the ConfigMaps it loads, then its own env."""
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(docs, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = FAKE_SECRETS[ref["key"]]
    return env


def _started(env: dict[str, str]):
    """Every settings object a process of the system reads, as it would at start."""
    settings = Settings.from_env(env)
    web = WebSettings.from_env(env, production=settings.production)
    FeedbackSettings.from_env(env)
    ReportSettings.from_env(env)
    return settings, web


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_gets_settings_its_process_accepts(overlay):
    # What RPS_ENV=production refuses (no JWKS, issuer, audience or pseudonym
    # key; a local signing key) fails here, not in a crash-looping pod.
    docs = render(overlay)
    for workload in [d for d in docs if d.get("kind") in WORKLOAD_KINDS]:
        for container in containers(workload):
            env = pod_environment(docs, container)
            try:
                settings, web = _started(env)
            except ConfigurationError as exc:
                pytest.fail(f"{overlay} {workload['metadata']['name']}: {exc}", pytrace=False)
            assert not settings.embedded, "the cluster: DATABASE_URL and AMQP_URI"
            # Behind the ingress: the client is the last X-Forwarded-For entry.
            assert settings.trusted_proxy_hops == 1
            if overlay == "prod":
                assert settings.production and settings.signing_secret is None
                assert settings.jwks_url.startswith("https://")
                assert settings.pseudonym_key == FAKE_SECRETS["RPS_PSEUDONYM_KEY"]
                assert settings.service_token == FAKE_SECRETS["RPS_SERVICE_TOKEN"]
                # The pages sign in at the IdP whose tokens the API accepts.
                assert web.oidc and web.oidc_issuer.startswith("https://")
                assert web.oidc_issuer == settings.jwt_issuer.rstrip("/")
                assert web.oidc_audience == settings.jwt_audience
            else:
                # Development mode: local signing key and development sign-in.
                assert settings.environment == "development" and settings.signing_secret


def test_prod_does_not_start_without_the_secrets_keys():
    docs = render("prod")
    env = pod_environment(docs, containers(named(docs, "Deployment", "web"))[0])
    _started(env)
    with pytest.raises(ConfigurationError, match="RPS_PSEUDONYM_KEY"):
        _started({k: v for k, v in env.items() if k != "RPS_PSEUDONYM_KEY"})
    with pytest.raises(ConfigurationError, match="RPS_JWT_SECRET"):
        _started({**env, "RPS_JWT_SECRET": "s" * 40})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_come_from_the_secret_by_reference(overlay):
    docs = render(overlay)
    data = _config(docs)
    secrets = (*SECRET_VARIABLES, *PROD_SECRET_VARIABLES) if overlay == "prod" else SECRET_VARIABLES
    workloads = [d for d in docs if d.get("kind") in WORKLOAD_KINDS]
    assert [p for w in workloads for p in workload_problems(w, secrets)] == []
    if overlay == "prod":
        assert data["RPS_ENV"] == "production"
    else:
        assert data.get("RPS_ENV", "development") == "development" and "RPS_JWKS_URL" not in data


def test_secret_check_catches_a_missing_key_an_optional_one_and_a_written_value():
    docs = copy.deepcopy(render("prod"))
    deployment = named(docs, "Deployment", "notify")
    env = containers(deployment)[0]["env"]
    env[:] = [e for e in env if e["name"] != "RPS_SERVICE_TOKEN"]
    next(e for e in env if e["name"] == "RPS_PSEUDONYM_KEY")["valueFrom"]["secretKeyRef"]["optional"] = True
    env.append({"name": "RPS_JWT_SECRET", "value": "s" * 40})
    problems = workload_problems(deployment, (*SECRET_VARIABLES, *PROD_SECRET_VARIABLES))
    assert problems == [
        "Deployment notify container rps: RPS_PSEUDONYM_KEY is optional: a pod would start without it",
        "Deployment notify container rps: RPS_SERVICE_TOKEN is not taken from a Secret by secretKeyRef",
        "Deployment notify container rps: RPS_JWT_SECRET is written into the manifest",
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_event_feed_urls_point_at_the_publishing_services(overlay):
    docs = render(overlay)
    data = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("rps-config"))["data"]
    for service in publisher_names():
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
    assert "postgresql://" not in text and "amqp://" not in text and "amqps://" not in text


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
