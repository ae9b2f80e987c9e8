"""The keyed chain against a database writer, in the embedded store (R-RPT-5 amended,
issue 15 item 8). The same attacks on the real PostgreSQL: tests/integration/test_chain_keys.py."""

from __future__ import annotations

import base64

import pytest

from services.backbone.settings import ConfigurationError, Settings
from services.bootstrap import Runtime
from services.cli import main
from tests.chain_writer import GUESSED_KEY, Writer
from tests.conftest import Api
from tests.unit.visits.feed import ContractsFeed

KEY1, KEY2 = b"k" * 32, b"K" * 32


def _keys(*pairs: tuple[str, bytes]) -> str:
    return ",".join(f"{key_id}:{base64.b64encode(key).decode()}" for key_id, key in pairs)


def _log(api: Api, n: int, code: str = "chain") -> None:
    group = ContractsFeed(api.runtime).setup(code)
    for i in range(n):
        response = api.post("/api/v1/visits", group.visit("2022-03-%02d" % (i % 9 + 1), 1))
        assert response.status_code == 201, response.json_body


def _audit(monkeypatch, capsys, settings: Settings, keys: str | None = None, active: str | None = None
           ) -> tuple[int, str]:
    """`rps audit verify` on the system's data directory, as an operator runs it."""
    monkeypatch.setenv("RPS_DATA_DIR", str(settings.data_dir))
    for name in ("AMQP_URI", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    if keys:
        monkeypatch.setenv("RPS_CHAIN_KEYS", keys)
        monkeypatch.setenv("RPS_CHAIN_KEY_ID", active or keys.split(":")[0])
    capsys.readouterr()
    code = main(["audit", "verify"])
    return code, capsys.readouterr().out


def _visits_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("visits:"))


@pytest.mark.parametrize("forge", ["unkeyed", "unkeyed under the key's id", "guessed key"])
def test_a_writer_who_recomputes_the_links_and_heads_is_named_at_the_first_changed_link(
    api, runtime, monkeypatch, capsys, forge
):
    # R-RPT-5 amended: a visit's days changed, every later link recomputed without the chain key,
    # reporting's heads rewritten to match: verify names the changed event's link.
    _log(api, 5)
    api.settle()
    writer = Writer(runtime.settings)
    assert [key_id for *_, key_id in writer.links()] == ["dev"] * 5  # keyed, the key's id in each link
    writer.edit(3, b'"days":1.0', b'"days":5.0')
    head = {"unkeyed": lambda: writer.relink(3),
            "unkeyed under the key's id": lambda: writer.relink(3, key_id="dev"),
            "guessed key": lambda: writer.relink(3, key=GUESSED_KEY, key_id="dev")}[forge]()
    writer.rewrite_heads(5, head)
    code, out = _audit(monkeypatch, capsys, runtime.settings)
    assert code == 1
    assert _visits_line(out).startswith("visits: BROKEN at position 3:"), out
    assert "contracts: intact" in out and "feedback: intact" in out


def test_a_deleted_tail_with_a_rewritten_head_disagrees_with_the_signed_checkpoint(api, runtime, monkeypatch, capsys):
    # R-RPT-5 amended: the newest two events and links deleted and reporting's head moved back
    # to the new last link (a genuine one): its signature no longer holds.
    _log(api, 5)
    api.settle()
    writer = Writer(runtime.settings)
    assert writer.checkpoints() == [("head", 5, writer.links()[-1][2])]
    writer.truncate(3)
    writer.rewrite_heads(3, writer.links()[-1][2])
    code, out = _audit(monkeypatch, capsys, runtime.settings)
    assert code == 1 and "visits: BROKEN at position 3:" in out and "not signed" in out


def test_links_made_under_two_keys_verify_after_rotation(tmp_path, monkeypatch, capsys):
    # R-RPT-5 amended: the key rotates; each link names its key and verify picks it by that id
    data = tmp_path / "var"
    for active, keys, code in (("k1", {"k1": KEY1}, "rota"), ("k2", {"k1": KEY1, "k2": KEY2}, "rotb")):
        runtime = Runtime.embedded(Settings(data_dir=data, relay_idle_seconds=0.05, chain_keys=keys,
                                            chain_key_id=active))
        runtime.start_embedded_bus()
        try:
            api = Api(runtime)
            _log(api, 3, code)
            api.settle()
        finally:
            runtime.close()
    settings = Settings(data_dir=data)
    keyed = [key_id for *_, key_id in Writer(settings).links()]
    assert keyed == ["k1"] * 3 + ["k2"] * 3
    code, out = _audit(monkeypatch, capsys, settings, _keys(("k1", KEY1), ("k2", KEY2)), "k2")
    assert code == 0 and _visits_line(out).startswith("visits: intact, 6 links"), out
    # without the first key, its links cannot be checked: named, not passed
    code, out = _audit(monkeypatch, capsys, settings, _keys(("k2", KEY2)))
    assert code == 1 and "visits: BROKEN at position 1:" in out and "'k1'" in out


def test_history_from_before_keying_is_keyed_by_migrate_under_a_signed_checkpoint(
    api, runtime, monkeypatch, capsys
):
    # R-RPT-5 amended: links made before keying are covered by the signed checkpoint `rps migrate`
    # publishes (an event of the service's stream, relayed and kept by reporting's consumer);
    # tampering under it is caught, whichever way the writer recomputes the links.
    _log(api, 5)
    api.settle()
    writer = Writer(runtime.settings)
    writer.forget_keying()
    assert {key_id for *_, key_id in writer.links()} == {None}
    code, out = _audit(monkeypatch, capsys, runtime.settings)
    assert code == 0, out  # before `rps migrate`: the old chain still verifies as it was made ...
    assert _visits_line(out).startswith("visits: intact, 5 links (5 made before keying: run `rps migrate`)"), out

    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "visits: chain keyed with 'dev' (5 links made again, 0 events redacted), signed checkpoint at" \
           " position 5 published (event at position 6)" in out, out
    head = writer.links()[4][2]
    [published] = runtime.app("visits").envelopes(5, 10)  # in the stream, linked after the keyed links
    assert published["type"].endswith(".ChainKeyed.v1") and published["chainkey"] == "dev"
    assert {k: published["data"][k] for k in ("position", "hash", "key_id")} == {"position": 5, "hash": head,
                                                                                  "key_id": "dev"}
    api.settle()  # the running system's relay publishes it; reporting's consumer keeps it
    assert ("migrate", 5, head) in writer.checkpoints()
    assert {key_id for *_, key_id in writer.links()} == {"dev"}
    code, out = _audit(monkeypatch, capsys, runtime.settings)
    assert code == 0 and _visits_line(out).startswith("visits: intact, 6 links"), out
    assert main(["migrate"]) == 0 and "every link keyed already" in capsys.readouterr().out  # once only
    assert runtime.app("visits").last_position() == 6

    # a change under the checkpoint, links recomputed the old way from there on
    writer.edit(2, b'"days":1.0', b'"days":3.0')
    writer.rewrite_heads(6, writer.relink(2))
    code, out = _audit(monkeypatch, capsys, runtime.settings)
    assert code == 1 and "visits: BROKEN at position 2:" in out, out
    # ... or the whole chain made again the old way, so that no keyed link is left to disagree
    writer.rewrite_heads(6, writer.relink(1))
    code, out = _audit(monkeypatch, capsys, runtime.settings)
    assert code == 1 and "visits: BROKEN at position 1:" in out and "rps migrate" in out, out


def test_production_refuses_to_start_without_chain_keys_and_keys_inside_the_data_dir(tmp_path):
    # R-RPT-5 amended: the key lives in neither the database nor RPS_DATA_DIR
    production = {"RPS_ENV": "production", "RPS_JWKS_URL": "https://idp.example/jwks", "RPS_JWT_ISSUER": "i",
                  "RPS_JWT_AUDIENCE": "a", "RPS_PSEUDONYM_KEY": "p" * 32, "RPS_DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigurationError, match="RPS_CHAIN_KEYS"):
        Settings.from_env(production)
    inside = tmp_path / "chain.keys"
    inside.write_text(_keys(("k1", KEY1)))
    with pytest.raises(ConfigurationError, match="RPS_DATA_DIR"):
        Settings.from_env({**production, "RPS_CHAIN_KEYS_FILE": str(inside)})
    outside = tmp_path.parent / f"{tmp_path.name}-chain.keys"
    outside.write_text(_keys(("k1", KEY1), ("k2", KEY2)))
    settings = Settings.from_env({**production, "RPS_CHAIN_KEYS_FILE": str(outside), "RPS_CHAIN_KEY_ID": "k2"})
    assert settings.chain_keyring.active == "k2" and "KKKK" not in repr(settings)
    with pytest.raises(ConfigurationError, match="RPS_CHAIN_KEY_ID"):
        Settings.from_env({**production, "RPS_CHAIN_KEYS_FILE": str(outside), "RPS_CHAIN_KEY_ID": "k3"})


def test_reporting_keeps_only_heads_signed_with_a_chain_key(api, runtime, caplog):
    # R-RPT-5 amended: reporting verifies each head's signature before keeping it as a checkpoint
    _log(api, 2)
    api.settle()
    writer = Writer(runtime.settings)
    [envelope] = runtime.app("visits").envelopes(1, 1)
    forged = {**envelope, "position": 99, "id": "forged", "chainhash": "f" * 64}
    heads = runtime.read_model("reporting.chain_heads")
    heads.handle({**forged, "chainsig": "0" * 64})
    assert writer.checkpoints() == [("head", 2, envelope["chainhash"])]
    assert heads.heads()["visits"]["position"] == 2  # nor does it move the unsigned record
    assert "not signed with a chain key" in caplog.text
    heads.handle({**forged, "position": 100, "id": "forged-2",
                  "chainsig": runtime.settings.chain_keyring.sign("visits", 100, "f" * 64)[1]})
    assert writer.checkpoints() == [("head", 100, "f" * 64)]  # the positive control: a signed one is kept


def test_migrate_exits_non_zero_naming_a_broken_chain_after_doing_the_rest(api, runtime, monkeypatch, capsys):
    # R-RPT-5 (issue 15 item 8 follow-up): a release pipeline stops at a broken chain; the other
    # services' schemas and chains are still migrated, and parked events alone are no failure.
    _log(api, 5)
    api.settle()
    Writer(runtime.settings).edit(3, b'"days":1.0', b'"days":5.0')
    _audit(monkeypatch, capsys, runtime.settings)  # the operator's environment
    assert main(["migrate"]) == 1
    captured = capsys.readouterr()
    assert "rps migrate: chain BROKEN: visits at position 3 (" in captured.err, captured.err
    assert "visits: chain BROKEN at position 3" in captured.out and "0 events parked" in captured.out, captured.out
    assert "reporting: ok" in captured.out and "feedback: chain empty" in captured.out, captured.out
    assert "contracts" not in captured.err and "feedback" not in captured.err


def test_reporting_keeps_a_published_migrate_checkpoint_only_when_signed_as_one(api, runtime, caplog):
    # R-RPT-5 amended: the consumer checks the signature of the checkpoint `rps migrate` publishes
    # (ChainKeyed) before keeping it; a head's signature does not pass for a migrate checkpoint.
    _log(api, 2)
    api.settle()
    writer = Writer(runtime.settings)
    [envelope] = runtime.app("visits").envelopes(1, 1)
    heads = runtime.read_model("reporting.chain_heads")
    keyring = runtime.settings.chain_keyring
    forged = {"service": "visits", "position": 2, "hash": "f" * 64, "key_id": "dev", "relinked": 2, "redacted": 0,
              "signature": keyring.sign("visits", 2, "f" * 64, "head")[1]}
    checkpoint = {**envelope, "type": envelope["type"].replace(".VisitLogged.", ".ChainKeyed."), "id": "c-1",
                  "position": 3, "chainhash": None, "chainkey": None, "chainsig": None, "data": forged}
    heads.handle(checkpoint)
    assert [c for c in writer.checkpoints() if c[0] == "migrate"] == []
    assert "migrate checkpoint of visits at position 2 not signed with a chain key" in caplog.text
    signed = {**forged, "signature": keyring.sign("visits", 2, "f" * 64, "migrate")[1]}
    heads.handle({**checkpoint, "id": "c-2", "position": 4, "data": signed})
    assert ("migrate", 2, "f" * 64) in writer.checkpoints()  # the positive control


def test_a_subscriber_asking_for_chain_checkpoints_gets_every_service_s():
    # R-RPT-5 amended: every publishing service's stream carries ChainKeyed; `rps subscribe` binds to each
    from services.backbone.subscribe import sources_of

    assert sources_of(["ChainKeyed", "VisitLogged"]) == {
        "contracts": ("ChainKeyed",), "feedback": ("ChainKeyed",), "visits": ("ChainKeyed", "VisitLogged")}


def test_reporting_alone_verifies_the_chains_by_their_routes_to_the_same_verdict(api, runtime):
    # R-RPT-5, issue 17: a process hosting reporting and no publisher (a reporting pod) reads each
    # chain by GET /api/v1/events/<service>/chain, and a deleted tail is named as where it is hosted.
    import dataclasses
    import threading
    import wsgiref.simple_server

    from services.backbone.declaration import publisher_names
    from services.reporting.audit import verify_all

    _log(api, 5)
    api.settle()
    writer = Writer(runtime.settings)
    writer.truncate(3)
    writer.rewrite_heads(3, writer.links()[-1][2])

    class Quiet(wsgiref.simple_server.WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    gateway = runtime.local_client("visits").application
    server = wsgiref.simple_server.make_server("127.0.0.1", 0, gateway, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = {s: f"http://127.0.0.1:{server.server_port}/api/v1/events/{s}" for s in publisher_names()}
    alone = Runtime(dataclasses.replace(runtime.settings, events_urls=urls), ("reporting",), create_tables_now=False)
    try:
        assert alone.apps == {}
        remote, hosted = verify_all(alone), verify_all(runtime)
    finally:
        alone.close()
        server.shutdown()
        server.server_close()
    assert remote == hosted
    visits = next(check for check in remote["services"] if check["service"] == "visits")
    assert remote["intact"] is False and visits["broken_at"] == 3 and "not signed" in visits["problem"]
