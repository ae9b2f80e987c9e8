"""R-RPT-8 with real processes: `rps run` issues today's reminders by itself, and
`rps remind` (the CronJob's command) hands a date's reminders to feedback once,
in-process in embedded mode and over HTTP with the service token in the cluster."""

from __future__ import annotations

import pytest

from tests.processes import Http

pytestmark = pytest.mark.e2e


def _issued(http: Http) -> list[dict]:
    status, feed = http.call("GET", "/api/v1/events/feedback?after=0&limit=1000")
    assert status == 200, feed
    return [e for e in feed["events"] if e["type"].endswith(".RemindersIssued.v1")]


def test_embedded_run_reminds_today_and_remind_issues_a_date_once(processes, tmp_path):
    data = str(tmp_path / "var")
    # Issue 15: every process's business date fixed (RPS_TODAY), not compared with the test's own clock.
    today = "2026-06-15"
    processes.env["RPS_TODAY"] = today
    _, http = processes.start_http("run", env={"RPS_DATA_DIR": data})
    # after start, the runtime's daily thread hands today's reminders over (once)
    http.eventually("/api/v1/events/feedback?after=0&limit=1000",
                    lambda feed: any(e["type"].endswith(".RemindersIssued.v1") for e in feed["events"]), timeout=30)
    assert [e["data"]["date"] for e in _issued(http)] == [today]
    again = processes.run("remind", env={"RPS_DATA_DIR": data})
    assert f"rps remind: {today}: " in again.stdout and "already issued before" in again.stdout
    first = processes.run("remind", "--date", "2022-03-20", env={"RPS_DATA_DIR": data})
    assert "rps remind: 2022-03-20: " in first.stdout and "issued [" in first.stdout, first.stdout
    second = processes.run("remind", "--date", "2022-03-20", env={"RPS_DATA_DIR": data})
    assert "already issued before" in second.stdout
    http.eventually("/api/v1/events/feedback?after=0&limit=1000",
                    lambda feed: sum(e["type"].endswith(".RemindersIssued.v1") for e in feed["events"]) == 2)
    assert sorted(e["data"]["date"] for e in _issued(http)) == sorted(["2022-03-20", today])
    bad = processes.run("remind", "--date", "2022-02-30", check=False, env={"RPS_DATA_DIR": data})
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_cluster_remind_posts_to_feedback_with_the_service_token(processes, cluster_settings):
    processes.env.update({"AMQP_URI": cluster_settings.amqp_uri, "DATABASE_URL": cluster_settings.database_url})
    _, feedback = processes.start_http("serve", "feedback")
    env = {"RPS_FEEDBACK_URL": feedback.base}
    first = processes.run("remind", "--date", "2022-03-20", env=env)
    assert "rps remind: 2022-03-20: 0 reminder(s) issued" in first.stdout, first.stdout
    second = processes.run("remind", "--date", "2022-03-20", env=env)
    assert "already issued before" in second.stdout
    [event] = _issued(feedback)
    assert event["data"] == {"date": "2022-03-20", "reminders": []}
    assert event["actor"] == "rps-service" and event["actorrole"] == "operator"
    # Without the URL the command says what is missing instead of guessing.
    missing = processes.run("remind", check=False)
    assert missing.returncode == 2 and "RPS_FEEDBACK_URL" in missing.stderr
