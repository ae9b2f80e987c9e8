"""Open311 GeoReport v2 in both formats, driven by a third-party client (issue 16; R-OPN-1, R-OPN-4, R-SEC-4).

The client is ``georeport`` from PyPI (pinned in the test extra): it reads services, service
definitions and requests in JSON and in XML over real HTTP. It has no call that posts, so the
POSTs go form-encoded with ``requests`` as the standard describes. The XML is also read with the
standard library's parser against GeoReport v2's element names."""

from __future__ import annotations

import datetime as dt
import threading
import xml.etree.ElementTree as ET
from typing import Iterator

import pytest
import requests
from georeport import GeoReport
from werkzeug.serving import make_server

from services.backbone import clock, ratelimit
from services.backbone.http import Gateway

OPEN311 = "/api/v1/open311/v2"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]
PRIVATE = {"address_string": "柳园路 1 号 3 单元", "media_url": "http://example.org/photo-991.jpg",
           "description": "我家楼下的井盖松动了", "phone": "13812345678", "first_name": "三", "last_name": "张",
           "lat": "36.451234", "long": "115.981234"}
# Mid-minute: the rate limiter's window does not end during a test.
NOON = dt.datetime(2022, 3, 15, 10, 0, 30, tzinfo=clock.TZ).timestamp()


@pytest.fixture
def server(runtime) -> Iterator[str]:
    """The system's HTTP gateway on a real port: the client speaks HTTP to it."""
    http = make_server("127.0.0.1", 0, Gateway(runtime.service_objects()), threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}{OPEN311}"
    finally:
        http.shutdown()


def post(base: str, fmt: str, **fields: str) -> requests.Response:
    form = {"service_code": "public_space", **PRIVATE, **fields}
    return requests.post(f"{base}/requests.{fmt}", data={k: v for k, v in form.items() if v is not None}, timeout=30)


def text_form(answer: dict) -> dict:
    """A JSON answer as XML carries it: every value text, null as an empty element."""
    return {k: None if v is None else str(v) for k, v in answer.items()}


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def assert_nothing_private(raw: bytes) -> None:
    # R-SEC-4: no address, photo, private text, exact point, phone or name in an anonymous answer
    text = raw.decode("utf-8")
    for value in (*PRIVATE.values(), "138****5678", "36.451", "115.981"):
        assert value not in text, value


def test_third_party_client_reads_json_and_xml_alike(server, world):
    # issue 16, R-OPN-4: services, a service definition and a request read by the georeport client
    # in both formats give the same answers; R-OPN-1: a point maps the request to its district
    as_json, as_xml = GeoReport(server, output_format="json"), GeoReport(server, output_format="xml")
    services = as_json.get_service_list()
    assert [text_form(s) | {"metadata": "false"} for s in services] == as_xml.get_service_list()
    assert "public_space" in [s["service_code"] for s in services]
    definition = as_xml.get_service_definition("public_space")
    assert definition["service_code"] == "public_space"
    assert [a["code"] for a in definition["attributes"]["attribute"]] == ["district", "public"]
    assert as_json.get_service_definition("public_space")["service_code"] == "public_space"

    refs = []
    for fmt in ("json", "xml"):
        response = post(server, fmt)
        assert response.status_code == 201, response.text
        if fmt == "json":
            refs.append(response.json()[0]["service_request_id"])
        else:
            [request] = ET.fromstring(response.content)
            assert children(request) == ["service_request_id", "service_notice", "account_id"]
            refs.append(request.findtext("service_request_id"))
    for ref in refs:
        one = as_json.get_service_request(ref)
        assert as_xml.get_service_request(ref) == text_form(one)
        assert (one["service_request_id"], one["status"], one["service_code"]) == (ref, "open", "public_space")
        assert one["agency_responsible"].startswith("古楼街道")
        # R-SEC-4: not public, so no text, no point, never the address or the photo
        assert (one["description"], one["lat"], one["long"], one["address"], one["media_url"]) == (None,) * 5


def test_xml_has_georeport_v2_element_names(server, world, runtime):
    # issue 16: XML, the standard's base format, parsed strictly; R-SEC-4: nothing private in it
    services = requests.get(f"{server}/services.xml", timeout=30)
    assert services.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(services.content)
    assert root.tag == "services" and set(children(root)) == {"service"}
    assert all(children(service) == SERVICE_FIELDS for service in root)

    ref = ET.fromstring(post(server, "xml", **{"attribute[public]": None}).content).findtext("request/service_request_id")
    runtime.drain()
    for path in (f"requests/{ref}.xml", f"requests.xml?service_request_id={ref}"):
        raw = requests.get(f"{server}/{path}", timeout=30).content
        root = ET.fromstring(raw)
        assert root.tag == "service_requests" and children(root) == ["request"]
        assert children(root[0]) == REQUEST_FIELDS and root[0].findtext("service_request_id") == ref
        assert_nothing_private(raw)
    assert_nothing_private(requests.get(f"{server}/requests.json", timeout=30).content)

    definition = ET.fromstring(requests.get(f"{server}/services/public_space.xml", timeout=30).content)
    assert definition.tag == "service_definition" and children(definition) == ["service_code", "attributes"]
    for attribute in definition.find("attributes"):
        assert attribute.tag == "attribute"
        assert children(attribute)[:7] == ["variable", "code", "datatype", "required", "datatype_description",
                                           "order", "description"]
    assert [v.findtext("key") for v in definition.find("attributes/attribute/values")] == ["false", "true"]


def test_discovery_in_both_formats(server):
    # issue 16: GeoReport v2 service discovery names this endpoint and both formats
    [endpoint] = requests.get(f"{server}/discovery.json", timeout=30).json()["endpoints"]
    assert endpoint["url"] == server and endpoint["formats"] == ["application/json", "text/xml"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = ET.fromstring(requests.get(f"{server}/discovery.xml", timeout=30).content)
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_errors_in_georeport_shape_in_both_formats(server, world):
    # issue 16: an unknown service code is 404 in GeoReport's error shape, JSON and XML;
    # R-OPN-1: a refused POST answers the error list in the format it was sent to
    with pytest.raises(requests.HTTPError) as raised:
        GeoReport(server, output_format="xml").get_service_definition("potholes")
    assert raised.value.response.status_code == 404
    [error] = ET.fromstring(raised.value.response.content)
    assert error.tag == "error" and children(error)[:2] == ["code", "description"]
    assert error.findtext("code") == "404" and error.findtext("description").startswith("service_code")
    missing = requests.get(f"{server}/services/potholes.json", timeout=30)
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    unknown = requests.get(f"{server}/requests/NOSUCHREF234.xml", timeout=30)
    assert unknown.status_code == 404 and ET.fromstring(unknown.content).findtext("error/code") == "404"
    refused = post(server, "xml", lat="36.60", long="116.20")
    assert refused.status_code == 422
    [error] = ET.fromstring(refused.content)
    assert (error.findtext("code"), error.findtext("field"), error.findtext("rule")) == ("422", "lat", "R-OPN-1")


def test_address_only_request_waits_for_the_bureau_to_assign_its_district(server, api, runtime, world, frozen_clock):
    # R-OPN-1 (amended): a request with only address_string (no lat/long, no district) is accepted into
    # the bureau's triage list; the bureau assigns its district; its service levels run from receipt.
    # R-SEC-4: the address never shows in an anonymous answer.
    response = post(server, "xml", lat=None, long=None)
    assert response.status_code == 201, response.text
    ref = ET.fromstring(response.content).findtext("request/service_request_id")
    client = GeoReport(server, output_format="xml")
    waiting = client.get_service_request(ref)
    assert (waiting["status"], waiting["agency_responsible"]) == ("open", None)
    assert waiting["expected_datetime"] == "2026-07-15T23:59:59+08:00"  # R-OPN-2: 30 days from receipt
    api.settle()
    triage = [o for o in api.get("/api/v1/opinions").json_body["items"] if o["ref"] == ref]
    assert [o["district"] for o in triage] == [None]
    assert api.as_role("planner", group=world["group"]).post(f"/api/v1/opinions/{ref}/district",
                                                            {"district": world["district"]}).status_code == 403
    assigned = api.post(f"/api/v1/opinions/{ref}/district", {"district": world["district"]})
    assert assigned.status_code == 200, assigned.json_body
    assert assigned.json_body["district"] == world["district"]
    again = api.post(f"/api/v1/opinions/{ref}/district", {"district": world["district"]})
    assert again.status_code == 422 and again.json_body["error"]["rule"] == "R-OPN-1"
    one = client.get_service_request(ref)
    assert one["agency_responsible"].startswith("古楼街道")
    assert one["expected_datetime"] == waiting["expected_datetime"]  # the service level still runs from receipt
    api.settle()
    [listed] = [o for o in api.get("/api/v1/opinions").json_body["items"] if o["ref"] == ref]
    assert (listed["district"], listed["group"]) == (world["district"], world["group"])
    raw = requests.get(f"{server}/requests.xml?service_request_id={ref}", timeout=30).content
    assert ET.fromstring(raw).findtext("request/agency_responsible").startswith("古楼街道")
    assert_nothing_private(raw)


def test_an_opinion_waiting_in_triage_is_a_reminder_to_the_bureau(server, api, runtime, frozen_clock):
    # R-RPT-8, R-OPN-1 (amended), R-OPN-2: an address-only opinion has no group yet; its coming
    # acknowledgement deadline reminds the bureau, who must assign its district, not a group of nobody.
    response = post(server, "xml", lat=None, long=None)
    assert response.status_code == 201, response.text
    ref = ET.fromstring(response.content).findtext("request/service_request_id")
    api.settle()
    answer = api.get("/api/v1/reminders?date=2026-06-15")
    assert answer.status_code == 200, answer.json_body
    [reminder] = [r for r in answer.json_body["reminders"] if r.get("ref") == ref]
    assert reminder["kind"] == "due_soon" and reminder["to"] == {"role": "bureau", "code": "bureau"}


def error_item(response: requests.Response, fmt: str) -> dict:
    """The one error of a GeoReport v2 error list, read as the format carries it."""
    if fmt == "json":
        [item] = response.json()
        return {k: str(v) for k, v in item.items()}
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"]
    return {child.tag: child.text for child in root[0]}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_gates_refusals_are_in_georeport_shape_too(server, world, runtime, monkeypatch, fmt):
    # issue 16: a refusal raised before the handler (token 401, text a store cannot keep 400,
    # rate limit 429) answers the standard's error list in the path's format, as the handler's do
    media = "text/xml" if fmt == "xml" else "application/json"
    forged = requests.get(f"{server}/requests.{fmt}", headers={"Authorization": "Bearer not.a.token"}, timeout=30)
    assert forged.status_code == 401 and forged.headers["Content-Type"].startswith(media)
    assert error_item(forged, fmt)["code"] == "401"

    nul = post(server, fmt, description="井盖\x00松动", phone=None)
    assert nul.status_code == 400 and nul.headers["Content-Type"].startswith(media)
    assert {k: error_item(nul, fmt).get(k) for k in ("code", "field", "rule")} == {
        "code": "400", "field": "description", "rule": "R-SEC-3"}
    in_query = requests.get(f"{server}/requests.{fmt}", params={"status": "open\x00"}, timeout=30)
    assert in_query.status_code == 400 and error_item(in_query, fmt)["field"] == "status"

    # the address (this test's loopback) has used up its minute: the next submission is 429
    monkeypatch.setattr(ratelimit, "now", lambda: NOON)
    settings = runtime.settings
    limiter = ratelimit.RateLimiter(runtime.db("feedback"), settings.pseudonym_secret,
                                    per_minute=settings.rate_limit_per_minute,
                                    phone_per_day=settings.rate_limit_phone_per_day)
    for _ in range(settings.rate_limit_per_minute):
        limiter.check_address("127.0.0.1")
    limited = post(server, fmt, phone=None)
    assert limited.status_code == 429 and limited.headers["Content-Type"].startswith(media)
    assert int(limited.headers["Retry-After"]) >= 1
    assert {k: error_item(limited, fmt).get(k) for k in ("code", "rule")} == {"code": "429", "rule": "R-SEC-5"}


def test_openapi_describes_open311_errors_in_georeport_shape(runtime):
    # issue 16: every error an Open311 operation answers (the gate's 401/413/429 included) has the
    # standard's list shape, in the operation's own format
    from services.backbone.openapi import openapi_document

    paths = openapi_document(runtime.service_objects())["paths"]
    for path, media in ((f"{OPEN311}/requests.json", "application/json"), (f"{OPEN311}/requests.xml", "text/xml")):
        responses = paths[path]["post"]["responses"]
        for status in ("400", "401", "403", "413", "422", "429", "503"):
            [(kind, content)] = responses[status]["content"].items()
            assert kind == media and content["schema"]["items"]["required"] == ["code", "description"], (path, status)
        assert responses["400"]["content"][media]["schema"]["xml"] == {"name": "errors", "wrapped": True}


def _resolved(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def xml_name_problems(element: ET.Element, schema: dict, components: dict, name: str | None = None) -> list[str]:
    """Where an XML answer's elements differ from the ``xml`` names of its documented schema: the root,
    a list's items, an object's fields (each required one present, none undocumented)."""
    schema = _resolved(schema, components)
    expected = schema.get("xml", {}).get("name", name)
    problems = [] if element.tag == expected else [f"<{element.tag}> documented as <{expected}>"]
    if schema.get("type") == "array":
        for child in element:
            problems += xml_name_problems(child, schema["items"], components)
    elif schema.get("type") == "object":
        fields = schema.get("properties", {})
        problems += [f"<{element.tag}> without <{field}>" for field in schema.get("required", [])
                     if element.find(field) is None]
        for child in element:
            if child.tag in fields:
                problems += xml_name_problems(child, fields[child.tag], components, child.tag)
            else:
                problems.append(f"<{element.tag}><{child.tag}> not documented")
    return problems


def test_open311_answers_fit_their_documented_schemas_in_json_and_xml(server, world, runtime):
    # issue 16 "OpenAPI": every Open311 operation documents its answer's fields; a JSON answer
    # validates against that schema, an XML one has the element names its ``xml`` names give
    from jsonschema import Draft202012Validator

    from services.backbone.openapi import openapi_document

    document = openapi_document(runtime.service_objects())
    components = document["components"]["schemas"]
    refs = {fmt: (post(server, fmt, **{"attribute[public]": "true"})) for fmt in ("json", "xml")}
    ref = refs["json"].json()[0]["service_request_id"]
    runtime.drain()
    calls = [("discovery", "discovery"), ("services", "services"), ("services/{code}", "services/public_space"),
             ("requests", "requests"), ("requests/{ref}", f"requests/{ref}")]
    checked = []
    for fmt, media in (("json", "application/json"), ("xml", "text/xml")):
        answers = [("post", "requests", refs[fmt])] + [
            ("get", template, requests.get(f"{server}/{path}.{fmt}", timeout=30)) for template, path in calls]
        for method, template, response in answers:
            responses = document["paths"][f"{OPEN311}/{template}.{fmt}"][method]["responses"]
            assert response.status_code == (201 if method == "post" else 200), (template, fmt, response.text)
            [(kind, content)] = responses[str(response.status_code)]["content"].items()
            assert kind == media and response.headers["Content-Type"].startswith(media)
            schema = content["schema"]
            assert _resolved(schema, components)["xml"]["name"], (template, fmt)
            if fmt == "json":
                validator = Draft202012Validator({"allOf": [schema], "components": document["components"]})
                problems = [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                            for e in validator.iter_errors(response.json())]
            else:
                problems = xml_name_problems(ET.fromstring(response.content), schema, components)
            assert problems == [], (method, template, fmt)
            checked.append((method, template, fmt))
    # every Open311 operation in the document was answered and checked
    documented = {(method, path.removeprefix(f"{OPEN311}/").rsplit(".", 1)[0], path.rsplit(".", 1)[1])
                  for path, item in document["paths"].items() if path.startswith(OPEN311) for method in item}
    assert documented == set(checked)


def test_the_schemas_xml_names_catch_a_misnamed_element(runtime):
    # the check above can fail: an item or a field named otherwise than documented is reported
    from services.backbone.openapi import openapi_document

    document = openapi_document(runtime.service_objects())
    components = document["components"]["schemas"]
    schema = document["paths"][f"{OPEN311}/services.xml"]["get"]["responses"]["200"]["content"]["text/xml"]["schema"]
    misnamed = ET.fromstring("<services><item><service_code>x</service_code></item></services>")
    assert xml_name_problems(misnamed, schema, components)[0] == "<item> documented as <service>"
    wrong_field = ET.fromstring("<services><service><code>x</code></service></services>")
    assert "<service><code> not documented" in xml_name_problems(wrong_field, schema, components)


@pytest.mark.parametrize("path, fmt", [("requests.csv", "json"), ("nothing.json", "json"), ("nothing.xml", "xml"),
                                       ("services/public_space/attributes.xml", "xml"), ("requests/", "json")])
def test_a_path_no_route_matches_is_refused_in_georeport_shape(server, path, fmt):
    # issue 16: under /open311/v2/ a path no route matches is 404 in the standard's error list,
    # XML where the path asks for it; a method no route takes is 405 so
    missing = requests.get(f"{server}/{path}", timeout=30)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith(
        "text/xml" if fmt == "xml" else "application/json")
    assert error_item(missing, fmt)["code"] == "404"
    wrong_method = requests.delete(f"{server}/services.xml", timeout=30)
    assert wrong_method.status_code == 405 and error_item(wrong_method, "xml")["code"] == "405"
    # elsewhere the application's own shape, as before
    outside = requests.get(server.replace("/open311/v2", "/nothing.xml"), timeout=30)
    assert outside.status_code == 404 and outside.json()["error"]["code"] == "not_found"


def test_under_nameko_too_a_path_no_route_matches_is_refused_in_georeport_shape():
    # issue 16: `rps serve feedback` (nameko's web server with the service's routes) refuses an
    # unmatched path as the gateway does, not with werkzeug's HTML page
    from nameko.containers import ServiceContainer
    from werkzeug.test import Client

    from services.backbone.hosting import SETTINGS_KEY, hosted_class
    from services.backbone.http import RouteEntrypoint
    from services.bootstrap import service_class

    container = ServiceContainer(hosted_class(service_class("feedback"), ("http",)), {SETTINGS_KEY: None})
    routes = [e for e in container.entrypoints if isinstance(e, RouteEntrypoint)]
    for entrypoint in routes:
        entrypoint.server.register_provider(entrypoint)  # what setup() does, without starting the server
    client = Client(routes[0].server.get_wsgi_app())
    as_json = client.get(f"{OPEN311}/requests.csv")
    assert as_json.status_code == 404 and as_json.get_json()[0]["code"] == 404
    as_xml = client.get(f"{OPEN311}/nothing.xml")
    assert as_xml.status_code == 404 and as_xml.mimetype == "text/xml"
    assert ET.fromstring(as_xml.get_data()).findtext("error/code") == "404"
    assert client.get("/api/v1/nothing").get_json()["error"]["code"] == "not_found"
