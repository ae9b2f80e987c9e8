"""Idempotency across a crash for reporting's keyed POSTs (R-SEC-3, issue 15 item 2), against a
real `rps serve reporting` on PostgreSQL. Reporting writes no events: the issued copy or bureau
note and the key's answer are one transaction of its own schema. The process kills itself
(RPS_FAILPOINT, honoured only under RPS_ENV=test) after writing and before committing
(``after_write``), or after the commit and before answering (``after_commit``); retried with the
same key after the in-flight window, each request is stored once and answers as it first did.
"""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest

from tests.processes import Http, free_port, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

IN_FLIGHT_SECONDS = 1
ENV = {"RPS_ENV": "test", "RPS_IDEMPOTENCY_IN_FLIGHT_SECONDS": str(IN_FLIGHT_SECONDS)}


def test_a_crash_around_reporting_s_commit_stores_each_keyed_request_once(processes, cluster_settings, fault_figures):
    # R-SEC-3 (issue 15 item 2): reporting's issued copies and bureau notes, PostgreSQL
    processes.env.update(AMQP_URI=cluster_settings.amqp_uri, DATABASE_URL=cluster_settings.database_url, **ENV)

    def start(failpoint: str | None = None) -> tuple[object, Http]:
        port = free_port()
        extra = {"RPS_FAILPOINT": failpoint} if failpoint else {}
        proc = processes.start("serve", "reporting", env={"RPS_HTTP": f"127.0.0.1:{port}", **extra})
        http = Http(f"http://127.0.0.1:{port}")
        http.wait_ready()
        return proc, http

    tag = uuid.uuid4().hex[:8]
    note = {"text": f"市局意见 {tag}", "date": "2022-07-01"}
    requests = {  # key -> (failpoint, path, body)
        f"note-{tag}-w": ("after_write", "/api/v1/reports/half-yearly/2022-H1/notes", note),
        f"note-{tag}-c": ("after_commit", "/api/v1/reports/half-yearly/2022-H2/notes", note),
        f"issue-{tag}-w": ("after_write", "/api/v1/reports/monthly/2022-03/issue", {}),
    }
    for key, (failpoint, path, body) in requests.items():
        proc, http = start(failpoint)
        try:
            answered = http.call("POST", path, body, headers={"Idempotency-Key": key})
        except OSError:  # the connection drops: no answer
            answered = None
        assert answered is None, answered
        assert proc.wait(timeout=30) == 137, "the process should have died at the failpoint"

    http = start()[1]
    after = time.monotonic() + IN_FLIGHT_SECONDS + 1
    wait_for(lambda: time.monotonic() > after, what="the in-flight window to pass")
    answers = []
    for key, (_, path, body) in requests.items():
        status, first = http.call("POST", path, body, headers={"Idempotency-Key": key})
        assert status == 201, first
        assert http.call("POST", path, body, headers={"Idempotency-Key": key}) == (201, first)
        answers.append(first)
    with psycopg.connect(cluster_settings.database_url, autocommit=True) as conn:
        notes = conn.execute("SELECT period, COUNT(*) FROM reporting.rpt_notes WHERE text = %s GROUP BY 1"
                             " ORDER BY 1", (note["text"],)).fetchall()
        issued = conn.execute("SELECT COUNT(*) FROM reporting.rpt_issued WHERE period = '2022-03'").fetchone()[0]
    stored = sum(n for _, n in notes) + issued
    fault_figures(faults=len(requests), sent=len(requests), acknowledged=len(answers), stored=stored,
                  projected=stored)
    assert notes == [("2022-H1", 1), ("2022-H2", 1)] and issued == 1
