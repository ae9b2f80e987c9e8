"""Issue 16 (Operators): `rps rebuild` and `rps migrate` (rebuilding the read models it makes or changes)
show their progress on a terminal (stderr), and only there."""

from __future__ import annotations

import os
import re
import pty
import subprocess

import pytest

from tests.processes import RPS

pytestmark = pytest.mark.e2e


def _rebuild(tmp_path, *, terminal: bool, command: tuple[str, ...] = ("rebuild", "reporting")) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    env["RPS_DATA_DIR"] = str(tmp_path / "var")
    if not terminal:
        done = subprocess.run([RPS, *command], env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout + done.stderr
    main, child = pty.openpty()
    proc = subprocess.Popen([RPS, *command], env=env, stdin=child, stdout=child, stderr=child)
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    return proc.wait(timeout=60), seen.decode(errors="replace")


def test_rebuild_shows_progress_on_a_terminal_and_not_in_a_log(tmp_path):
    # Issue 16: "shows no progress during a long rebuild"; a Job's log gets no terminal control codes
    code, shown = _rebuild(tmp_path, terminal=True)
    assert code == 0, shown
    assert re.search(r"rps: rebuilding \d+ read models: contracts events up to position \d+", shown), shown
    assert "reporting.settlements: 0 events applied" in shown
    code, logged = _rebuild(tmp_path, terminal=False)
    assert code == 0, logged
    assert "events up to position" not in logged and "\033" not in logged
    assert "reporting.settlements: 0 events applied" in logged


def test_rebuild_refuses_an_unknown_read_model_and_names_the_known_ones(tmp_path):
    # Issue 16: `rps rebuild` lists the projection names it accepts
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    done = subprocess.run([RPS, "rebuild", "reporting.nothing"], env={**env, "RPS_DATA_DIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "reporting.settlements" in done.stderr and "visits.ledger" in done.stderr


def test_migrate_shows_the_rebuild_of_new_read_models_on_a_terminal(tmp_path):
    # Issue 16: "long commands (rebuild, demo, migrate with rebuilds) show progress on a terminal"
    code, shown = _rebuild(tmp_path, terminal=True, command=("migrate",))
    assert code == 0, shown
    assert re.search(r"rps: rebuilding \d+ read models: visits events up to position \d+", shown), shown
    assert "reporting.settlements: tables (re)made" in shown
