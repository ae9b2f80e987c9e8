"""Reading infra/: rendering the Kustomize overlays and the checks the tests
apply to what they render. The checks return a list of problems (empty when
all is well) so the tests can also show that each one catches a broken
manifest."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterable, Iterator

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"
K8S = INFRA / "k8s"
OVERLAYS = sorted(p.parent.name for p in (K8S / "overlays").glob("*/kustomization.yaml"))

# The HTTP services (`rps serve SERVICE --role http`): every one of settings.SERVICES
# (test_kustomize checks that the two agree).
API_SERVICES = ("contracts", "visits", "feedback", "reporting", "web")
PUBLISHERS = ("contracts", "visits", "feedback")
PROJECTORS = ("reporting", "visits", "feedback", "contracts")


def _singleton_roles(service: str) -> list[str]:
    roles = [role for role, has in (("relay", service in PUBLISHERS), ("project", service in PROJECTORS)) if has]
    return [part for role in roles for part in ("--role", role)]


# The singletons (a lease, one active and one standby): Deployment ->
# the `rps` arguments it runs and the image it runs them from. Each service's
# worker runs its relay and its read models' consumer; the dispatcher is feedback's.
WORKERS = {
    **{f"{s}-worker": (["serve", s, *_singleton_roles(s)], f"rps-{s}") for s in API_SERVICES if _singleton_roles(s)},
    "notify": (["serve", "feedback", "--role", "notify"], "rps-feedback"),
}
HTTP_PORT = 8000
METRICS_PORT = 9100
# From the Secret rps-secrets by secretKeyRef in every pod of every overlay ...
SECRET_VARIABLES = ("DATABASE_URL", "AMQP_URI", "RPS_CHAIN_KEYS", "RPS_CHAIN_KEY_ID")  # chain keys: R-RPT-5
# ... and, in production, these too (RPS_ENV=production refuses to start
# without the pseudonym key; the service token reads other services' feeds).
PROD_SECRET_VARIABLES = ("RPS_PSEUDONYM_KEY", "RPS_SERVICE_TOKEN")
# Never a ConfigMap key (a ConfigMap is readable by anyone who may read the
# namespace's configuration, and lands in the repository).
NEVER_IN_CONFIGMAP = (
    *SECRET_VARIABLES, *PROD_SECRET_VARIABLES, "RPS_JWT_SECRET", "RPS_NOTIFY_WEBHOOK_SECRET",
)
# What the pods answer that must stay inside the cluster (API.md, HTTP).
OPERATIONAL_PATHS = ("/metrics", "/health/live", "/health/ready", "/openapi.json")
WORKLOAD_KINDS = ("Deployment", "Job", "StatefulSet", "DaemonSet", "CronJob")
# The scheduled jobs: CronJob -> (the `rps` arguments it runs, the image, the schedule).
CRONJOBS = {
    "remind": (["remind"], "rps-reporting", "0 8 * * *"),
    # R-SEC-4 / issue 16: residents' personal data past its retention, erased every night.
    "purge-personal-data": (["purge-personal-data"], "rps-feedback", "30 3 * * *"),
}


# -- rendering ------------------------------------------------------------

def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        # Issue 15: a missing tool fails the suite, it does not skip (`make k8s-lint` says where to get it).
        pytest.fail(
            "kubectl not found: install kubectl 1.32 or newer (it bundles kustomize 5.5) "
            "to render and check infra/k8s", pytrace=False
        )
    return path


@functools.lru_cache(maxsize=None)
def _render(directory: str, kubectl_path: str) -> tuple[dict[str, Any], ...]:
    done = subprocess.run(
        [kubectl_path, "kustomize", directory], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        pytest.fail(f"kubectl kustomize {directory} failed:\n{done.stderr}", pytrace=False)
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def render(overlay: str) -> list[dict[str, Any]]:
    """The overlay's manifests as kubectl would apply them."""
    return list(_render(str(K8S / "overlays" / overlay), kubectl()))


def of_kind(docs: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def named(docs: Iterable[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    if workload.get("kind") == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return workload["spec"]["template"]["spec"]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def label(doc: dict[str, Any], key: str = "app.kubernetes.io/name") -> str | None:
    return (doc.get("metadata", {}).get("labels") or {}).get(key)


# -- quantities -----------------------------------------------------------

_SUFFIXES = {
    "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}


def quantity(value: Any) -> float:
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(value))
    if not match or match.group(2) not in _SUFFIXES:
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    return float(match.group(1)) * _SUFFIXES[match.group(2)]


# -- checks ---------------------------------------------------------------

def workload_problems(workload: dict[str, Any], secrets: Iterable[str] = SECRET_VARIABLES) -> list[str]:
    """Hardening and configuration every pod of the system must have; ``secrets``:
    the variables that must come from the Secret rps-secrets by secretKeyRef."""
    name = f"{workload['kind']} {workload['metadata']['name']}"
    problems: list[str] = []
    spec = pod_spec(workload)
    pod_sc = spec.get("securityContext") or {}
    if pod_sc.get("runAsUser") == 0:
        problems.append(f"{name}: pod runs as uid 0")
    if not pod_sc.get("seccompProfile"):
        problems.append(f"{name}: no seccompProfile")
    tmp_volumes = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
    for c in containers(workload):
        where = f"{name} container {c['name']}"
        sc = c.get("securityContext") or {}
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            problems.append(f"{where}: runAsNonRoot is not true")
        if sc.get("runAsUser") == 0:
            problems.append(f"{where}: runs as uid 0")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{where}: capabilities do not drop ALL")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        if mounts.get("/tmp") not in tmp_volumes:
            problems.append(f"{where}: /tmp is not an emptyDir (the root filesystem is read-only)")
        resources = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(kind) or {}):
                    problems.append(f"{where}: no {resource} {kind[:-1]}")
        for resource in ("cpu", "memory"):
            req = (resources.get("requests") or {}).get(resource)
            lim = (resources.get("limits") or {}).get(resource)
            if req is not None and lim is not None and quantity(req) > quantity(lim):
                problems.append(f"{where}: {resource} request {req} exceeds its limit {lim}")
        image = c.get("image", "")
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            problems.append(f"{where}: image {image!r} has no pinned tag")
        env = {e["name"]: e for e in c.get("env", [])}
        for variable in secrets:
            ref = ((env.get(variable) or {}).get("valueFrom") or {}).get("secretKeyRef")
            if not ref or ref.get("key") != variable or ref.get("name") != "rps-secrets":
                problems.append(f"{where}: {variable} is not taken from a Secret by secretKeyRef")
            elif ref.get("optional"):
                problems.append(f"{where}: {variable} is optional: a pod would start without it")
        for variable in NEVER_IN_CONFIGMAP:
            if (env.get(variable) or {}).get("value") is not None:
                problems.append(f"{where}: {variable} is written into the manifest")
        if not any("configMapRef" in source for source in c.get("envFrom", [])):
            problems.append(f"{where}: no envFrom configMapRef")
    return problems


def _port_number(container: dict[str, Any], port: Any) -> int | None:
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def probe_problems(deployment: dict[str, Any]) -> list[str]:
    """An API service: liveness on /health/live and readiness on /health/ready, port 8000."""
    name = f"Deployment {deployment['metadata']['name']}"
    problems = []
    for c in pod_spec(deployment)["containers"]:
        for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
            http = (c.get(probe) or {}).get("httpGet")
            if not http:
                problems.append(f"{name}: no {probe} httpGet")
                continue
            if http.get("path") != path:
                problems.append(f"{name}: {probe} checks {http.get('path')!r}, not {path}")
            if _port_number(c, http.get("port")) != HTTP_PORT:
                problems.append(f"{name}: {probe} is not on port {HTTP_PORT}")
    return problems


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    match_labels = selector.get("matchLabels", selector if "matchExpressions" not in selector else {})
    if any(labels.get(k) != v for k, v in (match_labels or {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and value is None:
            return False
        if op == "DoesNotExist" and value is not None:
            return False
    return True


def wiring_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Selectors, ports and names that must point at something that exists."""
    problems = []
    deployments = of_kind(docs, "Deployment")
    services = of_kind(docs, "Service")
    pods = [(d, d["spec"]["template"]["metadata"]["labels"]) for d in deployments]
    for d, labels in pods:
        if not _selects(d["spec"]["selector"], labels):
            problems.append(f"Deployment {d['metadata']['name']}: selector does not match its own pods")
    for svc in services:
        name = svc["metadata"]["name"]
        targets = [d for d, labels in pods if _selects(svc["spec"]["selector"], labels)]
        if len(targets) != 1:
            problems.append(f"Service {name}: selects {len(targets)} Deployments, expected 1")
            continue
        container_ports = {p.get("name"): p["containerPort"] for c in pod_spec(targets[0])["containers"] for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if target not in container_ports and target not in container_ports.values():
                problems.append(f"Service {name}: targetPort {target!r} is no port of its pods")
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        targets = [d for d, labels in pods if _selects(pdb["spec"]["selector"], labels)]
        if len(targets) != 1:
            problems.append(f"PodDisruptionBudget {pdb['metadata']['name']}: selects {len(targets)} Deployments")
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        target = [d for d in deployments if d["metadata"]["name"] == ref["name"] and ref["kind"] == "Deployment"]
        if not target:
            problems.append(f"HorizontalPodAutoscaler {hpa['metadata']['name']}: no Deployment {ref['name']}")
        elif "replicas" in target[0]["spec"]:
            problems.append(f"Deployment {ref['name']}: sets replicas though an autoscaler owns the count")
        if hpa["spec"].get("minReplicas", 1) > hpa["spec"]["maxReplicas"]:
            problems.append(f"HorizontalPodAutoscaler {hpa['metadata']['name']}: minReplicas > maxReplicas")
        for c in pod_spec(target[0])["containers"] if target else ():
            if not (c.get("resources") or {}).get("requests", {}).get("cpu"):
                problems.append(f"HorizontalPodAutoscaler {hpa['metadata']['name']}: CPU target without a CPU request")
    configmaps = {c["metadata"]["name"] for c in of_kind(docs, "ConfigMap")}
    for workload in [d for d in docs if d.get("kind") in WORKLOAD_KINDS]:
        spec = pod_spec(workload)
        if spec.get("serviceAccountName") and spec["serviceAccountName"] not in {
            s["metadata"]["name"] for s in of_kind(docs, "ServiceAccount")
        }:
            problems.append(f"{workload['kind']} {workload['metadata']['name']}: no ServiceAccount {spec['serviceAccountName']}")
        for c in containers(workload):
            for source in c.get("envFrom", []):
                ref = (source.get("configMapRef") or {}).get("name")
                if ref and ref not in configmaps:
                    problems.append(f"{workload['kind']} {workload['metadata']['name']}: no ConfigMap {ref}")
    for monitor in of_kind(docs, "ServiceMonitor"):
        selected = [s for s in services if _selects(monitor["spec"]["selector"], s["metadata"].get("labels") or {})]
        if not selected:
            problems.append(f"ServiceMonitor {monitor['metadata']['name']}: selects no Service")
        for endpoint in monitor["spec"]["endpoints"]:
            for s in selected:
                if endpoint.get("port") not in {p.get("name") for p in s["spec"]["ports"]}:
                    problems.append(
                        f"ServiceMonitor {monitor['metadata']['name']}: Service {s['metadata']['name']} "
                        f"has no port named {endpoint.get('port')!r}"
                    )
    return problems


def ingress_routes(docs: list[dict[str, Any]]) -> Iterator[tuple[str, str, str, Any]]:
    """(host, path, service, port) of every rule of every Ingress."""
    for host, path, _, service, port in ingress_rules(docs):
        yield host, path, service, port


def ingress_rules(docs: list[dict[str, Any]]) -> Iterator[tuple[str, str, str, str, Any]]:
    """(host, path, pathType, service, port) of every rule of every Ingress."""
    for ingress in of_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in (rule.get("http") or {}).get("paths", []):
                backend = path["backend"]["service"]
                port = backend["port"].get("name", backend["port"].get("number"))
                yield rule.get("host"), path["path"], path.get("pathType"), backend["name"], port


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def ingress_backend(docs: list[dict[str, Any]], request_path: str) -> str | None:
    """The Service a request for ``request_path`` reaches through the Ingresses, or None.

    Kubernetes' rules: `Exact` matches the path as written; `Prefix` matches
    whole path segments (`/web` matches `/web/a.js`, not `/webx`; `/` matches
    everything); the longest match wins, `Exact` before `Prefix` on a tie.
    `ImplementationSpecific` is treated as `Prefix` (what ingress-nginx does).
    """
    best: tuple[int, int, str] | None = None
    for _, path, path_type, service, _ in ingress_rules(docs):
        if path_type == "Exact":
            if request_path != path:
                continue
            rank = (len(path), 1)
        else:
            rule = _segments(path)
            if _segments(request_path)[: len(rule)] != rule:
                continue
            rank = (len(path.rstrip("/")), 0)
        if best is None or rank > best[:2]:
            best = (*rank, service)
    return best[2] if best else None
