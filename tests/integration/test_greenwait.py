"""psycopg's wait under eventlet (services/backbone/greenwait.py, what `rps serve` installs):
a query the server is still working on parks only its own green thread; a ready socket costs
no trip through the hub; a pipeline's rows all land; a dropped connection is an error, not a hang.
Run in a process of its own, patched as `rps serve` patches itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.integration

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ["PSYCOPG_WAIT_FUNC"] = "wait_select"
    import eventlet
    eventlet.monkey_patch()
    from services.backbone import greenwait
    greenwait.install()
    import psycopg

    url = sys.argv[1]
    found = {}

    # 1. A 0.6 s query parks its green thread only: a ticker keeps ticking meanwhile.
    ticks = []
    def ticker():
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            ticks.append(time.monotonic())
            eventlet.sleep(0.01)
    def slow():
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.monotonic()
            conn.execute("SELECT pg_sleep(0.6)")
            found["slow_seconds"] = time.monotonic() - started
    pool = eventlet.GreenPool()
    pool.spawn(slow); pool.spawn(ticker); pool.waitall()
    found["ticks_during_query"] = len(ticks)

    # 2. Pipeline mode (executemany) from 20 green threads at once: every row, once.
    def write(n):
        with psycopg.connect(url) as conn:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO greenwait_rows (writer, n) VALUES (%s, %s)", [(n, i) for i in range(50)])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS greenwait_rows")
        conn.execute("CREATE TABLE greenwait_rows (writer int, n int, PRIMARY KEY (writer, n))")
    for n in range(20):
        pool.spawn(write, n)
    pool.waitall()
    with psycopg.connect(url, autocommit=True) as conn:
        found["rows"] = conn.execute("SELECT COUNT(*) FROM greenwait_rows").fetchone()[0]
        conn.execute("DROP TABLE greenwait_rows")

    # 3. The server ends the session mid-query: an error at once, not a hang.
    with psycopg.connect(url, autocommit=True) as victim, psycopg.connect(url, autocommit=True) as killer:
        pid = victim.info.backend_pid
        pool.spawn(lambda: (eventlet.sleep(0.2), killer.execute("SELECT pg_terminate_backend(%s)", (pid,))))
        started = time.monotonic()
        try:
            victim.execute("SELECT pg_sleep(5)")
            found["terminated"] = "no error"
        except psycopg.OperationalError as exc:
            found["terminated"] = "OperationalError"  # AdminShutdown, one of them
        found["terminated_after"] = time.monotonic() - started
    print(json.dumps(found))
    """
)


def test_a_query_waits_cooperatively_and_a_pipeline_lands_whole(cluster_settings, tmp_path):
    script = tmp_path / "green.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, str(script), cluster_settings.database_url], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["slow_seconds"] >= 0.6
    assert found["ticks_during_query"] >= 20, found  # ~50 at 10 ms: the hub ran the ticker while the query waited
    assert found["rows"] == 20 * 50, found
    assert found["terminated"] == "OperationalError" and found["terminated_after"] < 3, found
