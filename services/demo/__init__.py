"""``rps demo`` / ``make demo``: a realistic past service year, played over HTTP, and its reports.

A fresh embedded system starts in this process as ``rps run`` starts it
(seeded with Liaocheng's governments and sub-districts, R-ORG-2; without the
daily reminders thread) on a free local port; the scenario (``scenario.py``) then plays service year 2021
for the ten sub-districts through the public HTTP API with business dates,
and the monthly, quarterly, half-yearly and annual reports are fetched in
every format into ``--out`` (``reports.py``), with ``index.html`` linking
them. Nothing calls the applications directly: what the demo does, a user
with the right tokens could do with curl.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from services.backbone import clock
from services.demo import reports
from services.demo.client import ApiError, Client, token_issuer
from services.demo.plot import BUREAU, EXPECTED_SETTLEMENTS, GROUP, STORY_LAST, YEAR_FIRST, YEAR_LAST
from services.demo.scenario import Tally, Year

MARKER = clock.DEMO_MARKER
SHANGHAI = ZoneInfo("Asia/Shanghai")
_STORE_FILE = re.compile(r"^[a-z]+-(events|state)\.sqlite(-wal|-shm|-journal)?$")


class DemoError(Exception):
    """The demo cannot start (a setting, a directory it must not wipe)."""


def fresh_data_dir(path: Path) -> None:
    """Wipe and recreate ``path``, but only when it holds nothing but an earlier demo's stores."""
    if path.exists():
        if not path.is_dir():
            raise DemoError(f"{path} is not a directory")
        entries = [p for p in path.iterdir() if p.name != MARKER]
        if entries and not (path / MARKER).exists() and not all(_STORE_FILE.match(p.name) for p in entries):
            raise DemoError(f"refusing to wipe {path}: it holds files an earlier demo did not make; "
                            "choose another --data-dir")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    mark(path)


def mark(path: Path, as_of: dt.date | None = None) -> None:
    """The marker of a demo's data directory; ``as_of``: the last business date played (clock.data_as_of)."""
    played = f"as_of: {as_of.isoformat()}\n" if as_of else ""
    (path / MARKER).write_text(f"made by `rps demo`; wiped at its next start\n{played}", encoding="utf-8")


def window_end(months: int) -> dt.date:
    """The last business date played: the end of the ``months``-th month of the year, or the whole story."""
    if months >= 12:
        return STORY_LAST
    year, month = YEAR_FIRST.year, YEAR_FIRST.month + months
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def parse_formats(text: str) -> tuple[str, ...]:
    asked = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in asked if f not in reports.FORMATS]
    if unknown:
        raise DemoError(f"--formats: unknown {', '.join(unknown)}; choose from {', '.join(reports.FORMATS)}")
    # JSON is the one every consumer relies on: always written.
    return tuple(f for f in reports.FORMATS if f == "json" or f in asked)


def run_demo(*, data_dir: str | Path = "var/demo", out: str | Path = "out", months: int = 12,
             formats: str = "json,html,xlsx,pdf", say: Callable[[str], None] | None = None) -> int:
    """Play the year and write its reports; 0 when every step and every JSON report worked."""
    say = say or (lambda line: print(line, flush=True))
    started = time.monotonic()
    # One line per request would bury the story: the demo keeps the access logs quiet.
    for name in ("werkzeug", "rps.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        wanted = parse_formats(formats)
        if not 1 <= months <= 12:
            raise DemoError("--months: 1 to 12")
        from services.backbone.settings import Settings

        settings = Settings.from_env()
        if not settings.embedded:
            raise DemoError("the demo runs embedded: unset AMQP_URI and DATABASE_URL")
        data = Path(data_dir)
        settings = dataclasses.replace(settings, data_dir=data, http="127.0.0.1:0")
        tokens = token_issuer(settings)
        try:
            tokens(BUREAU)
        except Exception as exc:  # e.g. RPS_JWKS_URL set: tokens come from the identity provider
            raise DemoError(f"cannot sign the demo's tokens here ({type(exc).__name__}: {exc})") from None
        fresh_data_dir(data)
    except DemoError as exc:
        print(f"rps demo: {exc}", file=sys.stderr)
        return 2

    from werkzeug.serving import make_server

    from services.backbone.http import Gateway
    from services.bootstrap import Runtime

    # Started as `rps run` starts the embedded system, without the daily
    # reminders: the demo plays a past year, and today's reminders of it would
    # only be noise in its output.
    say(f"rps demo: starting the embedded system (data in {data}) ...")
    runtime = Runtime.embedded(settings)
    server = None
    try:
        runtime.start_embedded_bus()
        runtime.start_workers(daily=False)
        seeded = runtime.seed_if_new()
        host, port = settings.http_host_port
        server = make_server(host, port, Gateway(runtime.service_objects()), threaded=True)
        threading.Thread(target=server.serve_forever, name="demo-http", daemon=True).start()
        base = f"http://{host}:{server.port}"
        say(f"rps demo: embedded system on {base}; {seeded} governments and sub-districts seeded")
        client = Client(base, tokens)
        try:
            return _play(client, data, Path(out), months, wanted, say, started)
        finally:
            client.close()
    finally:
        if server is not None:
            server.shutdown()
        runtime.close()


def _play(client: Client, data: Path, out: Path, months: int, formats: tuple[str, ...],
          say: Callable[[str], None], started: float) -> int:
    _wait_ready(client)
    last = window_end(months)
    # Issue 16: the service year is 2021-06-01 .. 2022-05-31 (README); the story runs on into June 2022
    # for the summaries and the settlements.
    say(f"rps demo: playing service year 2021 ({YEAR_FIRST} .. {YEAR_LAST})"
        + (f" and its settlement month, up to {STORY_LAST}," if last > YEAR_LAST else f", up to {last},")
        + " over HTTP")
    year = Year(client, cutoff=last, say=say)
    year.plot()
    tally = year.play()
    year.today_intake()
    if not client.settle(timeout=60):
        say("  warning: the read models had not caught up after 60 s; the reports may lag")
    played = time.monotonic() - started
    say(f"rps demo: year played in {played:.1f} s ({client.calls} HTTP calls); fetching reports into {out}/")
    periods = reports.report_periods(YEAR_FIRST, min(last, STORY_LAST))
    written = reports.fetch_all(client, BUREAU, out, periods, formats, say)
    settlements = _settlement_rows(tally, _district_names(client, say))
    index = reports.write_index(out, written, {
        "formats": formats,
        "played": f"{YEAR_FIRST} – {min(last, STORY_LAST)}",
        "generated": dt.datetime.now(SHANGHAI).isoformat(timespec="seconds"),
        "data_dir": str(data),
        "counts": _count_rows(tally),
        "settlements": settlements,
    })
    _screens(client, out, tally, say)
    json_failures = sum(1 for w in written if "json" in w.problems)
    other_warnings = sum(1 for w in written for f in w.problems if f != "json")
    files = sum(len(w.files) for w in written)
    _summary(say, tally, settlements, index, files, other_warnings, time.monotonic() - started, client.calls)
    # Issue 16: the data stays for browsing; its pages open on the last day played, not on today.
    mark(data, min(last, STORY_LAST))
    say(f"rps demo: browse the year in the web pages: rps run --data {data}  (then http://127.0.0.1:8000/web/)")
    if tally.failures or json_failures:
        say(f"rps demo: {len(tally.failures)} step(s) failed, {json_failures} JSON report(s) missing (see above)")
        return 1
    return 0


def _screens(client: Client, out: Path, tally: object, say: Callable[[str], None]) -> None:
    """Each role's home page as people see it, saved under out/screens/ (issue 10).

    Uses the browser tests' driver (Debian's Chromium and tests/web's playwright-core,
    which `make test` installs); without them the demo says so and goes on."""
    root = Path(__file__).resolve().parents[2]
    driver = root / "tests" / "web" / "driver.js"
    if not (shutil.which("node") and Path("/usr/bin/chromium").exists()
            and (root / "tests" / "web" / "node_modules" / "playwright-core").is_dir()):
        say("  screenshots skipped: needs node, /usr/bin/chromium and tests/web/node_modules (make web-deps)")
        return
    refs = getattr(tally, "today_refs", [])
    ref = refs[0].split()[0] if refs else ""
    # Issue 16: the browser takes a quarter of a minute; say so before it starts.
    say("rps demo: opening each role's home page in Chromium for a screenshot ...")
    args = {"base": client.base_url, "screens": str((out / "screens").resolve()),
            "a": {"group": "g-gulou", "government": "dongchangfu"}, "b": {"district": "gulou"}, "ref": ref}
    try:
        done = subprocess.run(["node", str(driver), "homes", json.dumps(args)], cwd=root, capture_output=True,
                              text=True, timeout=180)
    except subprocess.TimeoutExpired:
        say("  screenshots: the browser took too long; skipped")
        return
    if done.returncode == 0:
        say(f"rps demo: home page of every role saved under {out / 'screens'}/")
    else:
        say(f"  screenshots failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")


def _wait_ready(client: Client, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.raw("GET", "/health/ready")[0] == 200:
                return
        except OSError:
            client.close()
        if time.monotonic() > deadline:
            raise TimeoutError("the embedded system did not become ready")
        time.sleep(0.1)


def _district_names(client: Client, say: Callable[[str], None]) -> dict[str, str]:
    """The sub-districts' names as the contracts service publishes them (R-ORG-2)."""
    try:
        answer = client.get("/api/v1/districts?limit=200", who=BUREAU)
    except (ApiError, OSError) as exc:
        say(f"  warning: district names unavailable: {exc}")
        return {}
    return {d["code"]: d.get("name") or d["code"] for d in answer.get("items", [])}


def _settlement_rows(tally: Tally, names: dict[str, str]) -> list[dict]:
    rows = []
    for group in GROUP:
        s = tally.settled.get(group)
        if not s:
            continue
        expected = EXPECTED_SETTLEMENTS[group]
        got = (s.get("duty_months"), s.get("months_with_visit"), s.get("days"), s.get("fee_fen"),
               s.get("deduction_fen"), s.get("payable_fen"))
        check = "✓ as planned" if got == expected else f"✗ planned {expected[5]:,} payable"
        rows.append({**s, "group": group, "district_name": names.get(GROUP[group].district, GROUP[group].district),
                     "check": check})
    return rows


def _count_rows(t: Tally) -> list[tuple[str, str]]:
    return [
        ("服务记录 Visits", f"{t.visits}（面见主要负责同志 {t.leader_meetings}，镇街确认 {t.confirmed}，"
                          f"异议 {t.disputed}，更正 {t.corrected}，作废 {t.voided}）"),
        ("群众意见 Opinions", f"{t.opinions}（答复 {t.answered}，转为建议 {t.escalated}，上传下达 {t.relayed}）"
                            f"；今日新收 {len(t.today_refs)}"),
        ("意见建议 Recommendations", f"{t.recommendations}（函告 {t.letters} 份转交 {t.forwarded} 条；采纳 {t.accepted}，"
                                   f"不予采纳 {t.declined}，报告完成 {t.completed}，核实 {t.verified}，退回重办 {t.reopened}，"
                                   f"撤回 {t.withdrawn}）"),
        ("技术咨询 Consultations", f"{t.consultations}（出具意见 {t.consultation_opinions}）"),
        ("宣传 Publicity", str(t.publicity)),
        ("工作总结、评价 Summaries, ratings", f"半年总结 {t.summaries}，评价 {t.ratings}"),
        ("结算 Settlements", str(t.settlements)),
    ]


def _summary(say: Callable[[str], None], t: Tally, settlements: list[dict], index: Path, files: int,
             warnings: int, seconds: float, calls: int) -> None:
    say("")
    say(f"演示完成 Demo finished in {seconds:.1f} s ({calls} HTTP calls)")
    say(f"  服务记录 visits           {t.visits}（面见领导 {t.leader_meetings}，确认 {t.confirmed}，异议 {t.disputed}，"
        f"更正 {t.corrected}，作废 {t.voided}）")
    say(f"  群众意见 opinions         {t.opinions}（答复 {t.answered}，转为建议 {t.escalated}，上报 {t.relayed}）"
        f" + 今日新收 today {len(t.today_refs)}")
    say(f"  意见建议 recommendations  {t.recommendations}（函告 letters {t.letters}，转交 {t.forwarded}，"
        f"核实 verified {t.verified}，退回重办 reopened {t.reopened}，不予采纳 declined {t.declined}）")
    say(f"  技术咨询 consultations    {t.consultations}（出具意见 {t.consultation_opinions}）")
    if settlements:
        payable = sum(s["payable_fen"] for s in settlements)
        off = [s["group"] for s in settlements if not s["check"].startswith("✓")]
        say(f"  结算 settlements          {len(settlements)} groups, payable {reports.money(payable)} 元"
            + (f"; differs from the plan: {', '.join(off)}" if off else " (all as planned)"))
    say(f"  报告 reports              {index} ({files} files"
        + (f", {warnings} format warning(s)" if warnings else "") + ")")
    if t.skipped:
        say(f"  ({t.skipped} step(s) after the played window or after a failed step were not played)")
