"""The organisation as every service keeps it (services/programme/organisation.py): contracts'
lists, visits' rules, feedback's routing and the reports read the same rows, live or rebuilt
(R-ORG-1, R-ORG-4, R-ORG-7, R-CON-2, R-CON-4)."""

from __future__ import annotations

from typing import Any

from services.backbone.persistence import SQLiteDatabase, create_tables
from services.backbone.tracking import rebuild
from services.contracts.projections import DirectoryProjection as ContractsDirectory
from services.feedback.projections import DirectoryProjection as FeedbackDirectory
from services.programme.organisation import TABLES
from services.reporting.projections import OrganisationProjection
from services.visits.projections import AssignmentsProjection
from tests.unit.visits.feed import envelope

KEEPERS = (ContractsDirectory, AssignmentsProjection, FeedbackDirectory, OrganisationProjection)
KEYS = {"governments": "code", "districts": "code", "contracts": "id", "planners": "id", "groups": "code",
        "group_periods": "grp, from_date", "members": "grp, planner, from_date"}

HISTORY = [
    ("GovernmentRegistered", {"code": "gov", "name": "东昌府区人民政府", "kind": "district_government",
                              "leader": "王某", "department": "住建局", "contact": "李某"}),
    ("DistrictRegistered", {"code": "d1", "name": "古楼街道", "government": "gov", "types": ["historic", "built"],
                            "leader": "赵某", "contact": None, "boundary": None}),
    ("ContractSigned", {"id": "c1", "team": "某规划院", "start_date": "2021-06-01", "term_years": 3,
                        "end_date": "2024-05-31", "annual_fee_fen": 6_000_000, "deduction_rule": "max",
                        "service_year_basis": "contract", "settle_confirmed_only": False, "late_after_days": 10,
                        "signed_on": "2021-05-20", "terms": {"content": "责任规划师服务"}}),
    ("PlannerAppointed", {"id": "p1", "name": "甲", "origin": "tier1", "qualifications": ["registered_planner"],
                          "experience_years": 12, "community_renewal": True, "date": "2021-05-01"}),
    ("PlannerAppointed", {"id": "p2", "name": "乙", "origin": "local", "qualifications": [],
                          "experience_years": 5, "community_renewal": False, "date": "2021-05-01"}),
    ("PlannerAppointed", {"id": "p3", "name": "丙", "origin": "local", "qualifications": [],
                          "experience_years": 7, "community_renewal": False, "date": "2021-05-01"}),
    ("GroupFormed", {"code": "g1", "district": "d1", "contract": "c1", "tier1": "p1", "local": "p2",
                     "from_date": "2021-06-01"}),
    ("PlannerAssigned", {"id": "p1", "group": "g1"}),
    ("PlannerAssigned", {"id": "p2", "group": "g1"}),
    ("ContactsChanged", {"entity": "district", "code": "d1", "leader": "钱某", "department": "办事处",
                         "contact": "孙某"}),
    ("DistrictBoundarySet", {"code": "d1", "boundary": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}),
    ("DistrictTypesChanged", {"code": "d1", "types": ["built"]}),
    ("PlannerReplaced", {"group": "g1", "out": "p2", "in": "p3", "date": "2022-01-10", "reason": "调动"}),
    ("PlannerReleased", {"id": "p2", "group": "g1"}),
    ("PlannerAssigned", {"id": "p3", "group": "g1"}),
    ("PlannerDismissed", {"id": "p2", "date": "2022-02-01", "reason": None}),
    ("TeamEvaluated", {"contract": "c1", "passed": True}),
    ("ContractRenewed", {"id": "c1", "date": "2024-05-01", "term_years": 2, "end_date": "2026-05-31", "term": 2,
                         "term_start": "2024-06-01"}),
    ("GroupAssignmentEnded", {"group": "g1", "date": "2025-06-30", "reason": "调整"}),
    ("ContractEnded", {"id": "c1", "date": "2025-12-31", "reason": None}),
]


def _envelopes() -> list[dict[str, Any]]:
    return [envelope(kind, data.get("code") or data.get("id") or data.get("group") or data["contract"], data,
                     sequence=1, position=n) for n, (kind, data) in enumerate(HISTORY, start=1)]


def _rows(db: SQLiteDatabase, prefix: str) -> dict[str, list[dict[str, Any]]]:
    return {t: db.query(f"SELECT * FROM {prefix}{t} ORDER BY {KEYS[t]}") for t in TABLES}


def test_every_service_keeps_the_same_organisation_live_and_rebuilt(tmp_path):
    live_db, rebuilt_db = SQLiteDatabase(tmp_path / "live.sqlite"), SQLiteDatabase(tmp_path / "rebuilt.sqlite")
    create_tables(live_db, ())
    create_tables(rebuilt_db, ())
    history = _envelopes()
    for cls in KEEPERS:
        live = cls(live_db)
        live.create_tables()
        for one in history:  # as the bus delivers them
            live.handle(one)
    rebuild([cls(rebuilt_db) for cls in KEEPERS], lambda source: lambda after, limit: history[after : after + limit])

    rows = _rows(live_db, ContractsDirectory.prefix)
    for cls in KEEPERS:
        assert _rows(live_db, cls.prefix) == rows, cls.name
        assert _rows(rebuilt_db, cls.prefix) == rows, cls.name

    # R-ORG-7: contacts as last changed; R-CON-2: a renewal moves the end, the term stays as signed
    district = rows["districts"][0]
    assert (district["leader"], district["contact"], district["types"], district["has_boundary"]) == (
        '"钱某"', '"孙某"', '["built"]', 1)
    contract = rows["contracts"][0]
    assert (contract["end_date"], contract["term"], contract["term_years"], contract["ended_on"]) == (
        "2026-05-31", 2, 3, "2025-12-31")
    # R-CON-4: the outgoing planner's last day is the day before; R-ORG-1: the assignment ended
    assert [(m["planner"], m["from_date"], m["to_date"]) for m in rows["members"]] == [
        ("p1", "2021-06-01", "2025-06-30"), ("p2", "2021-06-01", "2022-01-09"), ("p3", "2022-01-10", "2025-06-30")]
    group = rows["groups"][0]
    assert (group["government"], group["tier1"], group["local"], group["ended_on"]) == ("gov", "p1", "p3", "2025-06-30")
    assert {p["id"]: p["grp"] for p in rows["planners"]} == {"p1": "g1", "p2": None, "p3": "g1"}
