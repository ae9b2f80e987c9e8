"""One label scheme across the event metrics (issue 15 item 11): ``consumer`` is always the
consuming service (the one whose queues and `rps project` runner carry the name),
``projection`` the read model, ``source`` the publishing service, whether a runner,
an API process or the embedded system exports them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from services.backbone import metrics
from services.backbone.declaration import publisher_names, service_names
from services.bootstrap import projection_classes
from tests.organisation import form_group

EVENT_METRICS = ("rps_events_consumed", "rps_events_duplicate", "rps_projection_lag_notifications")


def _series(name: str) -> list[dict[str, str]]:
    body, _ = metrics.exposition()
    return [
        sample.labels
        for family in text_string_to_metric_families(body.decode())
        if family.name == name
        for sample in family.samples
        if not sample.name.endswith("_created")
    ]


def test_consumer_names_the_service_and_projection_the_read_model(api, unique):
    # Issue 15 item 11: the `consumer` label of API pods and runners differed (read model vs service).
    form_group(lambda method, path, body: (lambda r: (r.status_code, r.json_body))(api.post(path, body)), unique)
    api.settle()
    api.runtime.refresh_gauges()
    owner = {cls.name: cls.consumer for s in service_names() for cls in projection_classes(s)}
    consumed = _series("rps_events_consumed")
    assert any(labels["projection"] == "contracts.directory" for labels in consumed)
    for name in EVENT_METRICS:
        for labels in _series(name):  # (other tests' projections too: the registry is the process's)
            assert labels["consumer"] not in owner, f"{name}: a read model's name as the consumer: {labels}"
            if labels.get("projection") in owner:
                assert owner[labels["projection"]] == labels["consumer"] in service_names(), (name, labels)
                assert labels["source"] in publisher_names(), (name, labels)
    lags = {(labels["consumer"], labels["source"]) for labels in _series("rps_projection_lag_notifications")}
    assert ("reporting", "visits") in lags and ("contracts", "contracts") in lags
