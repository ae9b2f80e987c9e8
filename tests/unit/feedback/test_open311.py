"""Open311 GeoReport v2 on opinions (R-OPN-1, R-OPN-4): requests and answers
field by field as the standard defines them."""

import datetime as dt
import json
from urllib.parse import urlencode

from services.backbone import clock
from tests.unit.feedback.conftest import form_post

BASE = "/api/v1/open311/v2"
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}


def post_request(api, **fields):
    form = {"service_code": "public_space", "lat": "36.45", "long": "115.98", "description": "广场地砖破损"}
    form.update(fields)
    form = {k: v for k, v in form.items() if v is not None}
    return form_post(api, f"{BASE}/requests.json", urlencode(form).encode())


def test_services_are_the_categories(api):
    # GeoReport v2 GET services.json
    services = api.get(f"{BASE}/services.json").json_body
    codes = [s["service_code"] for s in services]
    assert "public_space" in codes and "greening" in codes
    for service in services:
        assert set(service) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        assert service["metadata"] is False and service["type"] == "realtime"


def test_form_encoded_post_as_a_client_sends_it(api, runtime, world):
    # R-OPN-1 via Open311: form-encoded, lat/long -> district, attribute[...]
    raw = (
        "service_code=public_space&lat=36.45&long=115.98&description=%E5%B9%BF%E5%9C%BA%E5%9C%B0%E7%A0%96%E7%A0%B4%E6%8D%9F"
        "&address_string=%E5%8F%A4%E6%A5%BC%E5%8D%97%E8%A1%97&media_url=http%3A%2F%2Fexample.org%2Fp.jpg"
        "&first_name=%E4%B8%89&last_name=%E5%BC%A0&phone=13812345678&account_id=app-42"
        "&attribute%5Bpublic%5D=true&attribute[nearby]=school"
    ).encode()
    response = form_post(api, f"{BASE}/requests.json", raw)
    assert response.status_code == 201, response.json_body
    [answer] = response.json_body
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    ref = answer["service_request_id"]
    assert len(ref) >= 10
    opinion = runtime.app("feedback").get_opinion(ref)
    assert (opinion.district, opinion.channel, opinion.category) == (world["district"], "open311", "public_space")
    assert opinion.text == "广场地砖破损" and opinion.point == {"lat": 36.45, "lon": 115.98}
    # R-SEC-4: the address and the photo are kept in the vault, apart from the events
    details = runtime.app("feedback").vault.details([ref])[ref]
    assert (details.address, details.media_url) == ("古楼南街", "http://example.org/p.jpg")
    assert opinion.public is True and opinion.attributes == {"nearby": "school"}
    assert opinion.contact_phone_masked == "138****5678"
    dumped = json.dumps(runtime.app("feedback").envelopes(0, 1000), ensure_ascii=False)
    assert "13812345678" not in dumped and "app-42" not in dumped and "张 三" not in dumped


def test_get_one_request_at_once_and_in_the_list(api, world, frozen_clock):
    # GeoReport v2 GET requests/{id}.json and requests.json: public fields only (R-OPN-4);
    # the business clock frozen on 2026-06-15 (issue 15: no comparison of two "today"s across midnight)
    ref = post_request(api, phone="13812345678", first_name="三", last_name="张").json_body[0]["service_request_id"]
    [one] = api.get(f"{BASE}/requests/{ref}.json").json_body  # read at once, before the lists catch up
    assert set(one) == REQUEST_FIELDS
    assert (one["service_request_id"], one["status"], one["service_code"]) == (ref, "open", "public_space")
    assert one["description"] is None  # the resident did not choose public
    assert (one["lat"], one["long"]) == (None, None)  # R-SEC-4: nor is its exact point shown
    assert one["agency_responsible"] == "古楼街道（东昌府区人民政府）"
    requested = dt.datetime.fromisoformat(one["requested_datetime"])
    assert requested.utcoffset() == dt.timedelta(hours=8) and requested.date() == dt.date(2026, 6, 15)
    assert one["expected_datetime"] == "2026-07-15T23:59:59+08:00"  # R-OPN-2: 30 days
    assert "13812345678" not in json.dumps(one) and "138****5678" not in json.dumps(one)
    api.settle()
    listed = api.get(f"{BASE}/requests.json?service_request_id={ref}").json_body
    assert listed == [one]


def test_status_open_and_closed_with_notes(api, world, frozen_clock):
    # GeoReport v2 status and status_notes follow the opinion (R-OPN-2)
    open_ref = post_request(api).json_body[0]["service_request_id"]
    closed_ref = post_request(api, **{"attribute[public]": "true"}).json_body[0]["service_request_id"]
    api.post(f"/api/v1/opinions/{closed_ref}/acknowledge", {})
    api.post(f"/api/v1/opinions/{closed_ref}/answer", {"reply": "已更换地砖"})
    api.post(f"/api/v1/opinions/{closed_ref}/close", {})
    api.settle()
    closed = api.get(f"{BASE}/requests.json?status=closed&service_code=public_space").json_body
    assert [r["service_request_id"] for r in closed] == [closed_ref]
    assert closed[0]["status_notes"] == "已更换地砖" and closed[0]["description"] == "广场地砖破损"
    opened = api.get(f"{BASE}/requests.json?status=open").json_body
    assert open_ref in [r["service_request_id"] for r in opened] and closed_ref not in [r["service_request_id"] for r in opened]
    assert api.get(f"{BASE}/requests.json?service_code=greening").json_body == []
    today = frozen_clock  # issue 15: the requests' dates and the window's, one frozen day
    window = f"start_date={(today - dt.timedelta(days=1)).isoformat()}T00:00:00%2B08:00&end_date={today.isoformat()}T23:59:59Z"
    assert len(api.get(f"{BASE}/requests.json?{window}").json_body) == 2
    assert api.get(f"{BASE}/requests.json?end_date=2021-01-01T00:00:00Z").json_body == []


def test_address_only_with_district_attribute(api, world):
    # Open311 allows address_string instead of lat/long; the district then comes as attribute[district]
    response = post_request(api, lat=None, long=None, address_string="柳园路 1 号",
                            **{"attribute[district]": world["district"]})
    assert response.status_code == 201, response.json_body


def test_errors_in_the_standard_shape_naming_field_and_rule(api, runtime, world):
    # R-OPN-1, R-SEC-3: [{"code", "description"}] plus field and rule; nothing stored
    before = runtime.app("feedback").last_position()
    cases = [
        (post_request(api, service_code="potholes"), 422, "service_code", "R-OPN-1"),
        (post_request(api, lat="36.60", long="116.20"), 422, "lat", "R-OPN-1"),
        (post_request(api, description=""), 422, "description", "R-OPN-1"),
        (post_request(api, phone="555-1234"), 422, "phone", "R-OPN-1"),
        (post_request(api, lat="north"), 400, "lat", None),
        (form_post(api, f"{BASE}/requests.json", urlencode({"service_code": "other", "lat": "36.45"}).encode()), 400, "long", None),
        (form_post(api, f"{BASE}/requests.json", b"description=x"), 400, "service_code", None),
        (api.post(f"{BASE}/requests.json", {"service_code": "other"}), 400, "content-type", None),
    ]
    for response, status, field, rule in cases:
        assert response.status_code == status, response.json_body
        [error] = response.json_body
        assert error["code"] == status and error["description"]
        assert error["field"] == field
        assert error.get("rule") == rule
    assert runtime.app("feedback").last_position() == before
    [missing] = api.get(f"{BASE}/requests/NOSUCHREF234.json").json_body
    assert missing["code"] == 404
    assert api.get(f"{BASE}/requests.json?status=pending").status_code == 400
    assert api.get(f"{BASE}/requests.json?start_date=yesterday").status_code == 400
