"""A small organisation and its year, built through the public HTTP API (bureau token),
for the reporting tests to compute their expected figures by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

API = "/api/v1"


@dataclass
class World:
    api: Any
    unique: str
    contract: str = ""
    planners: dict[str, tuple[str, str]] = field(default_factory=dict)  # group -> (tier1, local)

    # -- plumbing --------------------------------------------------------------------

    def ok(self, response: Any, *statuses: int) -> Any:
        assert response.status_code in (statuses or (200, 201)), (response.status_code, response.json_body)
        return response.json_body

    def post(self, path: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.ok(self.api.post(f"{API}{path}", body or {}, **kw))

    def code(self, name: str) -> str:
        return f"{name}-{self.unique}"

    def report(self, kind: str, period: str) -> dict[str, Any]:
        self.api.settle()
        return self.ok(self.api.get(f"{API}/reports/{kind}/{period}"), 200)

    # -- organisation (contracts) ---------------------------------------------------------

    def government(self, name: str, title: str = "测试区人民政府") -> str:
        code = self.code(name)
        self.post("/governments", {"code": code, "name": title, "kind": "district_government"})
        return code

    def district(self, name: str, government: str) -> str:
        code = self.code(name)
        self.post("/districts", {"code": code, "name": f"{name}街道", "types": ["built"], "government": government})
        return code

    def sign(self, name: str = "c", start: str = "2021-06-01", fee: int = 6_000_000, rule: str = "max") -> str:
        self.contract = self.code(name)
        self.post("/contracts", {"id": self.contract, "team": "责任规划师团队", "start_date": start, "term_years": 3,
                                 "annual_fee_fen": fee, "deduction_rule": rule})
        return self.contract

    def group(self, name: str, district: str, from_date: str = "2021-06-01") -> str:
        code = self.code(name)
        tier1, local = f"{code}-t", f"{code}-l"
        self.post("/planners", {"id": tier1, "name": "张工", "origin": "tier1", "qualifications": ["registered_planner"]})
        self.post("/planners", {"id": local, "name": "李工", "origin": "local", "qualifications": ["senior_title"]})
        self.post("/groups", {"code": code, "district": district, "contract": self.contract,
                              "planners": [tier1, local], "from_date": from_date})
        self.planners[code] = (tier1, local)
        return code

    # -- visits ----------------------------------------------------------------------------

    def visit(self, group: str, date: str, days: float, *, leader_met: bool = False,
              headers: dict[str, str] | None = None, **kw: Any) -> str:
        self.api.settle()  # the visits service learns of the group from the contracts events
        body = {"group": group, "date": date, "days": days, "planners": [self.planners[group][0]],
                "activities": ["survey"], "leader_met": leader_met, **kw}
        return self.post("/visits", body, headers=headers)["id"]

    def void(self, visit: str, reason: str = "重复登记", **kw: Any) -> None:
        self.post(f"/visits/{visit}/void", {"reason": reason}, **kw)

    def confirm(self, visit: str) -> None:
        self.post(f"/visits/{visit}/confirmation", {"confirmed": True})

    def dispute(self, visit: str, reason: str = "当天未见到规划师") -> None:
        self.post(f"/visits/{visit}/confirmation", {"confirmed": False, "reason": reason})

    def settle(self, group: str, year: int) -> dict[str, Any]:
        self.api.settle()
        return self.post("/settlements", {"group": group, "service_year": year})

    # -- feedback ----------------------------------------------------------------------------

    def opinion(self, district: str, date: str, **kw: Any) -> str:
        self.api.settle()
        body = {"district": district, "category": "public_space", "text": "路灯不亮", "channel": "app", "date": date, **kw}
        return self.post("/opinions", body)["ref"]

    def acknowledge(self, ref: str, date: str) -> None:
        self.post(f"/opinions/{ref}/acknowledge", {"date": date})

    def answer(self, ref: str, date: str) -> None:
        self.post(f"/opinions/{ref}/answer", {"date": date, "reply": "已转交街道维修"})

    def recommendation(self, group: str, date: str, title: str = "增设口袋公园") -> str:
        self.api.settle()
        body = {"group": group, "title": title, "text": "建议内容", "category": "greening", "source": "survey",
                "date": date}
        return self.post("/recommendations", body)["id"]

    def letter(self, government: str, number: str, date: str, due: str, recommendations: list[str]) -> str:
        body = {"government": government, "letter_no": self.code(number), "date": date, "due_date": due,
                "recommendations": recommendations}
        return self.post("/letters", body)["id"]

    def step(self, rec: str, action: str, date: str, **kw: Any) -> None:
        extra = {"complete": {"text": "已完成"}, "decline": {"reason": "不具备条件"},
                 "reopen": {"reason": "现场核查未完成"}, "withdraw": {"reason": "撤回"}}.get(action, {})
        self.post(f"/recommendations/{rec}/{action}", {"date": date, **extra, **kw})

    def complete(self, rec: str, accepted: str, completed: str) -> None:
        self.step(rec, "accept", accepted)
        self.step(rec, "complete", completed)

    def consultation(self, group: str, date: str, due: str, subject: str = "旧城改造方案") -> str:
        self.api.settle()
        body = {"group": group, "kind": "project_review", "subject": subject, "stage": "design", "date": date,
                "due_date": due}
        return self.post("/consultations", body)["id"]

    def consultation_answer(self, consultation: str, date: str) -> None:
        self.post(f"/consultations/{consultation}/opinion", {"date": date, "verdict": "agree", "text": "同意"})
