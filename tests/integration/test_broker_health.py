"""Issue 15 item 4: the relay and consumer roles report the broker's health (``rps_broker_up``),
against the real RabbitMQ and an address where no broker listens."""

from __future__ import annotations

import os
import threading

import pytest
from prometheus_client import REGISTRY

from services.backbone.operations import watch_broker
from tests.processes import free_port, wait_for

pytestmark = pytest.mark.integration

AMQP_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")


def _up(role: str):
    return REGISTRY.get_sample_value("rps_broker_up", {"role": role})


def test_the_broker_gauge_follows_the_broker():
    # Issue 15 item 4: 1 while the broker answers, 0 while it does not
    stopping = threading.Event()
    try:
        watch_broker(AMQP_URI, "relay", stopping, every_seconds=0.2)
        watch_broker(f"amqp://guest:guest@127.0.0.1:{free_port()}//", "consumer", stopping, every_seconds=0.2)
        wait_for(lambda: _up("relay") == 1, 10, "rps_broker_up{role=relay} 1")
        wait_for(lambda: _up("consumer") == 0, 10, "rps_broker_up{role=consumer} 0")
    finally:
        stopping.set()
