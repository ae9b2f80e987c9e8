"""The public Ingress routes each API prefix to the service that owns it, and
nothing operational (API.md, HTTP: /health/* and /metrics are not routed)."""

from __future__ import annotations

import pytest

from .manifests import OVERLAYS, ingress_routes, named, of_kind, render

OWNERS = {
    "contracts": ["governments", "districts", "contracts", "planners", "groups"],
    "visits": ["visits", "settlements", "compliance"],
    "feedback": [
        "opinions", "recommendations", "letters", "consultations", "publicity",
        "work-summaries", "ratings", "annual-summaries", "open311",
    ],
    "reporting": ["reports", "audit"],
}
EXPECTED = {f"/api/v1/{prefix}": service for service, prefixes in OWNERS.items() for prefix in prefixes}
EXPECTED.update({f"/api/v1/events/{s}": s for s in ("contracts", "visits", "feedback")})


def routing_problems(docs):
    problems = []
    routes = list(ingress_routes(docs))
    table = {path: service for _, path, service, _ in routes}
    if len(table) != len(routes):
        problems.append("a path is routed twice")
    for path, service in EXPECTED.items():
        if table.get(path) != service:
            problems.append(f"{path} goes to {table.get(path)}, not {service}")
    for path in set(table) - set(EXPECTED):
        problems.append(f"{path} is routed but is no API prefix")
    for host, path, service, port in routes:
        if path.startswith(("/metrics", "/health", "/openapi")) or not path.startswith("/api/v1/"):
            problems.append(f"{path} must not be public")
        ports = [p for p in named(docs, "Service", service)["spec"]["ports"] if port in (p.get("name"), p["port"])]
        if not ports or ports[0]["port"] != 8000:
            problems.append(f"{path}: Service {service} has no HTTP port {port!r}")
        if not host:
            problems.append(f"{path}: no host")
    for ingress in of_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for p in (rule.get("http") or {}).get("paths", []):
                if p.get("pathType") != "Prefix":
                    problems.append(f"{p['path']}: pathType {p.get('pathType')}, not Prefix")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_every_api_prefix_to_its_owner_and_nothing_else(overlay):
    assert routing_problems(render(overlay)) == []


def test_prod_ingress_terminates_tls_for_its_host():
    ingress = named(render("prod"), "Ingress", "rps")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts and hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}


def test_routing_check_catches_a_public_metrics_path_and_a_wrong_owner():
    import copy

    docs = copy.deepcopy(render(OVERLAYS[0]))
    paths = named(docs, "Ingress", "rps")["spec"]["rules"][0]["http"]["paths"]
    paths.append({"path": "/metrics", "pathType": "Prefix",
                  "backend": {"service": {"name": "visits", "port": {"name": "http"}}}})
    next(p for p in paths if p["path"] == "/api/v1/letters")["backend"]["service"]["name"] = "visits"
    problems = routing_problems(docs)
    assert "/metrics must not be public" in problems
    assert "/api/v1/letters goes to visits, not feedback" in problems
