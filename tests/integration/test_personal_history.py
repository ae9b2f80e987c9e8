"""Events stored before R-SEC-4 was amended, on the real PostgreSQL (issue 15 item 7): an
``OpinionSubmitted`` holding a street address, a photo and a non-public text and exact
point is read without them and redacted once by `rps migrate` (the fields moved to the
vault, the chain keyed again under a signed checkpoint, R-RPT-5); `rps audit verify`
still finds the chain intact. The same on SQLite: tests/unit/feedback/test_personal_fields.py."""

from __future__ import annotations

import json

import psycopg
import pytest

from services.bootstrap import Runtime
from services.cli import main
from tests.personal_history import (
    OLD_ADDRESS, OLD_MEDIA, OLD_SECRETS, OLD_TEXT, store_old_shape_opinion, store_old_shape_snapshot,
)

pytestmark = pytest.mark.integration


def _rps(monkeypatch, capsys, settings, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AMQP_URI", settings.amqp_uri)
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


def _stored_states(settings) -> bytes:
    with psycopg.connect(settings.database_url) as conn:
        return b"\n".join(bytes(r[0]) for table in ("feedback_events", "feedback_snapshots")
                           for r in conn.execute(f"SELECT state FROM feedback.{table}"))


def test_an_old_shape_history_is_read_without_personal_fields_and_redacted_by_migrate(
    cluster_settings, monkeypatch, capsys
):
    # R-SEC-4 amended: read without them until `rps migrate`, then moved to the vault; the chain verifies
    runtime = Runtime.cluster(cluster_settings, ("feedback",))
    try:
        app = runtime.app("feedback")
        ref = store_old_shape_opinion(app, "gulou", "dongchangfu", None)
        store_old_shape_snapshot(app, ref)
        assert OLD_ADDRESS.encode() in _stored_states(cluster_settings)
        opinion = app.get_opinion(ref)
        assert opinion.text is None and opinion.point is None and not hasattr(opinion, "address")
        published = json.dumps(app.envelopes(0, 1000), ensure_ascii=False)
        assert [s for s in OLD_SECRETS if s in published] == [] and ref in published
    finally:
        runtime.close()

    code, out = _rps(monkeypatch, capsys, cluster_settings, "migrate")
    assert code == 0 and "feedback: chain keyed with 'dev' (" in out and ", 1 events redacted)" in out, out
    assert "1 snapshots redacted" in out, out
    states = _stored_states(cluster_settings)
    assert [s for s in OLD_SECRETS if s.encode() in states] == []
    runtime = Runtime.cluster(cluster_settings, ("feedback",))
    try:
        details = runtime.app("feedback").vault.details([ref])[ref]
    finally:
        runtime.close()
    assert (details.address, details.media_url, details.text) == (OLD_ADDRESS, OLD_MEDIA, OLD_TEXT)
    code, out = _rps(monkeypatch, capsys, cluster_settings, "audit", "verify")
    assert code == 0 and "feedback: intact" in out, out
    code, out = _rps(monkeypatch, capsys, cluster_settings, "migrate")
    assert code == 0 and ", 0 events redacted)" in out, out
