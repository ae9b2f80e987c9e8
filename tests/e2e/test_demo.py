"""`rps demo`: a past service year played over HTTP, and its reports written to --out."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.processes import RPS, Http, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The first three months (June–August 2021), JSON and HTML only, into a temporary directory."""
    root = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [RPS, "demo", "--data-dir", str(root / "var"), "--out", str(root / "out"), "--months", "3",
         "--formats", "json,html"],
        env=_embedded_env(), capture_output=True, text=True, timeout=300,
    )
    return root, done


def _embedded_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}


def _report(root, name):
    return json.loads((root / "out" / name).read_text(encoding="utf-8"))


def test_the_demo_exits_cleanly_and_links_its_reports(demo):
    # R-RPT-1..4, R-RPT-6: every report of the played months is written and linked from index.html
    root, done = demo
    assert done.returncode == 0, done.stdout + done.stderr
    index = root / "out" / "index.html"
    assert index.exists()
    page = index.read_text(encoding="utf-8")
    for name in ("monthly-2021-06.json", "monthly-2021-07.json", "monthly-2021-08.json",
                 "quarterly-2021-Q3.json", "half-yearly-2021-H2.json", "annual-2021.json"):
        assert (root / "out" / name).exists(), name
        assert f'href="{name}"' in page, name
    assert str(index) in done.stdout  # it says where the reports are


def test_the_monthly_dispatch_counts_the_visits_and_the_missed_month(demo):
    # R-VIS-2, R-RPT-1: g-fenghuang has no visit in July 2021, a duty month that has ended: a finding
    root, done = demo
    assert done.returncode == 0, done.stdout + done.stderr
    july = _report(root, "monthly-2021-07.json")
    assert july["period"] == "2021-07"
    assert sum(g["visits"] for g in july["groups"]) > 0
    fenghuang = next(g for g in july["groups"] if g["group"] == "g-fenghuang")
    assert fenghuang["duty_month"] is True and fenghuang["visits"] == 0 and fenghuang["has_visit"] is False
    assert "R-VIS-2" in [f["rule"] for f in fenghuang["findings"]]
    assert any(f["rule"] == "R-VIS-2" and f.get("group") == "g-fenghuang" for f in july["findings"])
    # R-VIS-5 (DOMAIN.md worked example 1): 06-30 for 1.5 days and 07-01 for 1.0 make 2.0 days, 1.0 in July
    liuyuan = next(g for g in july["groups"] if g["group"] == "g-liuyuan")
    assert liuyuan["days_in_month"] == 1.0 and liuyuan["days_in_service_year"] == 2.0


def test_the_demo_refuses_to_wipe_a_directory_it_did_not_make(tmp_path):
    # the data directory is wiped at start, but never one holding someone else's files
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine", encoding="utf-8")
    done = subprocess.run([RPS, "demo", "--data-dir", str(keep), "--out", str(tmp_path / "out")],
                          env=_embedded_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "refusing to wipe" in done.stderr
    assert (keep / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_rebuilding_the_demo_year_gives_the_same_reports(demo):
    # R-RPT-5/R-RPT-1..4: reports rebuilt from the event history equal the live ones
    from services.backbone.settings import Settings
    from services.bootstrap import Runtime
    from services.reporting.reports import live_report

    root, done = demo
    assert done.returncode == 0, done.stdout + done.stderr
    runtime = Runtime.embedded(Settings(data_dir=root / "var"))
    periods = [("monthly", "2021-06"), ("monthly", "2021-07"), ("monthly", "2021-08"),
               ("quarterly", "2021-Q3"), ("half-yearly", "2021-H2"), ("annual", "2021")]
    try:
        def reports():
            out = {}
            for kind, period in periods:
                report = live_report(runtime.db("reporting"), kind, period)
                report.pop("generated_at")
                out[(kind, period)] = report
            return out

        live = reports()
        applied = runtime.rebuild()
        assert sum(applied.values()) > 100
        assert reports() == live
    finally:
        runtime.close()


def test_the_demo_says_its_progress_its_year_and_how_to_browse_it(demo):
    # Issue 16: `make demo` was silent while it rendered, said 2021-06-01..2022-06-30 for the service year
    # (README: ..2022-05-31) and ended without saying how to browse its data
    root, done = demo
    assert done.returncode == 0, done.stdout + done.stderr
    assert "service year 2021 (2021-06-01 .. 2022-05-31), up to 2021-08-31," in done.stdout
    assert "2022-06-30" not in done.stdout
    progress = [line for line in done.stdout.splitlines() if line.strip().startswith("report ")]
    assert progress[0].strip().startswith("report 1/") and progress[-1].strip().startswith(
        f"report {len(progress)}/{len(progress)}:")
    # each month played is a line, in order, as it ends; piped, no terminal codes
    months = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("  2021-")]
    assert months == ["2021-06", "2021-07", "2021-08"]
    assert "\x1b" not in done.stdout + done.stderr
    assert "starting the embedded system" in done.stdout.splitlines()[0]
    assert f"rps run --data {root / 'var'}" in done.stdout.splitlines()[-1]
    assert "rps.access" not in done.stderr  # one line per request would bury the story


def test_browsing_the_demo_opens_its_pages_on_the_last_day_played(demo, tmp_path):
    # Issue 16: after `make demo` the web pages opened on today (after the demo's year) with a 422;
    # `rps run --data DIR` serves the demo's data and its pages take their "as of" date from it
    root, done = demo
    assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    with open(tmp_path / "run.log", "wb") as log:
        run = subprocess.Popen([RPS, "run", "--data", str(root / "var")], stdout=log, stderr=subprocess.STDOUT,
                               env={**_embedded_env(), "RPS_HTTP": f"127.0.0.1:{port}"})
    try:
        http = Http(f"http://127.0.0.1:{port}")
        http.wait_ready(process=run)
        status, config = http.anonymous().call("GET", "/web/config.json")
        assert status == 200 and config["today"] == "2021-08-31", config
        status, report = http.call("GET", f"/api/v1/reports/monthly/{config['today'][:7]}")
        assert status == 200 and any(g["visits"] for g in report["groups"]), report
    finally:
        run.terminate()
        run.wait(timeout=15)
