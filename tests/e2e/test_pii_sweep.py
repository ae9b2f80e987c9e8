"""A PII sweep over the demo year (issue 8; R-SEC-4, R-OPN-3): no unmasked phone
number and no resident's name in any event body, log line, metric or report.

`rps demo --months 2 --formats json,html` plays June and July 2021. The demo's
scenario gives no resident contact with its opinions, so the sweep brings its
own: on the demo's data, `rps run` then takes opinions from residents with a
phone, a name and an app user id (JSON, with +86 and separators, anonymous,
and Open311), takes one dated in July 2021 through its whole course, lets the
notifier read the contact, and the month's reports are fetched again. Then
every event body in the SQLite event stores, both processes' captured output,
/metrics and every report file are searched. The vault holding the numbers is
the positive control: the data exists, only where it belongs.

Issue 15 item 7 (R-SEC-4 amended): the sweep's residents also give street addresses,
photos' URLs, exact points and texts not marked public. None of these may appear in an
event body, the event feed (/api/v1/events/feedback), the audit trail, an anonymous
answer (Open311 list and detail, GET /opinions/{ref}), a log line, a metric or a
report; the vault's details table holds them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.processes import RPS, Http, free_port

pytestmark = pytest.mark.e2e

# Mainland mobile numbers not part of a longer token (a hex id, a hash); the
# masked form 138****5678 never matches: its digits do not run for 11.
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")

# The sweep's residents (numbers as given, and as the vault keeps them).
PHONES = {"13912345678": "13912345678", "+86 139-1234-5601": "13912345601", "13712340002": "13712340002"}
NAMES = ("欧阳测试", "司马演示", "诸葛样例")
APP_USERS = ("app-sweep-7741",)
SECRETS = (*PHONES.values(), *NAMES, *APP_USERS)
# R-SEC-4 amended: personal whoever gives them (addresses, photos) and, not public, the text and exact point
ADDRESSES = ("楼西街 12 号 4 单元 502", "柳园路 9 号院 3 号楼")
MEDIA = ("https://photos.example.org/sweep-lamp-0001.jpg", "https://photos.example.org/sweep-crossing-0002.jpg")
PRIVATE_TEXTS = ("楼西街路灯不亮，晚上出行不便", "路口缺少人行横道")
EXACT = ("36.451234", "115.981234")
PERSONAL = (*ADDRESSES, *MEDIA, *PRIVATE_TEXTS, *EXACT)


def _embedded_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}


def _form(http: Http, path: str, fields: dict[str, str]):
    return http.call("POST", path, raw=urllib.parse.urlencode(fields).encode(),
                     headers={"content-type": "application/x-www-form-urlencoded"})


def _ok(answer, expected: int = 200):
    status, body = answer
    assert status == expected, body
    return body


def _residents_write_in(http: Http) -> str:
    """Opinions with contacts, through every intake; the July one runs its whole course. Its ref."""
    bureau, resident = http, http.anonymous()
    dated = _ok(bureau.call("POST", "/api/v1/opinions", {
        "district": "gulou", "category": "public_space", "text": "楼西街路灯不亮，晚上出行不便", "channel": "app",
        "date": "2021-07-20", "contact_phone": "13912345678", "contact_name": NAMES[0], "app_user_id": APP_USERS[0],
        "address": ADDRESSES[0], "media_url": MEDIA[0],
    }), 201)
    _ok(resident.call("POST", "/api/v1/opinions", {
        "district": "gulou", "category": "greening", "text": "小区门口的行道树枯死了", "channel": "app",
        "contact_phone": "+86 139-1234-5601", "contact_name": NAMES[1],
    }), 201)
    _ok(_form(resident, "/api/v1/open311/v2/requests.json", {
        "service_code": "transport", "description": "路口缺少人行横道", "attribute[district]": "gulou",
        "phone": "13712340002", "first_name": NAMES[2], "address_string": ADDRESSES[1], "media_url": MEDIA[1],
        "lat": EXACT[0], "long": EXACT[1],
    }), 201)
    ref = dated["ref"]
    for step, body in (("acknowledge", {"date": "2021-07-21"}), ("relay", {"date": "2021-07-22", "comment": "请区政府协调"}),
                       ("answer", {"date": "2021-07-26", "reply": "已报修，本周内修复"}),
                       ("close", {"date": "2021-07-28"})):
        _ok(bureau.call("POST", f"/api/v1/opinions/{ref}/{step}", body))
    _ok(bureau.call("GET", "/api/v1/opinions?district=gulou"))
    _ok(bureau.call("GET", f"/api/v1/opinions/{ref}"))
    _ok(bureau.call("GET", f"/api/v1/open311/v2/requests/{ref}.json"))
    return ref


def _answers(http: Http, ref: str) -> dict[str, str]:
    """What the running system answers about the sweep's opinions: the event feed and the audit
    trail (bureau), the anonymous Open311 list and detail and GET /opinions/{ref}."""
    resident = http.anonymous()
    listed = _ok(resident.call("GET", "/api/v1/open311/v2/requests.json"))
    assert ref in [r["service_request_id"] for r in listed]
    refs = [ref, *[r["service_request_id"] for r in listed[:20] if r["service_request_id"] != ref]]
    feed, after = [], 0
    while True:
        page = _ok(http.call("GET", f"/api/v1/events/feedback?after={after}&limit=1000"))
        feed += page["events"]
        if not page["events"]:
            break
        after = page["next_after"]
    answers = {
        "feed": feed,
        "audit trail": _ok(http.call("GET", f"/api/v1/audit/opinion/{ref}")),
        "open311 list": listed,
        "open311 detail": [_ok(resident.call("GET", f"/api/v1/open311/v2/requests/{r}.json")) for r in refs],
        "opinion followed": [_ok(resident.call("GET", f"/api/v1/opinions/{r}")) for r in refs],
    }
    return {name: json.dumps(body, ensure_ascii=False) for name, body in answers.items()}


def _without_time(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "generated_at"}


def _notified(data_dir: Path, timeout: float = 30.0) -> None:
    """Wait until the running system's notifier has delivered what it had (it reads the contacts)."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(data_dir / "feedback-state.sqlite") as conn:
            pending = conn.execute("SELECT COUNT(*) FROM fb_outbox WHERE status = 'pending'").fetchone()[0]
            read = conn.execute("SELECT COUNT(*) FROM fb_personal_data_access WHERE action = 'notify'").fetchone()[0]
        if pending == 0 and read > 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"notifications not delivered: {pending} pending, {read} contacts read")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("pii")
    data, out = root / "var", root / "out"
    env = _embedded_env()
    demo = subprocess.run(
        [RPS, "-v", "demo", "--data-dir", str(data), "--out", str(out), "--months", "2", "--formats", "json,html"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    (root / "demo.log").write_text(demo.stdout + demo.stderr, encoding="utf-8")

    port = free_port()
    log = open(root / "run.log", "wb")
    run = subprocess.Popen([RPS, "-v", "run"], stdout=log, stderr=subprocess.STDOUT,
                           env={**env, "RPS_DATA_DIR": str(data), "RPS_HTTP": f"127.0.0.1:{port}",
                                "RPS_NOTIFY_BACKOFF_SECONDS": "0"})
    try:
        http = Http(f"http://127.0.0.1:{port}")
        http.wait_ready()
        before = _without_time(_ok(http.call("GET", "/api/v1/reports/monthly/2021-07")))
        ref = _residents_write_in(http)
        _notified(data)
        # The reporting read models take the July opinion in: the month's report changes.
        http.eventually("/api/v1/reports/monthly/2021-07", lambda body: _without_time(body) != before)
        # The month's reports again, now holding the sweep's opinion, next to the demo's.
        for kind, period in (("monthly", "2021-07"), ("quarterly", "2021-Q3"), ("annual", "2021")):
            for fmt in ("json", "html"):
                request = urllib.request.Request(
                    f"{http.base}/api/v1/reports/{kind}/{period}?format={fmt}",
                    headers={"Authorization": f"Bearer {http.token}"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    (out / f"sweep-{kind}-{period}.{fmt}").write_bytes(response.read())
        metrics = urllib.request.urlopen(f"{http.base}/metrics", timeout=30).read().decode()
        answers = _answers(http, ref)
    finally:
        run.terminate()
        try:
            run.wait(timeout=15)
        except subprocess.TimeoutExpired:
            run.kill()
        log.close()
    return {"root": root, "data": data, "out": out, "metrics": metrics, "ref": ref, "answers": answers,
            "logs": {name: (root / name).read_text(encoding="utf-8", errors="replace")
                     for name in ("demo.log", "run.log")}}


def _findings(text: str) -> list[str]:
    found = [m.group(0) for m in MOBILE.finditer(text)]
    return found + [s for s in (*SECRETS, *PERSONAL) if s in text]


def test_the_contacts_exist_only_in_the_vault(swept):
    # positive control: without it, a clean sweep would prove nothing
    import sqlite3

    with sqlite3.connect(swept["data"] / "feedback-state.sqlite") as conn:
        phones = {row[0] for row in conn.execute("SELECT phone FROM fb_personal_data")}
        names = {row[0] for row in conn.execute("SELECT name FROM fb_personal_data")}
        accesses = conn.execute("SELECT action, ref FROM fb_personal_data_access").fetchall()
    assert set(PHONES.values()) <= phones and set(NAMES) <= names
    with sqlite3.connect(swept["data"] / "feedback-state.sqlite") as conn:
        details = json.dumps(conn.execute("SELECT text, lat, lon, address, media_url FROM fb_opinion_private").fetchall(),
                             ensure_ascii=False)
    assert [p for p in PERSONAL if p not in details] == []  # R-SEC-4 amended: the details are in the vault
    assert set(PHONES.values()) <= set(_findings(json.dumps(sorted(phones))))  # the search would see them
    assert {"store", "view", "notify"} <= {a for a, _ in accesses}
    assert ("notify", swept["ref"]) in accesses


def test_no_unmasked_phone_or_name_in_any_event_body(swept):
    # R-OPN-3, R-SEC-4: events carry the masked phone and an opaque key only
    from services.backbone.declaration import publisher_names
    from services.backbone.settings import Settings
    from services.bootstrap import Runtime

    runtime = Runtime.embedded(Settings(data_dir=swept["data"]))
    try:
        bodies = []
        for service in publisher_names():
            after = 0
            while True:
                page = runtime.app(service).envelopes(after, 1000)
                bodies += [json.dumps(e, ensure_ascii=False) for e in page]
                if len(page) < 1000:
                    break
                after = page[-1]["position"]
    finally:
        runtime.close()
    text = "\n".join(bodies)
    assert len(bodies) > 100  # the demo's two months and the sweep's opinions
    assert text.count(".OpinionSubmitted.v1") >= 3 + 5 and text.count(".PersonalDataErased.v1") == 0
    assert "139****5678" in text  # the masked form is there, and is fine
    assert _findings(text) == []


def test_no_address_photo_private_text_or_exact_point_in_the_feed_trail_or_anonymous_answers(swept):
    # R-SEC-4 amended, R-OPN-4 (issue 15 item 7): the running system's answers carry none of them
    for name, text in swept["answers"].items():
        assert _findings(text) == [], name
    assert swept["ref"] in swept["answers"]["audit trail"] and ".OpinionSubmitted.v1" in swept["answers"]["feed"]


def test_no_unmasked_phone_or_name_in_any_log_line(swept):
    # R-SEC-4, ASVS V7: logs of who and what, never the data; the accesses were logged
    for name, text in swept["logs"].items():
        assert _findings(text) == [], name
    assert "personal data access action=notify" in swept["logs"]["run.log"]
    assert f"ref={swept['ref']}" in swept["logs"]["run.log"]


def test_no_unmasked_phone_or_name_in_the_metrics(swept):
    # R-OPN-3: no personal data in metric labels
    assert 'route="/api/v1/opinions/<ref>/close"' in swept["metrics"]  # the labels are route templates
    assert _findings(swept["metrics"]) == []


def test_no_unmasked_phone_or_name_in_any_report(swept):
    # R-RPT-*: every report file written, the demo's and the sweep's
    files = sorted(p for p in swept["out"].rglob("*") if p.is_file() and p.suffix in (".json", ".html"))
    assert len(files) >= 10 and any(p.name.startswith("sweep-") for p in files)
    for path in files:
        assert _findings(path.read_text(encoding="utf-8", errors="replace")) == [], path.name
