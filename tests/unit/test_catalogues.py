"""The published interface documents stay in step with the code (API.md)."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import yaml
from referencing.jsonschema import DRAFT7

from services.backbone.catalogue import asyncapi_yaml, catalogue
from services.backbone.http import routes_of
from services.reporting.audit import migrate_chains
from tests.chain_writer import Writer
from tests.unit.reporting.world import World

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
SQUARE = {"type": "Polygon",
          "coordinates": [[[115.9, 36.4], [116.0, 36.4], [116.0, 36.5], [115.9, 36.5], [115.9, 36.4]]]}


def test_docs_asyncapi_is_generated_from_the_current_events():
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8")
    assert committed == asyncapi_yaml(), "docs/asyncapi.yaml is stale: run `.venv/bin/rps asyncapi`"


def test_the_catalogue_names_past_tense_facts_and_carries_no_personal_data():
    # R-OPN-3: events never carry residents' personal data
    events = catalogue()
    assert {"VisitLogged", "GroupFormed", "RecommendationForwarded", "OpinionSubmitted"} <= {
        name for per_service in events.values() for name in per_service
    }
    for service, per_service in events.items():
        for name, spec in per_service.items():
            assert name[0].isupper() and " " not in name
            assert "contact_phone" not in spec["fields"] and "contact_name" not in spec["fields"], name


def test_every_event_a_real_scenario_publishes_is_catalogued(api, runtime, unique):
    # API.md "Events": each service's published events are in the catalogue. Issue 15: the scenario
    # goes through the API so that every service stores events (the loop checks something in each).
    w = World(api=api, unique=unique)
    gov = w.government("gov")
    district = w.district("d1", gov)
    w.sign()
    group = w.group("g1", district)
    w.visit(group, "2021-07-05", 1.0)
    w.opinion(district, "2022-03-01")
    w.recommendation(group, "2022-03-02")
    listed = {f"{service}.{name}" for service, per in catalogue().items() for name in per}
    published = {service: [f"{service}.{e['type'].split('.')[-2]}" for e in runtime.app(service).envelopes(0, 1000)]
                 for service in ("contracts", "visits", "feedback")}
    assert {"contracts.GroupFormed", "visits.VisitLogged", "feedback.OpinionSubmitted",
            "feedback.RecommendationRaised"} <= {name for names in published.values() for name in names}, published
    for service, names in published.items():
        assert names, f"{service} stored no event in the scenario"
        assert set(names) <= listed, (service, set(names) - listed)


def test_openapi_lists_every_route_with_its_request_schema(api, runtime):
    document = api.get("/openapi.json").json_body
    assert document["openapi"].startswith("3.")
    for service in runtime.service_objects():
        for method, path, bound in routes_of(service):
            openapi_path = path
            for conv in ("int:", "path:"):
                openapi_path = openapi_path.replace(f"<{conv}", "<")
            openapi_path = openapi_path.replace("<", "{").replace(">", "}")
            operation = document["paths"][openapi_path][method.lower()]
            source = inspect.getsource(getattr(bound, "__func__", bound).__wrapped__)
            if "parse_body(request" in source:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    assert "LogVisit" in document["components"]["schemas"]


# -- every event of a realistic scenario, against docs/asyncapi.yaml ----------------------------


def programme_year(api: Any, unique: str) -> None:
    """An organisation formed, a year of visits, opinions, recommendations and consultations,
    paperwork, settlements, and the organisation changed and wound up: every kind of event."""
    w = World(api=api, unique=unique)
    ok = w.ok
    # contracts: R-ORG-*, R-CON-*, R-EVA-1
    gov = w.government("gov")
    d1, d2 = w.district("d1", gov), w.district("d2", gov)
    ok(api.post(f"{API}/districts/{d1}/types", {"types": ["built", "historic"]}))
    ok(api.put(f"{API}/districts/{d1}/boundary", SQUARE))
    ok(api.put(f"{API}/governments/{gov}/contacts", {"leader": "王", "department": "科", "contact": "李"}))
    ok(api.put(f"{API}/districts/{d1}/contacts", {"leader": "赵", "contact": "钱"}))
    # R-TEAM-1: the team with its class-A qualification (renewed), a local institution
    cert = {"grade": "甲级", "certificate_no": "A1", "issuer": "住房和城乡建设部", "valid_until": "2021-12-31"}
    w.post("/teams", {"code": w.code("team"), "name": "一线城市规划院", "city_tier": "tier1", "qualification": cert})
    ok(api.put(f"{API}/teams/{w.code('team')}/qualification",
               {"qualification": {**cert, "certificate_no": "A2", "valid_from": "2022-01-01",
                                  "valid_until": "2026-12-31"}}), 200)
    w.post("/institutions", {"code": w.code("inst"), "name": "本地规划院", "qualification": {**cert, "grade": "乙级"}})
    w.sign()
    g1, g2 = w.group("g1", d1), w.group("g2", d2)
    newcomer = w.code("t2")
    w.post("/planners", {"id": newcomer, "name": "周工", "origin": "tier1", "qualifications": ["registered_planner"],
                         "experience_years": 12, "date": "2021-12-01"})
    w.post(f"/groups/{g2}/replacements",
           {"out": w.planners[g2][0], "in": newcomer, "date": "2022-01-10", "reason": "调动"})
    ok(api.post(f"{API}/planners/{w.planners[g2][0]}/dismissal", {"date": "2022-02-01", "reason": "离职"}))
    w.post(f"/planners/{newcomer}/evaluations",
           {"contract": w.contract, "date": "2024-05-20", "scores": {"service_time": 88}})
    w.post(f"/contracts/{w.contract}/evaluations", {"date": "2024-05-20", "scores": {"service_time": 88}})
    # visits: R-VIS-1..7, R-FEE-1
    v = [w.visit(g1, day, days, leader_met=True) for day, days in
         (("2021-06-10", 2.0), ("2021-07-05", 1.0), ("2021-08-03", 1.5), ("2021-09-06", 1.0))]
    w.post(f"/visits/{v[1]}/corrections", {"days": 1.5, "notes": "补记半天", "reason": "漏记"})
    w.void(v[2])
    w.confirm(v[0])
    w.dispute(v[3])
    w.settle(g1, 2021)
    w.visit(g1, "2021-10-11", 1.0)
    w.settle(g1, 2021)  # supersedes the first
    # feedback: R-OPN-1..3, R-REC-1..3, R-CSL-1, R-PUB-1, R-RPT-3, R-EVA-2, R-EVA-3
    o1 = w.opinion(d1, "2022-03-01", contact_phone="13800000000", contact_name="张三",
                   point={"lat": 36.45, "lon": 115.95})
    w.acknowledge(o1, "2022-03-02")
    w.post(f"/opinions/{o1}/relay", {"date": "2022-03-03", "comment": "需区政府协调"})
    w.answer(o1, "2022-03-10")
    w.post(f"/opinions/{o1}/close", {"date": "2022-03-12"})
    assert api.delete(f"{API}/opinions/{o1}/personal-data").status_code == 204
    o2 = w.opinion(d1, "2022-03-01")
    w.acknowledge(o2, "2022-03-02")
    # R-OPN-1 (issue 16): one with only a street address waits until the bureau assigns its district
    o3 = w.opinion(None, "2022-03-01", address="柳园路 1 号")
    w.post(f"/opinions/{o3}/district", {"district": d1, "date": "2022-03-02"})
    escalated = w.post(f"/opinions/{o2}/escalate", {"date": "2022-03-03", "title": "增设路灯"})["recommendation"]["id"]
    r1, r2, r3 = (w.recommendation(g1, "2022-03-04", title) for title in ("修缮步道", "增设口袋公园", "拓宽巷道"))
    w.letter(gov, "L1", "2022-03-05", "2022-04-05", [r1, r2, escalated])
    w.step(r1, "accept", "2022-03-06")
    w.step(r1, "progress", "2022-03-10", percent=40, text="已采购")
    w.step(r1, "complete", "2022-03-20")
    w.step(r1, "reopen", "2022-03-22")
    w.step(r1, "complete", "2022-03-25")
    w.step(r1, "verify", "2022-03-28")
    w.step(r2, "decline", "2022-03-07")
    w.step(r3, "withdraw", "2022-03-08")
    c1 = w.consultation(g1, "2022-03-08", "2022-03-18")
    w.consultation_answer(c1, "2022-03-15")
    w.post(f"/consultations/{c1}/close", {"date": "2022-03-16"})
    w.post("/publicity", {"group": g1, "title": "社区规划开放日", "mode": "offline", "audience": 120, "date": "2022-03-05"})
    w.post("/work-summaries", {"group": g1, "period": "2022-H1", "text": "上半年述职", "highlights": ["口袋公园"],
                               "date": "2022-06-30"})
    w.post("/ratings", {"group": g1, "year": 2021, "target": "government", "date": "2022-05-30",
                        "scores": {"cooperation": 4, "workplace": 5, "implementation": 3}, "text": "配合较好"})
    w.post("/annual-summaries", {"kind": "implementation", "government": gov, "year": 2021, "text": "年度落实情况",
                                 "date": "2022-06-15"})
    # R-RPT-8: a day's reminders, as reporting computed them, handed to feedback's notifier
    api.settle()
    reminders = ok(api.get(f"{API}/reminders?date=2022-03-21"))["reminders"]
    assert reminders  # the scenario's overdue and due items: the event's schema is checked on real ones
    w.post("/daily-reminders", {"date": "2022-03-21", "reminders": reminders})
    # the organisation changes and winds up
    w.post(f"/contracts/{w.contract}/renewals", {"date": "2024-05-31"})
    ok(api.post(f"{API}/groups/{g2}/end", {"date": "2025-05-31", "reason": "调整"}))
    ok(api.post(f"{API}/contracts/{w.contract}/end", {"date": "2025-06-30", "reason": "到期"}))
    api.settle()


def published(runtime: Any) -> list[dict[str, Any]]:
    return [e for service in ("contracts", "visits", "feedback") for e in runtime.app(service).envelopes(0, 10_000)]


FORMATS = jsonschema.FormatChecker(["date"])


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # jsonschema checks date-time only with an extra package; RFC 3339 needs the offset.
    return not isinstance(value, str) or dt.datetime.fromisoformat(value).tzinfo is not None


def message_validator(document: dict[str, Any], key: str) -> jsonschema.Draft7Validator:
    """The payload schema of message ``key`` (AsyncAPI's default schema format is
    JSON Schema draft 7), its ``$ref``s resolved inside the document."""
    uri = "urn:rps:asyncapi"
    registry = referencing.Registry().with_resource(uri, DRAFT7.create_resource(document))
    return jsonschema.Draft7Validator(
        {"$ref": f"{uri}#/components/messages/{key}/payload"}, registry=registry, format_checker=FORMATS
    )


def test_every_event_of_a_programme_year_is_in_asyncapi_and_valid_against_its_schema(api, runtime, unique):
    # issue 9: an event changed without the catalogue fails the build; R-OPN-3: no personal data travels
    programme_year(api, unique)
    # R-RPT-5 amended: `rps migrate` over a history from before keying publishes its signed checkpoint
    for service in ("contracts", "visits", "feedback"):
        Writer(runtime.settings, service).forget_keying()
    migrate_chains(runtime)
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
    messages = document["components"]["messages"]
    validators: dict[str, jsonschema.Draft7Validator] = {}
    problems, seen = [], set()
    for envelope in published(runtime):
        service, name, version = envelope["source"].split("/")[1], *envelope["type"].split(".")[-2:]
        key = f"{service}.{name}.{version}"
        seen.add(key)
        if key not in messages:
            problems.append(f"{key}: not in docs/asyncapi.yaml")
            continue
        assert document["channels"][f"{service}.events"]["messages"][name] == {"$ref": f"#/components/messages/{key}"}
        validator = validators.setdefault(key, message_validator(document, key))
        problems += [f"{key} {list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(envelope)]
        declared = messages[key]["payload"]["allOf"][1]["properties"]["data"]["properties"]
        undeclared = set(envelope["data"]) - set(declared)
        if undeclared:
            problems.append(f"{key}: data carries {sorted(undeclared)}, which the catalogue does not declare")
        assert "13800000000" not in str(envelope) and "张三" not in str(envelope), key
    assert problems == []
    # The scenario reaches every catalogued event, so every schema above was checked against a real one.
    assert set(messages) - seen == set()


def test_the_schema_check_catches_a_missing_field_a_wrong_type_and_a_bad_date(api, runtime, unique):
    document = yaml.safe_load(asyncapi_yaml())
    validator = message_validator(document, "visits.VisitLogged.v1")
    w = World(api=api, unique=unique)
    w.district("d", w.government("gov"))
    w.sign()
    group = w.group("g", w.code("d"))
    w.visit(group, "2022-03-03", 1.0)
    envelope = next(e for e in runtime.app("visits").envelopes(0, 100) if e["type"].endswith("VisitLogged.v1"))
    assert list(validator.iter_errors(envelope)) == []
    broken = [
        {**envelope, "data": {k: v for k, v in envelope["data"].items() if k != "days"}},
        {**envelope, "data": {**envelope["data"], "days": "1.0"}},
        {**envelope, "data": {**envelope["data"], "date": "03/03/2022"}},
        {**envelope, "type": "cn.liaocheng.rps.visits.VisitVoided.v1"},
        {**envelope, "time": "2022-03-03 10:00"},
    ]
    assert [len(list(validator.iter_errors(b))) for b in broken] == [1, 1, 1, 1, 1]
