"""The backbone's pieces in isolation: envelope, settings, error mapping, tracking."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import BaseModel, ConfigDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.backbone import context, envelope
from services.backbone.domain import Conflict, NotFound, RuleViolated
from services.backbone.http import BadRequest, error_response, parse_body
from services.backbone.persistence import SQLiteDatabase, create_tables
from services.backbone.settings import ConfigurationError, Settings
from services.backbone.tracking import Projection, handles
from services.backbone.domain import Aggregate
from eventsourcing.domain import event


class Visit(Aggregate):
    """A stand-in aggregate: the backbone does not depend on any service's domain."""

    @event("VisitLogged")
    def __init__(self, group: str, date: str, days: float) -> None:
        self.group, self.date, self.days = group, date, days


def _visit_event():
    ctx = context.RequestContext(context.Actor("u-7", "planner"), "corr-1", "cause-1")
    with context.acting(ctx):
        visit = Visit(group="g1", date="2022-03-03", days=1.5)
    return visit, visit.collect_events()[0]


def test_envelope_is_cloudevents_with_actor_and_stable_id():
    # API.md "Events", R-SEC-2
    visit, event = _visit_event()
    env = envelope.envelope_from_event("visits", event, position=42)
    assert env["specversion"] == "1.0"
    assert env["type"] == "cn.liaocheng.rps.visits.VisitLogged.v1"
    assert env["source"] == "rps/visits" and env["subject"] == str(visit.id)
    assert (env["actor"], env["actorrole"], env["correlationid"], env["causationid"]) == ("u-7", "planner", "corr-1", "cause-1")
    # CloudEvents' sequence extension is a string that sorts (API.md amended, issue 16)
    assert env["sequence"] == "0000000001" and env["position"] == 42
    assert env["data"]["days"] == 1.5 and "meta" not in env["data"]
    again = envelope.envelope_from_event("visits", event, position=42)
    assert again["id"] == env["id"]  # re-publication keeps the id
    assert envelope.decode(envelope.encode(env)) == env
    assert envelope.short_type(env) == "VisitLogged" and envelope.source_service(env) == "visits"


def test_sequence_sorts_as_a_string_in_the_order_of_the_versions():
    versions = [1, 2, 9, 10, 11, 100, 2**31]
    texts = [envelope.sequence_text(v) for v in reversed(versions)]
    assert sorted(texts) == [envelope.sequence_text(v) for v in versions]
    assert all(len(t) == 10 for t in texts)


def test_decode_reads_the_integer_sequence_of_a_message_published_before_the_amendment():
    # A queue drained after an upgrade still holds messages with an integer sequence.
    _, event = _visit_event()
    env = envelope.envelope_from_event("visits", event, position=7)
    old = {**env, "sequence": 12}
    assert envelope.sequence_number(old) == 12 and envelope.sequence_number({**env, "sequence": "0000000012"}) == 12
    assert envelope.decode(json.dumps(old)) == {**env, "sequence": "0000000012"}
    for wrong in ("twelve", "-1", "", 1.5, None, True):
        with pytest.raises(envelope.MalformedEnvelope):
            envelope.decode(json.dumps({**env, "sequence": wrong}))


def test_decode_refuses_an_envelope_without_position():
    _, event = _visit_event()
    env = envelope.envelope_from_event("visits", event, position=1)
    del env["position"]
    with pytest.raises(envelope.MalformedEnvelope):
        envelope.decode(json.dumps(env))


def test_settings_refuse_half_a_cluster():
    with pytest.raises(ConfigurationError):
        Settings.from_env({"AMQP_URI": "amqp://x"})
    assert Settings.from_env({}).embedded
    cluster = Settings.from_env({"AMQP_URI": "amqp://x", "DATABASE_URL": "postgresql://u:p%40ss@db:6543/rps"})
    assert cluster.postgres_params() == {
        "POSTGRES_HOST": "db", "POSTGRES_PORT": "6543", "POSTGRES_USER": "u",
        "POSTGRES_PASSWORD": "p@ss", "POSTGRES_DBNAME": "rps",
    }



def test_every_services_settings_are_read_at_start_with_the_rest():
    # Issue 17: one way to read settings. Each service's own variables are read by Settings.from_env
    # into its typed object (DOMAIN.md settings: R-OPN-2 service levels, R-RPT-8 reminders); a
    # malformed one stops the process at start, naming the variable.
    settings = Settings.from_env({"RPS_OPINION_ANSWER_DAYS": "12", "RPS_REMINDER_VISIT_DAY": "15"})
    assert settings.of("feedback").opinion_answer_days == 12
    assert settings.of("reporting").visit_reminder_day == 15
    assert settings.of("contracts") is None  # declares no settings of its own
    assert Settings().of("feedback").opinion_answer_days == 30  # not read from an environment: the defaults
    # Issue 15 item 9: maintenance commands run without the request path's statement timeout unless it is set.
    assert Settings.from_env({}).db_statement_timeout_seconds == 10
    assert Settings.from_env({}, maintenance=True).db_statement_timeout_seconds == 0
    assert Settings.from_env({"RPS_DB_STATEMENT_TIMEOUT_SECONDS": "5"}, maintenance=True).db_statement_timeout_seconds == 5
    for name, bad in (("RPS_OPINION_ANSWER_DAYS", "0"), ("RPS_REMINDER_VISIT_DAY", "31"),
                      ("RPS_OIDC_ISSUER", "ftp://sso")):
        with pytest.raises(ConfigurationError, match=name):
            Settings.from_env({name: bad})


def test_the_business_date_is_a_setting_ignored_in_production(tmp_path):
    # Issue 15: RPS_TODAY fixes a test process's business date; the runtime fixes the clock at start.
    import base64
    import datetime as dt

    from services.backbone import clock
    from services.bootstrap import Runtime

    assert Settings.from_env({"RPS_TODAY": "2022-03-04"}).today == dt.date(2022, 3, 4)
    with pytest.raises(ConfigurationError, match="RPS_TODAY"):
        Settings.from_env({"RPS_TODAY": "2022-13-01"})
    production = {"RPS_ENV": "production", "RPS_JWKS_URL": "https://idp.example/jwks", "RPS_JWT_ISSUER": "i",
                  "RPS_JWT_AUDIENCE": "a", "RPS_PSEUDONYM_KEY": "k" * 32,
                  "RPS_CHAIN_KEYS": "k1:" + base64.b64encode(b"c" * 32).decode()}
    assert Settings.from_env({**production, "RPS_TODAY": "2022-03-04"}).today is None
    runtime = Runtime(Settings(data_dir=tmp_path, today=dt.date(2022, 3, 4)), ("web",), create_tables_now=True)
    try:
        assert clock.today() == dt.date(2022, 3, 4)
    finally:
        runtime.close()
        clock.fix_today(None)
    assert clock.today() != dt.date(2022, 3, 4)

@pytest.mark.parametrize(
    "exc, status, code",
    [
        (BadRequest("x", field="f"), 400, "invalid_body"),
        (RuleViolated("x", field="days", rule="R-VIS-1"), 422, "rule_violated"),
        (Conflict("x"), 409, "conflict"),
        (NotFound("x"), 404, "not_found"),
        (RuntimeError("boom"), 500, "internal_error"),
    ],
)
def test_one_place_maps_errors_to_status_codes(exc, status, code):
    response = error_response(exc)
    body = json.loads(response.get_data())
    assert response.status_code == status and body["error"]["code"] == code
    assert "boom" not in body["error"]["message"]  # no internals leak


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    count: int


@pytest.mark.parametrize(
    "raw, field, code",
    [
        (b"", "name", "missing_field"),  # API.md "Bodies": an empty body is {} (issue 15 item 10)
        (b"[]", "body", "malformed_json"),
        (b'{"name": "a"}', "count", "missing_field"),
        (b'{"name": "a", "count": "3"}', "count", "wrong_type"),
        (b'{"name": "a", "count": 3, "x": 1}', "x", "unknown_field"),
    ],
)
def test_bodies_failing_their_schema_name_the_field(raw, field, code):
    request = Request(EnvironBuilder(method="POST", data=raw, content_type="application/json").get_environ())
    with pytest.raises(BadRequest) as caught:
        parse_body(request, _Body)
    assert (caught.value.field, caught.value.code) == (field, code)


class _Counter(Projection):
    name = "test.counter"
    consumer = "test"
    sources = ("visits",)
    tables = ("CREATE TABLE IF NOT EXISTS counted (subject TEXT)",)
    table_names = ("counted",)

    @handles("VisitLogged")
    def logged(self, cur, env):
        cur.execute("INSERT INTO counted (subject) VALUES (%s)", (env["subject"],))


def test_a_redelivered_event_changes_nothing(tmp_path):
    db = SQLiteDatabase(tmp_path / "t.sqlite")
    create_tables(db, ())
    projection = _Counter(db)
    projection.create_tables()
    _, event = _visit_event()
    env = envelope.envelope_from_event("visits", event, position=1)
    assert projection.handle(env) is True
    assert projection.handle(env) is False
    assert db.query("SELECT COUNT(*) AS n FROM counted")[0]["n"] == 1


def test_a_failing_handler_leaves_no_tracking_record(tmp_path):
    db = SQLiteDatabase(tmp_path / "t.sqlite")
    create_tables(db, ())

    class Failing(_Counter):
        @handles("VisitLogged")
        def logged(self, cur, env):
            cur.execute("INSERT INTO counted (subject) VALUES (%s)", (env["subject"],))
            raise RuntimeError("projection bug")

    projection = Failing(db)
    projection.create_tables()
    _, event = _visit_event()
    with pytest.raises(RuntimeError):
        projection.handle(envelope.envelope_from_event("visits", event, position=uuid.uuid4().int % 1000 + 1))
    assert projection.last_position("visits") == 0
    assert db.query("SELECT COUNT(*) AS n FROM counted")[0]["n"] == 0
