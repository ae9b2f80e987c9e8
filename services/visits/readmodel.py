"""Queries over the visits service's read models (see projections.py).

Turns rows into the domain's values (``GroupAssignment``, ``VisitFacts``);
the rules that use them live in the domain.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable

from services.backbone.persistence import Database
from services.programme.assignment import ContractTerms, GroupAssignment, Membership
from services.programme.calendar import as_fraction
from services.programme.duty import VisitFacts
from services.programme.organisation import contract_terms
from services.visits.projections import FACTS_STAMP_TABLE, VisitLedgerProjection

def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class BadCursor(ValueError):
    pass


def encode_cursor(date: str, visit_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([date, visit_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        date, visit_id = json.loads(raw)
        if not isinstance(date, str) or not isinstance(visit_id, str):
            raise ValueError
        return date, visit_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor(cursor) from None


@dataclass(frozen=True)
class VisitFilter:
    group: str | None = None
    district: str | None = None
    first: dt.date | None = None  # visits dated on or after
    last: dt.date | None = None  # visits dated on or before
    status: str | None = None  # unconfirmed | confirmed | disputed | voided
    late: bool | None = None


class ReadModels:
    """The contracts facts and the visit ledger, read from the service's own database."""

    # Groups whose assignment is kept between commands (a bureau may name any code).
    MAX_CACHED_GROUPS = 1024

    def __init__(self, db: Database):
        self.db = db
        self._ledger = VisitLedgerProjection(db)
        # group -> (the facts' stamp it was read under, its assignment). The
        # contracts facts change only with contracts' events, which give them a
        # new stamp (projections.facts_changed): one short read per command
        # instead of four.
        self._assignments: dict[str, tuple[str, GroupAssignment | None]] = {}
        self._stamp: str | None = None

    # -- contracts' facts --------------------------------------------------------

    def facts_stamp(self) -> str | None:
        """The contracts facts' current stamp (None: not kept, read afresh every time)."""
        rows = self.db.query(f"SELECT stamp FROM {FACTS_STAMP_TABLE} WHERE id = 1")
        return rows[0]["stamp"] if rows else None

    def assignment(self, group: str) -> GroupAssignment | None:
        # The stamp is read before the rows: a change in between leaves an entry
        # under the older stamp, which the next read replaces.
        stamp = self.facts_stamp()
        if stamp is not None:
            cached = self._assignments.get(group)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        assignment = self._read_assignment(group)
        if stamp is not None:
            if stamp != self._stamp or len(self._assignments) >= self.MAX_CACHED_GROUPS:
                self._assignments, self._stamp = {}, stamp  # what was kept is stale (or too much)
            self._assignments[group] = (stamp, assignment)
        return assignment

    def _read_assignment(self, group: str) -> GroupAssignment | None:
        # One transaction: a consistent picture of the group, in one pool checkout.
        with self.db.transaction() as cur:
            rows = cur.execute("SELECT code, district, contract FROM vis_groups WHERE code = %s", (group,)).fetchall()
            if not rows:
                return None
            row = rows[0]
            periods = cur.execute(
                "SELECT from_date, to_date FROM vis_group_periods WHERE grp = %s ORDER BY from_date", (group,)
            ).fetchall()
            members = cur.execute(
                "SELECT planner, from_date, to_date FROM vis_members WHERE grp = %s ORDER BY from_date, planner",
                (group,),
            ).fetchall()
            contract = self._contract(cur.execute("SELECT * FROM vis_contracts WHERE id = %s", (row["contract"],)).fetchall())
        return GroupAssignment(
            code=row["code"],
            district=row["district"],
            contract=contract,
            periods=tuple((_date(p["from_date"]), _date(p["to_date"])) for p in periods),  # type: ignore[misc]
            members=tuple(
                Membership(m["planner"], _date(m["from_date"]), _date(m["to_date"])) for m in members  # type: ignore[arg-type]
            ),
        )

    def contract(self, contract_id: str) -> ContractTerms | None:
        return self._contract(self.db.query("SELECT * FROM vis_contracts WHERE id = %s", (contract_id,)))

    @staticmethod
    def _contract(rows: list[dict[str, Any]]) -> ContractTerms | None:
        return contract_terms(rows[0]) if rows else None

    # -- the visit ledger -----------------------------------------------------------

    def catch_up(self, read: Callable[[int, int], list[dict[str, Any]]]) -> int:
        """Apply the visits this service stored but the ledger has not seen yet.

        The relay feeds the ledger too; tracking records make the two apply
        each event once. Reads that decide money call this first, so they
        never miss the caller's own last write.
        """
        return self._ledger.catch_up("visits", read)

    def visit_facts(self, group: str, first: dt.date, last: dt.date) -> list[VisitFacts]:
        """Every visit of the group (voided ones too) that serves a date in ``first .. last``."""
        rows = self.db.query(
            "SELECT id, date, days, leader_met, leader_met_confirmed, voided, confirmation, late, revision"
            " FROM vis_visits WHERE grp = %s AND date <= %s AND last_date >= %s ORDER BY date, id",
            (group, last.isoformat(), first.isoformat()),
        )
        return [
            VisitFacts(
                id=r["id"],
                date=dt.date.fromisoformat(r["date"]),
                days=as_fraction(r["days"]),
                leader_met=bool(r["leader_met"]),
                voided=bool(r["voided"]),
                confirmation=r["confirmation"],
                leader_met_confirmed=None if r["leader_met_confirmed"] is None else bool(r["leader_met_confirmed"]),
                late=bool(r["late"]),
                revision=int(r["revision"]),
            )
            for r in rows
        ]

    def list_visits(self, where: VisitFilter, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Visits in date order (then id), ``limit`` at a time after ``cursor``."""
        clauses, params = [], []
        for column, value in (("grp", where.group), ("district", where.district), ("status", where.status)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        if where.first is not None:
            clauses.append("date >= %s")
            params.append(where.first.isoformat())
        if where.last is not None:
            clauses.append("date <= %s")
            params.append(where.last.isoformat())
        if where.late is not None:
            clauses.append("late = %s")
            params.append(1 if where.late else 0)
        if cursor:
            after_date, after_id = decode_cursor(cursor)
            clauses.append("(date > %s OR (date = %s AND id > %s))")
            params.extend([after_date, after_date, after_id])
        sql = "SELECT id, date, doc FROM vis_visits"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY date, id LIMIT %s"
        rows = self.db.query(sql, (*params, limit + 1))
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1]["date"], page[-1]["id"]) if len(rows) > limit else None
        return [json.loads(r["doc"]) for r in page], next_cursor
