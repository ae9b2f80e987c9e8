"""infra/prometheus and infra/grafana: the alert rules and dashboards query
metrics the code really defines (services/backbone/metrics.py), and the
Prometheus Operator resources are well formed (issue 9)."""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .manifests import INFRA, OVERLAYS, REPO, of_kind, render

METRICS_PY = REPO / "services" / "backbone" / "metrics.py"
ALERTS = INFRA / "prometheus" / "alerts.yaml"
ALERT_TESTS = INFRA / "prometheus" / "alerts_test.yml"
DASHBOARDS = sorted((INFRA / "grafana").glob("*.json"))

# Names the rules and dashboards may use before the code defines them (their
# labels go unchecked meanwhile). rps_dead_letter_messages: the dead-letter
# depth, planned with the parking of poison events; metrics.py defines it
# since that work landed (5f5c3a1), so it is checked like any other name and
# this entry only matters if it is renamed. Remove it once that work settles.
PENDING = {"rps_dead_letter_messages"}
# Labels Prometheus attaches to every scraped series (the Operator's target
# labels), beside the metrics' own.
TARGET_LABELS = {"namespace", "job", "instance", "pod", "container", "endpoint", "service"}
# What the brief asks the alerts to cover.
REQUIRED_ALERTS = {
    "RpsRelayLagGrowing", "RpsRelayStalled", "RpsProjectionLagHigh", "RpsHttp5xxRate",
    "RpsHttpLatencyP99High", "RpsDeadLetters", "RpsServiceDown",
}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


# -- what the code defines -------------------------------------------------

def defined_metrics(source: str) -> dict[str, set[str]]:
    """Exposed series name -> label names, for every prometheus_client metric in ``source``."""
    kinds = {"Counter", "Gauge", "Histogram", "Summary"}
    exposed: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if func not in kinds or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        name = node.args[0].value
        label_node = node.args[2] if len(node.args) > 2 else next(
            (k.value for k in node.keywords if k.arg == "labelnames"), None
        )
        labels = {e.value for e in label_node.elts} if isinstance(label_node, (ast.List, ast.Tuple)) else set()
        if func == "Counter":
            base = name[: -len("_total")] if name.endswith("_total") else name
            series = {f"{base}_total": labels, f"{base}_created": labels}
        elif func == "Gauge":
            series = {name: labels}
        else:
            series = {f"{name}_sum": labels, f"{name}_count": labels, f"{name}_created": labels}
            if func == "Histogram":
                series[f"{name}_bucket"] = labels | {"le"}
        exposed.update(series)
    return exposed


@pytest.fixture(scope="module")
def metrics() -> dict[str, set[str]]:
    found = defined_metrics(METRICS_PY.read_text(encoding="utf-8"))
    assert "rps_http_request_seconds_bucket" in found, "metrics.py no longer parses as expected"
    return found


# -- what the rules and dashboards use -------------------------------------

def alert_rules() -> list[dict]:
    rule = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def dashboard_exprs(path: Path) -> list[str]:
    board = json.loads(path.read_text(encoding="utf-8"))
    panels = [p for top in board["panels"] for p in [top, *top.get("panels", [])]]
    return [t["expr"] for p in panels for t in p.get("targets", []) if t.get("expr")]


def all_exprs() -> list[tuple[str, str]]:
    found = [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()]
    for path in DASHBOARDS:
        found += [(f"{path.name}", e) for e in dashboard_exprs(path)]
    return found


_SELECTOR = re.compile(r"\b(rps_[a-zA-Z0-9_]+)\s*(\{[^}]*\})?")
_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def expr_problems(expr: str, metrics: dict[str, set[str]], pending: set[str] = PENDING) -> list[str]:
    """Metric names the code does not define, and labels no metric in the expression has."""
    problems, labels_here = [], set(TARGET_LABELS)
    for name, matchers in _SELECTOR.findall(expr):
        if name in pending and name not in metrics:
            continue
        if name not in metrics:
            problems.append(f"unknown metric {name}")
            continue
        labels_here |= metrics[name]
        for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers or ""):
            if label not in metrics[name] | TARGET_LABELS:
                problems.append(f"{name} has no label {label}")
    if any(name in pending and name not in metrics for name, _ in _SELECTOR.findall(expr)):
        return problems  # an undefined pending metric: its labels are not known yet
    for group in _GROUPING.findall(expr):
        for label in filter(None, (g.strip() for g in group.split(","))):
            if label not in labels_here:
                problems.append(f"grouping by {label}, which no metric here has")
    return problems


def test_rules_and_dashboards_use_only_metrics_and_labels_the_code_defines(metrics):
    exprs = all_exprs()
    used = {name for _, e in exprs for name, _ in _SELECTOR.findall(e)}
    # Every family the backbone exports is on a dashboard or in an alert.
    assert used >= {
        "rps_events_appended_total", "rps_events_published_total", "rps_events_consumed_total",
        "rps_events_duplicate_total", "rps_relay_lag_notifications", "rps_projection_lag_notifications",
        "rps_http_request_seconds_bucket", "rps_http_request_seconds_count", "rps_dead_letter_messages",
    }, used
    problems = [f"{where}: {p}" for where, e in exprs for p in expr_problems(e, metrics)]
    assert problems == []


def test_metric_check_catches_an_unknown_name_and_a_wrong_label(metrics):
    assert expr_problems("rate(rps_visits_logged_total[5m])", metrics) == ["unknown metric rps_visits_logged_total"]
    assert expr_problems('rps_relay_lag_notifications{consumer="x"}', metrics) == [
        "rps_relay_lag_notifications has no label consumer"
    ]
    assert expr_problems("sum by (servce) (rate(rps_events_published_total[5m]))", metrics) == [
        "grouping by servce, which no metric here has"
    ]
    # a pending name is allowed only while it is pending
    assert expr_problems("rps_not_yet_there > 0", metrics, pending={"rps_not_yet_there"}) == []
    assert expr_problems("rps_not_yet_there > 0", metrics, pending=set()) == ["unknown metric rps_not_yet_there"]


# -- Prometheus Operator resources (no schema offline: checked here) ---------

RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}
ENDPOINT_KEYS = {
    "port", "targetPort", "path", "scheme", "interval", "scrapeTimeout", "honorLabels",
    "honorTimestamps", "relabelings", "metricRelabelings", "params", "tlsConfig",
    "bearerTokenSecret", "authorization", "basicAuth", "followRedirects", "enableHttp2",
}


def prometheus_rule_problems(doc: dict) -> list[str]:
    problems = []
    if doc.get("apiVersion") != "monitoring.coreos.com/v1" or doc.get("kind") != "PrometheusRule":
        problems.append("not a monitoring.coreos.com/v1 PrometheusRule")
    groups = (doc.get("spec") or {}).get("groups") or []
    if not groups:
        problems.append("no rule groups")
    seen_groups, seen_alerts = set(), set()
    for group in groups:
        if not group.get("name") or group["name"] in seen_groups:
            problems.append(f"group name missing or repeated: {group.get('name')!r}")
        seen_groups.add(group.get("name"))
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record")
            if set(rule) - RULE_KEYS:
                problems.append(f"{name}: unknown keys {sorted(set(rule) - RULE_KEYS)}")
            if ("alert" in rule) == ("record" in rule):
                problems.append(f"{name}: needs exactly one of alert, record")
            if not isinstance(rule.get("expr"), str) or not rule["expr"].strip():
                problems.append(f"{name}: no expr")
            if "for" in rule and not DURATION.match(str(rule["for"])):
                problems.append(f"{name}: `for: {rule['for']}` is no duration")
            if "alert" in rule:
                if rule["alert"] in seen_alerts:
                    problems.append(f"{name}: alert defined twice")
                seen_alerts.add(rule["alert"])
                if (rule.get("labels") or {}).get("severity") not in ("critical", "warning", "info"):
                    problems.append(f"{name}: severity must be critical, warning or info")
                if not (rule.get("annotations") or {}).get("summary"):
                    problems.append(f"{name}: no summary annotation")
    return problems


def service_monitor_problems(doc: dict, metric_labels: set[str]) -> list[str]:
    problems = []
    name = doc.get("metadata", {}).get("name")
    if doc.get("apiVersion") != "monitoring.coreos.com/v1":
        problems.append(f"{name}: not monitoring.coreos.com/v1")
    spec = doc.get("spec") or {}
    selector = spec.get("selector") or {}
    if not (selector.get("matchLabels") or selector.get("matchExpressions")):
        problems.append(f"{name}: selects every Service (empty selector)")
    endpoints = spec.get("endpoints") or []
    if not endpoints:
        problems.append(f"{name}: no endpoints")
    clashing = metric_labels & TARGET_LABELS
    for endpoint in endpoints:
        if set(endpoint) - ENDPOINT_KEYS:
            problems.append(f"{name}: unknown endpoint keys {sorted(set(endpoint) - ENDPOINT_KEYS)}")
        if not isinstance(endpoint.get("port"), str):
            problems.append(f"{name}: endpoint without a named port")
        if endpoint.get("path") != "/metrics":
            problems.append(f"{name}: scrapes {endpoint.get('path')!r}, not /metrics")
        for key in ("interval", "scrapeTimeout"):
            if key in endpoint and not DURATION.match(str(endpoint[key])):
                problems.append(f"{name}: {key} {endpoint[key]!r} is no duration")
        # A metric label that is also a target label would be renamed
        # exported_<label> unless the target label is dropped (or honoured).
        dropped = {
            label
            for r in endpoint.get("relabelings", [])
            if r.get("action") == "labeldrop"
            for label in clashing
            if re.fullmatch(r.get("regex", ""), label)
        }
        if not endpoint.get("honorLabels") and clashing - dropped:
            problems.append(f"{name}: metric labels {sorted(clashing - dropped)} clash with target labels")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_operator_resources_are_well_formed(overlay, metrics):
    docs = render(overlay)
    rules = of_kind(docs, "PrometheusRule")
    monitors = of_kind(docs, "ServiceMonitor")
    assert len(rules) == 1 and len(monitors) == 2
    assert prometheus_rule_problems(rules[0]) == []
    alerts = {r["alert"] for g in rules[0]["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert REQUIRED_ALERTS <= alerts, REQUIRED_ALERTS - alerts
    labels = set().union(*metrics.values())
    assert [p for m in monitors for p in service_monitor_problems(m, labels)] == []
    ports = {e["port"] for m in monitors for e in m["spec"]["endpoints"]}
    assert ports == {"http", "metrics"}, "services on their HTTP port, relays/projectors on 9100"


def test_operator_checks_catch_broken_rules_and_a_label_clash(metrics):
    rule = copy.deepcopy(yaml.safe_load(ALERTS.read_text(encoding="utf-8")))
    first = rule["spec"]["groups"][0]["rules"][0]
    first["for"] = "ten minutes"
    first["labels"] = {}
    first["exprr"] = first.pop("expr")
    problems = "\n".join(prometheus_rule_problems(rule))
    assert "is no duration" in problems and "severity must be" in problems
    assert "unknown keys ['exprr']" in problems and "no expr" in problems
    monitor = copy.deepcopy(of_kind(render(OVERLAYS[0]), "ServiceMonitor")[0])
    for endpoint in monitor["spec"]["endpoints"]:
        endpoint.pop("relabelings", None)
    labels = set().union(*metrics.values())
    assert any("clash with target labels" in p for p in service_monitor_problems(monitor, labels))


# -- dashboards --------------------------------------------------------------

def dashboard_problems(board: dict) -> list[str]:
    problems = []
    for key in ("uid", "title", "panels", "schemaVersion"):
        if not board.get(key):
            problems.append(f"no {key}")
    if len(str(board.get("uid", ""))) > 40:
        problems.append("uid longer than 40 characters")
    variables = {v["name"] for v in (board.get("templating") or {}).get("list", [])}
    ids = []
    for panel in board.get("panels", []):
        ids.append(panel.get("id"))
        grid = panel.get("gridPos") or {}
        if not grid or grid.get("x", 0) + grid.get("w", 0) > 24:
            problems.append(f"panel {panel.get('title')!r}: bad gridPos {grid}")
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets") or []
        if not targets or not all(t.get("expr") for t in targets):
            problems.append(f"panel {panel.get('title')!r}: no query")
        for ref in re.findall(r"\$\{?(\w+)", json.dumps(panel)):
            if not ref.startswith("__") and ref not in variables:
                problems.append(f"panel {panel.get('title')!r}: uses undefined variable ${ref}")
    if len(ids) != len(set(ids)):
        problems.append("panel ids repeat")
    return problems


def test_dashboards_are_well_formed_and_shipped():
    assert DASHBOARDS, "no dashboard under infra/grafana"
    uids = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text(encoding="utf-8"))
        assert dashboard_problems(board) == [], path.name
        uids.append(board["uid"])
    assert len(uids) == len(set(uids))
    kustomization = yaml.safe_load((INFRA / "grafana" / "kustomization.yaml").read_text())
    shipped = {f for g in kustomization["configMapGenerator"] for f in g["files"]}
    assert shipped == {p.name for p in DASHBOARDS}, "every dashboard goes into the ConfigMap"


def test_dashboard_check_catches_an_undefined_variable_and_an_empty_panel():
    board = json.loads(DASHBOARDS[0].read_text(encoding="utf-8"))
    panel = next(p for p in board["panels"] if p["type"] != "row")
    panel["targets"][0]["expr"] = 'rate(rps_events_published_total{namespace="$nmspace"}[5m])'
    next(p for p in board["panels"] if p["type"] != "row" and p is not panel)["targets"] = []
    problems = "\n".join(dashboard_problems(board))
    assert "uses undefined variable $nmspace" in problems and "no query" in problems


# -- promtool: the rules' syntax and their unit tests ------------------------

def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool not found: `apt-get install prometheus` (Debian ships promtool in it)")
    return path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules_and_runs_their_unit_tests(tmp_path):
    promtool = _promtool()
    spec = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["spec"]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    shutil.copy(ALERT_TESTS, tmp_path / ALERT_TESTS.name)
    checked = _run([promtool, "check", "rules", "rules.yml"], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _run([promtool, "test", "rules", ALERT_TESTS.name], tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # Every alert has a case in which it fires.
    cases = yaml.safe_load(ALERT_TESTS.read_text(encoding="utf-8"))["tests"]
    firing = {t["alertname"] for case in cases for t in case["alert_rule_test"] if t.get("exp_alerts")}
    assert firing == {r["alert"] for r in alert_rules()}


def test_promtool_parses_every_dashboard_query(tmp_path):
    promtool = _promtool()
    exprs = [e for path in DASHBOARDS for e in dashboard_exprs(path)]
    substituted = [
        re.sub(r"\$__rate_interval|\$__interval", "5m", e).replace("$namespace", "rps") for e in exprs
    ]
    rules = {"groups": [{"name": "dashboards", "rules": [
        {"record": f"dashboard:query_{i}", "expr": e} for i, e in enumerate(substituted)
    ]}]}
    (tmp_path / "dashboards.yml").write_text(yaml.safe_dump(rules))
    checked = _run([promtool, "check", "rules", "dashboards.yml"], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(exprs)} rules found" in checked.stdout
