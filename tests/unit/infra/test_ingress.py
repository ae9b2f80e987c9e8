"""The public Ingress routes each API prefix to the service that owns it and
the web pages to web, and nothing operational (API.md, HTTP: /health/* and
/metrics are not routed)."""

from __future__ import annotations

import copy

import pytest

from .manifests import OPERATIONAL_PATHS, OVERLAYS, ingress_backend, ingress_routes, ingress_rules, named, of_kind, render

OWNERS = {
    "contracts": ["governments", "districts", "contracts", "planners", "groups"],
    "visits": ["visits", "settlements", "compliance"],
    "feedback": [
        "opinions", "recommendations", "letters", "consultations", "publicity",
        "work-summaries", "ratings", "annual-summaries", "open311",
    ],
    "reporting": ["reports", "audit", "reminders"],
}
EXPECTED = {f"/api/v1/{prefix}": service for service, prefixes in OWNERS.items() for prefix in prefixes}
EXPECTED.update({f"/api/v1/events/{s}": s for s in ("contracts", "visits", "feedback")})
# The web pages: the home page exactly (a Prefix `/` would catch every path,
# /metrics included), everything under /web.
EXPECTED.update({"/": "web", "/web": "web"})
EXACT = {"/"}
# Requests and who must answer them through the ingress: the pages, the API,
# and nothing for what only the cluster may ask.
REACHES = {
    "/": "web",
    "/web/index.html": "web",
    "/web/js/app.js": "web",
    "/web/config.json": "web",
    "/web/dev-token": "web",  # answers 404 itself in production
    "/api/v1/opinions/ABC": "feedback",
    "/api/v1/events/visits": "visits",
    "/api/v1/events/reporting": None,
    "/api/v1/reminders": "reporting",  # the bureau's list of the day
    "/api/v1/daily-reminders": None,  # the CronJob's call inside the cluster
    "/webhooks": None,
    "/index.html": None,
    **{path: None for path in OPERATIONAL_PATHS},
}


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
        problems.append(f"{path} is routed but is no API prefix or page")
    for host, path, service, port in routes:
        if path.startswith(("/metrics", "/health", "/openapi")):
            problems.append(f"{path} must not be public")
        ports = [p for p in named(docs, "Service", service)["spec"]["ports"] if port in (p.get("name"), p["port"])]
        if not ports or ports[0]["port"] != 8000:
            problems.append(f"{path}: Service {service} has no HTTP port {port!r}")
        if not host:
            problems.append(f"{path}: no host")
    for _, path, path_type, _, _ in ingress_rules(docs):
        expected_type = "Exact" if path in EXACT else "Prefix"
        if path_type != expected_type:
            problems.append(f"{path}: pathType {path_type}, not {expected_type}")
    for request, expected in REACHES.items():
        reached = ingress_backend(docs, request)
        if reached != expected:
            problems.append(f"{request} reaches {reached} through the ingress, not {expected}")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_every_api_prefix_to_its_owner_and_nothing_else(overlay):
    assert routing_problems(render(overlay)) == []


def test_prod_ingress_terminates_tls_for_its_host():
    ingress = named(render("prod"), "Ingress", "rps")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts and hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}


def test_routing_check_catches_a_public_metrics_path_and_a_wrong_owner():
    docs = copy.deepcopy(render(OVERLAYS[0]))
    paths = named(docs, "Ingress", "rps")["spec"]["rules"][0]["http"]["paths"]
    paths.append({"path": "/metrics", "pathType": "Prefix",
                  "backend": {"service": {"name": "visits", "port": {"name": "http"}}}})
    next(p for p in paths if p["path"] == "/api/v1/letters")["backend"]["service"]["name"] = "visits"
    problems = routing_problems(docs)
    assert "/metrics must not be public" in problems
    assert "/api/v1/letters goes to visits, not feedback" in problems


def test_routing_check_catches_a_catch_all_home_page():
    # `/` as a Prefix sends every unrouted path to web: its /metrics and
    # /health/* would be public, and unknown /api paths would get web's 404.
    docs = copy.deepcopy(render(OVERLAYS[0]))
    paths = named(docs, "Ingress", "rps")["spec"]["rules"][0]["http"]["paths"]
    next(p for p in paths if p["path"] == "/")["pathType"] = "Prefix"
    problems = routing_problems(docs)
    assert "/: pathType Prefix, not Exact" in problems
    assert "/metrics reaches web through the ingress, not None" in problems
    assert "/health/ready reaches web through the ingress, not None" in problems


def test_ingress_matching_follows_the_kubernetes_rules():
    def ingress(*rules):
        return [{"kind": "Ingress", "spec": {"rules": [{"http": {"paths": [
            {"path": path, "pathType": kind, "backend": {"service": {"name": name, "port": {"name": "http"}}}}
            for path, kind, name in rules
        ]}}]}}]

    docs = ingress(("/", "Exact", "home"), ("/web", "Prefix", "web"), ("/web/x", "Exact", "x"), ("/", "Prefix", "all"))
    assert ingress_backend(docs, "/") == "home"  # Exact wins a tie
    assert ingress_backend(docs, "/web") == "web"
    assert ingress_backend(docs, "/web/") == "web"
    assert ingress_backend(docs, "/web/a/b.js") == "web"
    assert ingress_backend(docs, "/web/x") == "x"  # the longest match
    assert ingress_backend(docs, "/webx") == "all"  # whole segments only
    assert ingress_backend(ingress(("/web", "Prefix", "web")), "/webx") is None
