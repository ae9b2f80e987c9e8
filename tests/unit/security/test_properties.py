"""Property-based tests over the command payloads (R-SEC-3, API.md "Never 500 for
anything a client sent"): whatever a client sends to whichever command, the
answer is one of the documented refusals or a success, never a 500."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.backbone.http import routes_of
from services.backbone.declaration import service_names
from services.bootstrap import service_class
from tests.unit.security.conftest import World

DOCUMENTED = {200, 201, 204, 400, 401, 403, 404, 409, 413, 422, 429}
BUDGET = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                  derandomize=True, database=None)


def commands() -> list[tuple[str, str, list[str]]]:
    """Every command route with a JSON body: method, path, the field names of its schema."""
    found = []
    for name in service_names():
        for method, path, bound in routes_of(service_class(name)()):
            if method not in ("POST", "PUT") or "open311" in path:
                continue
            schema = getattr(getattr(bound, "__func__", bound), "rps_body", None)
            fields = list(getattr(schema, "model_fields", {}) or {}) if schema is not None else []
            found.append((method, path, fields))
    return sorted(found)


COMMANDS = commands()

text = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "2022-03-01", "2099-12-31", "0000-00-00", "\u202e", "\x00", "=cmd|' /C calc'!A0", "<script>", "../../"]
)
scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | text
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                      max_leaves=12)


def payload(fields: list[str]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(fields) | text if fields else text
    objects = st.dictionaries(keys, values, max_size=len(fields) + 2)
    return objects | values  # mostly objects, sometimes not an object at all


def _fill(path: str, world: World) -> str:
    names = world.own.values() | {"code": world.own.group, "key": world.own.visit, "kind": "monthly",
                                  "period": "2022-03", "entity": "visit"}
    aliases = {"visit_id": "visit", "rec_id": "rec", "consultation_id": "consultation", "letter_id": "letter"}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: names.get(aliases.get(m.group(1), m.group(1)), "x"), path)


@BUDGET
@given(data=st.data())
def test_no_command_answers_500_whatever_it_is_sent(world: World, data):
    # R-SEC-3: a clear error naming the field, never a 500
    method, path, fields = data.draw(st.sampled_from(COMMANDS), label="route")
    body = data.draw(payload(fields), label="body")
    role = data.draw(st.sampled_from(["bureau", "planner", "government", "resident"]), label="role")
    response = world.as_role(role).request(method, _fill(path, world), raw=json.dumps(body).encode())
    assert response.status_code in DOCUMENTED, (method, path, body, response.json_body)
    if response.status_code == 400:
        assert response.json_body["error"]["field"]


visit_body = st.fixed_dictionaries(
    {"group": st.just("{group}") | text, "days": st.floats(-10, 10) | st.integers(-10, 10) | text},
    optional={"date": text, "planners": st.lists(text, max_size=5), "activities": st.lists(text, max_size=3),
              "leader_met": st.booleans() | text, "notes": text, "point": values, "district": text | st.none()},
)


@BUDGET
@given(body=visit_body)
def test_visits_shaped_like_the_schema_never_500(world: World, body):
    # R-VIS-1, R-SEC-3: near-valid visits exercise the domain checks, not just the schema
    body = {k: (world.own.group if v == "{group}" else v) for k, v in body.items()}
    response = world.api.post("/api/v1/visits", body)
    assert response.status_code in DOCUMENTED, (body, response.json_body)


opinion_body = st.fixed_dictionaries(
    {"category": st.sampled_from(["public_space", "greening", "other"]) | text, "text": text},
    optional={"district": st.just("{district}") | text, "channel": text, "contact_phone": text,
              "contact_name": text, "public": st.booleans() | text, "point": values, "attributes": values},
)


@BUDGET
@given(body=opinion_body)
def test_opinions_shaped_like_the_schema_never_500(world: World, body):
    # R-OPN-1, R-SEC-3 (as a signed-in clerk, so the rate limit does not cut the run short)
    body = {k: (world.own.district if v == "{district}" else v) for k, v in body.items()}
    response = world.as_role("subdistrict").post("/api/v1/opinions", body)
    assert response.status_code in DOCUMENTED, (body, response.json_body)
