"""Fixtures of the security tests: two organisations side by side, so that every
role has an "own" and an "other" scope, with objects of each kind in both.

``own``: government G1, district D1 (under G1), group A (serving D1).
``other``: government G2, district D2 (under G2), group B (serving D2).
Everything is made through the public API as the bureau, as it would be.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest

from services.backbone.settings import Settings
from services.bootstrap import Runtime
from tests.conftest import Api
from tests.organisation import form_group

ROLES = ("resident", "planner", "subdistrict", "government", "bureau", "committee", "operator")


@dataclass
class Scope:
    """One organisation and an object of each kind in it."""

    government: str
    district: str
    group: str
    contract: str
    planner: str
    visit: str = ""
    ref: str = ""
    rec: str = ""
    consultation: str = ""
    letter: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, str]:
        return {
            "gov": self.government, "district": self.district, "group": self.group, "contract": self.contract,
            "planner": self.planner, "visit": self.visit, "ref": self.ref, "rec": self.rec,
            "consultation": self.consultation, "letter": self.letter, **self.extra,
        }


@dataclass
class World:
    runtime: Runtime
    api: Api
    own: Scope
    other: Scope

    def as_role(self, role: str) -> Api:
        """A client of ``role`` whose scope is ``own`` (the resident has no token)."""
        own = self.own
        if role == "resident":
            return self.api.anonymous()
        scope = {
            "planner": {"group": own.group, "district": own.district, "government": own.government},
            "subdistrict": {"district": own.district, "government": own.government},
            "government": {"government": own.government},
        }.get(role, {})
        return self.api.as_role(role, f"{role}-of-{own.group}", **scope)

    def positions(self) -> dict[str, int]:
        """How far each event store has come: 'nothing written' compares these."""
        return {name: app.last_position() for name, app in self.runtime.apps.items()}


def _call(api: Api):
    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        response = api.request(method, path, body)
        return response.status_code, response.json_body

    return call


def created(response) -> dict[str, Any]:
    assert response.status_code == 201, response.json_body
    return response.json_body


def populate(api: Api, unique: str) -> Scope:
    codes = form_group(_call(api), unique)
    api.settle()  # visits and feedback learn of the group from contracts' events
    scope = Scope(government=codes["government"], district=codes["district"], group=codes["group"],
                  contract=codes["contract"], planner=codes["tier1"])
    scope.visit = created(api.post("/api/v1/visits", {
        "group": scope.group, "date": "2022-03-03", "days": 1, "planners": [codes["tier1"]], "leader_met": True,
    }))["id"]
    scope.ref = created(api.post("/api/v1/opinions", {
        "district": scope.district, "category": "public_space", "text": "路灯坏了", "channel": "app",
        "date": "2022-03-01",
    }))["ref"]
    rec = {"group": scope.group, "title": "建设口袋公园", "text": "街角空地", "category": "greening",
           "source": "survey", "date": "2022-03-01"}
    scope.rec = created(api.post("/api/v1/recommendations", rec))["id"]
    lettered = created(api.post("/api/v1/recommendations", rec))["id"]
    scope.letter = created(api.post("/api/v1/letters", {
        "government": scope.government, "letter_no": f"聊自然资函-{unique}", "date": "2022-03-02",
        "recommendations": [lettered],
    }))["id"]
    scope.consultation = created(api.post("/api/v1/consultations", {
        "group": scope.group, "kind": "advice", "question": "老街改造的高度控制？", "asked_by": "government",
        "date": "2022-03-01",
    }))["id"]
    api.settle()
    return scope


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    """One system for a whole module (the matrix runs hundreds of calls against it)."""
    runtime = Runtime.embedded(Settings(data_dir=tmp_path_factory.mktemp("security") / "var", relay_idle_seconds=0.05))
    runtime.start_embedded_bus()
    try:
        api = Api(runtime)
        own, other = populate(api, "own-" + uuid.uuid4().hex[:6]), populate(api, "oth-" + uuid.uuid4().hex[:6])
        yield World(runtime=runtime, api=api, own=own, other=other)
    finally:
        runtime.close()
