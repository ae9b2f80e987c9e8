"""infra/k8s NetworkPolicy (issue 15 item 12): default-deny per namespace, then the
ingress controller to the HTTP ports, Prometheus to the metrics ports, each role to
the servers it uses and nothing else. The rendered overlays' policies are evaluated
with Kubernetes' rules (a pod selected by a policy of a direction accepts only what
one of those policies allows; both the sender's egress and the receiver's ingress
must allow a connection); the schemas are checked with the other manifests
(test_kustomize.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from .manifests import OVERLAYS, WORKLOAD_KINDS, _selects, of_kind, pod_spec, render


@dataclass(frozen=True)
class Peer:
    namespace: str | None  # None: outside the cluster (PostgreSQL, RabbitMQ, the IdP, the gateway)
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    name: str = ""


OUTSIDE = Peer(None, name="a server outside the cluster")
INGRESS_CONTROLLER = Peer("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, "the ingress controller")
PROMETHEUS = Peer("monitoring", {"app.kubernetes.io/name": "prometheus"}, "Prometheus")
DNS = Peer("kube-system", {"k8s-app": "kube-dns"}, "the cluster DNS")
STRANGER = Peer("another-app", {"app": "x"}, "a pod of another namespace")

HTTP, METRICS = 8000, 9100
# What each role reaches: (peer kind, port, protocol). "api": an API pod of its namespace.
SERVERS = {
    "dns": ("dns", 53, "UDP"),
    "postgresql": ("outside", 5432, "TCP"),
    "rabbitmq": ("outside", 5672, "TCP"),
    "https": ("outside", 443, "TCP"),
    "api": ("api", HTTP, "TCP"),
}
NEEDS = {
    "api": {"dns", "postgresql", "rabbitmq", "https"},  # https: the IdP's JWKS
    "worker": {"dns", "postgresql", "rabbitmq", "api"},  # the relay and the consumer; api: the event feeds
    "notifier": {"dns", "postgresql", "https"},  # https: the notification gateway
    "migration": {"dns", "postgresql", "api"},
    "reminders": {"dns", "postgresql", "api"},  # api: feedback's reminders endpoint
    "retention": {"dns", "postgresql"},  # R-SEC-4: rps purge-personal-data writes feedback's schema only
}


# -- Kubernetes' NetworkPolicy semantics ----------------------------------------

def _peer_matches(rule_peer: dict[str, Any], peer: Peer, namespace: str) -> bool:
    if "ipBlock" in rule_peer:
        return peer.namespace is None
    if peer.namespace is None:
        return False
    ns_selector = rule_peer.get("namespaceSelector")
    if ns_selector is None:
        in_namespace = peer.namespace == namespace
    else:
        in_namespace = _selects(ns_selector, {"kubernetes.io/metadata.name": peer.namespace})
    pod_selector = rule_peer.get("podSelector")
    return in_namespace and (pod_selector is None or _selects(pod_selector, peer.labels))


def _rule_allows(rule: dict[str, Any], peers_key: str, peer: Peer, port: int, protocol: str, namespace: str) -> bool:
    peers = rule.get(peers_key)
    if peers and not any(_peer_matches(p, peer, namespace) for p in peers):
        return False
    ports = rule.get("ports")
    return not ports or any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports)


def _side_allows(policies, pod: Peer, other: Peer, port: int, protocol: str, kind: str) -> bool:
    """Whether ``pod``'s policies of ``kind`` (Ingress: from ``other``; Egress: to it) allow the connection."""
    if pod.namespace is None:
        return True
    applying = [
        p for p in policies
        if p["metadata"].get("namespace") == pod.namespace
        and kind in p["spec"].get("policyTypes", ["Ingress"])
        and _selects(p["spec"]["podSelector"], pod.labels)
    ]
    if not applying:
        return True
    rules_key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    return any(
        _rule_allows(rule, peers_key, other, port, protocol, pod.namespace)
        for p in applying for rule in p["spec"].get(rules_key) or []
    )


def allowed(policies, source: Peer, target: Peer, port: int, protocol: str = "TCP") -> bool:
    return (_side_allows(policies, source, target, port, protocol, "Egress")
            and _side_allows(policies, target, source, port, protocol, "Ingress"))


# -- what the overlays run ------------------------------------------------------

def pods(docs) -> list[Peer]:
    found = []
    for workload in (d for d in docs if d.get("kind") in WORKLOAD_KINDS):
        template = workload["spec"]["jobTemplate"]["spec"]["template"] if workload["kind"] == "CronJob" else workload["spec"]["template"]
        assert pod_spec(workload)  # a pod template
        found.append(Peer(workload["metadata"]["namespace"], dict(template["metadata"]["labels"]), workload["metadata"]["name"]))
    return found


def role(pod: Peer) -> str:
    return pod.labels["app.kubernetes.io/component"]


def network_problems(docs) -> list[str]:
    """A problem per connection the policies allow but no role needs, or deny though one does."""
    policies = of_kind(docs, "NetworkPolicy")
    everyone = pods(docs)
    problems: list[str] = []
    namespaces = {p.namespace for p in everyone}
    if not any(
        p["spec"]["podSelector"] in ({}, {"matchLabels": {}}) and set(p["spec"].get("policyTypes", ())) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress") and not p["spec"].get("egress") and p["metadata"].get("namespace") == ns
        for p in policies for ns in namespaces
    ):
        problems.append("no default-deny policy (every pod, Ingress and Egress, no rule) in the namespace")
    api = [p for p in everyone if role(p) == "api"]

    def expect(source: Peer, target: Peer, port: int, protocol: str, want: bool) -> None:
        if allowed(policies, source, target, port, protocol) != want:
            verb = "cannot reach" if want else "may reach"
            problems.append(f"{source.name} {verb} {target.name} on {port}/{protocol}")

    for pod in everyone:
        needs = NEEDS[role(pod)]
        for server, (kind, port, protocol) in SERVERS.items():
            targets = {"dns": [DNS], "outside": [OUTSIDE], "api": api}[kind]
            for target in targets:
                expect(pod, target, port, protocol, server in needs)
        metrics_port = HTTP if role(pod) == "api" else METRICS
        scraped = role(pod) in ("api", "worker", "notifier")
        expect(PROMETHEUS, pod, metrics_port, "TCP", scraped)
        expect(INGRESS_CONTROLLER, pod, HTTP, "TCP", role(pod) == "api")
        expect(INGRESS_CONTROLLER, pod, METRICS, "TCP", False)
        expect(STRANGER, pod, HTTP, "TCP", False)
        expect(STRANGER, pod, METRICS, "TCP", False)
        expect(OUTSIDE, pod, HTTP, "TCP", False)
        for other in everyone:  # nothing sideways but the API calls above
            if other is not pod and role(other) != "api":
                expect(pod, other, METRICS, "TCP", False)
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_role_reaches_what_it_uses_and_nothing_else(overlay):
    # Issue 15 item 12: default-deny, the ingress to the HTTP ports, Prometheus to the metrics
    # ports, each role to PostgreSQL, RabbitMQ, the IdP/gateway, DNS and the API as it needs.
    docs = render(overlay)
    assert of_kind(docs, "NetworkPolicy"), "no NetworkPolicy rendered"
    assert network_problems(docs) == []


def test_the_evaluation_catches_an_open_namespace():
    # Without the policies every pod is reachable from anywhere: the check must say so.
    docs = [d for d in render(OVERLAYS[0]) if d.get("kind") != "NetworkPolicy"]
    problems = network_problems(docs)
    assert "no default-deny policy (every pod, Ingress and Egress, no rule) in the namespace" in problems
    assert any("a pod of another namespace may reach" in p for p in problems)
    assert any("may reach a server outside the cluster on 5672/TCP" in p for p in problems)  # notifier, migration


def test_the_evaluation_catches_one_rule_too_wide():
    # RabbitMQ opened to every pod: the notifier and the jobs, which never use it, are named.
    docs = [dict(d) for d in render(OVERLAYS[0])]
    for doc in docs:
        if doc.get("kind") == "NetworkPolicy" and doc["metadata"]["name"] == "allow-rabbitmq":
            doc["spec"] = {**doc["spec"], "podSelector": {}}
    problems = network_problems(docs)
    assert problems and all("5672/TCP" in p for p in problems), problems
