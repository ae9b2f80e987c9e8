"""Forming a group through the contracts service's public HTTP API (e2e tests)."""

from __future__ import annotations

from typing import Any, Callable

Call = Callable[..., tuple[int, Any]]


def form_group(call: Call, unique: str, *, start_date: str = "2021-06-01") -> dict[str, str]:
    """Government, district, contract, two planners and their group; returns the codes."""
    codes = {
        "government": f"gov-{unique}",
        "district": f"d-{unique}",
        "contract": f"c-{unique}",
        "tier1": f"p1-{unique}",
        "local": f"p2-{unique}",
        "group": f"g-{unique}",
    }
    steps = [
        ("/api/v1/governments", {"code": codes["government"], "name": "测试区人民政府", "kind": "district_government"}),
        ("/api/v1/districts", {"code": codes["district"], "name": "测试街道", "types": ["built"], "government": codes["government"]}),
        ("/api/v1/contracts", {"id": codes["contract"], "team": "责任规划师团队", "start_date": start_date,
                               "term_years": 3, "annual_fee_fen": 6_000_000, "deduction_rule": "max"}),
        ("/api/v1/planners", {"id": codes["tier1"], "name": "张工", "origin": "tier1", "qualifications": ["registered_planner"]}),
        ("/api/v1/planners", {"id": codes["local"], "name": "李工", "origin": "local", "qualifications": ["senior_title"]}),
        ("/api/v1/groups", {"code": codes["group"], "district": codes["district"], "contract": codes["contract"],
                            "planners": [codes["tier1"], codes["local"]], "from_date": start_date}),
    ]
    for path, body in steps:
        status, answer = call("POST", path, body)
        assert status == 201, (path, answer)
    return codes
