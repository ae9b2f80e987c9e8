"""Issue 16 (Operators): RPS_LOG_FORMAT selects the log format; JSON is the default in the cluster."""

from __future__ import annotations

import json
import logging

import pytest

from services.backbone import context, logs
from services.backbone.settings import ConfigurationError

CLUSTER = {"AMQP_URI": "amqp://x", "DATABASE_URL": "postgresql://x/rps"}


def test_json_in_the_cluster_text_elsewhere_and_the_setting_wins():
    # Issue 16: "selected by a setting and the default in the cluster"
    assert logs.log_format(CLUSTER) == "json"
    assert logs.log_format({}) == "text" and logs.log_format({"AMQP_URI": "amqp://x"}) == "text"
    assert logs.log_format({**CLUSTER, "RPS_LOG_FORMAT": "text"}) == "text"
    assert logs.log_format({"RPS_LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(ConfigurationError, match="RPS_LOG_FORMAT"):
        logs.log_format({"RPS_LOG_FORMAT": "xml"})


def test_a_record_made_inside_a_request_carries_its_correlation_id_on_one_line():
    # Issue 16: correlation id in every line of a request, one JSON object a line even for a message with a newline
    record = logging.LogRecord("rps.x", logging.WARNING, __file__, 1, "two\nlines %s", ("\x1b[31mred",), None)
    with context.acting(context.RequestContext(actor=context.Actor(), correlation_id="c0ffee")):
        line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert (parsed["correlation_id"], parsed["level"], parsed["logger"]) == ("c0ffee", "warning", "rps.x")
    assert parsed["message"] == "two\nlines \x1b[31mred" and "\x1b" not in line
