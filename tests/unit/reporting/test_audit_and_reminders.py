"""The audit trail (R-RPT-5, R-SEC-2) and the daily reminders (R-RPT-8)."""

from __future__ import annotations

import json

API = "/api/v1"


def test_the_audit_trail_of_a_visit_shows_who_why_and_what_changed(world, api):
    # R-RPT-5, R-SEC-2: time, actor, role, correlation, causation and the change
    w = world
    gov = w.government("gov")
    district = w.district("d", gov)
    w.sign()
    group = w.group("g", district)
    visit = w.visit(group, "2022-03-03", 1.5, headers={"X-Correlation-ID": f"corr-{w.unique}"})
    w.post(f"/visits/{visit}/corrections", {"days": 1.0, "reason": "只服务了一天"})
    w.void(visit, "记错了小组")
    api.settle()
    trail = api.get(f"{API}/audit/visit/{visit}").json_body
    assert trail["entity"] == "visit" and trail["count"] == 3
    logged, corrected, voided = trail["events"]
    assert [e["type"] for e in trail["events"]] == ["VisitLogged", "VisitCorrected", "VisitVoided"]
    assert all(e["actor"] == "bureau-test" and e["role"] == "bureau" and e["service"] == "visits"
               for e in trail["events"])
    assert all("causation" in e and e["time"] for e in trail["events"])
    assert logged["correlation"] == f"corr-{w.unique}" and logged["date"] == "2022-03-03"
    assert logged["changes"]["days"] == {"from": None, "to": 1.5}
    assert corrected["changes"]["days"] == {"from": 1.5, "to": 1.0}
    assert corrected["data"]["reason"] == "只服务了一天"
    assert voided["changes"]["reason"] == {"from": "只服务了一天", "to": "记错了小组"}
    assert [e["sequence"] for e in trail["events"]] == [1, 2, 3]


def test_every_entity_has_its_history_across_services_and_no_personal_data(world, api):
    # R-RPT-5 (government, district, contract, planner, group, visit, opinion, recommendation,
    # letter, consultation), R-OPN-3 (no personal data in the trail)
    w = world
    gov = w.government("gov")
    district = w.district("d", gov)
    contract = w.sign(start="2021-06-01")
    group = w.group("g", district)
    tier1 = w.planners[group][0]
    w.visit(group, "2021-07-03", 1.0)
    w.settle(group, 2021)
    ref = w.opinion(district, "2022-01-03", contact_phone="13812345678", contact_name="王小明")
    w.acknowledge(ref, "2022-01-04")
    rec = w.recommendation(group, "2022-01-05")
    letter = w.letter(gov, "L9", "2022-01-10", "2022-03-10", [rec])
    consultation = w.consultation(group, "2022-01-06", "2022-01-20")
    api.settle()

    def types(entity, key):
        response = api.get(f"{API}/audit/{entity}/{key}")
        assert response.status_code == 200, (entity, key, response.json_body)
        return [e["type"] for e in response.json_body["events"]]

    assert types("government", gov) == ["GovernmentRegistered"]
    assert types("district", district) == ["DistrictRegistered"]
    assert types("contract", contract) == ["ContractSigned"]
    assert types("planner", tier1) == ["PlannerAppointed", "PlannerAssigned"]
    assert types("group", group) == ["GroupFormed", "FeeSettled"]  # contracts and visits
    assert types("recommendation", rec) == ["RecommendationRaised", "RecommendationForwarded"]
    assert types("letter", letter) == ["LetterIssued", "RecommendationForwarded"]
    assert types("letter", w.code("L9")) == ["LetterIssued", "RecommendationForwarded"]
    assert types("consultation", consultation) == ["ConsultationRequested"]
    opinion = api.get(f"{API}/audit/opinion/{ref}")
    assert [e["type"] for e in opinion.json_body["events"]] == ["OpinionSubmitted", "OpinionAcknowledged"]
    text = json.dumps(opinion.json_body, ensure_ascii=False)
    for personal in ("13812345678", "138****5678", "王小明", "person_key", "pk_"):
        assert personal not in text
    assert api.get(f"{API}/audit/opinion/NOSUCHREF").status_code == 404
    assert api.get(f"{API}/audit/spaceship/{gov}").status_code == 404


def test_todays_reminders(world, february, api):
    # R-RPT-8: no visit by the 20th of a duty month, behind the pro-rata days,
    # items due within 7 days or overdue, a new letter
    f = february
    w = world
    c3 = w.consultation(f["g1"], "2022-03-15", "2022-03-25")
    o4 = w.opinion(f["d1"], "2022-03-17")  # to be acknowledged by 03-22
    r3 = w.recommendation(f["g1"], "2022-03-18")
    w.letter(f["gov"], "L3", "2022-03-20", "2022-05-19", [r3])
    api.settle()
    answer = api.get(f"{API}/reminders?date=2022-03-20").json_body
    assert answer["date"] == "2022-03-20"
    assert answer["counts"] == {"overdue": 4, "no_visit": 2, "behind_pro_rata": 3, "due_soon": 2, "new_letter": 1}
    found = {(r["kind"], r.get("ref") or r["to"]["code"]): r for r in answer["reminders"]}
    # Overdue on 03-20: O2 39 days past 02-09, O3 18 past its acknowledgement due 03-02,
    # R1 28 past 02-20 (to the government), C2 23 past 02-25.
    assert found[("overdue", f["o2"])]["days"] == 39 and found[("overdue", f["o3"])]["days"] == 18
    assert found[("overdue", f["r1"])]["days"] == 28 and found[("overdue", f["r1"])]["to"] == {
        "role": "government", "code": f["gov"]}
    assert found[("overdue", f["c2"])]["days"] == 23 and found[("overdue", f["c2"])]["to"]["code"] == f["g1"]
    assert found[("due_soon", c3)]["days"] == 5 and found[("due_soon", o4)]["days"] == 2
    assert found[("new_letter", w.code("L3"))]["to"] == {"role": "government", "code": f["gov"]}
    # g1 visited on 03-01; g2 (March is its first duty month) and g3 have not.
    assert {code for kind, code in found if kind == "no_visit"} == {f["g2"], f["g3"]}
    # Pro rata: 30 × (duty months ended before March + 20/31) / 12.
    behind = {code: (r["days"], r["target_days"]) for (kind, code), r in found.items() if kind == "behind_pro_rata"}
    assert behind == {f["g1"]: (9.5, 24.1), f["g2"]: (0.0, 1.6), f["g3"]: (0.0, 4.1)}
    # The day before the 20th nobody is reminded of a missing visit.
    assert "no_visit" not in api.get(f"{API}/reminders?date=2022-03-19").json_body["counts"]
    assert api.get(f"{API}/reminders?date=2022-13-01").json_body["error"]["field"] == "date"
