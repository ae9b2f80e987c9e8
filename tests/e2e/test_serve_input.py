"""Issue 15 items 1 and 10 with real `rps` processes: `rps serve` (nameko's eventlet server) reads
chunked bodies and answers 401 to an over-long token; embedded `rps rebuild` parks what it cannot
apply, completes, exits 0 and says how many it parked (R-SEC-3 amended)."""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
import uuid

import pytest

from services.backbone.settings import Settings
from services.bootstrap import Runtime
from services.contracts.domain import Government
from tests.processes import token

pytestmark = pytest.mark.e2e


def _chunked(base: str, path: str, chunks: list[bytes], bearer: str) -> tuple[int, dict]:
    where = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    try:
        conn.request("POST", path, body=iter(chunks), encode_chunked=True, headers={
            "Authorization": f"Bearer {bearer}", "Content-Type": "application/json", "Transfer-Encoding": "chunked",
        })
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_rps_serve_reads_a_chunked_body_and_a_9_kb_token_is_401(processes, cluster_settings):
    # issue 15 item 10: under rps serve a chunked body was read as empty (403 / 400) and a 9 KB token got
    # eventlet's own 400
    processes.env.update({"AMQP_URI": cluster_settings.amqp_uri, "DATABASE_URL": cluster_settings.database_url})
    _, contracts = processes.start_http("serve", "contracts")
    bureau = token("bureau", env=processes.env)
    code = f"g{uuid.uuid4().hex[:8]}"
    body = json.dumps({"code": code, "name": "分块区", "kind": "district_government"}).encode()
    status, answer = _chunked(contracts.base, "/api/v1/governments", [body[:10], body[10:25], body[25:]], bureau)
    assert status == 201, answer
    assert (answer["code"], answer["name"]) == (code, "分块区")  # every chunk read
    # a chunked body that is not a JSON object is 400 like any other (API.md "Bodies")
    status, answer = _chunked(contracts.base, "/api/v1/governments", [b"[1,", b" 2]"], bureau)
    assert status == 400 and answer["error"]["field"] == "body", answer
    # an over-long token: the gate's 401, not the server's 400
    status, answer = contracts.call("GET", "/api/v1/governments", headers={"Authorization": "Bearer " + "x" * 9000})
    assert status == 401 and answer["error"]["code"] == "invalid_token", (status, answer)
    # NUL in a chunked body: 400 naming the field, never a 500 (R-SEC-3 amended)
    nul = json.dumps({"code": f"n{code}", "name": "某\x00区", "kind": "district_government"}).encode()
    status, answer = _chunked(contracts.base, "/api/v1/governments", [nul], bureau)
    assert status == 400 and answer["error"]["field"] == "name" and answer["error"]["code"] == "invalid_text"


def test_embedded_rebuild_parks_what_it_cannot_apply_and_exits_0(processes, tmp_path):
    # R-SEC-3 amended (issue 15 item 1): `rps rebuild` exited 1 after dropping the read models
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    runtime = Runtime.embedded(Settings.from_env({**env, "RPS_DATA_DIR": str(data)}))
    code = f"g{uuid.uuid4().hex[:8]}"
    try:
        contracts = runtime.app("contracts")
        contracts.register_government(code=code, name="某\x00区\x07", kind="district_government")
        contracts.save(Government(code=f"p{code}", name={"not": "text"}, kind="district_government",
                                  leader=None, department=None, contact=None))
    finally:
        runtime.close()
    done = processes.run("rebuild", check=False, env={"RPS_DATA_DIR": str(data)})
    assert done.returncode == 0, done.stdout + done.stderr
    # the one organisation model (services/programme/organisation.py) in contracts, visits, feedback, reporting
    assert "4 events parked" in done.stdout, done.stdout
    assert "contracts.directory: " in done.stdout or "parked" in done.stdout
    again = processes.run("rebuild", check=False, env={"RPS_DATA_DIR": str(data)})
    assert again.returncode == 0 and "4 events parked" in again.stdout, again.stdout  # counted once, not piled up
    runtime = Runtime.embedded(Settings.from_env({**env, "RPS_DATA_DIR": str(data)}))
    try:
        rows = runtime.db("contracts").query("SELECT name FROM ctr_governments WHERE code = %s", (code,))
        assert rows == [{"name": "某\ufffd区\ufffd"}]
    finally:
        runtime.close()


def test_rps_token_for_a_planners_group_carries_its_district(processes, tmp_path):
    # issue 15 item 10: `rps token --role planner --group X` carried no district, so GET /opinions was 403
    import jwt

    from tests.organisation import form_group

    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    _, system = processes.start_http("run", env={"RPS_DATA_DIR": str(data)})
    codes = form_group(system.call, uuid.uuid4().hex[:8])
    issued = processes.run("token", "--role", "planner", "--group", codes["group"], env={"RPS_DATA_DIR": str(data)})
    claims = jwt.decode(issued.stdout.strip(), options={"verify_signature": False})
    assert claims["district"] == codes["district"], claims
    planner = type(system)(system.base, issued.stdout.strip())
    status, answer = planner.call("GET", "/api/v1/opinions")
    assert status == 200, answer
    # the embedded server (`rps run`) too: a chunked body is read, a 9 KB token is 401
    body = json.dumps({"code": f"c{codes['group']}", "name": "分块区", "kind": "district_government"}).encode()
    status, answer = _chunked(system.base, "/api/v1/governments", [body[:7], body[7:]], token("bureau", env=env))
    assert status == 201 and answer["name"] == "分块区", answer
    status, answer = system.call("GET", "/api/v1/governments", headers={"Authorization": "Bearer " + "x" * 9000})
    assert status == 401, answer
