"""infra/prometheus and infra/grafana: the alert rules and dashboards query
metrics the code really defines (services/backbone/metrics.py and any other
module under services/ that defines prometheus_client metrics), and the
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

from .manifests import INFRA, OVERLAYS, REPO, _selects, of_kind, render

METRICS_PY = REPO / "services" / "backbone" / "metrics.py"
SERVICES_DIR = REPO / "services"
ALERTS = INFRA / "prometheus" / "alerts.yaml"
# The alerts that name each service's scrape jobs, generated from the declarations
# (infra/k8s/generate.py; tests/unit/infra/test_generated.py keeps it current).
AVAILABILITY = INFRA / "prometheus" / "availability.yaml"
RULE_FILES = (ALERTS, AVAILABILITY)
# promtool unit tests: alerts_test.yml, and alerts_calendar_test.yml for the case
# that needs weeks of simulated time at a coarser evaluation interval.
ALERT_TESTS = sorted((INFRA / "prometheus").glob("*_test.yml"))
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
    "RpsAccessDeniedSpike", "RpsRateLimited", "RpsNotificationsParked", "RpsWorkerDown",
    # issue 15: a consumer queue nothing consumes (item 3), a relay the broker blocks (item 11)
    "RpsQueueWithoutConsumer", "RpsRelayBlocked",
}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


# -- what the code defines -------------------------------------------------

KINDS = {"Counter", "Gauge", "Histogram", "Summary"}


def _prometheus_classes(tree: ast.AST) -> tuple[dict[str, str], set[str]]:
    """Local names bound to prometheus_client's metric classes, and names of the module itself."""
    classes: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "prometheus_client":
            for alias in node.names:
                if alias.name in KINDS:
                    classes[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "prometheus_client":
                    modules.add(alias.asname or alias.name)
    return classes, modules


def metric_calls(source: str) -> list[tuple[str, str, set[str]]]:
    """(kind, name, label names) of every prometheus_client metric ``source`` defines.
    Only calls of the classes imported from prometheus_client count
    (collections.Counter("...") is no metric)."""
    tree = ast.parse(source)
    classes, modules = _prometheus_classes(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name):
            func = classes.get(node.func.id)
        elif isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", None) in modules:
            func = node.func.attr if node.func.attr in KINDS else None
        else:
            func = None
        if func is None or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        name = node.args[0].value
        label_node = node.args[2] if len(node.args) > 2 else next(
            (k.value for k in node.keywords if k.arg == "labelnames"), None
        )
        labels = {e.value for e in label_node.elts} if isinstance(label_node, (ast.List, ast.Tuple)) else set()
        found.append((func, name, labels))
    return found


def exposed_series(kind: str, name: str, labels: set[str]) -> dict[str, set[str]]:
    """The series names prometheus_client exposes for one metric (without ``_created``)."""
    if kind == "Counter":
        base = name[: -len("_total")] if name.endswith("_total") else name
        return {f"{base}_total": labels}
    if kind == "Gauge":
        return {name: labels}
    series = {f"{name}_sum": labels, f"{name}_count": labels}
    if kind == "Histogram":
        series[f"{name}_bucket"] = labels | {"le"}
    return series


def defined_metrics(source: str) -> dict[str, set[str]]:
    """Exposed series name -> label names, for every prometheus_client metric in ``source``."""
    exposed: dict[str, set[str]] = {}
    for func, name, labels in metric_calls(source):
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


def metric_modules() -> list[Path]:
    """The modules under services/ that use prometheus_client."""
    return sorted(
        path for path in SERVICES_DIR.rglob("*.py")
        if "__pycache__" not in path.parts and "prometheus_client" in path.read_text(encoding="utf-8")
    )


def code_metrics() -> dict[str, tuple[str, set[str], Path]]:
    """Every metric the code defines: name -> (kind, labels, module)."""
    found: dict[str, tuple[str, set[str], Path]] = {}
    for path in metric_modules():
        for kind, name, labels in metric_calls(path.read_text(encoding="utf-8")):
            assert name not in found, f"{name} is defined in {found[name][2]} and {path}"
            found[name] = (kind, labels, path)
    return found


@pytest.fixture(scope="module")
def metrics() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in metric_modules():
        found.update(defined_metrics(path.read_text(encoding="utf-8")))
    assert "rps_http_request_seconds_bucket" in found, "metrics.py no longer parses as expected"
    assert "rps_notifications_total" in found, "services/feedback/notifications.py no longer parses as expected"
    return found


def test_metrics_are_found_wherever_the_code_defines_them():
    defined = code_metrics()
    modules = {str(path.relative_to(REPO)) for _, _, path in defined.values()}
    assert {"services/backbone/metrics.py", "services/feedback/notifications.py"} <= modules, modules
    assert defined["rps_access_denied_total"][:2] == ("Counter", {"service", "route", "role"})
    assert defined["rps_rate_limited_total"][:2] == ("Counter", {"service", "route", "limit"})
    assert defined["rps_notifications_pending"][:2] == ("Gauge", set())


def test_metric_parser_ignores_what_is_not_prometheus_client():
    source = (
        "import collections\n"
        "from collections import Counter\n"
        "import prometheus_client as pc\n"
        "from prometheus_client import Gauge as G\n"
        "words = Counter('rps_not_a_metric')\n"
        "other = collections.Counter('rps_nor_this')\n"
        "a = pc.Counter('rps_a_total', 'a', ['x'])\n"
        "b = G('rps_b', 'b', labelnames=('y',))\n"
    )
    assert defined_metrics(source) == {"rps_a_total": {"x"}, "rps_a_created": {"x"}, "rps_b": {"y"}}


# -- what the rules and dashboards use -------------------------------------

def rule_groups() -> list[dict]:
    """The rule groups of every PrometheusRule under infra/prometheus."""
    return [group for path in RULE_FILES for group in yaml.safe_load(path.read_text(encoding="utf-8"))["spec"]["groups"]]


def alert_rules() -> list[dict]:
    return [r for group in rule_groups() for r in group["rules"]]


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


def test_every_metric_the_code_defines_is_watched():
    # On a dashboard or in an alert: a metric nobody looks at is noise, and a
    # new one (like the notifier's) is easy to forget here.
    used = {name for _, e in all_exprs() for name, _ in _SELECTOR.findall(e)}
    unwatched = [
        name for name, (kind, labels, _) in code_metrics().items()
        if not set(exposed_series(kind, name, labels)) & used
    ]
    assert unwatched == []


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
    assert len(rules) == len(RULE_FILES) and len(monitors) == 2
    assert [p for rule in rules for p in prometheus_rule_problems(rule)] == []
    # Group and alert names are Prometheus-wide: none in two of the files.
    merged = {**rules[0], "spec": {"groups": [g for rule in rules for g in rule["spec"]["groups"]]}}
    assert prometheus_rule_problems(merged) == []
    alerts = {r["alert"] for rule in rules for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert REQUIRED_ALERTS <= alerts, REQUIRED_ALERTS - alerts
    labels = set().union(*metrics.values())
    assert [p for m in monitors for p in service_monitor_problems(m, labels)] == []
    ports = {e["port"] for m in monitors for e in m["spec"]["endpoints"]}
    assert ports == {"http", "metrics"}, "services on their HTTP port, workers on 9100"


def _job_regexes(expr: str) -> list[str]:
    return re.findall(r'job=~"([^"]+)"', expr)


def _covers(regex: str, job: str) -> bool:
    return re.fullmatch(regex, job) is not None  # PromQL regexes are anchored


def scraped_jobs(docs) -> dict[str, str]:
    """Kubernetes Service (the `job` label) -> component, for every Service a ServiceMonitor scrapes."""
    jobs = {}
    for monitor in of_kind(docs, "ServiceMonitor"):
        ports = {e["port"] for e in monitor["spec"]["endpoints"]}
        for svc in of_kind(docs, "Service"):
            labels = svc["metadata"].get("labels") or {}
            if _selects(monitor["spec"]["selector"], labels) and ports & {p.get("name") for p in svc["spec"]["ports"]}:
                jobs[svc["metadata"]["name"]] = labels.get("app.kubernetes.io/component")
    return jobs


def job_coverage_problems(docs, rules: list[dict], boards: list[dict]) -> list[str]:
    """Every scraped Service is in the availability alerts and on the dashboard."""
    problems = []
    jobs = scraped_jobs(docs)
    by_name = {r["alert"]: r["expr"] for r in rules if "alert" in r}
    apis = {j for j, c in jobs.items() if c == "api"}
    workers = set(jobs) - apis
    service_down = _job_regexes(by_name["RpsServiceDown"])
    worker_down = _job_regexes(by_name["RpsWorkerDown"])
    target_down = _job_regexes(by_name["RpsTargetDown"])
    up_panels = [r for b in boards for p in b["panels"] for t in p.get("targets", [])
                 if "up{" in t.get("expr", "") for r in _job_regexes(t["expr"])]
    for job in sorted(apis):
        if not any(_covers(r, job) for r in service_down):
            problems.append(f"RpsServiceDown does not watch {job}")
        if f'absent(up{{job="{job}"}})' not in by_name["RpsServiceDown"]:
            problems.append(f"RpsServiceDown misses {job} when it is not scraped at all")
    for job in sorted(workers):
        if not any(_covers(r, job) for r in worker_down):
            problems.append(f"RpsWorkerDown does not watch {job}")
    for job in sorted(jobs):
        if not any(_covers(r, job) for r in target_down):
            problems.append(f"RpsTargetDown does not watch {job}")
        if not any(_covers(r, job) for r in up_panels):
            problems.append(f"no dashboard shows whether {job} is up")
    return problems


def _boards() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARDS]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_scraped_service_is_watched_for_being_down(overlay):
    docs = render(overlay)
    jobs = scraped_jobs(docs)
    # The HTTP services on `http`; the workers (relays, consumers) and the notifier on `metrics`.
    assert {"web", "notify", "visits-worker", "reporting-worker"} <= set(jobs), jobs
    assert job_coverage_problems(docs, alert_rules(), _boards()) == []


def test_job_coverage_check_catches_a_forgotten_service():
    docs = copy.deepcopy(render(OVERLAYS[0]))
    rules = copy.deepcopy(alert_rules())
    for rule in rules:
        if rule.get("alert") == "RpsServiceDown":
            rule["expr"] = rule["expr"].replace("|web", "").replace('or absent(up{job="web"})', "")
        if rule.get("alert") == "RpsWorkerDown":
            rule["expr"] = rule["expr"].replace("|notify", "")
    problems = job_coverage_problems(docs, rules, _boards())
    assert problems == [
        "RpsServiceDown does not watch web",
        "RpsServiceDown misses web when it is not scraped at all",
        "RpsWorkerDown does not watch notify",
    ]


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
        # Issue 15: a missing tool fails the suite, it does not skip (`make test-tools` installs it).
        pytest.fail("promtool not found: `make test-tools` or `apt-get install prometheus` (Debian ships promtool in it)",
                    pytrace=False)
    return path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules_and_runs_their_unit_tests(tmp_path):
    promtool = _promtool()
    spec = {"groups": rule_groups()}  # the hand-written and the generated rules, as Prometheus loads them
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    assert "alerts_test.yml" in {p.name for p in ALERT_TESTS}
    for path in ALERT_TESTS:
        shutil.copy(path, tmp_path / path.name)
    checked = _run([promtool, "check", "rules", "rules.yml"], tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _run([promtool, "test", "rules", *(p.name for p in ALERT_TESTS)], tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # Every alert has a case in which it fires.
    cases = [c for path in ALERT_TESTS for c in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]]
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
