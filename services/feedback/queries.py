"""Lists over the feedback read models: filters and cursor paging (API.md "Lists").

Every list filters on ``district``, ``group``, ``government``, ``status``,
``from``/``to`` (business date, inclusive) and ``overdue=true`` (as of today,
Asia/Shanghai; due dates are inclusive); opinions also on ``triage=true``, the
bureau's triage list (R-OPN-1: address-only, no district yet), and pages newest first with
``limit`` and an opaque ``cursor`` (the answer's ``next_cursor``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from services.backbone.http import DATE_QUERY, TEXT_QUERY, BadRequest, page_query
from services.backbone.persistence import Database
from services.feedback.domain.checks import iso_day
from services.programme.overdue import consultation_overdue_days, opinion_overdue_days, recommendation_overdue_days

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class ListQuery:
    """Parsed query parameters of a list call."""

    limit: int = DEFAULT_LIMIT
    cursor: tuple[str, str] | None = None
    filters: dict[str, Any] = field(default_factory=dict)


def encode_cursor(date: str, row_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([date, row_id]).encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[str, str]:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        date, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(date, str) or not isinstance(row_id, str):
            raise ValueError
        return date, row_id
    except (ValueError, TypeError, json.JSONDecodeError):
        raise BadRequest("cursor：不是本接口给出的游标", field="cursor", code="invalid_value") from None


def _date(raw: str, name: str) -> str:
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadRequest(f"{name}：日期格式错误，应为 YYYY-MM-DD", field=name, code="wrong_type") from None


def _bool(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise BadRequest(f"{name}：应为 true 或 false", field=name, code="wrong_type")


_BOOLEANS = ("overdue", "relayed", "public", "triage")
TRIAGE_DESCRIPTION = ("true：只列尚无镇街的意见（仅有地址，待市局分派镇街，R-OPN-1）；"
                      "false：只列已有镇街的。仅市局可用 true")


def parse_list_args(args: Mapping[str, str], allowed: tuple[str, ...]) -> ListQuery:
    """``allowed`` names the filters this list has beyond paging; others are 400."""
    query = ListQuery()
    for name in args:
        if name not in (*allowed, "limit", "cursor"):
            raise BadRequest(f"{name}：不认识的查询参数", field=name, code="unknown_field")
    if "limit" in args:
        try:
            query.limit = int(args["limit"])
        except ValueError:
            raise BadRequest("limit：应为整数", field="limit", code="wrong_type") from None
        if not 1 <= query.limit <= MAX_LIMIT:
            raise BadRequest(f"limit：取值应在 1..{MAX_LIMIT}", field="limit", code="invalid_value")
    if args.get("cursor"):
        query.cursor = decode_cursor(args["cursor"])
    for name in allowed:
        raw = args.get(name)
        if raw in (None, ""):
            continue
        if name in ("from", "to"):
            query.filters[name] = _date(raw, name)
        elif name in _BOOLEANS:
            query.filters[name] = _bool(raw, name)
        elif name == "status":
            query.filters[name] = [s.strip() for s in raw.split(",") if s.strip()]
        else:
            query.filters[name] = raw
    return query


def list_query(allowed: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The query parameters ``parse_list_args`` takes for ``allowed``, for ``route(query=...)`` (issue 16)."""
    params = page_query(MAX_LIMIT)
    for name in allowed:
        if name in ("from", "to"):
            params[name] = DATE_QUERY
        elif name == "triage":
            params[name] = {"type": "boolean", "description": TRIAGE_DESCRIPTION}
        elif name in _BOOLEANS:
            params[name] = {"type": "boolean"}
        elif name == "status":
            params[name] = {"type": "string", "description": "一个或逗号分隔的多个状态"}
        else:
            params[name] = TEXT_QUERY
    return params


# Each list: its table, the API's filter names -> columns, and what "overdue" means.
_COLUMNS = {"district": "district", "group": "grp", "government": "government", "category": "category",
            "channel": "channel", "kind": "kind", "letter": "letter", "source": "source"}


def _overdue_sql(table: str) -> str:
    if table == "fb_opinions":
        # R-OPN-2: not acknowledged within 5 days, or not answered/escalated within 30.
        return ("((status = 'received' AND acknowledge_due_date < %s)"
                " OR (status IN ('received', 'acknowledged') AND due_date < %s))")
    if table == "fb_recommendations":
        # R-REC-3: forwarded, not completed or declined by the due date.
        return "(status IN ('forwarded', 'accepted') AND due_date < %s)"
    if table == "fb_consultations":
        return "(status = 'requested' AND due_date < %s)"
    raise BadRequest("overdue：该列表没有期限", field="overdue", code="unknown_field")


def run_list(db: Database, table: str, columns: str, query: ListQuery, today: dt.date) -> tuple[list[dict], str | None]:
    where, params = [], []
    for name, value in query.filters.items():
        if name in _COLUMNS:
            where.append(f"{_COLUMNS[name]} = %s")
            params.append(value)
        elif name == "status":
            where.append(f"status IN ({', '.join(['%s'] * len(value))})")
            params.extend(value)
        elif name == "from":
            where.append("date >= %s")
            params.append(value)
        elif name == "to":
            where.append("date <= %s")
            params.append(value)
        elif name in ("relayed", "public"):
            where.append(f"{name} = %s")
            params.append(1 if value else 0)
        elif name == "triage":
            # R-OPN-1: the bureau's triage list: address-only opinions still waiting for their district
            where.append("district IS NULL" if value else "district IS NOT NULL")
        elif name == "overdue":
            sql = _overdue_sql(table)
            where.append(sql if value else f"NOT {sql}")
            params.extend([today.isoformat()] * sql.count("%s"))
    if query.cursor:
        where.append("(date < %s OR (date = %s AND id < %s))")
        params.extend([query.cursor[0], query.cursor[0], query.cursor[1]])
    sql = f"SELECT {columns} FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY date DESC, id DESC LIMIT %s"
    rows = db.query(sql, (*params, query.limit + 1))
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(rows[-1]["date"], rows[-1]["id"])
    return rows, next_cursor


OPINION_FILTERS = ("district", "group", "government", "status", "from", "to", "overdue", "category", "channel",
                   "relayed", "triage")
RECOMMENDATION_FILTERS = ("district", "group", "government", "status", "from", "to", "overdue", "category",
                          "source", "letter")
LETTER_FILTERS = ("government", "from", "to")
CONSULTATION_FILTERS = ("district", "group", "government", "status", "from", "to", "overdue", "kind")


def _page(
    db: Database,
    args: Mapping[str, str],
    today: dt.date,
    filters: tuple[str, ...],
    table: str,
    columns: str,
    item: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """A list's answer: the page of ``table``'s rows the query asks for, each as ``item`` makes it."""
    rows, next_cursor = run_list(db, table, columns, parse_list_args(args, filters), today)
    return {"items": [item(row) for row in rows], "next_cursor": next_cursor}


def _item_due(row: dict[str, Any], overdue_days: int) -> dict[str, Any]:
    """A row of an item with a due date, and the days it is overdue (its aggregate's rule)."""
    item = {k: row[k] for k in row if k != "grp"}
    item["group"] = row["grp"]
    item["overdue_days"] = overdue_days
    item["overdue"] = overdue_days > 0
    return item


def list_opinions(db: Database, args: Mapping[str, str], today: dt.date) -> dict[str, Any]:
    def item(row: dict[str, Any]) -> dict[str, Any]:
        out = {k: row[k] for k in row if k not in ("id", "grp", "lat", "lon")}
        out["group"] = row["grp"]
        out["public"] = bool(row["public"])
        out["relayed"] = bool(row["relayed"])
        out["point"] = {"lat": row["lat"], "lon": row["lon"]} if row["lat"] is not None else None
        out["overdue"] = opinion_overdue_days(
            row["status"], iso_day(row["acknowledge_due_date"]), iso_day(row["due_date"]), today) > 0
        return out

    return _page(
        db, args, today, OPINION_FILTERS, "fb_opinions",
        "id, ref, district, government, grp, category, channel, public, text, status, date, acknowledge_due_date,"
        " due_date, acknowledged_on, answered_on, closed_on, reply, recommendation, relayed, lat, lon, address,"
        " media_url, contact_phone_masked, updated_at",
        item,
    )


def list_recommendations(db: Database, args: Mapping[str, str], today: dt.date) -> dict[str, Any]:
    return _page(
        db, args, today, RECOMMENDATION_FILTERS, "fb_recommendations",
        "id, grp, district, government, title, category, source, status, date, letter, letter_no, forwarded_on,"
        " due_date, percent, decided_on, completed_on, verified_on, updated_at",
        lambda row: _item_due(row, recommendation_overdue_days(row["status"], iso_day(row["due_date"]), today)),
    )


def list_letters(db: Database, args: Mapping[str, str], today: dt.date) -> dict[str, Any]:
    def item(row: dict[str, Any]) -> dict[str, Any]:
        out = {k: row[k] for k in row if k != "groups_"}
        out["districts"] = json.loads(row["districts"] or "[]")
        out["groups"] = json.loads(row["groups_"] or "[]")
        return out

    return _page(
        db, args, today, LETTER_FILTERS, "fb_letters",
        "id, letter_no, government, date, due_date, items, districts, groups_",
        item,
    )


def list_consultations(db: Database, args: Mapping[str, str], today: dt.date) -> dict[str, Any]:
    return _page(
        db, args, today, CONSULTATION_FILTERS, "fb_consultations",
        "id, grp, district, government, kind, subject, stage, asked_by, status, date, due_date, verdict,"
        " answered_on, closed_on",
        lambda row: _item_due(row, consultation_overdue_days(row["status"], iso_day(row["due_date"]), today)),
    )
