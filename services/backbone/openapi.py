"""The OpenAPI 3.1 document, generated from the declared routes and their schemas.

Served at ``/openapi.json``; clients and schemathesis read it. Nothing here is
written by hand per endpoint, so it cannot drift from the code.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from pydantic import BaseModel

from services.backbone.http import FORM_TYPES, routes_of

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}, "path": {"type": "string"}}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
                "rule": {"type": "string"},
            },
        }
    },
}

_STATUS_TEXT = {
    "400": "请求体不符合格式（字段名见 error.field）",
    "401": "缺少或无效的令牌",
    "403": "角色或范围不允许",
    "404": "不存在",
    "409": "与当前状态冲突",
    "422": "业务规则不允许（规则编号见 error.rule）",
    "429": "请求过于频繁",
    "503": "存储暂时不可用，未保存任何内容",
}


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind) or any(
        _allows_null(option) for option in schema.get("anyOf", []) + schema.get("oneOf", [])
    )


def _without_null_defaults(schema: Any) -> Any:
    """pydantic writes ``default: null`` for fields that are absent-means-unchanged but refuse null
    (CorrectVisit); a default must fit the schema, so it is left out there (issue 16)."""
    if isinstance(schema, list):
        return [_without_null_defaults(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {key: _without_null_defaults(value) for key, value in schema.items()}
    if "default" in cleaned and cleaned["default"] is None and not _allows_null(cleaned) and "$ref" not in cleaned:
        del cleaned["default"]
    return cleaned


def _query_parameters(query: Any) -> list[dict[str, Any]]:
    """``route(query=...)``: a pydantic model (its fields by alias) or name -> JSON schema."""
    if query is None:
        return []
    if isinstance(query, dict):
        properties, required = query, []
    else:
        schema = _without_null_defaults(
            query.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        )
        properties, required = schema.get("properties", {}), schema.get("required", [])
    return [
        {"name": name, "in": "query", "required": name in required, "schema": definition}
        for name, definition in properties.items()
    ]


def _model_schema(model: type[BaseModel], components: dict[str, Any], mode: str, *,
                  named: bool = True) -> dict[str, Any]:
    """Registers the models ``model`` nests in the components, and ``model`` itself where ``named``
    (answers its reference then, else its schema: a success answer's fields show in its operation)."""
    schema = _without_null_defaults(model.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}"))
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    if not named:
        return schema
    components.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def list_page(key: str = "items") -> dict[str, Any]:
    """A list's page (API.md "Lists"): ``key`` holds its items (a route may name them otherwise)."""
    return {
        "type": "object",
        "required": [key, "next_cursor"],
        "properties": {
            key: {"type": "array", "items": {"type": "object"}},
            "next_cursor": {"type": ["string", "null"], "description": "下一页的 cursor；最后一页为 null"},
        },
    }


# A route with its own error renderer (Open311: GeoReport v2's error list) answers every refusal in
# that shape, the gate's included; these are the statuses it can answer.
_RENDERED_ERRORS = {**_STATUS_TEXT, "413": "请求体过大"}
# Media types of ?format= (services/reporting/reports.FORMATS).
_FORMAT_MEDIA = {
    "json": "application/json",
    "html": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _content(media: Iterable[str], schema: dict[str, Any]) -> dict[str, Any]:
    return {kind: {"schema": schema if kind.endswith("json") else {}} for kind in media}


def _responses(method: str, path: str, fn: Any, components: dict[str, Any]) -> dict[str, Any]:
    """Success and error answers (issue 16): a list's page, Open311's arrays and error list in JSON or
    XML, a report's formats, 204/302/text where the route answers so; a JSON object elsewhere."""
    query = getattr(fn, "rps_query", None) or {}
    names = set(query) if isinstance(query, dict) else {f.alias or n for n, f in query.model_fields.items()}
    renderer = getattr(fn, "rps_errors", None)
    if hasattr(renderer, "schema"):  # Open311 (open311.Errors): its format's media type, its error list
        answer = getattr(fn, "rps_response", None)
        if isinstance(answer, type) and issubclass(answer, BaseModel):
            answer = _model_schema(answer, components, "serialization", named=False)
        # one schema for JSON and XML: its ``xml`` names are the XML answer's elements
        success = {renderer.media: {"schema": answer or {}}}
        errors = {code: {"description": text, "content": {renderer.media: {"schema": renderer.schema}}}
                  for code, text in _RENDERED_ERRORS.items()}
        return {"201" if method == "POST" else "200": {"description": "成功", "content": success}, **errors}
    errors = {
        code: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for code, text in _STATUS_TEXT.items()
    }
    declared = getattr(fn, "rps_status", None) or (204 if method == "DELETE" else 200)
    statuses = [str(code) for code in (declared if isinstance(declared, tuple) else (declared,))]
    if statuses == ["204"]:
        return {"204": {"description": "成功，无内容"}, **errors}
    if path == "/":
        return {"302": {"description": "转到首页"}}
    if path.startswith("/web/<") or path == "/metrics":
        media = ["text/plain"] if path == "/metrics" else ["*/*"]
        return {
            "200": {"description": "成功", "content": {kind: {"schema": {}} for kind in media}},
            "304": {"description": "未修改"},
            **errors,
        }
    success_media = [_FORMAT_MEDIA[f] for f in query["format"]["enum"]] if "format" in names else ["application/json"]
    body = getattr(fn, "rps_response", None) or (list_page() if "cursor" in names else {"type": "object"})
    if isinstance(body, type) and issubclass(body, BaseModel):
        body = _model_schema(body, components, "serialization", named=False)
    success = {"description": "成功", "content": _content(success_media, body)}
    if path == "/health/ready":  # not ready: 503 with the same body (which check failed)
        errors["503"] = {"description": "未就绪", "content": _content(success_media, body)}
    # 201 where a new object was created (Location names it), 200 where one is read or changed.
    return {**{code: success for code in statuses}, **errors}


def _operation(method: str, path: str, service: str, fn: Any, components: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _TYPES.get(conv or "", {"type": "string"})}
        for conv, name in _PARAM.findall(path)
    ]
    doc = (fn.__doc__ or "").strip().splitlines()
    operation: dict[str, Any] = {
        "operationId": f"{service}.{fn.__name__}",
        "tags": [service],
        "summary": doc[0] if doc else fn.__name__.replace("_", " "),
        "parameters": parameters,
        "responses": _responses(method, path, fn, components),
    }
    operation["parameters"].extend(_query_parameters(getattr(fn, "rps_query", None)))
    if method == "POST":
        operation["parameters"].append(
            {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200}}
        )
    body = getattr(fn, "rps_body", None)
    if body is not None:
        reference = _model_schema(body, components, "validation")
        operation["requestBody"] = {
            "required": True,
            "content": {
                media: {"schema": reference}
                for media in (FORM_TYPES if getattr(fn, "rps_forms", False) else ("application/json",))
            },
        }
    return operation


def openapi_document(services: Iterable[Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {"Error": ERROR}
    for service in services:
        name = getattr(service, "name", type(service).__name__)
        for method, path, bound in routes_of(service):
            openapi_path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", path)
            if method.lower() in paths.get(openapi_path, {}):
                continue  # operational routes shared by every service
            paths.setdefault(openapi_path, {})[method.lower()] = _operation(
                method, path, name, getattr(bound, "__func__", bound), components
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "责任规划师制度管理系统 API",
            "version": "1",
            "description": "Liaocheng responsible-planner programme: organisation, service time, feedback, reports.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }
