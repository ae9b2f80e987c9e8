"""Input hardening in the backbone (R-SEC-3): strict JSON, size limits, log lines encoded."""

from __future__ import annotations

import pytest

from services.backbone.logsafe import safe_log
from tests.unit.security.conftest import World

VISITS = "/api/v1/visits"


@pytest.mark.parametrize("raw, field, code", [
    (b'{"group": "a", "group": "b", "days": 1}', "group", "duplicate_key"),
    (b'{"group": "a", "days": 1, "point": {"lat": 1, "lat": 2, "lon": 3}}', "point.lat", "duplicate_key"),
    (b'{"group": "a", "days": NaN}', "days", "invalid_number"),
    (b'{"group": "a", "days": Infinity}', "days", "invalid_number"),
    (b'{"group": "a", "days": -Infinity}', "days", "invalid_number"),
    (b'{"group": "a", "days": 1e999}', "days", "invalid_number"),
    (b'{"group": "a", "days": 1, "places": ["x", NaN]}', "places.1", "invalid_number"),
    (b'{"group": "a", "days": ' + b"9" * 5000 + b"}", "body", "malformed_json"),
    (b'{"group": "a", "days": ' + b"9" * 4200 + b"}", "days", "invalid_number"),
    (b'{"group": "a", "days": 9007199254740992}', "days", "invalid_number"),
    (b"[" * 100_000 + b"]" * 100_000, "body", "malformed_json"),
    (b'{"group": "\xff\xfe", "days": 1}', "body", "malformed_json"),
    (b'\xef\xbb\xbf{"group": "a", "days": 1}', "body", "malformed_json"),
    (b'{"group": "a", "days": 1', "body", "malformed_json"),
])
def test_strict_json_is_400_naming_the_field(world: World, raw, field, code):
    # R-SEC-3: duplicate keys, NaN, Infinity and integers past I-JSON's range refused with 400 naming
    # the field; nothing stored
    before = world.positions()
    response = world.api.post(VISITS, raw=raw)
    assert response.status_code == 400, response.json_body
    error = response.json_body["error"]
    assert (error["field"], error["code"]) == (field, code), error
    assert error["message"].startswith(field if field != "body" else "请求体")
    assert world.positions() == before


def test_strict_json_applies_to_every_body_even_where_the_handler_ignores_it(world: World):
    # the gate parses every JSON body, so no route can be reached with a lenient one
    response = world.api.post(f"/api/v1/visits/{world.own.visit}/confirmation",
                              raw=b'{"confirmed": true, "confirmed": false}')
    assert response.status_code == 400 and response.json_body["error"]["field"] == "confirmed"


def test_an_oversized_body_is_refused_unread(world: World):
    before = world.positions()
    response = world.api.post(VISITS, raw=b'{"notes": "' + b"x" * 1_100_000 + b'"}')
    assert response.status_code == 413
    assert response.json_body["error"] == {"code": "body_too_large", "message": "请求体过大", "field": "body"}
    assert world.positions() == before


def test_form_bodies_are_not_parsed_as_json(world: World):
    response = world.api.request("POST", "/api/v1/open311/v2/requests.json", raw=b"service_code=NaN&description=x",
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 422) and response.status_code != 500


def test_log_values_are_encoded():
    # Log lines encoded: no forged line, no text that reads backwards, no endless value
    assert safe_log("ok\nFAKE 200 admin") == "ok\\nFAKE 200 admin"
    assert "\u202e" not in safe_log("evil\u202etxt.exe") and "\\u202e" in safe_log("evil\u202etxt.exe")
    assert safe_log("路灯不亮") == "路灯不亮"
    assert len(safe_log("x" * 10_000)) <= 201


def test_an_unexpected_error_is_a_500_that_leaks_nothing(world: World, monkeypatch):
    from services.visits.application import VisitsApplication

    def explode(self, visit_id):
        raise RuntimeError("secret connection string postgres://user:pw@db")

    monkeypatch.setattr(VisitsApplication, "get_visit", explode)
    response = world.api.get(f"/api/v1/visits/{world.own.visit}")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
