"""R-SEC-3, API.md "Idempotency": a POST sent again with its Idempotency-Key stores once."""

from __future__ import annotations

import json
import uuid

import pytest

from services.backbone import idempotency
from tests.organisation import form_group


@pytest.fixture
def codes(api, unique):
    found = form_group(lambda m, p, b: (lambda r: (r.status_code, r.json_body))(api.request(m, p, b)), unique)
    api.settle()
    return found


def visit(codes, **fields):
    return {"group": codes["group"], "date": "2022-03-03", "days": 1, "planners": [codes["tier1"]], **fields}


def stored(runtime, service="visits"):
    return runtime.app(service).last_position()


def test_a_replay_gets_the_first_answer_and_stores_once(api, runtime, codes):
    # R-SEC-3: same key, same body -> the first answer, the command does not run again
    key = {"Idempotency-Key": uuid.uuid4().hex}
    before = stored(runtime)
    first = api.post("/api/v1/visits", visit(codes), headers=key)
    assert first.status_code == 201, first.json_body
    again = api.post("/api/v1/visits", visit(codes), headers=key)
    assert (again.status_code, again.json_body) == (201, first.json_body)
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert stored(runtime) == before + 1
    # The same body in another key order is the same request.
    reordered = dict(reversed(list(visit(codes).items())))
    assert api.post("/api/v1/visits", reordered, headers=key).json_body == first.json_body
    assert stored(runtime) == before + 1


def test_the_same_key_with_another_body_is_422(api, runtime, codes):
    # R-SEC-3
    key = {"Idempotency-Key": uuid.uuid4().hex}
    assert api.post("/api/v1/visits", visit(codes), headers=key).status_code == 201
    before = stored(runtime)
    other = api.post("/api/v1/visits", visit(codes, days=2), headers=key)
    assert other.status_code == 422
    assert other.json_body["error"] == {
        "code": "idempotency_key_reused", "message": other.json_body["error"]["message"],
        "field": "Idempotency-Key", "rule": "R-SEC-3",
    }
    assert stored(runtime) == before


def test_keys_are_scoped_to_caller_and_path(api, runtime, codes):
    # API.md: scoped to the caller (token subject) and the path
    key = {"Idempotency-Key": "shared-key-1"}
    before = stored(runtime)
    assert api.post("/api/v1/visits", visit(codes), headers=key).status_code == 201
    clerk = api.as_role("bureau", "another-clerk")
    assert clerk.post("/api/v1/visits", visit(codes), headers=key).status_code == 201
    assert stored(runtime) == before + 2
    assert api.post("/api/v1/settlements", {"group": codes["group"], "service_year": 2021}, headers=key).status_code in (
        200, 201)


def test_a_refusal_is_replayed_too_and_a_fixed_body_needs_a_new_key(api, runtime, codes):
    # R-SEC-3: the first answer, whatever it was (422 here), until the key expires
    key = {"Idempotency-Key": uuid.uuid4().hex}
    refused = api.post("/api/v1/visits", visit(codes, days=9), headers=key)
    assert refused.status_code == 422
    assert api.post("/api/v1/visits", visit(codes, days=9), headers=key).json_body == refused.json_body


def test_anonymous_callers_are_scoped_by_address(api, runtime, codes):
    # API.md: the client address when anonymous
    body = {"district": codes["district"], "category": "public_space", "text": "井盖缺失", "channel": "app"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    resident = api.anonymous()
    before = stored(runtime, "feedback")
    first = resident.post("/api/v1/opinions", body, headers=key, environ={"REMOTE_ADDR": "10.1.1.1"})
    assert first.status_code == 201, first.json_body
    again = resident.post("/api/v1/opinions", body, headers=key, environ={"REMOTE_ADDR": "10.1.1.1"})
    assert again.json_body["ref"] == first.json_body["ref"]
    elsewhere = resident.post("/api/v1/opinions", body, headers=key, environ={"REMOTE_ADDR": "10.2.2.2"})
    assert elsewhere.status_code == 201 and elsewhere.json_body["ref"] != first.json_body["ref"]
    assert stored(runtime, "feedback") == before + 2
    # Keys are stored under a keyed hash of the caller, never the address itself.
    rows = runtime.idempotency_db("feedback").query("SELECT caller FROM idempotency_keys")
    assert rows and all("10.1.1.1" not in r["caller"] and "10.2.2.2" not in r["caller"] for r in rows)


@pytest.mark.parametrize("bad", ["", "x" * 256, "naïve", "a b"])
def test_a_malformed_key_is_400(api, codes, bad):
    response = api.post("/api/v1/visits", visit(codes), headers={"Idempotency-Key": bad})
    assert response.status_code == 400 and response.json_body["error"]["field"] == "Idempotency-Key"


def test_a_key_in_flight_is_409_and_a_dead_claim_is_taken_over(api, runtime, codes, monkeypatch):
    key = uuid.uuid4().hex
    store = idempotency.IdempotencyStore(runtime.idempotency_db("visits"), 3600)
    caller = idempotency.pseudonym(runtime.settings.pseudonym_secret, "sub:bureau-test")
    document = visit(codes)  # claimed as the request itself would claim it
    claim = idempotency.Claim(caller, "/api/v1/visits", key, idempotency.fingerprint(
        "POST", json.dumps(document, sort_keys=True, ensure_ascii=False).encode()))
    assert store.claim(claim) is None  # another replica is running it now
    busy = api.post("/api/v1/visits", document, headers={"Idempotency-Key": key})
    assert busy.status_code == 409 and busy.json_body["error"]["code"] == "idempotency_key_in_flight"
    # That replica died: after the pending timeout the request runs here.
    clock = idempotency.now() + idempotency.PENDING_TIMEOUT_SECONDS + 1
    monkeypatch.setattr(idempotency, "now", lambda: clock)
    assert api.post("/api/v1/visits", document, headers={"Idempotency-Key": key}).status_code == 201


def test_records_expire_after_the_retention(api, runtime, codes, monkeypatch):
    # R-SEC-3: kept for RPS_IDEMPOTENCY_RETENTION_HOURS (default 24), then the key is free again
    key = {"Idempotency-Key": uuid.uuid4().hex}
    before = stored(runtime)
    assert api.post("/api/v1/visits", visit(codes), headers=key).status_code == 201
    later = idempotency.now() + runtime.settings.idempotency_retention_hours * 3600 + 10
    monkeypatch.setattr(idempotency, "now", lambda: later)
    assert api.post("/api/v1/visits", visit(codes), headers=key).status_code == 201
    assert stored(runtime) == before + 2


def test_without_a_key_nothing_is_recorded(api, runtime, codes):
    assert api.post("/api/v1/visits", visit(codes)).status_code == 201
    assert runtime.idempotency_db("visits").query("SELECT COUNT(*) AS n FROM idempotency_keys")[0]["n"] == 0


def _before_the_keyed_commit(monkeypatch, app, action):
    """Run ``action`` once, in another thread (another request), just before the keyed request's commit."""
    import threading

    original, done = app.commit_deferred, []

    def commit(held, answer):
        if not done:
            done.append(True)
            thread = threading.Thread(target=action)
            thread.start()
            thread.join(timeout=30)
        return original(held, answer)

    monkeypatch.setattr(app, "commit_deferred", commit)


def test_a_race_at_the_keyed_commit_runs_the_request_again_on_fresh_state(api, runtime, codes, monkeypatch):
    # R-SEC-3 amended (issue 15 item 2): the events and the answer are committed together; another
    # writer saving the same visit first makes the keyed request run again, once stored.
    visit_id = api.post("/api/v1/visits", visit(codes)).json_body["id"]
    app = runtime.app("visits")
    _before_the_keyed_commit(monkeypatch, app, lambda: app.correct_visit(visit_id, reason="另一位", changes={"days": 2}))
    key = {"Idempotency-Key": uuid.uuid4().hex}
    before = stored(runtime)
    body = {"reason": "补记地点", "places": ["东关街"]}
    first = api.post(f"/api/v1/visits/{visit_id}/corrections", body, headers=key)
    assert first.status_code == 200, first.json_body
    assert first.json_body["days"] == 2 and first.json_body["places"] == ["东关街"]  # built on the other write
    assert stored(runtime) == before + 2  # the other correction and this one, once
    assert api.post(f"/api/v1/visits/{visit_id}/corrections", body, headers=key).json_body == first.json_body
    assert stored(runtime) == before + 2


def test_a_claim_taken_over_meanwhile_stores_nothing_not_even_personal_data(api, runtime, codes, monkeypatch):
    # R-SEC-3 amended, R-SEC-4 (issue 15 item 2): a request slower than the in-flight window whose key
    # another replica took over rolls back: no event, and the personal data written beside it goes too.
    feedback = runtime.app("feedback")
    keys = runtime.idempotency_db("feedback")
    _before_the_keyed_commit(monkeypatch, feedback, lambda: keys.query(
        "UPDATE idempotency_keys SET created_at = created_at + 100 WHERE status IS NULL"))
    count = lambda table: runtime.db("feedback").query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]  # noqa: E731
    before = (stored(runtime, "feedback"), count("fb_personal_data"), count("fb_opinion_private"))
    body = {"district": codes["district"], "category": "public_space", "text": "井盖缺失", "channel": "app",
            "contact_name": "张三", "contact_phone": "13955556666", "address": "东昌路 1 号"}
    response = api.anonymous().post("/api/v1/opinions", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 409 and response.json_body["error"]["code"] == "idempotency_key_in_flight"
    assert (stored(runtime, "feedback"), count("fb_personal_data"), count("fb_opinion_private")) == before


def test_answers_an_older_release_kept_in_the_state_file_are_still_replayed(api, runtime, codes):
    # R-SEC-3 amended (issue 15 item 2): embedded keys moved beside the events; those recorded before
    # the upgrade (in the service's state file) move with them on first use
    key = uuid.uuid4().hex
    caller = idempotency.pseudonym(runtime.settings.pseudonym_secret, "sub:bureau-test")
    document = visit(codes)
    digest = idempotency.fingerprint("POST", json.dumps(document, sort_keys=True, ensure_ascii=False).encode())
    with runtime.db("visits").transaction() as cur:
        cur.execute(
            "INSERT INTO idempotency_keys (caller, path, idem_key, fingerprint, status, body, headers, created_at)"
            " VALUES (%s, %s, %s, %s, 201, %s, %s, %s)",
            (caller, "/api/v1/visits", key, digest, "eyJpZCI6ICJvbGQifQ==", '{"Content-Type": "application/json"}',
             int(idempotency.now())),
        )
    before = stored(runtime)
    replay = api.post("/api/v1/visits", document, headers={"Idempotency-Key": key})
    assert (replay.status_code, replay.json_body) == (201, {"id": "old"})
    assert stored(runtime) == before


def _notes(runtime, text: str) -> int:
    return len(runtime.db("reporting").query("SELECT number FROM rpt_notes WHERE text = %s", (text,)))


def _issued(runtime, period: str) -> int:
    return len(runtime.db("reporting").query("SELECT number FROM rpt_issued WHERE period = %s", (period,)))


def test_reporting_stores_its_write_and_the_key_s_answer_in_one_transaction(api, runtime, monkeypatch):
    # R-SEC-3 (issue 15 item 2, reporting has no events): when the key's answer cannot be stored,
    # the bureau note or issued copy it answers for is not stored either (a retry runs it once).
    text = f"半年度意见 {uuid.uuid4().hex[:8]}"
    note = {"text": text, "date": "2022-07-01"}
    real_record = idempotency.Answer.record

    def failing(self, execute, prefix, placeholder):
        raise RuntimeError("the store went away before the answer")

    monkeypatch.setattr(idempotency.Answer, "record", failing)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    assert api.post("/api/v1/reports/half-yearly/2022-H1/notes", note, headers=key).status_code == 500
    assert api.post("/api/v1/reports/monthly/2022-03/issue", {}, headers=key).status_code == 500
    assert _notes(runtime, text) == 0 and _issued(runtime, "2022-03") == 0  # nothing without its answer
    monkeypatch.setattr(idempotency.Answer, "record", real_record)
    first = api.post("/api/v1/reports/half-yearly/2022-H1/notes", note, headers=key)
    again = api.post("/api/v1/reports/half-yearly/2022-H1/notes", note, headers=key)
    assert first.status_code == 201 and (again.status_code, again.json_body) == (201, first.json_body)
    assert again.headers["Idempotent-Replayed"] == "true" and _notes(runtime, text) == 1
    issued = api.post("/api/v1/reports/monthly/2022-03/issue", {}, headers=key)
    assert issued.status_code == 201 and api.post("/api/v1/reports/monthly/2022-03/issue", {},
                                                   headers=key).json_body == issued.json_body
    assert _issued(runtime, "2022-03") == 1
    # a refused request (422) keeps its answer and stores nothing else
    late = {"text": text, "date": "2999-01-01"}
    other = {"Idempotency-Key": uuid.uuid4().hex}
    assert api.post("/api/v1/reports/half-yearly/2022-H1/notes", late, headers=other).status_code == 422
    assert api.post("/api/v1/reports/half-yearly/2022-H1/notes", late, headers=other).headers[
        "Idempotent-Replayed"] == "true"
    assert _notes(runtime, text) == 1


def test_the_in_process_client_does_not_wait_for_an_idempotency_store_being_opened(runtime, monkeypatch):
    # R-SEC-3's key store and the in-process client (R-RPT-8's daily job) are guarded apart:
    # opening a service's key store (moving an older release's keys) does not hold up the client.
    import threading

    from services import bootstrap

    opening, release = threading.Event(), threading.Event()
    open_store = bootstrap.SQLiteDatabase

    def slow_store(path):
        opening.set()
        release.wait(10)
        return open_store(path)

    monkeypatch.setattr(bootstrap, "SQLiteDatabase", slow_store)
    opener = threading.Thread(target=runtime.idempotency_db, args=("feedback",), daemon=True)
    opener.start()
    try:
        assert opening.wait(10)
        clients: list = []
        asking = threading.Thread(target=lambda: clients.append(runtime.local_client("feedback")), daemon=True)
        asking.start()
        asking.join(5)
        assert clients and clients[0] is not None, "local_client waited for the idempotency store"
    finally:
        release.set()
        opener.join(10)
    # One gateway behind every client.
    assert runtime.local_client("visits").application is clients[0].application
