"""Routes every service answers for operators and late subscribers:
health, metrics and the event feed (``GET /api/v1/events/{service}``)."""

from __future__ import annotations

from typing import Any, Callable

from werkzeug.wrappers import Request, Response

from services.backbone import metrics
from services.backbone.domain import NotFound
from services.backbone.http import BadRequest, json_response, route

MAX_FEED_LIMIT = 1000


class OperationsRoutes:
    """Mixed into every service class; ``runtime`` is injected in both modes."""

    name = "operations"
    runtime: Any

    @route("GET", "/health/live")
    def health_live(self, request: Request) -> Response:
        return json_response({"status": "live"})

    @route("GET", "/health/ready")
    def health_ready(self, request: Request) -> Response:
        checks: dict[str, Callable[[], None]] = self.runtime.readiness_checks()
        results = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a dependency is down: say which
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        return json_response({"status": "ready" if ready else "not_ready", "checks": results}, 200 if ready else 503)

    @route("GET", "/metrics")
    def metrics(self, request: Request) -> Response:
        self.runtime.refresh_gauges()
        body, content_type = metrics.exposition()
        return Response(body, status=200, content_type=content_type)

    @route("GET", "/openapi.json")
    def openapi(self, request: Request) -> Response:
        """The OpenAPI document of the routes this process serves."""
        from services.backbone.openapi import openapi_document

        return json_response(openapi_document(self.runtime.service_objects()))

    @route("GET", "/api/v1/events/<service>")
    def events(self, request: Request, service: str) -> Response:
        app = self.runtime.publisher_app(service)
        if app is None:
            raise NotFound(f"没有名为 {service} 的事件源", field="service")
        after = _int_arg(request, "after", 0, minimum=0)
        limit = _int_arg(request, "limit", 100, minimum=1, maximum=MAX_FEED_LIMIT)
        envelopes = app.envelopes(after=after, limit=limit)
        next_after = envelopes[-1]["position"] if envelopes else after
        return json_response({"events": envelopes, "next_after": next_after})


    @route("GET", "/api/v1/events/<service>/chain")
    def chain(self, request: Request, service: str) -> Response:
        """This service's tamper-evident chain, recomputed now (R-RPT-5)."""
        app = self.runtime.publisher_app(service)
        if app is None:
            raise NotFound(f"没有名为 {service} 的事件源", field="service")
        body = app.verify_chain().as_dict()
        at = request.args.get("at")
        if at is not None:
            position = _int_arg(request, "at", 0, minimum=1)
            body["hash_at"] = app.recorder.chain_hashes(position, position).get(position)
        return json_response(body)


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
