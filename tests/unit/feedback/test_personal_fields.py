"""The street address, the photo and a non-public opinion's text and exact point are
personal data (R-SEC-4 amended, R-OPN-3, R-OPN-4; issue 15 item 7): kept in the vault,
never in an event, the event feed, the audit trail or an anonymous answer (Open311
included); a public opinion's point is shown rounded to 3 decimals; erasure removes them;
events stored with them before are read without them and redacted by `rps migrate`.
The same history on the real PostgreSQL: tests/integration/test_personal_history.py."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlencode

from services.cli import main
from tests.personal_history import (
    OLD_ADDRESS, OLD_MEDIA, OLD_SECRETS, OLD_TEXT, store_old_shape_opinion, store_old_shape_snapshot,
)
from tests.unit.feedback.conftest import form_post

API = "/api/v1"
ADDRESS, MEDIA = "古楼南街 17 号 2 单元 301", "https://photos.example.org/resident-0042.jpg"
PRIVATE_TEXT = "我家门口的路灯坏了很久（不公开）"
EXACT = {"lat": 36.451234, "lon": 115.981234}
SECRETS = (ADDRESS, MEDIA, PRIVATE_TEXT, "36.451234", "115.981234")


def _submit(api, world):
    """A non-public Open311 request with an address, a photo and a point; a public JSON opinion with all three."""
    form = {"service_code": "public_space", "lat": str(EXACT["lat"]), "long": str(EXACT["lon"]),
            "description": PRIVATE_TEXT, "address_string": ADDRESS, "media_url": MEDIA}
    private = form_post(api.anonymous(), f"{API}/open311/v2/requests.json", urlencode(form).encode())
    assert private.status_code == 201, private.json_body
    public = api.anonymous().post(f"{API}/opinions", {
        "point": EXACT, "category": "greening", "text": "补种行道树（公开）", "public": True,
        "address": ADDRESS, "media_url": MEDIA})
    assert public.status_code == 201, public.json_body
    return private.json_body[0]["service_request_id"], public.json_body["ref"]


def _leaks(value) -> list[str]:
    text = json.dumps(value, ensure_ascii=False)
    return [secret for secret in (*SECRETS, *OLD_SECRETS) if secret in text]


def test_no_address_photo_private_text_or_exact_point_in_any_anonymous_answer_event_or_trail(api, world):
    # R-SEC-4 amended, R-OPN-4: every anonymous answer, the published events (the feed) and the audit trail
    private, public = _submit(api, world)
    api.settle()
    anonymous = api.anonymous()
    listed = anonymous.get(f"{API}/open311/v2/requests.json?service_request_id={private},{public}").json_body
    one = [anonymous.get(f"{API}/open311/v2/requests/{ref}.json").json_body[0] for ref in (private, public)]
    followed = [anonymous.get(f"{API}/opinions/{ref}").json_body for ref in (private, public)]
    feed = api.get(f"{API}/events/feedback?limit=1000").json_body
    trail = [api.get(f"{API}/audit/opinion/{ref}").json_body for ref in (private, public)]
    for answer in (listed, one, followed, feed, trail):
        assert _leaks(answer) == [], answer
    by_ref = {r["service_request_id"]: r for r in listed}
    assert by_ref[private]["address"] is None and by_ref[private]["media_url"] is None
    assert (by_ref[private]["lat"], by_ref[private]["long"], by_ref[private]["description"]) == (None, None, None)
    # a public opinion's point is shown rounded to 3 decimals, its text in full
    assert (by_ref[public]["lat"], by_ref[public]["long"]) == (36.451, 115.981)
    assert by_ref[public]["description"] == "补种行道树（公开）" and by_ref[public]["address"] is None
    assert one[0] == by_ref[private] and one[1] == by_ref[public]
    submitted = [e for e in feed["events"] if e["type"].endswith(".OpinionSubmitted.v1")]
    assert all({"address", "media_url"}.isdisjoint(e["data"]) for e in submitted)
    assert {e["data"]["ref"]: e["data"]["point"] for e in submitted} == {private: None, public: {"lat": 36.451,
                                                                                                 "lon": 115.981}}
    # positive control: staff see them, from the vault
    staff = {i["ref"]: i for i in api.get(f"{API}/opinions?district={world['district']}").json_body["items"]}
    assert (staff[private]["address"], staff[private]["media_url"], staff[private]["text"]) == (ADDRESS, MEDIA,
                                                                                               PRIVATE_TEXT)
    assert staff[private]["point"] == EXACT


def test_erasure_removes_the_address_photo_and_private_text(api, runtime, world):
    # R-SEC-4 amended: erasure removes all of it; the opinion and its history stay
    private, public = _submit(api, world)
    for ref in (private, public):
        assert api.delete(f"{API}/opinions/{ref}/personal-data").status_code == 204
    assert runtime.app("feedback").vault.details([private, public]) == {}
    with sqlite3.connect(runtime.settings.data_dir / "feedback-state.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM fb_opinion_private").fetchone()[0] == 0
    api.settle()
    staff = {i["ref"]: i for i in api.get(f"{API}/opinions?district={world['district']}").json_body["items"]}
    assert _leaks(staff) == [] and staff[private]["status"] == "received"
    assert staff[public]["text"] == "补种行道树（公开）"  # public text is not personal: it stays


def test_a_history_stored_with_personal_fields_is_read_without_them_and_redacted_by_migrate(
    api, runtime, world, monkeypatch, capsys
):
    # R-SEC-4 amended: events stored before the amendment are read without the fields until
    # `rps migrate` moves them to the vault (the event's published version unchanged); the chain verifies
    app = runtime.app("feedback")
    ref = store_old_shape_opinion(app, world["district"], world["government"], world["group"])
    store_old_shape_snapshot(app, ref)
    api.settle()
    events = runtime.settings.data_dir / "feedback-events.sqlite"
    with sqlite3.connect(events) as conn:
        stored = conn.execute("SELECT state FROM stored_events ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    assert OLD_ADDRESS.encode() in bytes(stored)  # the store still holds them ...
    opinion = app.get_opinion(ref)  # ... the application reads without them
    assert opinion.text is None and opinion.point is None and not hasattr(opinion, "address")
    feed = api.get(f"{API}/events/feedback?limit=1000").json_body
    [envelope] = [e for e in feed["events"] if e["data"].get("ref") == ref]
    assert envelope["type"].endswith(".OpinionSubmitted.v1")
    for answer in (feed, api.get(f"{API}/audit/opinion/{ref}").json_body,
                   api.anonymous().get(f"{API}/open311/v2/requests/{ref}.json").json_body):
        assert _leaks(answer) == [], answer

    monkeypatch.setenv("RPS_DATA_DIR", str(runtime.settings.data_dir))
    for name in ("AMQP_URI", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    capsys.readouterr()
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "feedback: chain keyed with 'dev' (" in out and ", 1 events redacted)" in out, out
    assert "1 snapshots redacted" in out, out
    with sqlite3.connect(events) as conn:
        states = b"\n".join(bytes(r[0]) for table in ("stored_events", "stored_snapshots")
                            for r in conn.execute(f"SELECT state FROM {table}"))
    assert [s for s in OLD_SECRETS if s.encode() in states] == []
    details = app.vault.details([ref])[ref]
    assert (details.address, details.media_url, details.text) == (OLD_ADDRESS, OLD_MEDIA, OLD_TEXT)
    assert details.point == {"lat": 36.451234, "lon": 115.981234}
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "feedback: intact" in capsys.readouterr().out
    # migrating again finds nothing more to redact
    assert main(["migrate"]) == 0 and ", 0 events redacted)" in capsys.readouterr().out
