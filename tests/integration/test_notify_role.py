"""feedback's notification dispatcher is a role of its nameko container (issue 17 item 5):
`rps notify` is `rps serve feedback --role notify`. Of two, the holder of the lease notify:feedback
delivers and says so, the other waits; SIGTERM stops the holder within seconds and hands the lease
back, so the standby delivers what comes next at once. The figures are the dispatcher's as before."""

from __future__ import annotations

import signal
import time
import urllib.request
import uuid

import psycopg
import pytest

from tests.processes import free_port, wait_for

pytestmark = pytest.mark.integration

ANNOUNCED = "rps: delivering notifications"
STOP_SECONDS = 5.0


def _sql(settings, query: str, params=()):
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _message(settings) -> str:
    """A message due now for the bureau (no personal data to look up)."""
    message_id = f"it-{uuid.uuid4().hex[:10]}"
    _sql(settings, "INSERT INTO feedback.fb_outbox (id, created_at, event, subject, recipient_kind, recipient,"
         " payload, status, next_attempt_at) VALUES (%s, '2022-03-20T08:00:00+00:00', 'RemindersIssued', 'r',"
         " 'bureau', 'bureau', '{\"message\": \"integration\"}', 'pending', 0)", (message_id,))
    return message_id


def _status(settings, message_id: str) -> str:
    return _sql(settings, "SELECT status FROM feedback.fb_outbox WHERE id = %s", (message_id,))[0][0]


def _metrics(port: int) -> str:
    """The process's figures, or "" while it is not yet serving them."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return response.read().decode()
    except OSError:
        return ""


def test_one_dispatcher_delivers_under_the_lease_and_the_standby_takes_over_at_sigterm(processes, cluster_settings):
    processes.env.update(AMQP_URI=cluster_settings.amqp_uri, DATABASE_URL=cluster_settings.database_url,
                         RPS_LEASE_SECONDS="5")
    first_port, second_port = free_port(), free_port()
    first = processes.start("notify", env={"RPS_METRICS_PORT": str(first_port)})
    wait_for(lambda: ANNOUNCED in processes.log("notify"), what="`rps notify` taking the lease")
    second_args = ("serve", "feedback", "--role", "notify")
    second = processes.start(*second_args, env={"RPS_METRICS_PORT": str(second_port)})

    delivered = _message(cluster_settings)
    wait_for(lambda: _status(cluster_settings, delivered) == "delivered", what="the message delivered")
    assert 'rps_notifications_total{outcome="delivered"} 1.0' in _metrics(first_port)
    assert "rps_notifications_pending 0.0" in _metrics(first_port)
    # The standby serves its figures too, and sends nothing.
    wait_for(lambda: "rps_notifications_total" in _metrics(second_port), what="the standby's figures")
    assert ANNOUNCED not in processes.log(*second_args)
    assert "serving on" not in processes.log("notify")  # no HTTP role

    first.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    first.wait(timeout=STOP_SECONDS + 5)
    assert first.returncode == 0 and time.monotonic() - signalled < STOP_SECONDS, processes.log("notify")[-3000:]
    # Handed back at once: the standby takes over well within the lease's 5 s.
    wait_for(lambda: ANNOUNCED in processes.log(*second_args), timeout=4.0, what="the standby taking over")
    later = _message(cluster_settings)
    wait_for(lambda: _status(cluster_settings, later) == "delivered", what="the next message delivered by the standby")

    second.send_signal(signal.SIGTERM)
    second.wait(timeout=STOP_SECONDS + 5)
    assert second.returncode == 0, processes.log(*second_args)[-3000:]
    live = _sql(cluster_settings, "SELECT name FROM feedback.leases WHERE expires_at > clock_timestamp()")
    assert live == []
