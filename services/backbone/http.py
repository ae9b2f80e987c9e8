"""HTTP for every service: routes, request bodies, and the one error mapping.

A service's entrypoints are methods marked with ``@route``. The same methods
run in both modes: nameko's ``http`` entrypoint serves them in the cluster
(``rps serve``), and the embedded ``Gateway`` serves every service's routes
on one listener (``rps run``). Status codes and the error body are decided
here and nowhere else (API.md "Status codes").

Every request passes the same gate before its handler runs: the bearer
token is verified (auth.py, 401), the access policy decides on role and
scope (policy.py, 403/404), the body must be strict JSON (400), a POST's
``Idempotency-Key`` is honoured (idempotency.py) and the anonymous intake is
rate-limited (ratelimit.py, 429). A refusal stores nothing.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import time
from typing import Any, Callable, Iterable, TypeVar

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as WerkzeugNotFound, RequestEntityTooLarge
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from services.backbone import auth, context, idempotency, logs, metrics, policy, text
from services.backbone.domain import DomainError
from services.backbone.logsafe import safe_log
from services.backbone.ratelimit import RateLimited, RateLimiter
from services.backbone.persistence import is_transient

log = logging.getLogger(__name__)
ACTOR_ROLE = "rps.actor_role"  # the WSGI environ key the gate leaves the caller's role under

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 1_000_000
# A header line eventlet's server reads before it answers 400 itself: long enough
# that an over-long token reaches the gate and gets its 401 (auth.MAX_TOKEN_BYTES).
MAX_HEADER_LINE = 64 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# A route's error renderer: ``error_response`` (the application's shape) or one that reshapes its
# answer (Open311's error list), the status staying the one ``error_response`` decides.
ErrorRenderer = Callable[[BaseException], Response]


class BadRequest(Exception):
    """The body fails its schema (400); names the field."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid_body",
                 rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.rule = rule


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
        return json_response(error_body(exc.code, exc.message, exc.field, exc.rule), 400)
    if isinstance(exc, DomainError):
        return json_response(
            error_body(exc.code, exc.message, exc.field, exc.rule), exc.status, headers=getattr(exc, "headers", None)
        )
    if isinstance(exc, RequestEntityTooLarge):
        return json_response(error_body("body_too_large", "请求体过大", "body"), 413)
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
    log.exception("unexpected error: %s", safe_log(type(exc).__name__), exc_info=exc)
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
    if kind == "bidi_override":
        return "invalid_text", str(error.get("msg"))
    if kind.startswith("string_too"):
        return "invalid_value", "文本长度超出允许范围"
    return "invalid_value", str(error.get("msg", "取值无效"))


# -- strict JSON ---------------------------------------------------------------------------


class _Object(dict):
    """A JSON object that remembers keys it saw twice (the last would silently win)."""

    duplicates: tuple[str, ...] = ()


# I-JSON (RFC 7493 2.2): integers beyond what a double holds exactly are refused, not rounded.
MAX_JSON_INTEGER = 2**53 - 1


class _BadNumber:
    def __init__(self, message: str):
        self.message = message


def _constant(text: str) -> _BadNumber:
    return _BadNumber("不接受 NaN 或 Infinity")


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj, seen = _Object(), []
    for key, value in pairs:
        if key in obj:
            seen.append(key)
        obj[key] = value
    obj.duplicates = tuple(seen)
    return obj


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _BadNumber("不接受 NaN 或 Infinity")  # 1e999 is Infinity too


def _int(text: str) -> Any:
    value = int(text)
    return value if abs(value) <= MAX_JSON_INTEGER else _BadNumber(f"整数超出范围（±{MAX_JSON_INTEGER}）")


def _first_problem(document: Any) -> tuple[str, str, str] | None:
    """(field, code, message) of the first duplicate key or non-finite number, depth first."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, _BadNumber):
            return where or "body", "invalid_number", value.message
        if isinstance(value, _Object):
            if value.duplicates:
                name = f"{where}.{value.duplicates[0]}" if where else value.duplicates[0]
                return name, "duplicate_key", "JSON 对象中该字段出现了不止一次"
            children = [(f"{where}.{k}" if where else str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(f"{where}.{i}" if where else str(i), v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))
    return None


def strict_json(raw: bytes) -> Any:
    """Parse a request body as RFC 8259 / I-JSON; duplicate keys, NaN, Infinity and integers
    a double cannot hold are 400 naming the field."""
    try:
        document = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_object, parse_constant=_constant, parse_float=_float,
            parse_int=_int,
        )
    except UnicodeDecodeError:
        raise BadRequest("请求体不是 UTF-8 编码的 JSON", field="body", code="malformed_json") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"请求体不是合法的 JSON：{exc.msg}（第 {exc.lineno} 行第 {exc.colno} 列）",
                         field="body", code="malformed_json") from None
    except (ValueError, RecursionError):  # integers past Python's digit limit, absurd nesting
        raise BadRequest("请求体不是可接受的 JSON（数字过长或嵌套过深）", field="body", code="malformed_json") from None
    problem = _first_problem(document)
    if problem is not None:
        field, code, message = problem
        raise BadRequest(f"{field}：{message}", field=field, code=code)
    return keepable_text(text.strings(document), document)


def keepable_text(strings: Iterable[tuple[str, str]], document: Any) -> Any:
    """R-SEC-3: 400 naming the first field whose text no store can keep; the document with
    CRLF as LF (the form every store keeps)."""
    crlf = False
    for field, value in strings:
        why = text.problem(value)
        if why is not None:
            raise BadRequest(f"{field}：{why}", field=field, code="invalid_text", rule=text.RULE)
        crlf = crlf or "\r\n" in value
    return text.normalised(document) if crlf else document


def read_body(request: Request) -> bytes:
    """The request body, refused past MAX_BODY_BYTES without reading further (413)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # eventlet's server (``rps serve``) decodes chunks and ends the stream itself but does
        # not say so; without this werkzeug reads a chunked body as empty.
        request.environ.setdefault("wsgi.input_terminated", True)
    request.max_content_length = MAX_BODY_BYTES  # werkzeug stops a longer (e.g. chunked) stream
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    return raw


def request_json(request: Request) -> Any:
    """The body as strict JSON, parsed once per request; {} when empty or a form."""
    cached = request.environ.get("rps.json", _MISSING)
    if cached is not _MISSING:
        return cached
    raw = read_body(request)
    document = {} if not raw.strip() or request.mimetype in FORM_TYPES else strict_json(raw)
    request.environ["rps.json"] = document
    return document


def check_url(request: Request, values: dict[str, Any]) -> None:
    """Path values and query strings hold text a store can keep (R-SEC-3, 400 naming the field)."""
    keepable_text(((name, str(value)) for name, value in values.items()), None)
    keepable_text(((name, item) for name, items in request.args.lists() for item in (name, *items)), None)


def request_object(request: Request, *, forms: bool = False) -> dict[str, Any]:
    """The body as the policy and the handlers read it (API.md "Bodies"): a JSON object, {} when
    empty, or a form where the route takes forms ({} here: the route reads it with
    ``form_fields``); any other body is 400 — before any scope is read from it, so never 403."""
    if request.mimetype in FORM_TYPES and read_body(request).strip():
        if not forms:
            raise BadRequest("content-type：此接口的请求体应为 JSON 对象（application/json）",
                             field="content-type", code="unsupported_media_type")
        return {}  # the route reads it with ``form_fields`` (its errors in the route's own shape)
    document = request_json(request)
    if not isinstance(document, dict):
        raise BadRequest("请求体必须是 JSON 对象", field="body", code="malformed_json")
    return document


_MISSING = object()


def form_fields(request: Request) -> ImmutableMultiDict:
    """A form body's fields, every name and value text a store can keep (R-SEC-3, 400 naming the
    field), CRLF as LF: how a route that takes forms reads them."""
    pairs = [(name, item) for name, items in request.form.lists() for item in (name, *items)]
    keepable_text(pairs, None)
    if any("\r\n" in item for _, item in pairs):
        request.form = ImmutableMultiDict([(k, text.normalise(v)) for k, v in request.form.items(multi=True)])
    return request.form


def parse_body(request: Request, model: type[M]) -> M:
    """Decode a JSON object and validate it; a failure names the field (400). An empty
    body is ``{}`` (API.md "Bodies"): fine where no field is required."""
    raw = read_body(request)
    if request.mimetype in FORM_TYPES and raw.strip():
        raise BadRequest("content-type：此接口的请求体应为 JSON 对象（application/json）",
                         field="content-type", code="unsupported_media_type")
    payload = request_json(request)  # the gate parsed it strictly already; cached per request
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", field="body", code="malformed_json")
    try:
        # JSON mode: strict types, yet ISO dates in strings are accepted. The document as the
        # gate checked it: {} for an empty body, CRLF as LF.
        return model.model_validate_json(json.dumps(payload, ensure_ascii=False))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        code, message = _describe(first)
        rule = text.RULE if code == "invalid_text" else None
        raise BadRequest(f"{field}：{message}", field=field, code=code, rule=rule) from None


# -- the gate every request passes ----------------------------------------------------------


def correlation_id(request: Request) -> str:
    """The caller's correlation id when it is a plain token, else a new one (it goes into events and logs)."""
    given = request.headers.get("X-Correlation-ID", "")
    return given if _CORRELATION.match(given) else context.new_correlation_id()


def client_address(request: Request, trusted_hops: int) -> str:
    """The client's address: the peer, or behind ``trusted_hops`` proxies the one they saw."""
    if trusted_hops > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if len(forwarded) >= trusted_hops:
            return forwarded[-trusted_hops][:64]
    return request.remote_addr or "unknown"


def _serve(service: Any, fn: Callable[..., Response], method: str, path: str, request: Request,
           values: dict[str, Any], correlation: str, forms: bool = False,
           render: ErrorRenderer = error_response) -> Response:
    """The gate, then the handler; every refusal and error in the route's shape (``render``)."""
    runtime = service.runtime
    try:
        actor = auth.authenticate(request, auth.verifier_of(runtime))
        request.environ[ACTOR_ROLE] = actor.role  # for the access record (issue 16)
    except Exception as exc:
        if isinstance(exc, auth.Unauthenticated):
            log.info("token refused: route=%s %s reason=%s correlation=%s",
                     method, path, safe_log(exc.message), correlation)
        return render(exc)
    with context.acting(context.RequestContext(actor=actor, correlation_id=correlation)):
        try:
            check_url(request, values)
            call = policy.Call(service, method, path, request, values, actor,
                               body=lambda: request_object(request, forms=forms))
            rule = policy.authorize(call)  # the role first; then any scope the body names
            request_object(request, forms=forms)  # strict JSON for every body, whether or not the handler parses it
            if method == "POST" and request.headers.get(idempotency.HEADER) is not None:
                return _idempotent(service, fn, path, request, values, rule, actor, render)
            return _run(service, fn, path, request, values, rule, actor, render)
        except Exception as exc:  # mapped in one place; never leaks a trace
            return render(exc)


def _idempotent(service: Any, fn: Callable[..., Response], path: str, request: Request, values: dict[str, Any],
                rule: policy.Rule, actor: context.Actor, render: ErrorRenderer) -> Response:
    """R-SEC-3: run once per key, caller and path; a replay gets the first answer."""
    settings = service.runtime.settings
    key = request.headers[idempotency.HEADER]
    if not idempotency.valid_key(key):
        raise BadRequest(f"{idempotency.HEADER}：应为 1–255 个可见 ASCII 字符", field=idempotency.HEADER,
                         code="invalid_value")
    caller = f"addr:{client_address(request, settings.trusted_proxy_hops)}" if actor == auth.ANONYMOUS \
        else f"sub:{actor.subject}"
    document = request_json(request)
    body = json.dumps(document, sort_keys=True, ensure_ascii=False).encode() if document else read_body(request)
    claim = idempotency.Claim(
        caller=idempotency.pseudonym(settings.pseudonym_secret, caller),
        path=request.path,
        key=key,
        fingerprint=idempotency.fingerprint(request.method, body),
    )
    store = idempotency.IdempotencyStore(service.runtime.idempotency_db(service.name),
                                         settings.idempotency_retention_hours * 3600,
                                         settings.idempotency_in_flight_seconds)
    replay = store.claim(claim)
    if replay is not None:
        return replay
    # The events and the key's answer are stored in one transaction (idempotency.py).
    return store.run(claim, service.runtime.publisher_app(service.name),
                     lambda: _run(service, fn, path, request, values, rule, actor, render), render,
                     failpoint=settings.failpoint)


def _run(service: Any, fn: Callable[..., Response], path: str, request: Request, values: dict[str, Any],
         rule: policy.Rule, actor: context.Actor, render: ErrorRenderer) -> Response:
    """The handler, behind the anonymous intake's rate limit where the route has one (R-SEC-5)."""
    limiter, phone_bucket = None, None
    if rule.intake is not None and actor.role not in auth.STAFF:
        settings = service.runtime.settings
        limiter = RateLimiter(
            service.runtime.db(service.name), settings.pseudonym_secret,
            per_minute=settings.rate_limit_per_minute, phone_per_day=settings.rate_limit_phone_per_day,
        )
        try:
            limiter.check_address(client_address(request, settings.trusted_proxy_hops))
            phone = _intake_phone(request, rule.intake.phone_field)
            if phone:
                phone_bucket = limiter.reserve_phone(phone)
        except RateLimited as exc:
            metrics.RATE_LIMITED.labels(service.name, path, exc.limit).inc()
            log.warning("rate limited: route=%s limit=%s correlation=%s",
                        path, exc.limit, context.current().correlation_id)
            raise
    try:
        response = fn(service, request, **values)
    except Exception as exc:
        response = render(exc)
    if limiter is not None and phone_bucket is not None and response.status_code >= 300:
        limiter.release_phone(phone_bucket)  # refused input stored nothing: it does not use up the number
    return response


def _intake_phone(request: Request, field: str) -> str | None:
    if request.mimetype in FORM_TYPES:
        value = request.form.get(field)
    else:
        document = request_json(request)
        value = document.get(field) if isinstance(document, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _extension(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[1] if "." in last else ""


class Unmatched:
    """How a path no route matches (or no route of its method) is refused: by ``error_response``,
    unless it lies in the folder of routes with their own renderer (Open311 under ``/open311/v2/``),
    which refuse it as those routes do: the renderer of their routes with its extension (``.xml``),
    else of their ``.json`` ones."""

    def __init__(self, routes: Iterable[tuple[str, ErrorRenderer]]):
        self._folders: dict[str, dict[str, ErrorRenderer]] = {}
        for path, render in routes:
            if render is not error_response:
                static = path.split("<", 1)[0]
                self._folders.setdefault(static[: static.rfind("/") + 1], {}).setdefault(_extension(path), render)

    def __call__(self, request: Request, exc: HTTPException) -> Response:
        folders = [folder for folder in self._folders if request.path.startswith(folder)]
        renderers = self._folders[max(folders, key=len)] if folders else {}
        render = renderers.get(_extension(request.path)) or renderers.get("json") or error_response
        response = render(exc)
        # No route matched: no template to name, and the path as sent may hold anything.
        logs.access(correlation_id=correlation_id(request), actor_role=None, method=request.method,
                    route="-", status=response.status_code, seconds=0.0)
        return response


class RouteServer(WebServer):
    """nameko's web server, refusing a path no route matches as the Gateway does (``Unmatched``),
    not with werkzeug's HTML page."""

    def get_wsgi_app(self) -> Callable:
        app = super().get_wsgi_app()
        unmatched = Unmatched(
            (provider.url, getattr(getattr(provider.container.service_cls, provider.method_name), "rps_errors",
                                   error_response))
            for provider in self._providers
        )

        def refusing_unmatched(environ: dict, start_response: Callable) -> Iterable[bytes]:
            try:
                app.url_map.bind_to_environ(environ).match()
            except RequestRedirect:
                pass  # nameko answers it (a trailing slash), with its Location
            except HTTPException as exc:
                return unmatched(Request(environ, shallow=True), exc)(environ, start_response)
            return app(environ, start_response)

        return refusing_unmatched


class RouteEntrypoint(HttpRequestHandler):
    """nameko's HTTP entrypoint for ``@route`` methods.

    Their wrapper takes ``(request, **values)``, whatever the URL rule
    matched, so nameko's per-request signature check (``inspect.getcallargs``
    on every call) cannot fail and is skipped.
    """

    server = RouteServer()

    def check_signature(self, args: Any, kwargs: Any) -> None:
        return None


def route(
    method: str,
    path: str,
    *,
    body: type[BaseModel] | None = None,
    forms: bool = False,
    query: type[BaseModel] | dict[str, dict[str, Any]] | None = None,
    response: type[BaseModel] | dict[str, Any] | None = None,
    status: int | tuple[int, ...] | None = None,
    errors: ErrorRenderer = error_response,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Mark a service method as the entrypoint of ``method path`` in both modes.

    ``body`` names the request schema for the OpenAPI document; ``forms``: the
    route takes form bodies (Open311), every other body is a JSON object;
    ``query`` declares the query parameters the handler reads, for the OpenAPI
    document: the model it validates them with, or parameter name -> JSON schema;
    ``response``: the success answer's model (the one that serialises it) or JSON schema;
    ``status``: the success status(es) the handler answers with (default 204 for DELETE, else 200);
    ``errors``: how the route answers a refusal, the gate's (401, 403, 400, 413, 429) as well as
    the handler's (Open311: the standard's error list in the path's format).
    """

    def decorator(fn: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def entrypoint(self: Any, request: Request, **values: Any) -> Response:
            started = time.perf_counter()
            correlation = correlation_id(request)
            response = _serve(self, fn, method, path, request, values, correlation, forms, errors)
            response.headers["X-Correlation-ID"] = correlation
            spent = time.perf_counter() - started
            metrics.HTTP_LATENCY.labels(getattr(self, "name", "?"), path, method, str(response.status_code)).observe(spent)
            logs.access(correlation_id=correlation, actor_role=request.environ.get(ACTOR_ROLE), method=method,
                        route=path, status=response.status_code, seconds=spent)
            return response

        entrypoint.rps_route = (method, path)  # type: ignore[attr-defined]
        entrypoint.rps_body = body  # type: ignore[attr-defined]
        entrypoint.rps_query = query  # type: ignore[attr-defined]
        entrypoint.rps_forms = forms  # type: ignore[attr-defined]
        entrypoint.rps_response = response  # type: ignore[attr-defined]
        entrypoint.rps_status = status  # type: ignore[attr-defined]
        entrypoint.rps_errors = errors  # type: ignore[attr-defined]
        return RouteEntrypoint.decorator(method, path)(entrypoint)

    return decorator


def page_query(max_limit: int) -> dict[str, dict[str, Any]]:
    """The paging parameters of a list (API.md "Lists"), for ``route(query=...)``."""
    return {
        "limit": {"type": "integer", "minimum": 1, "maximum": max_limit, "description": "每页条数"},
        "cursor": {"type": "string", "description": "上一页返回的 next_cursor"},
    }


def choice_query(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


TEXT_QUERY: dict[str, Any] = {"type": "string"}
DATE_QUERY: dict[str, Any] = {"type": "string", "format": "date"}


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
        renderers: list[tuple[str, ErrorRenderer]] = []
        for service in services:
            for method, path, bound in routes_of(service):
                if (method, path) in seen:
                    continue  # shared operational routes: the first service answers
                seen.add((method, path))
                endpoint = f"{getattr(service, 'name', type(service).__name__)}.{bound.__name__}"
                rules.append(Rule(path, methods=[method], endpoint=endpoint))
                self._endpoints[endpoint] = bound
                renderers.append((path, getattr(bound, "rps_errors", error_response)))
        self.url_map = Map(rules, strict_slashes=False)
        self._unmatched = Unmatched(renderers)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException as exc:
            response = self._unmatched(request, exc)
        else:
            response = self._endpoints[endpoint](request, **values)
        return response(environ, start_response)
