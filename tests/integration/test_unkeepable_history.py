"""Issue 15 item 1 on the real PostgreSQL (R-SEC-3 amended): a history stored before the edge refused
text no store can keep (PostgreSQL refuses NUL in text) projects with U+FFFD in place; `rps migrate`
never stops at one event: it parks what it cannot apply, completes, exits 0 and says how many it
parked; `rps dead-letters replay` succeeds once the cause is fixed."""

from __future__ import annotations

import os
import subprocess
import uuid

import psycopg

from services.backbone.declaration import service_names
from services.bootstrap import Runtime
from services.contracts.domain import Government
from tests.processes import RPS


def _rps(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "AMQP_URI": settings.amqp_uri}
    return subprocess.run([RPS, *args], env=env, capture_output=True, text=True, timeout=300)


def _query(settings, schema: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(settings.database_url, options=f"-c search_path={schema}") as conn:
        return conn.execute(sql, params).fetchall()


def test_a_history_with_nul_text_projects_and_migrate_parks_the_rest_and_exits_0(cluster_settings):
    # R-SEC-3 amended (issue 15 item 1)
    settings = cluster_settings
    code, poison = f"g{uuid.uuid4().hex[:8]}", f"p{uuid.uuid4().hex[:8]}"
    runtime = Runtime(settings, service_names(), create_tables_now=False)
    try:
        contracts = runtime.app("contracts")
        # stored as the edge took it before the fix: the application does not look at characters
        contracts.register_government(code=code, name="某\x00区\x07", kind="district_government")
        # and one event no read model can take whatever its text (a name that is no text at all)
        contracts.save(Government(code=poison, name={"not": "text"}, kind="district_government",
                                  leader=None, department=None, contact=None))
        nul = next(e for e in contracts.envelopes(after=0, limit=1000) if e["data"].get("code") == code)
        # what a runner before the fix left: the NUL event parked by feedback's directory
        directory = next(p for p in runtime.projections["feedback"] if "GovernmentRegistered" in p._handlers)
        directory.park(nul, psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"), 5)
        dead_letter = f"{directory.name}:contracts:{nul['position']}"
    finally:
        runtime.close()

    # the cause is fixed (read models keep such text with U+FFFD): the replay applies it and exits 0
    replayed = _rps(settings, "dead-letters", "replay", "--consumer", "feedback", "--id", dead_letter)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert f"{directory.name}: 1 applied" in replayed.stdout

    # every read model stale (as after an upgrade): rps migrate rebuilds them all from the events
    for schema in service_names():
        _query(settings, schema, "SELECT 1")
        with psycopg.connect(settings.database_url, options=f"-c search_path={schema}", autocommit=True) as conn:
            conn.execute("DELETE FROM read_model_schemas")
    done = _rps(settings, "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    # the government's name is kept by every service's copy of the one organisation model
    # (services/programme/organisation.py): contracts', visits', feedback's and reporting's
    takers = 4
    assert f"{takers} events parked" in done.stdout, done.stdout
    assert _query(settings, "contracts", "SELECT name FROM ctr_governments WHERE code = %s", (code,)) == [
        ("某\ufffd区\ufffd",)
    ]
    assert _query(settings, "reporting", "SELECT name FROM rpt_governments WHERE code = %s", (code,)) == [
        ("某\ufffd区\ufffd",)
    ]
    parked = [row[0] for schema in service_names() for row in _query(settings, schema, "SELECT id FROM dead_letters")]
    assert len(parked) == takers and all(f":contracts:" in p for p in parked)
    listed = _rps(settings, "dead-letters", "list", "--consumer", "contracts")
    assert listed.returncode == 0 and "1 parked" in listed.stdout
    # what the migration parked is in every scrape of a process keeping that read model (RpsDeadLetters)
    from prometheus_client import generate_latest

    runtime = Runtime.cluster(settings, ("contracts",))
    try:
        runtime.refresh_gauges()
        names = [p.name for p in runtime.projections["contracts"] if p.parked()]
    finally:
        runtime.close()
    assert len(names) == 1
    assert f'rps_dead_letter_messages{{projection="{names[0]}"}} 1.0' in generate_latest().decode()
