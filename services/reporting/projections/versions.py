"""Versions of what each group's monthly figures are computed from (R-RPT-1),
so the monthly report's cache (views/monthly_cache.py) computes again only
the groups whose rows changed.

Every read model the monthly report reads adds one to the version of each
key a run of events changed rows under, in the run's own transaction: a
report that sees a version sees the rows written with it. Keys:

- ``g:<group>``: rows of that group;
- ``d:<district>``: rows with no group in that district (a report gives them
  to the group serving the district on their date, R-ORG-1, or lists them on
  their own when none does); ``d:`` for rows with no district either;
- ``org``: the organisation changed for the groups whose keys moved with it
  (a group formed, a planner replaced, an assignment ended) or not for any
  group's figures (the planners' directory): read it again;
- ``*``: the organisation changed for every group (names, contracts, districts),
  or a read model was dropped for a rebuild: every group.

Versions only go up. The table belongs to no read model's ``table_names``, so
a rebuild never drops it: a version a cache remembered never comes back for
other rows.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from services.backbone.persistence import Cursor, Database
from services.backbone.tracking import Projection

TABLE = "rpt_group_versions"
CREATE_TABLE = f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, version BIGINT NOT NULL)"
EVERYTHING = "*"
ORGANISATION = "org"  # the organisation changed for some groups only: their keys moved too
GROUP_PREFIX, DISTRICT_PREFIX = "g:", "d:"
# Ids per lookup: far below SQLite's and PostgreSQL's limits on parameters.
_CHUNK = 500


def group_key(group: str) -> str:
    return f"{GROUP_PREFIX}{group}"


def district_key(district: str | None) -> str:
    return f"{DISTRICT_PREFIX}{district or ''}"


def row_key(group: str | None, district: str | None) -> str:
    """The key of a row: its group's, else its district's (a row with no group)."""
    return group_key(group) if group is not None else district_key(district)


def bump(cur: Cursor, keys: Iterable[str]) -> None:
    """One more for each key. Sorted: concurrent runs take the rows' locks
    (PostgreSQL) in the same order, so they wait for each other, never deadlock."""
    rows = [(key,) for key in sorted(set(keys))]
    if rows:
        cur.executemany(
            f"INSERT INTO {TABLE} (key, version) VALUES (%s, 1)"
            f" ON CONFLICT (key) DO UPDATE SET version = {TABLE}.version + 1",
            rows,
        )


def read_versions(db: Database) -> dict[str, int]:
    return {r["key"]: int(r["version"]) for r in db.query(f"SELECT key, version FROM {TABLE}")}


def row_keys(cur: Cursor, table: str, ids: Sequence[str]) -> set[str]:
    """The keys of the rows of ``table`` with these ids (those that exist)."""
    keys: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        for r in cur.execute(f"SELECT DISTINCT grp, district FROM {table} WHERE id IN ({marks})", chunk).fetchall():
            keys.add(row_key(r["grp"], r["district"]))
    return keys


class VersionedProjection(Projection):
    """A read model the monthly report reads: a run bumps the keys it changed
    rows under, with its rows; dropping the read model bumps ``*``."""

    def apply(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> None:
        if self.rebuilding:  # every key moves once, when the rebuild completes (``rebuilt``)
            super().apply(cur, envelopes)
            return
        before = self.keys_before(cur, envelopes)
        super().apply(cur, envelopes)
        bump(cur, before | self.keys_after(cur, envelopes))

    def keys_before(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        return set()

    def keys_after(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        raise NotImplementedError

    def reset(self) -> None:
        # After the drop, not in its transaction (tracking.py's): a report read in
        # between serves the figures from before the drop, which the history still says.
        super().reset()
        with self.db.transaction() as cur:
            bump(cur, [EVERYTHING])

    def rebuilt(self, cur: Cursor) -> None:
        bump(cur, [EVERYTHING])  # with the fingerprint: a report now sees the whole history


class GroupRowsProjection(VersionedProjection):
    """A read model whose rows (``versioned_table``, by ``id``) carry ``grp`` and
    ``district``. Events name the row they change, not always its group
    (``VisitConfirmed`` carries the visit's id only), so the keys are read from
    the rows: before the run too, as a step may move a row to another group
    (an opinion acknowledged by the group serving its district)."""

    versioned_table: str = ""

    def changed_row(self, envelope: dict[str, Any]) -> str | None:
        """The id of the row an event changes (None: none the monthly report reads)."""
        return envelope.get("subject")

    def _changed_rows(self, envelopes: Sequence[dict[str, Any]]) -> list[str]:
        return sorted({key for e in envelopes if (key := self.changed_row(e)) is not None})

    def keys_before(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        return row_keys(cur, self.versioned_table, self._changed_rows(envelopes))

    def keys_after(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        return row_keys(cur, self.versioned_table, self._changed_rows(envelopes))
