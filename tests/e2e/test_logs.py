"""Issue 16 (Operators): structured logs. `RPS_LOG_FORMAT=json` (the default in the cluster) writes one
JSON object a line; every HTTP process (`rps run`'s gateway, `rps serve`'s nameko server) logs an access
record per request with its correlation id; no terminal colours in a file; never personal data (R-SEC-4)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.processes import wait_for

pytestmark = pytest.mark.e2e

PHONE, NAME = "13912340077", "欧阳青松"


def _records(processes, *args: str) -> list[dict]:
    lines = processes.log(*args).splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _access(processes, args: tuple[str, ...], correlation: str) -> dict:
    found = wait_for(lambda: [r for r in _records(processes, *args) if r.get("correlation_id") == correlation
                              and r["logger"] == "rps.access"], timeout=10, what="the access record")
    return found[0]


def test_rps_run_logs_one_json_object_a_line_with_an_access_record_and_no_personal_data(processes, tmp_path):
    # Issue 16: "Structured JSON logs (time, level, logger, message, correlation id, actor role, route, status,
    # duration) selected by a setting"; R-SEC-4: the resident's name and phone never reach the log
    _, http = processes.start_http("run", env={"RPS_DATA_DIR": str(tmp_path / "var"), "RPS_LOG_FORMAT": "json"})
    correlation = uuid.uuid4().hex
    status, answer = http.anonymous().call("POST", "/api/v1/opinions", {
        "district": "gulou", "category": "greening", "text": "小区门口的行道树枯死了", "channel": "app",
        "contact_phone": PHONE, "contact_name": NAME,
    }, headers={"X-Correlation-ID": correlation})
    assert status == 201, answer
    record = _access(processes, ("run",), correlation)
    assert set(record) >= {"time", "level", "logger", "message", "correlation_id", "actor_role", "route", "status",
                           "duration_ms"}
    assert (record["level"], record["actor_role"], record["route"], record["status"]) == (
        "info", "resident", "/api/v1/opinions", 201)
    assert record["message"] == "POST /api/v1/opinions 201" and record["duration_ms"] >= 0
    status, _ = http.call("GET", f"/api/v1/opinions/{answer['ref']}", headers={"X-Correlation-ID": correlation[::-1]})
    assert status == 200
    record = _access(processes, ("run",), correlation[::-1])
    assert record["actor_role"] == "bureau" and record["route"] == "/api/v1/opinions/<ref>"
    text = processes.log("run")
    assert PHONE not in text and NAME not in text
    assert "\033" not in text  # no colour codes in a file
    lines = [line for line in text.splitlines() if '"logger"' in line]
    assert lines and all(json.loads(line) for line in lines)


def test_rps_run_defaults_to_text_lines_with_the_correlation_id(processes, tmp_path):
    # Issue 16: text outside the cluster; access lines carry the correlation id and no colours
    _, http = processes.start_http("run", env={"RPS_DATA_DIR": str(tmp_path / "var")})
    correlation = uuid.uuid4().hex
    assert http.call("GET", "/api/v1/groups", headers={"X-Correlation-ID": correlation})[0] == 200
    line = wait_for(lambda: [ln for ln in processes.log("run").splitlines() if correlation in ln], timeout=10,
                    what="the access line")[0]
    assert " INFO rps.access GET /api/v1/groups 200 " in line and "actor_role=bureau" in line
    assert not line.startswith("{") and "\033" not in processes.log("run")


def test_rps_serve_logs_json_access_records_by_default_in_the_cluster(processes, cluster_settings):
    # Issue 16: "no access log under rps serve, no correlation id in access lines"; JSON is the cluster's default
    processes.env.update({"AMQP_URI": cluster_settings.amqp_uri, "DATABASE_URL": cluster_settings.database_url})
    processes.env.pop("RPS_LOG_FORMAT", None)
    _, contracts = processes.start_http("serve", "contracts")
    correlation = uuid.uuid4().hex
    assert contracts.call("GET", "/api/v1/governments", headers={"X-Correlation-ID": correlation})[0] == 200
    record = _access(processes, ("serve", "contracts"), correlation)
    assert (record["route"], record["status"], record["actor_role"]) == ("/api/v1/governments", 200, "bureau")
    assert "\033" not in processes.log("serve", "contracts")
