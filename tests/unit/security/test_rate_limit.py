"""R-SEC-5: the anonymous intake is rate-limited per client address and per phone;
past the limit 429 with Retry-After and nothing stored; signed-in staff are not limited."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from services.backbone import clock, ratelimit
from services.backbone.settings import Settings
from services.bootstrap import Runtime
from tests.conftest import Api
from tests.organisation import form_group

# 2022-03-15 10:00:30 Asia/Shanghai: mid-minute and mid-day, so no window ends during a test.
NOON = dt.datetime(2022, 3, 15, 10, 0, 30, tzinfo=clock.TZ).timestamp()


@pytest.fixture
def frozen(monkeypatch):
    """The limiter's clock, held still (and moved by tests that need a new window)."""
    moment = {"now": NOON}
    monkeypatch.setattr(ratelimit, "now", lambda: moment["now"])
    return moment


@pytest.fixture
def district(api, unique):
    codes = form_group(lambda m, p, b: (lambda r: (r.status_code, r.json_body))(api.request(m, p, b)), unique)
    api.settle()
    return codes["district"]


def opinion(district, **fields):
    return {"district": district, "category": "public_space", "text": "路灯不亮", "channel": "app", **fields}


def stored(runtime):
    return runtime.app("feedback").last_position()


def from_address(address):
    return {"REMOTE_ADDR": address}


def test_ten_a_minute_per_address_then_429_with_retry_after(api, runtime, district, frozen):
    # R-SEC-5: default 10 a minute per client address
    resident = api.anonymous()
    for _ in range(10):
        assert resident.post("/api/v1/opinions", opinion(district), environ=from_address("10.0.0.1")).status_code == 201
    before = stored(runtime)
    refused = resident.post("/api/v1/opinions", opinion(district), environ=from_address("10.0.0.1"))
    assert refused.status_code == 429
    assert refused.json_body["error"]["code"] == "rate_limited" and refused.json_body["error"]["rule"] == "R-SEC-5"
    assert refused.headers["Retry-After"] == "30"  # the minute ends in 30 s
    assert stored(runtime) == before  # nothing stored
    # another address is not affected; the next minute this one may submit again
    assert resident.post("/api/v1/opinions", opinion(district), environ=from_address("10.0.0.2")).status_code == 201
    frozen["now"] += 60
    assert resident.post("/api/v1/opinions", opinion(district), environ=from_address("10.0.0.1")).status_code == 201


def test_five_a_day_per_phone_whatever_the_address_or_spelling(api, runtime, district, frozen):
    # R-SEC-5: default 5 a day per phone number
    resident = api.anonymous()
    spellings = ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "138 1234 5678", "13812345678"]
    for i, phone in enumerate(spellings):
        response = resident.post("/api/v1/opinions", opinion(district, contact_phone=phone),
                                 environ=from_address(f"10.0.1.{i}"))
        assert response.status_code == 201, response.json_body
    before = stored(runtime)
    refused = resident.post("/api/v1/opinions", opinion(district, contact_phone="13812345678"),
                            environ=from_address("10.0.1.99"))
    assert refused.status_code == 429 and refused.json_body["error"]["rule"] == "R-SEC-5"
    assert 0 < int(refused.headers["Retry-After"]) <= 14 * 3600  # until midnight in Asia/Shanghai
    assert "13812345678" not in refused.get_data(as_text=True)
    assert stored(runtime) == before
    # other numbers go on; the counters hold no phone number, only keyed hashes
    assert resident.post("/api/v1/opinions", opinion(district, contact_phone="13900000000"),
                         environ=from_address("10.0.1.100")).status_code == 201
    buckets = [r["bucket"] for r in runtime.db("feedback").query("SELECT bucket FROM rate_limit_counters")]
    assert buckets and not any("138" in b or "10.0." in b for b in buckets)
    # the next day (Asia/Shanghai) the number may submit again
    frozen["now"] += 14 * 3600
    assert resident.post("/api/v1/opinions", opinion(district, contact_phone="13812345678"),
                         environ=from_address("10.0.1.101")).status_code == 201


def test_refused_input_does_not_use_up_the_phone(api, district, frozen):
    resident = api.anonymous()
    for i in range(6):
        bad = resident.post("/api/v1/opinions", opinion(district, contact_phone="13700000000", category="nonsense"),
                            environ=from_address(f"10.0.2.{i}"))
        assert bad.status_code == 422
    ok = resident.post("/api/v1/opinions", opinion(district, contact_phone="13700000000"),
                       environ=from_address("10.0.2.50"))
    assert ok.status_code == 201


@pytest.mark.parametrize("role, scope", [
    ("planner", {"group": "g-any", "district": "d-any"}),
    ("subdistrict", {"district": "d-any"}),
    ("bureau", {}),
])
def test_signed_in_staff_are_not_limited(api, runtime, district, frozen, role, scope):
    # R-SEC-5: planners, sub-districts and hotline clerks enter opinions for residents
    staff = api.as_role(role, **scope)
    for _ in range(15):
        response = staff.post("/api/v1/opinions", opinion(district, contact_phone="13600000000", channel="hotline"),
                              environ=from_address("10.0.3.1"))
        assert response.status_code == 201, response.json_body


def test_open311_is_limited_as_well(api, runtime, district, frozen):
    # R-SEC-5: the Open311 intake is the same anonymous intake
    form = urllib.parse.urlencode({"service_code": "public_space", "description": "路灯不亮",
                                   "attribute[district]": district, "phone": "13500000000"})
    resident = api.anonymous()

    def post(address):
        return resident.request("POST", "/api/v1/open311/v2/requests.json", raw=form.encode(),
                                content_type="application/x-www-form-urlencoded", environ=from_address(address))

    for i in range(5):
        assert post(f"10.0.4.{i}").status_code == 201
    before = stored(runtime)
    refused = post("10.0.4.99")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert stored(runtime) == before


def test_limits_are_settings_and_behind_a_proxy_the_forwarded_address_counts(tmp_path, unique, frozen):
    # R-SEC-5: the limits are settings (RPS_RATE_LIMIT_PER_MINUTE, ...); RPS_TRUSTED_PROXY_HOPS=1 behind the ingress
    settings = Settings(data_dir=tmp_path / "var", relay_idle_seconds=0.05, rate_limit_per_minute=2,
                        trusted_proxy_hops=1)
    runtime = Runtime.embedded(settings)
    runtime.start_embedded_bus()
    try:
        api = Api(runtime)
        codes = form_group(lambda m, p, b: (lambda r: (r.status_code, r.json_body))(api.request(m, p, b)), unique)
        api.settle()
        resident = api.anonymous()
        ingress = from_address("10.9.9.9")

        def post(client_ip):
            # a client may send its own X-Forwarded-For; the ingress appends what it saw
            headers = {"X-Forwarded-For": f"1.2.3.4, {client_ip}"}
            return resident.post("/api/v1/opinions", opinion(codes["district"]), headers=headers, environ=ingress)

        assert [post("203.0.113.7").status_code for _ in range(3)] == [201, 201, 429]
        assert post("203.0.113.8").status_code == 201  # another resident behind the same ingress
    finally:
        runtime.close()
