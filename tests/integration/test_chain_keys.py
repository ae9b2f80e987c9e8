"""The keyed chain against a database writer on the real PostgreSQL and RabbitMQ
(R-RPT-5 amended, issue 15 item 8): the heads travel signed in the envelopes over
RabbitMQ to reporting's consumer, which keeps them in its own schema; `rps audit
verify` and `rps migrate` run as an operator runs them. The same attacks on the
embedded store: tests/unit/test_chain_keys.py."""

from __future__ import annotations

import base64
import threading
import time

import pytest

from services.backbone.amqp import AmqpConsumer, AmqpPublisher
from services.backbone.relay import OutboxRelay
from services.backbone.settings import Settings
from services.bootstrap import Runtime, consumers_of
from services.cli import main
from tests.chain_writer import GUESSED_KEY, Writer
from tests.conftest import Api
from tests.unit.visits.feed import ContractsFeed

pytestmark = pytest.mark.integration

KEY1, KEY2 = b"1" * 32, b"2" * 32
KEYS = {"k1": KEY1, "k2": KEY2}


def _env(keys: dict[str, bytes], active: str) -> str:
    return ",".join(f"{key_id}:{base64.b64encode(key).decode()}" for key_id, key in keys.items())


def _system(settings: Settings, keys: dict[str, bytes], active: str) -> Runtime:
    return Runtime.cluster(Settings(amqp_uri=settings.amqp_uri, database_url=settings.database_url,
                                    relay_idle_seconds=0.05, chain_keys=keys, chain_key_id=active),
                           ("visits", "reporting"))


def _log_and_publish(runtime: Runtime, settings: Settings, code: str, n: int) -> int:
    """``n`` visits stored, relayed to RabbitMQ and consumed by reporting's chain heads; the last position."""
    api = Api(runtime)
    group = ContractsFeed(runtime).setup(code)
    for i in range(n):
        assert api.post("/api/v1/visits", group.visit("2022-05-%02d" % (i + 1), 1)).status_code == 201
    return _publish(runtime, settings)


def _publish(runtime: Runtime, settings: Settings) -> int:
    """Visits' outbox relayed to RabbitMQ and consumed by reporting's chain heads; the last position."""
    relay = OutboxRelay(runtime.app("visits"), runtime.db("visits"), AmqpPublisher(settings.amqp_uri, consumers_of))
    while relay.relay_once():
        pass
    last = runtime.app("visits").last_position()
    heads = runtime.read_model("reporting.chain_heads")
    consumer = AmqpConsumer(settings.amqp_uri, "reporting", {"visits": heads.handle}, prefetch=50)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    try:
        while heads.last_position("visits") < last:
            assert time.monotonic() < deadline, "reporting did not consume the visits in time"
            time.sleep(0.05)
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
    return last


def _rps(monkeypatch, capsys, settings: Settings, active: str, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AMQP_URI", settings.amqp_uri)
    monkeypatch.setenv("RPS_CHAIN_KEYS", _env(KEYS, active))
    monkeypatch.setenv("RPS_CHAIN_KEY_ID", active)
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


def _visits(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("visits:"))


def test_a_database_writer_cannot_forge_the_chain_on_postgresql(cluster_settings, monkeypatch, capsys, unique):
    # R-RPT-5 amended: history from before keying, `rps migrate`'s signed checkpoint over it (published
    # as an event of visits' stream, relayed over RabbitMQ, kept by reporting's consumer),
    # a key rotation, then a writer without the key: each forgery named at its first link.
    runtime = _system(cluster_settings, KEYS, "k1")
    try:
        first = _log_and_publish(runtime, cluster_settings, f"{unique}a", 3)
    finally:
        runtime.close()
    writer = Writer(cluster_settings)
    writer.forget_keying()  # as the release before keying left it
    code, out = _rps(monkeypatch, capsys, cluster_settings, "k1", "audit", "verify")
    assert code == 0, out

    code, out = _rps(monkeypatch, capsys, cluster_settings, "k1", "migrate")
    assert code == 0 and f"visits: chain keyed with 'k1' ({first} links made again" in out, out
    assert f"signed checkpoint at position {first} published (event at position {first + 1})" in out, out
    keyed_head = writer.links()[first - 1][2]
    # Published, not written aside: reporting has it once its consumer took it from RabbitMQ.
    assert [c for c in writer.checkpoints() if c[0] == "migrate"] == []
    runtime = _system(cluster_settings, KEYS, "k1")
    try:
        assert _publish(runtime, cluster_settings) == first + 1
    finally:
        runtime.close()
    assert ("migrate", first, keyed_head) in writer.checkpoints()
    first += 1  # the checkpoint's own event, linked with the key

    runtime = _system(cluster_settings, KEYS, "k2")  # the key rotates
    try:
        last = _log_and_publish(runtime, cluster_settings, f"{unique}b", 3)
    finally:
        runtime.close()
    assert [key_id for *_, key_id in writer.links()] == ["k1"] * first + ["k2"] * 3
    code, out = _rps(monkeypatch, capsys, cluster_settings, "k2", "audit", "verify")
    assert code == 0 and _visits(out).startswith(f"visits: intact, {last} links"), out

    # A visit's days changed after the rotation, the later links recomputed, the heads rewritten.
    changed = last - 1
    writer.edit(changed, b'"days":1.0', b'"days":4.0')
    for forged in (dict(), dict(key_id="k2"), dict(key=GUESSED_KEY, key_id="k2")):
        writer.rewrite_heads(last, writer.relink(changed, **forged))
        code, out = _rps(monkeypatch, capsys, cluster_settings, "k2", "audit", "verify")
        assert code == 1 and _visits(out).startswith(f"visits: BROKEN at position {changed}:"), (forged, out)

    # Under the migrate checkpoint: a change to the first visit, every link made again the old way.
    writer.edit(changed, b'"days":4.0', b'"days":1.0')
    writer.edit(1, b'"days":1.0', b'"days":2.0')
    writer.rewrite_heads(last, writer.relink(1))
    code, out = _rps(monkeypatch, capsys, cluster_settings, "k2", "audit", "verify")
    assert code == 1 and _visits(out).startswith("visits: BROKEN at position 1:"), out
