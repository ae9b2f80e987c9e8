"""Every access to residents' personal data is recorded: who, when, which opinion,
what — never the data itself (R-SEC-4; ASVS V7 security logging), in the
append-only table fb_personal_data_access and a structured log line."""

from __future__ import annotations

import json
import logging
import time

import pytest

from services.feedback.notifications import Dispatcher, RecordingNotifier

PHONE = "13812345678"
NAME = "张三丰"
APP_USER = "app-user-4711"
SECRETS = (PHONE, NAME, APP_USER)


def submit(api, world, date: str | None = "2022-03-01", **contact) -> str:
    body = {"district": world["district"], "category": "greening", "text": "行道树枯死", **contact}
    if date:
        body["date"] = date
    response = api.post("/api/v1/opinions", body)
    assert response.status_code == 201, response.json_body
    return response.json_body["ref"]


def accesses(runtime, ref: str | None = None) -> list[dict]:
    sql = "SELECT * FROM fb_personal_data_access"
    rows = runtime.db("feedback").query(sql + (" WHERE ref = %s" if ref else "") + " ORDER BY at, id",
                                        (ref,) if ref else ())
    return rows


def actions(rows) -> list[tuple[str, str, str]]:
    return [(r["action"], r["actor"], r["fields"]) for r in rows]


def assert_no_personal_data(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_intake_staff_views_notification_and_erasure_are_each_recorded(api, runtime, world, caplog):
    # R-SEC-4: store, view (masked phone shown to staff), notify (the dispatcher reads the contact), erase
    caplog.set_level(logging.INFO, logger="rps.personal_data")
    resident = api.anonymous()
    ref = submit(resident, world, date=None, contact_phone=PHONE, contact_name=NAME, app_user_id=APP_USER)
    planner = api.as_role("planner", "planner-7", group=world["group"], district=world["district"],
                          government=world["government"])
    acknowledged = planner.post(f"/api/v1/opinions/{ref}/acknowledge", {},
                                headers={"X-Correlation-ID": "corr-ack-1"})
    assert acknowledged.status_code == 200 and acknowledged.json_body["contact_phone_masked"] == "138****5678"
    listed = api.get(f"/api/v1/opinions?district={world['district']}")
    assert [i["ref"] for i in listed.json_body["items"]] == [ref]
    api.settle()
    notifier = RecordingNotifier()
    Dispatcher(runtime.db("feedback"), notifier, clock=lambda: time.time() + 1).dispatch_once()
    assert any(m.recipient.kind == "resident" for m in notifier.messages)
    assert api.delete(f"/api/v1/opinions/{ref}/personal-data").status_code == 204

    rows = accesses(runtime, ref)
    # the text of an opinion not marked public is personal too (R-SEC-4 amended)
    assert actions(rows) == [
        ("store", "anonymous", "name,phone,app_user,text"),
        ("view", "planner-7", "text,contact_phone_masked"),
        ("view", "bureau-test", "text,contact_phone_masked"),
        # one read per resident message delivered (received, acknowledged)
        ("notify", "notification-dispatcher", "name,phone,app_user"),
        ("notify", "notification-dispatcher", "name,phone,app_user"),
        ("erase", "bureau-test", "name,phone,email,app_user,text,point,address,media_url"),
    ]
    assert [r["role"] for r in rows] == ["resident", "planner", "bureau", "system", "system", "bureau"]
    assert rows[1]["correlation_id"] == "corr-ack-1"
    assert all(r["at"] and r["ref"] == ref for r in rows)
    # Who, when, which, what — and never the data itself, neither in the table nor in the log.
    assert_no_personal_data(json.dumps(rows, ensure_ascii=False))
    lines = [r.getMessage() for r in caplog.records if r.name == "rps.personal_data"]
    assert len(lines) == len(rows)
    assert lines[1].startswith("personal data access action=view ") and f"ref={ref}" in lines[1]
    assert "actor=planner-7" in lines[1] and "correlation=corr-ack-1" in lines[1]
    assert_no_personal_data("\n".join(lines))


def test_after_erasure_nothing_is_read_and_nothing_recorded(api, runtime, world):
    # R-SEC-4: a message whose person is erased is dropped without an access
    ref = submit(api, world, contact_phone=PHONE)
    api.settle()
    assert api.delete(f"/api/v1/opinions/{ref}/personal-data").status_code == 204
    before = actions(accesses(runtime, ref))
    Dispatcher(runtime.db("feedback"), RecordingNotifier(), clock=lambda: time.time() + 1).dispatch_once()
    assert actions(accesses(runtime, ref)) == before
    # Erasing again erases nothing: no second record.
    assert api.delete(f"/api/v1/opinions/{ref}/personal-data").status_code == 204
    assert [a[0] for a in actions(accesses(runtime, ref))].count("erase") == 1


def test_opinions_without_personal_data_record_nothing(api, runtime, world):
    # R-SEC-4: no contact given and the text public (no address, photo or point), nothing to access
    ref = submit(api, world, public=True)
    api.post(f"/api/v1/opinions/{ref}/acknowledge", {"date": "2022-03-02"})
    api.get("/api/v1/opinions")
    assert accesses(runtime) == []


def test_the_access_table_is_append_only(api, runtime, world):
    # R-SEC-4, ASVS V7: the record cannot be changed or removed
    submit(api, world, contact_phone=PHONE)
    db = runtime.db("feedback")
    for statement in ("UPDATE fb_personal_data_access SET actor = 'someone-else'",
                      "DELETE FROM fb_personal_data_access"):
        with pytest.raises(Exception, match="append-only"):
            with db.transaction() as cur:
                cur.execute(statement)
    assert [r["actor"] for r in accesses(runtime)] == ["bureau-test"]
