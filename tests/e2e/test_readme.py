"""Issue 16 (The front door): the README's "Try it" lines work as written against a fresh `rps run`
(what `make run` starts). The lines are read from README.md, so the two cannot drift apart."""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def try_it_lines() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    _, found, rest = readme.partition("\nTry it")
    assert found, "README.md has no Try it section"
    return rest.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_readme_try_it_lines_succeed_on_a_fresh_run(processes, tmp_path):
    # Issue 16: "The README's Try it commands fail on a fresh make run: 401 without a token, then 422
    # because no group exists"
    lines = try_it_lines()
    assert "rps token" in lines and "localhost:8000" in lines
    _, http = processes.start_http("run", env={"RPS_DATA_DIR": str(tmp_path / "var")})
    where = urllib.parse.urlsplit(http.base)
    script = lines.replace("localhost:8000", where.netloc)
    done = subprocess.run(["bash", "-e", "-c", script], cwd=REPO, env=processes.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    visit, report = answers[-2], answers[-1]
    assert visit["group"] == "g-gulou" and visit["days"] == 1.5
    assert report["kind"] == "monthly" and report["period"] == "2022-03"
    assert any(g["group"] == "g-gulou" for g in report["groups"]), report["groups"]
