"""Paged, filtered lists read from the directory projection (API.md "Lists").

Every list is ordered by code; ``cursor`` is opaque (the last code of the
previous page) and ``next_cursor`` is null on the last page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable

from services.backbone.persistence import Database
from services.programme.organisation import contacts_of

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class BadCursor(ValueError):
    pass


def encode_cursor(code: str, rank: int | None = None) -> str:
    """``rank``: the last item's rank in a list ranked before its codes (R-ORG-5's preference)."""
    body: dict[str, Any] = {"after": code} if rank is None else {"after": code, "rank": rank}
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def decode_rank(cursor: str) -> int | None:
    """The rank a cursor of a ranked list carries (None: a plain cursor); call after ``decode_cursor``."""
    rank = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))).get("rank")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int)):
        raise BadCursor(cursor)
    return rank


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (ValueError, KeyError, TypeError):
        raise BadCursor(cursor) from None
    if not isinstance(after, str):
        raise BadCursor(cursor)
    return after


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_LIMIT
    after: str | None = None
    rank: int | None = None  # ranked lists: the rank of the item ``after`` names


def _page(
    db: Database,
    table: str,
    where: list[str],
    params: list[Any],
    page: Page,
    row_to_item: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    ranked_by: str | None = None,
    key: str = "code",
) -> dict[str, Any]:
    """A page in ``key`` order (the code; a contract's or planner's is its id); ``ranked_by``: an
    integer column ranked first (highest first), then the key."""
    clauses = list(where)
    args = list(params)
    if page.after is not None and ranked_by:
        rank = 0 if page.rank is None else page.rank
        clauses.append(f"({ranked_by} < %s OR ({ranked_by} = %s AND {key} > %s))")
        args.extend([rank, rank, page.after])
    elif page.after is not None:
        clauses.append(f"{key} > %s")
        args.append(page.after)
    sql = f"SELECT * FROM {table}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {ranked_by + ' DESC, ' if ranked_by else ''}{key} LIMIT %s"
    args.append(page.limit + 1)
    rows = db.query(sql, args)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    last = rows[-1] if rows else None
    return {
        "items": [row_to_item(r) for r in rows],
        "next_cursor": (encode_cursor(last[key], int(last[ranked_by]) if ranked_by else None)
                        if more and last is not None else None),
    }


def _government(row: dict[str, Any]) -> dict[str, Any]:
    return {**{k: row[k] for k in ("code", "name", "kind")}, **contacts_of(row)}


def _district(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in ("code", "name", "government")},
        **contacts_of(row),
        "types": json.loads(row["types"]),
        "has_boundary": bool(row["has_boundary"]),
    }


def _contract(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        **{
            k: row[k]
            for k in (
                "team",
                "institution",
                "start_date",
                "end_date",
                "term",
                "term_years",
                "annual_fee_fen",
                "deduction_rule",
                "service_year_basis",
                "ended_on",
            )
        },
        "status": "ended" if row["ended_on"] else "active",
        "team_passed": None if row["team_passed"] is None else bool(row["team_passed"]),
        "signed_on": row["signed_on"],  # R-CON-1 (amended)
        "terms": json.loads(row["terms"]) if row["terms"] else None,
        "team_code": row["team_code"],  # R-TEAM-1
        "targets": json.loads(row["targets"]) if row["targets"] else None,  # R-TEAM-2
    }


def _planner(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        **{k: row[k] for k in ("name", "origin", "experience_years", "institution", "appointed_on", "dismissed_on")},
        "qualifications": json.loads(row["qualifications"]),
        "community_renewal": bool(row["community_renewal"]),
        "preferred": bool(row["community_renewal"]),  # R-ORG-5: community-renewal experience is preferred
        "institution_code": row["institution_code"],  # R-TEAM-1
        "serves_locally": None if row["serves_locally"] is None else bool(row["serves_locally"]),  # R-TEAM-2
        "status": "dismissed" if row["dismissed_on"] else "active",
        "group": row["grp"],
    }


def _qualified(row: dict[str, Any], *columns: str) -> dict[str, Any]:
    """A team's or institution's row with its (latest) qualification (R-TEAM-1)."""
    return {
        **{k: row[k] for k in ("code", "name", "city", *columns)},
        "qualification": {k: row[k] for k in ("grade", "certificate_no", "issuer", "valid_from", "valid_until")},
    }


def _group(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in ("code", "district", "government", "contract", "from_date")},
        "end_date": row["ended_on"],
        "tier1": row["tier1"],
        "local": row["local"],
        "planners": [row["tier1"], row["local"]],
        "status": "ended" if row["ended_on"] else "active",
    }


def list_governments(db: Database, page: Page, *, kind: str | None = None) -> dict[str, Any]:
    where, params = [], []
    if kind:
        where.append("kind = %s")
        params.append(kind)
    return _page(db, "ctr_governments", where, params, page, _government)


def list_districts(db: Database, page: Page, *, government: str | None = None, type: str | None = None) -> dict[str, Any]:  # noqa: A002
    where, params = [], []
    if government:
        where.append("government = %s")
        params.append(government)
    if type:
        where.append("types LIKE %s")
        params.append(f'%"{type}"%')
    return _page(db, "ctr_districts", where, params, page, _district)


def district_names(db: Database) -> dict[str, Any]:
    """Every district's code and name, nothing else: what a resident picks from (issue 16)."""
    return {"items": db.query("SELECT code, name FROM ctr_districts ORDER BY code")}


def list_contracts(db: Database, page: Page, *, status: str | None = None) -> dict[str, Any]:
    where: list[str] = []
    if status == "active":
        where.append("ended_on IS NULL")
    elif status == "ended":
        where.append("ended_on IS NOT NULL")
    return _page(db, "ctr_contracts", where, [], page, _contract, key="id")


def list_planners(
    db: Database,
    page: Page,
    *,
    origin: str | None = None,
    status: str | None = None,
    group: str | None = None,
    qualification: str | None = None,
    available: bool | None = None,
    institution: str | None = None,
) -> dict[str, Any]:
    """R-ORG-5, R-TEAM-2: planners with community-renewal experience first (preferred), then by code;
    ``available``: the candidates the bureau appoints or swaps in (active, in no group)."""
    where, params = [], []
    if available:
        where.append("dismissed_on IS NULL AND grp IS NULL")
    if origin:
        where.append("origin = %s")
        params.append(origin)
    if status == "active":
        where.append("dismissed_on IS NULL")
    elif status == "dismissed":
        where.append("dismissed_on IS NOT NULL")
    if group:
        where.append("grp = %s")
        params.append(group)
    if institution:
        where.append("institution_code = %s")  # R-TEAM-1: the planners a local institution supplies
        params.append(institution)
    if qualification:
        where.append("qualifications LIKE %s")
        params.append(f'%"{qualification}"%')
    return _page(db, "ctr_planners", where, params, page, _planner, ranked_by="community_renewal", key="id")


def _valid_on(where: list[str], params: list[Any], valid_on: dt.date | None) -> None:
    """``valid_on``: those whose (latest) qualification is valid that day (R-TEAM-1)."""
    if valid_on is not None:
        where.append("(valid_from IS NULL OR valid_from <= %s) AND valid_until >= %s")
        params.extend([valid_on.isoformat(), valid_on.isoformat()])


def list_teams(db: Database, page: Page, *, valid_on: dt.date | None = None) -> dict[str, Any]:
    where: list[str] = []
    params: list[Any] = []
    _valid_on(where, params, valid_on)
    return _page(db, "ctr_teams", where, params, page, lambda r: _qualified(r, "city_tier"))


def list_institutions(db: Database, page: Page, *, valid_on: dt.date | None = None) -> dict[str, Any]:
    where: list[str] = []
    params: list[Any] = []
    _valid_on(where, params, valid_on)
    return _page(db, "ctr_institutions", where, params, page, _qualified)


def list_groups(
    db: Database,
    page: Page,
    *,
    district: str | None = None,
    contract: str | None = None,
    government: str | None = None,
    planner: str | None = None,
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, Any]:
    """``from``/``to``: groups whose assignment overlaps that window (both inclusive)."""
    where, params = [], []
    for column, value in (("district", district), ("contract", contract), ("government", government)):
        if value:
            where.append(f"{column} = %s")
            params.append(value)
    if planner:
        where.append("(tier1 = %s OR local = %s)")
        params.extend([planner, planner])
    if status == "active":
        where.append("ended_on IS NULL")
    elif status == "ended":
        where.append("ended_on IS NOT NULL")
    if date_to is not None:
        where.append("from_date <= %s")
        params.append(date_to.isoformat())
    if date_from is not None:
        where.append("(ended_on IS NULL OR ended_on >= %s)")
        params.append(date_from.isoformat())
    return _page(db, "ctr_groups", where, params, page, _group)
