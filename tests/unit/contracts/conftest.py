"""Builders for the contracts tests: a small organisation created over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

API = "/api/v1"


@dataclass
class Org:
    """Codes of what ``org`` created: one government, district, contract and planners."""

    api: Any
    suffix: str
    government: str = ""
    district: str = ""
    contract: str = ""
    planners: dict[str, str] = field(default_factory=dict)

    def ok(self, response: Any, status: int = 201) -> dict:
        assert response.status_code == status, response.json_body
        return response.json_body

    def district_under(self, code: str, government: str | None = None, types: list[str] | None = None) -> str:
        self.ok(
            self.api.post(
                f"{API}/districts",
                {"code": code, "name": f"街道{code}", "types": types or ["built"], "government": government or self.government},
            )
        )
        return code

    def planner(self, code: str, origin: str, **extra: Any) -> str:
        body = {"id": code, "name": f"规划师{code}", "origin": origin, "qualifications": ["registered_planner"], **extra}
        self.ok(self.api.post(f"{API}/planners", body))
        return code

    def group(self, code: str, planners: list[str], *, district: str | None = None, from_date: str = "2021-06-01") -> dict:
        return self.ok(
            self.api.post(
                f"{API}/groups",
                {
                    "code": code,
                    "district": district or self.district,
                    "contract": self.contract,
                    "planners": planners,
                    "from_date": from_date,
                },
            )
        )


@pytest.fixture
def org(api, unique) -> Org:
    o = Org(api=api, suffix=unique)
    o.government = f"gov-{unique}"
    o.ok(api.post(f"{API}/governments", {"code": o.government, "name": "东昌府区人民政府", "kind": "district_government"}))
    o.district = o.district_under(f"d-{unique}", types=["historic"])
    o.contract = f"c-{unique}"
    o.ok(
        api.post(
            f"{API}/contracts",
            {
                "id": o.contract,
                "team": "责任规划师团队",
                "start_date": "2021-06-01",
                "term_years": 3,
                "annual_fee_fen": 6_000_000,
                "deduction_rule": "max",
            },
        )
    )
    o.planners = {"tier1": o.planner(f"t-{unique}", "tier1"), "local": o.planner(f"l-{unique}", "local")}
    return o
