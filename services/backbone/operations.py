"""Routes every service answers for operators and late subscribers:
health, metrics and the event feed (``GET /api/v1/events/{service}``)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from prometheus_client import Gauge
from werkzeug.wrappers import Request, Response

from services.backbone import metrics
from services.backbone.answers import ChainVerification, OpenApiDocument
from services.backbone.domain import NotFound
from services.backbone.http import BadRequest, json_response, route

MAX_FEED_LIMIT = 1000
MAX_POSITION = 2**63 - 1  # a stored position is a BIGINT; past it is a 400, not the store's overflow (issue 16)
# /health/ready answers within 2 s whatever its dependencies do (issue 15 item 4).
READY_DEADLINE_SECONDS = 1.8
BROKER_UP = Gauge("rps_broker_up", "1 when this process reaches the message broker (relay, consumer roles)", ["role"])


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of an answer with exactly these fields, all present (for ``route(response=...)``)."""
    return {"type": "object", "required": list(properties), "properties": properties}


class OperationsRoutes:
    """Mixed into every service class; ``runtime`` is injected in both modes."""

    name = "operations"
    runtime: Any

    @route("GET", "/health/live", response=_object(status={"const": "live"}))
    def health_live(self, request: Request) -> Response:
        return json_response({"status": "live"})

    @route("GET", "/health/ready", response=_object(
        status={"enum": ["ready", "not_ready"]}, checks={"type": "object", "additionalProperties": {"type": "string"}},
    ))
    def health_ready(self, request: Request) -> Response:
        """Ready = this process can take writes now (issue 15 item 4), answered within 2 s.

        The broker is reported but not required: commands wait in the outbox while it is away
        (the relay and consumer roles report it in ``rps_broker_up``)."""
        results = run_checks(self.runtime.readiness_checks())
        ready = all(v == "ok" for v in results.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready", "checks": results}
        informational = getattr(self.runtime, "informational_checks", {})
        if informational:
            body["informational"] = run_checks(informational)
        return json_response(body, 200 if ready else 503)

    @route("GET", "/metrics")
    def metrics(self, request: Request) -> Response:
        self.runtime.refresh_gauges()
        body, content_type = metrics.exposition()
        return Response(body, status=200, content_type=content_type)

    @route("GET", "/openapi.json", response=OpenApiDocument)
    def openapi(self, request: Request) -> Response:
        """The OpenAPI document of the routes this process serves."""
        from services.backbone.openapi import openapi_document

        return json_response(openapi_document(self.runtime.service_objects()))

    @route("GET", "/api/v1/events/<service>", query={
        "after": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_FEED_LIMIT},
    }, response=_object(events={"type": "array", "items": {"type": "object"}}, next_after={"type": "integer"}))
    def events(self, request: Request, service: str) -> Response:
        app = self.runtime.publisher_app(service)
        if app is None:
            raise NotFound(f"没有名为 {service} 的事件源", field="service")
        after = _int_arg(request, "after", 0, minimum=0, maximum=MAX_POSITION)
        limit = _int_arg(request, "limit", 100, minimum=1, maximum=MAX_FEED_LIMIT)
        envelopes = app.envelopes(after=after, limit=limit)
        next_after = envelopes[-1]["position"] if envelopes else after
        return json_response({"events": envelopes, "next_after": next_after})


    @route("GET", "/api/v1/events/<service>/chain", response=ChainVerification,
           query={"at": {"type": "integer", "minimum": 1, "maximum": MAX_POSITION}})
    def chain(self, request: Request, service: str) -> Response:
        """This service's tamper-evident chain, recomputed now (R-RPT-5)."""
        app = self.runtime.publisher_app(service)
        if app is None:
            raise NotFound(f"没有名为 {service} 的事件源", field="service")
        body = app.verify_chain().as_dict()
        at = request.args.get("at")
        if at is not None:
            position = _int_arg(request, "at", 0, minimum=1, maximum=MAX_POSITION)
            body["hash_at"] = app.recorder.chain_hashes(position, position).get(position)
        return json_response(body)


def run_checks(checks: dict[str, Callable[[], None]], deadline_seconds: float = READY_DEADLINE_SECONDS) -> dict[str, str]:
    """Each check in a thread of its own; one still running at the deadline is "unavailable"."""
    results: dict[str, str] = {}

    def run(name: str, check: Callable[[], None]) -> None:
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a dependency is down: say which, and why in a word
            results[name] = f"unavailable: {type(exc).__name__}"

    threads = [threading.Thread(target=run, args=item, daemon=True, name=f"ready-{item[0]}") for item in checks.items()]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + deadline_seconds
    for thread in threads:
        thread.join(max(0.0, ends - time.monotonic()))
    return {name: results.get(name, f"unavailable: no answer within {deadline_seconds} s") for name in checks}


def watch_broker(amqp_uri: str, role: str, stopping: threading.Event, every_seconds: float = 5.0) -> threading.Thread:
    """Keep ``rps_broker_up{role}`` current in a relay or consumer process (issue 15 item 4)."""
    from services.backbone.amqp import broker_reachable

    def loop() -> None:
        while True:
            BROKER_UP.labels(role).set(1 if broker_reachable(amqp_uri) else 0)
            if stopping.wait(every_seconds):
                return

    thread = threading.Thread(target=loop, daemon=True, name=f"broker-watch-{role}")
    thread.start()
    return thread


def _int_arg(request: Request, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}：应为整数", field=name, code="wrong_type") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum}..{maximum}" if maximum is not None else f"≥ {minimum}"
        raise BadRequest(f"{name}：取值应在 {bound}", field=name, code="invalid_value")
    return value
