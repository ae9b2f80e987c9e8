"""HTTP for every service: routes, request bodies, and the one error mapping.

A service's entrypoints are methods marked with ``@route``. The same methods
run in both modes: nameko's ``http`` entrypoint serves them in the cluster
(``rps serve``), and the embedded ``Gateway`` serves every service's routes
on one listener (``rps run``). Status codes and the error body are decided
here and nowhere else (API.md "Status codes").
"""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any, Callable, Iterable, TypeVar

from nameko.web.handlers import http as nameko_http
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as WerkzeugNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from services.backbone import context, metrics
from services.backbone.domain import DomainError
from services.backbone.persistence import is_transient

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 1_000_000


class BadRequest(Exception):
    """The body fails its schema (400); names the field."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid_body"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return Response(body, status=status, headers=headers, mimetype="application/json")


def error_body(code: str, message: str, field: str | None = None, rule: str | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    if rule is not None:
        error["rule"] = rule
    return {"error": error}


def error_response(exc: BaseException) -> Response:
    """The one place where exceptions become status codes and error bodies."""
    if isinstance(exc, BadRequest):
        return json_response(error_body(exc.code, exc.message, exc.field), 400)
    if isinstance(exc, DomainError):
        return json_response(error_body(exc.code, exc.message, exc.field, exc.rule), exc.status)
    if isinstance(exc, MethodNotAllowed):
        return json_response(error_body("method_not_allowed", "此路径不支持该请求方法"), 405)
    if isinstance(exc, WerkzeugNotFound):
        return json_response(error_body("not_found", "没有这个路径"), 404)
    if isinstance(exc, HTTPException):
        return json_response(error_body("http_error", exc.description or exc.name), exc.code or 400)
    if is_transient(exc):
        log.warning("store unavailable: %s", exc)
        return json_response(
            error_body("unavailable", "数据存储暂时不可用，未保存任何内容，请稍后重试"), 503, headers={"Retry-After": "5"}
        )
    log.exception("unexpected error", exc_info=exc)
    return json_response(error_body("internal_error", "服务器内部错误，请稍后重试"), 500)


_TYPE_WORDS = {
    "string": "字符串",
    "int": "整数",
    "float": "数字",
    "bool": "布尔值",
    "list": "数组",
    "dict": "对象",
    "date": "日期（YYYY-MM-DD）",
}


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    kind = error["type"]
    if kind == "missing":
        return "missing_field", "缺少必填字段"
    if kind == "extra_forbidden":
        return "unknown_field", "不认识的字段"
    for word, zh in _TYPE_WORDS.items():
        if kind.startswith(word) and kind.endswith("_type"):
            return "wrong_type", f"类型错误，应为{zh}"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_from_datetime_inexact"):
        return "wrong_type", "日期格式错误，应为 YYYY-MM-DD"
    if kind in ("literal_error", "enum"):
        return "unknown_code", f"取值不在允许范围内：{error.get('ctx', {}).get('expected', '')}"
    if kind.startswith("string_too"):
        return "invalid_value", "文本长度超出允许范围"
    return "invalid_value", str(error.get("msg", "取值无效"))


def parse_body(request: Request, model: type[M]) -> M:
    """Decode a JSON object and validate it; a failure names the field (400)."""
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest("请求体过大", field="body", code="body_too_large")
    try:
        payload = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"请求体不是合法的 JSON：{exc}", field="body", code="malformed_json") from None
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", field="body", code="malformed_json")
    try:
        # JSON mode: strict types, yet ISO dates in strings are accepted.
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        code, message = _describe(first)
        raise BadRequest(f"{field}：{message}", field=field, code=code) from None


def request_context(request: Request) -> context.RequestContext:
    correlation = request.headers.get("X-Correlation-ID") or context.new_correlation_id()
    return context.RequestContext(actor=context.Actor(subject="anonymous", role="anonymous"), correlation_id=correlation[:64])


def route(
    method: str, path: str, *, body: type[BaseModel] | None = None
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Mark a service method as the entrypoint of ``method path`` in both modes.

    ``body`` names the request schema for the OpenAPI document.
    """

    def decorator(fn: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def entrypoint(self: Any, request: Request, **values: Any) -> Response:
            started = time.perf_counter()
            ctx = request_context(request)
            with context.acting(ctx):
                try:
                    response = fn(self, request, **values)
                except Exception as exc:  # mapped in one place; never leaks a trace
                    response = error_response(exc)
            response.headers["X-Correlation-ID"] = ctx.correlation_id
            metrics.HTTP_LATENCY.labels(
                getattr(self, "name", "?"), path, method, str(response.status_code)
            ).observe(time.perf_counter() - started)
            return response

        entrypoint.rps_route = (method, path)  # type: ignore[attr-defined]
        entrypoint.rps_body = body  # type: ignore[attr-defined]
        return nameko_http(method, path)(entrypoint)

    return decorator


def routes_of(service: Any) -> list[tuple[str, str, Callable[..., Response]]]:
    found = []
    for attr in dir(type(service)):
        fn = getattr(type(service), attr, None)
        spec = getattr(fn, "rps_route", None)
        if spec:
            found.append((spec[0], spec[1], getattr(service, attr)))
    return found


class Gateway:
    """One WSGI application serving the routes of several service objects."""

    def __init__(self, services: Iterable[Any]):
        rules = []
        self._endpoints: dict[str, Callable[..., Response]] = {}
        seen: set[tuple[str, str]] = set()
        for service in services:
            for method, path, bound in routes_of(service):
                if (method, path) in seen:
                    continue  # shared operational routes: the first service answers
                seen.add((method, path))
                endpoint = f"{getattr(service, 'name', type(service).__name__)}.{bound.__name__}"
                rules.append(Rule(path, methods=[method], endpoint=endpoint))
                self._endpoints[endpoint] = bound
        self.url_map = Map(rules, strict_slashes=False)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException as exc:
            response = error_response(exc)
        else:
            response = self._endpoints[endpoint](request, **values)
        return response(environ, start_response)
