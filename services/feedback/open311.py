"""Open311 GeoReport v2 over opinions: translation only (R-OPN-1, R-OPN-4).

Services are the opinion categories; a service request is an opinion and its
``service_request_id`` is the opinion's public reference. Requests arrive
form-encoded as the standard says; answers are the standard's JSON shapes,
and errors its ``[{"code", "description"}]`` list (with our ``field`` and
``rule`` added, which clients ignore). Public lists never show personal data,
and show the description only where the resident chose ``public``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Mapping

from werkzeug.wrappers import Request, Response

from services.backbone import clock
from services.backbone.domain import NotFound
from services.backbone.http import BadRequest, error_response, json_response
from services.backbone.http import form_fields as http_form_fields
from services.backbone.persistence import Database
from services.feedback import presenters
from services.feedback.domain import CATEGORIES, CATEGORY_NAMES, public_point

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_ATTRIBUTES = 20
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_.\-]{1,64})\]$")
# Our field names -> the standard's, so errors name what the client sent.
_FIELD_NAMES = {"text": "description", "category": "service_code", "point": "lat", "contact_phone": "phone",
                "contact_name": "first_name", "district": "attribute[district]", "address": "address_string"}
_REC_STATUS = {"raised": "已提出", "forwarded": "已函告政府", "accepted": "已采纳", "declined": "未采纳",
               "completed": "已完成", "verified": "已核实完成", "withdrawn": "已撤回"}
MAX_RESULTS = 1000  # GeoReport v2: "1,000 records or fewer" per answer


def services() -> list[dict[str, Any]]:
    return [
        {
            "service_code": code,
            "service_name": CATEGORY_NAMES[code],
            "description": f"{CATEGORY_NAMES[code]}方面的意见和诉求",
            "metadata": False,
            "type": "realtime",
            "keywords": code.replace("_", " "),
            "group": "责任规划师",
        }
        for code in CATEGORIES
    ]


def form_fields(request: Request) -> Mapping[str, str]:
    """The form body of a GeoReport v2 POST (urlencoded, or multipart with media)."""
    if request.mimetype not in FORM_TYPES:
        raise BadRequest(
            "content-type：Open311 请求应为 application/x-www-form-urlencoded 或 multipart/form-data",
            field="content-type", code="unsupported_media_type",
        )
    return http_form_fields(request)  # R-SEC-3: text a store can keep, CRLF as LF


def _float(raw: str, name: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name}：应为数字", field=name, code="wrong_type") from None
    if not low <= value <= high:
        raise BadRequest(f"{name}：取值应在 {low}..{high}", field=name, code="invalid_value")
    return value


def opinion_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """A GeoReport v2 POST body -> the arguments of ``submit_opinion``."""
    service_code = form.get("service_code")
    if not service_code:
        raise BadRequest("service_code：缺少必填字段", field="service_code", code="missing_field")
    lat, lon = form.get("lat"), form.get("long")
    if (lat is None) != (lon is None):
        missing = "long" if lon is None else "lat"
        raise BadRequest(f"{missing}：lat 与 long 需同时给出", field=missing, code="missing_field")
    point = None
    if lat is not None and lon is not None:
        point = {"lat": _float(lat, "lat", -90, 90), "lon": _float(lon, "long", -180, 180)}
    attributes: dict[str, str] = {}
    for key in form:
        match = _ATTRIBUTE.match(key)
        if match:
            value = form.get(key) or ""
            if len(value) > 500:
                raise BadRequest(f"{key}：取值过长", field=key, code="invalid_value")
            attributes[match.group(1)] = value
    if len(attributes) > MAX_ATTRIBUTES:
        raise BadRequest(f"attribute：最多 {MAX_ATTRIBUTES} 项", field="attribute", code="invalid_value")
    district = attributes.pop("district", None)
    public_raw = attributes.pop("public", "false").strip().lower()
    if public_raw not in ("true", "false", "1", "0"):
        raise BadRequest("attribute[public]：应为 true 或 false", field="attribute[public]", code="wrong_type")
    name = " ".join(p for p in (form.get("last_name"), form.get("first_name")) if p) or None
    return {
        "category": service_code,
        "text": form.get("description") or "",
        "channel": "open311",
        "district": district,
        "point": point,
        "public": public_raw in ("true", "1"),
        "contact_phone": form.get("phone") or None,
        "contact_name": name,
        "contact_email": form.get("email") or None,
        "app_user_id": form.get("account_id") or None,
        "address": form.get("address_string") or None,
        "media_url": form.get("media_url") or None,
        "attributes": attributes,
        "point_field": "lat",
    }


SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-07T00:00:00+08:00"  # when these endpoints last changed (discovery)
FORMATS = {"json": "application/json", "xml": "text/xml"}
# GeoReport v2's XML: the root of each answer and the element of each item in a list.
_ROOTS = {"services": ("services", "service"), "requests": ("service_requests", "request"),
          "errors": ("errors", "error"), "service_definition": ("service_definition", None),
          "discovery": ("discovery", None)}
_ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _element(parent: ET.Element, tag: str, value: Any) -> None:
    node = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _element(node, key, item)
    elif isinstance(value, list):
        for item in value:
            _element(node, _ITEMS.get(tag, "item"), item)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def xml_document(kind: str, payload: Any) -> bytes:
    """An answer in GeoReport v2's XML (its base format): ``<services><service>…``,
    ``<service_requests><request>…``, ``<errors><error>…``, ``<service_definition>``, ``<discovery>``."""
    root_tag, item_tag = _ROOTS[kind]
    root = ET.Element(root_tag)
    if item_tag is None:
        for key, value in payload.items():
            _element(root, key, value)
    else:
        for item in payload:
            _element(root, item_tag, item)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def answer(kind: str, payload: Any, fmt: str, status: int = 200) -> Response:
    """One answer in the format the path's extension asks for (``.json`` or ``.xml``)."""
    if fmt == "xml":
        return Response(xml_document(kind, payload), status=status, content_type="text/xml; charset=utf-8")
    return json_response(payload, status)


def discovery(base_url: str) -> dict[str, Any]:
    """GeoReport v2 service discovery: where the endpoint is and what it speaks."""
    return {
        "changeset": CHANGESET,
        "contact": "聊城市自然资源和规划局 责任规划师办公室",
        "key_service": "无需 API key；匿名提交按来源地址和电话限流",
        "endpoints": [{"specification": SPECIFICATION, "url": base_url, "changeset": CHANGESET,
                       "type": "production", "formats": list(FORMATS.values())}],
    }


def service_definition(code: str) -> dict[str, Any]:
    """GET services/{code}: the attributes a request of this service may carry."""
    if code not in CATEGORY_NAMES:
        raise NotFound("service_code：没有这个服务", field="service_code")
    return {
        "service_code": code,
        "attributes": [
            {"variable": True, "code": "district", "datatype": "string", "required": False,
             "datatype_description": "镇街（园区）编码；未给出位置时由市局分派",
             "order": 1, "description": "镇街（园区）"},
            {"variable": True, "code": "public", "datatype": "singlevaluelist", "required": False,
             "datatype_description": None, "order": 2, "description": "是否公开诉求内容",
             "values": [{"key": "false", "name": "不公开"}, {"key": "true", "name": "公开"}]},
        ],
    }


def error(exc: BaseException, fmt: str = "json") -> Response:
    """The standard's error list, with the status and headers (Retry-After, WWW-Authenticate)
    the one mapping decides."""
    response = error_response(exc)
    body = json.loads(response.get_data())["error"]
    field = _FIELD_NAMES.get(body.get("field"), body.get("field"))
    item: dict[str, Any] = {"code": response.status_code, "description": body["message"]}
    if field:
        item["field"] = field
        if body.get("field") and field != body["field"]:
            item["description"] = body["message"].replace(body["field"], field, 1)
    if body.get("rule"):
        item["rule"] = body["rule"]
    reshaped = answer("errors", [item], fmt, response.status_code)
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            reshaped.headers[name] = value
    return reshaped


# GeoReport v2's error list, as ``error`` writes it (JSON; the XML names its elements so).
ERROR_LIST = {
    "type": "array",
    "xml": {"name": "errors", "wrapped": True},
    "items": {
        "type": "object",
        "xml": {"name": "error"},
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"},
                       "field": {"type": "string"}, "rule": {"type": "string"}},
    },
}


class Errors:
    """An Open311 route's ``route(errors=...)``: every refusal, the gate's (401, 403, 400, 413, 429)
    as well as the handler's, as the standard's error list in the path's format."""

    schema = ERROR_LIST

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.media = FORMATS[fmt]

    def __call__(self, exc: BaseException) -> Response:
        return error(exc, self.fmt)


JSON_ERRORS, XML_ERRORS = Errors("json"), Errors("xml")


def _datetime_arg(raw: str, name: str) -> dt.date:
    """A W3C datetime (or date) -> its Asia/Shanghai business date."""
    try:
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"{name}：应为 W3C 日期时间，如 2022-03-01T00:00:00+08:00", field=name,
                         code="wrong_type") from None
    if when.tzinfo is not None:
        when = when.astimezone(clock.TZ)
    return when.date()


def _expected(due: str | None) -> str | None:
    if not due:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(due), dt.time(23, 59, 59), clock.TZ).isoformat()


def _status_notes(row: dict[str, Any]) -> str | None:
    if row["reply"]:
        return row["reply"]
    if row["recommendation"]:
        percent = row.get("rec_percent") or 0
        status = _REC_STATUS.get(row.get("rec_status") or "raised", row.get("rec_status"))
        return f"已形成规划建议（{status}，落实进度 {percent}%）"
    return {"received": "已收到，等待责任规划师受理", "acknowledged": "责任规划师已受理，正在办理"}.get(row["status"])


def _agency(row: dict[str, Any]) -> str | None:
    district = row.get("district_name") or row["district"]
    government = row.get("government_name") or row["government"]
    return f"{district}（{government}）" if government else district


def service_request(row: dict[str, Any]) -> dict[str, Any]:
    """One opinion in GeoReport v2's service request shape; public fields only (R-OPN-4): never
    the address or a photo, the point only of a public opinion and rounded (R-SEC-4)."""
    point = public_point({"lat": row["lat"], "lon": row["lon"]}) if row["public"] and row["lat"] is not None else None
    return {
        "service_request_id": row["ref"],
        "status": "closed" if row["status"] == "closed" else "open",
        "status_notes": _status_notes(row),
        "service_name": CATEGORY_NAMES.get(row["category"], row["category"]),
        "service_code": row["category"],
        "description": row["text"] if row["public"] else None,
        "agency_responsible": _agency(row),
        "service_notice": None,
        "requested_datetime": row["requested_at"],
        "updated_datetime": row["updated_at"],
        "expected_datetime": _expected(row["due_date"]),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": point["lat"] if point else None,
        "long": point["lon"] if point else None,
        "media_url": None,
    }


_SELECT = (
    "SELECT o.id, o.ref, o.district, o.government, o.category, o.public, o.text, o.status, o.date, o.due_date,"
    " o.reply, o.recommendation, o.lat, o.lon, o.requested_at, o.updated_at,"
    " d.name AS district_name, g.name AS government_name, r.status AS rec_status, r.percent AS rec_percent"
    " FROM fb_opinions o LEFT JOIN fb_dir_districts d ON d.code = o.district"
    " LEFT JOIN fb_dir_governments g ON g.code = o.government"
    " LEFT JOIN fb_recommendations r ON r.id = o.recommendation"
)


def find_requests(db: Database, args: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET requests.json with the standard's filters; newest first, at most 1,000."""
    where, params = [], []
    ids = [s.strip().upper() for s in (args.get("service_request_id") or "").split(",") if s.strip()]
    if ids:
        where.append(f"o.ref IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    codes = [s.strip() for s in (args.get("service_code") or "").split(",") if s.strip()]
    if codes:
        where.append(f"o.category IN ({', '.join(['%s'] * len(codes))})")
        params.extend(codes)
    if args.get("start_date"):
        where.append("o.date >= %s")
        params.append(_datetime_arg(args["start_date"], "start_date").isoformat())
    if args.get("end_date"):
        where.append("o.date <= %s")
        params.append(_datetime_arg(args["end_date"], "end_date").isoformat())
    statuses = [s.strip() for s in (args.get("status") or "").split(",") if s.strip()]
    for status in statuses:
        if status not in ("open", "closed"):
            raise BadRequest("status：应为 open 或 closed", field="status", code="invalid_value")
    if statuses and len(set(statuses)) == 1:
        where.append("o.status = 'closed'" if statuses[0] == "closed" else "o.status <> 'closed'")
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY o.date DESC, o.id DESC LIMIT %s"
    return [service_request(row) for row in db.query(sql, (*params, MAX_RESULTS))]


def request_from_opinion(opinion: Any, directory: Any, recommendation: Any | None) -> dict[str, Any]:
    """GET requests/{id}.json reads the opinion itself, so a client that has just
    posted finds its request at once (lists follow the read model)."""
    district = directory.district(opinion.district)
    government = directory.government(opinion.government)
    recorded = opinion.created_on.astimezone(clock.TZ).replace(microsecond=0)
    if recorded.date().isoformat() == opinion.date:
        requested = recorded.isoformat()
    else:
        requested = dt.datetime.combine(dt.date.fromisoformat(opinion.date), dt.time(0), clock.TZ).isoformat()
    point = opinion.point or {}
    row = {
        "ref": opinion.ref, "district": opinion.district, "government": opinion.government,
        "category": opinion.category, "public": opinion.public, "text": opinion.text, "status": opinion.status,
        "due_date": opinion.due_date, "reply": opinion.reply, "recommendation": opinion.recommendation,
        "lat": point.get("lat"), "lon": point.get("lon"), "requested_at": requested,
        "updated_at": presenters.updated_at(opinion),
        "district_name": district.name if district else None,
        "government_name": government["name"] if government else None,
        "rec_status": recommendation.status if recommendation else None,
        "rec_percent": recommendation.percent if recommendation else None,
    }
    return service_request(row)
