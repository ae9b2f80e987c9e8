"""Residents' personal data past its retention period is erased by `rps purge-personal-data`
(R-SEC-4, R-OPN-3; PIPL data minimisation): through the same path as
DELETE /opinions/{ref}/personal-data, the opinion stays, an event records it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from services import cli
from services.backbone import clock
from services.backbone.settings import ConfigurationError
from services.feedback.retention import cutoff_for, find_due, purge_personal_data
from services.feedback.settings import FeedbackSettings

PHONE = "13812345678"
NAME = "张三丰"


def opinion(api, world, *, date: dt.date, steps: tuple[str, ...] = ("acknowledge", "answer", "close"),
            **contact) -> str:
    """An opinion of ``date`` taken through ``steps`` one day apart; its reference."""
    body = {"district": world["district"], "category": "greening", "text": "行道树枯死", "date": date.isoformat(),
            **contact}
    created = api.post("/api/v1/opinions", body)
    assert created.status_code == 201, created.json_body
    ref = created.json_body["ref"]
    for i, step in enumerate(steps, start=1):
        step_body = {"date": (date + dt.timedelta(days=i)).isoformat()}
        if step == "answer":
            step_body["reply"] = "已补植"
        response = api.post(f"/api/v1/opinions/{ref}/{step}", step_body)
        assert response.status_code == 200, response.json_body
    return ref


def vault_rows(runtime) -> list[dict]:
    return runtime.db("feedback").query("SELECT name, phone, app_user FROM fb_personal_data")


def erased_events(runtime) -> list[dict]:
    return [e for e in runtime.app("feedback").envelopes(0, 10_000)
            if e["type"].endswith(".PersonalDataErased.v1")]


@pytest.fixture
def story(api, runtime, world):
    """Opinions of every kind the purge must tell apart, seen by the read models."""
    today = clock.today()
    refs = {
        # closed long ago, with a phone, a name and an app user: due
        "old": opinion(api, world, date=dt.date(2022, 3, 1), contact_phone=PHONE, contact_name=NAME,
                       app_user_id="app-old"),
        # closed long ago with nothing personal (public text, no contact, address or photo): nothing to erase
        "anonymous": opinion(api, world, date=dt.date(2022, 3, 1), public=True),
        # closed 10 days ago: kept
        "recent": opinion(api, world, date=today - dt.timedelta(days=13), contact_phone="13900001111"),
        # dated long ago but never closed, and changed just now: kept (last changed today)
        "open": opinion(api, world, date=dt.date(2022, 3, 1), steps=("acknowledge",), contact_phone="13700002222"),
    }
    api.settle()
    return refs


def test_retention_is_a_setting_of_365_days_by_default():
    # R-SEC-4: RPS_PERSONAL_DATA_RETENTION_DAYS, at least a day
    assert FeedbackSettings().personal_data_retention_days == 365
    assert FeedbackSettings.from_env({}).personal_data_retention_days == 365
    assert FeedbackSettings.from_env({"RPS_PERSONAL_DATA_RETENTION_DAYS": "30"}).personal_data_retention_days == 30
    for bad in ("0", "-5", "a year"):
        with pytest.raises(ConfigurationError, match="RPS_PERSONAL_DATA_RETENTION_DAYS"):
            FeedbackSettings.from_env({"RPS_PERSONAL_DATA_RETENTION_DAYS": bad})
    assert cutoff_for(dt.date(2023, 3, 5), 365) == dt.date(2022, 3, 5)


def test_purge_erases_only_data_past_its_period_and_keeps_the_opinion(api, runtime, story):
    # R-SEC-4, R-OPN-3: closed more than 365 days ago -> erased; the opinion and its history stay
    app = runtime.app("feedback")
    before = app.last_position()
    result = purge_personal_data(app)
    assert [d.ref for d in result.due] == [story["old"]] and result.erased == [story["old"]]
    assert result.due[0].since == dt.date(2022, 3, 4) and result.retention_days == 365
    # The vault row is gone; the others stay.
    rows = vault_rows(runtime)
    assert PHONE not in json.dumps(rows) and NAME not in json.dumps(rows, ensure_ascii=False)
    assert {r["phone"] for r in rows} == {"13900001111", "13700002222"}
    # One event records it, the system acting (R-SEC-2), as DELETE /personal-data would.
    [event] = erased_events(runtime)
    assert app.last_position() == before + 1
    assert event["data"]["ref"] == story["old"]
    assert (event["actor"], event["actorrole"]) == ("system", "system")
    view = api.get(f"/api/v1/opinions/{story['old']}")
    assert view.status_code == 200 and view.json_body["status"] == "closed"
    # A second run finds nothing more to do and stores nothing.
    api.settle()
    again = purge_personal_data(app)
    assert again.due == [] and again.erased == [] and app.last_position() == before + 1


def test_a_shorter_period_or_a_later_day_makes_more_data_due(runtime, story):
    # R-SEC-4: "closed (or last changed)": the open opinion counts from its last change
    app = runtime.app("feedback")
    _, due = find_due(app, retention_days=5)
    assert {d.ref for d in due} == {story["old"], story["recent"]}
    _, later = find_due(app, today=clock.today() + dt.timedelta(days=400))
    assert {d.ref for d in later} == {story["old"], story["recent"], story["open"]}
    assert story["anonymous"] not in {d.ref for d in later}


def test_dry_run_lists_and_changes_nothing(runtime, story):
    # R-SEC-4
    app = runtime.app("feedback")
    before = (app.last_position(), vault_rows(runtime))
    result = purge_personal_data(app, dry_run=True)
    assert [d.ref for d in result.due] == [story["old"]] and result.erased == []
    assert (app.last_position(), vault_rows(runtime)) == before


def test_erasure_already_asked_for_is_not_repeated(api, runtime, story):
    # R-OPN-3: the resident asked first (DELETE); the purge has nothing left to do
    assert api.delete(f"/api/v1/opinions/{story['old']}/personal-data").status_code == 204
    api.settle()
    result = purge_personal_data(runtime.app("feedback"))
    assert result.due == [] and len(erased_events(runtime)) == 1


def test_the_purge_is_recorded_as_an_access_by_the_system(runtime, story):
    # R-SEC-4: every access logged: the erasure too, without the data
    purge_personal_data(runtime.app("feedback"))
    accesses = runtime.app("feedback").vault.accesses(story["old"])
    erase = [a for a in accesses if a["action"] == "erase"]
    assert len(erase) == 1 and (erase[0]["actor"], erase[0]["role"]) == ("system", "system")
    assert PHONE not in json.dumps(accesses)


def test_the_command_line(monkeypatch, capsys, api, runtime, story):
    # R-SEC-4: `rps purge-personal-data [--dry-run]` on the embedded system's data
    for name in ("AMQP_URI", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RPS_DATA_DIR", str(runtime.settings.data_dir))
    parser = cli.build_parser()

    args = parser.parse_args(["purge-personal-data", "--dry-run"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"{story['old']}\tdue\tsince 2022-03-04" in out and "would erase the personal data of 1 opinion" in out
    assert erased_events(runtime) == [] and PHONE not in out

    args = parser.parse_args(["purge-personal-data"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"{story['old']}\terased" in out and "erased the personal data of 1 opinion" in out
    assert [e["data"]["ref"] for e in erased_events(runtime)] == [story["old"]]
    assert PHONE not in json.dumps(vault_rows(runtime))
    # The running system's relay hands the event on: the notifications forget the person.
    api.settle()
    row = runtime.db("feedback").query("SELECT person_key FROM fb_notify_opinions WHERE ref = %s", (story["old"],))
    assert row == [{"person_key": None}]

    monkeypatch.setenv("RPS_PERSONAL_DATA_RETENTION_DAYS", "5")
    args = parser.parse_args(["purge-personal-data", "--dry-run"])
    assert args.func(args) == 0
    assert f"{story['recent']}\tdue" in capsys.readouterr().out


def test_private_fields_of_an_opinion_without_a_contact_are_purged_too(api, runtime, world):
    # R-SEC-4 amended (issue 15 item 7 follow-up): the address, photo and non-public text of an
    # opinion given without a contact are personal data too: erased after the period; the opinion stays.
    address, media, text = "东昌路 8 号 3 单元", "https://photos.example.org/no-contact.jpg", "楼道灯不亮（不公开）"
    old = opinion(api, world, date=dt.date(2022, 3, 1), address=address, media_url=media, text=text)
    recent = opinion(api, world, date=clock.today() - dt.timedelta(days=13), address=address)
    api.settle()
    app = runtime.app("feedback")
    assert set(app.vault.details([old, recent])) == {old, recent}
    result = purge_personal_data(app)
    assert result.erased == [old] and [d.since for d in result.due] == [dt.date(2022, 3, 4)]
    assert set(app.vault.details([old, recent])) == {recent}  # the recent one's period is not over
    [event] = erased_events(runtime)
    assert event["data"]["ref"] == old and address not in json.dumps(event, ensure_ascii=False)
    api.settle()
    staff = {i["ref"]: i for i in api.get(f"/api/v1/opinions?district={world['district']}").json_body["items"]}
    shown = json.dumps(staff[old], ensure_ascii=False)
    assert address not in shown and media not in shown and text not in shown
    assert (staff[old]["address"], staff[old]["media_url"], staff[old]["status"]) == (None, None, "closed")
    assert staff[recent]["address"] == address  # positive control: staff still see what is not due
    assert purge_personal_data(app).erased == []  # nothing more the next time
