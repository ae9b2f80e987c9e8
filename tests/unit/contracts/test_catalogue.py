"""The published event catalogue that visits, feedback and reporting are built against.

Names and data fields may grow, never be renamed: this test lists the
minimum of each event type the issue promises to subscribers.
"""

from __future__ import annotations

API = "/api/v1"

CATALOGUE = {
    "GovernmentRegistered": {"code", "name", "kind", "leader", "department", "contact"},
    "DistrictRegistered": {"code", "name", "types", "government", "leader", "contact", "boundary"},
    "DistrictTypesChanged": {"code", "types"},
    "DistrictBoundarySet": {"code", "boundary"},
    "ContactsChanged": {"entity", "code", "leader", "department", "contact"},
    "ContractSigned": {"id", "team", "institution", "start_date", "term_years", "end_date", "annual_fee_fen",
                       "deduction_rule", "service_year_basis", "settle_confirmed_only", "late_after_days",
                       "work_content", "evaluation_weights", "pass_mark"},
    "ContractRenewed": {"id", "date", "term_years", "end_date"},
    "ContractEnded": {"id", "date", "reason"},
    "PlannerAppointed": {"id", "name", "origin", "qualifications", "experience_years", "community_renewal"},
    "PlannerDismissed": {"id", "date", "reason"},
    "GroupFormed": {"code", "district", "contract", "tier1", "local", "from_date"},
    "PlannerReplaced": {"group", "out", "in", "date", "reason"},
    "GroupAssignmentEnded": {"group", "date", "reason"},
    "TeamEvaluated": {"contract", "date", "scores", "total", "passed", "pass_mark"},
    "PlannerEvaluated": {"planner", "contract", "date", "scores", "total", "passed", "pass_mark"},
}
# Added by this service (membership kept on the planner for R-ORG-4).
ADDED = {
    "PlannerAssigned": {"id", "group", "contract", "date"},
    "PlannerReleased": {"id", "group", "date", "reason"},
}
SQUARE = {"type": "Polygon", "coordinates": [[[115.9, 36.4], [116.0, 36.4], [116.0, 36.5], [115.9, 36.5], [115.9, 36.4]]]}


def test_every_catalogue_event_is_published_with_its_fields_and_envelope(org, api, runtime, unique):
    # R-ORG-*, R-CON-*, R-EVA-1, R-SEC-2: names, data fields and the CloudEvents envelope
    ok = org.ok
    ok(api.post(f"{API}/districts/{org.district}/types", {"types": ["built"]}), 200)
    ok(api.put(f"{API}/districts/{org.district}/boundary", SQUARE), 200)
    ok(api.put(f"{API}/governments/{org.government}/contacts", {"leader": "王", "department": "科", "contact": "李"}), 200)
    group = f"g-{unique}"
    org.group(group, [org.planners["tier1"], org.planners["local"]])
    newcomer = org.planner(f"t2-{unique}", "tier1")
    ok(api.post(f"{API}/groups/{group}/replacements",
                {"out": org.planners["tier1"], "in": newcomer, "date": "2022-01-10", "reason": "调动"}))
    ok(api.post(f"{API}/planners/{org.planners['tier1']}/dismissal", {"date": "2022-02-01", "reason": "离职"}), 200)
    ok(api.post(f"{API}/planners/{newcomer}/evaluations",
                {"contract": org.contract, "date": "2024-05-20", "scores": {"service_time": 88}}))
    ok(api.post(f"{API}/contracts/{org.contract}/evaluations", {"date": "2024-05-20", "scores": {"service_time": 88}}))
    ok(api.post(f"{API}/contracts/{org.contract}/renewals", {"date": "2024-05-31"}))
    ok(api.post(f"{API}/groups/{group}/end", {"date": "2025-05-31", "reason": "调整"}), 200)
    ok(api.post(f"{API}/contracts/{org.contract}/end", {"date": "2025-06-30", "reason": "到期"}), 200)

    envelopes = runtime.app("contracts").envelopes(after=0, limit=1000)
    seen: dict[str, dict] = {}
    for envelope in envelopes:
        kind = envelope["type"].split(".")[-2]
        assert envelope["type"] == f"cn.liaocheng.rps.contracts.{kind}.v1"
        assert envelope["source"] == "rps/contracts" and envelope["specversion"] == "1.0"
        assert envelope["actor"] and envelope["correlationid"]
        seen.setdefault(kind, envelope["data"])
    assert set(seen) == set(CATALOGUE) | set(ADDED)
    for kind, fields in {**CATALOGUE, **ADDED}.items():
        assert fields <= set(seen[kind]), (kind, fields - set(seen[kind]))
    # personal contact data of planners never travels (R-ORG-5 note, R-OPN-3 spirit)
    assert all("phone" not in e["data"] and "email" not in e["data"] for e in envelopes)
