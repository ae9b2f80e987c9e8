"""The tamper-evident chain (R-RPT-5).

Every stored event is linked to the one before it by a SHA-256 over the
previous link and the event's stored content, written by the recorder in the
same transaction as the event (the events table is locked for the insert, so
links are made in notification order). The newest link of each service is
also carried in every published envelope (``chainhash``) and kept by
reporting, outside the event tables, so a deleted tail is caught too.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Iterator, Sequence
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CHAIN_TABLE = "event_chain"
INSERT_FUNCTION = "rps_insert_chained_events"


def link_hash(previous: str, notification_id: int, originator_id: Any, version: int, topic: str, state: bytes) -> str:
    oid = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id).replace("-", "")
    digest = hashlib.sha256()
    digest.update(f"{previous}|{notification_id}|{oid}|{version}|{topic}|".encode())
    digest.update(state.encode() if isinstance(state, str) else bytes(state))
    return digest.hexdigest()


def _links(previous: str, ids: Sequence[int], stored: Sequence[StoredEvent]) -> list[tuple[int, str, str]]:
    rows = []
    for notification_id, event in zip(ids, stored):
        current = link_hash(previous, notification_id, event.originator_id, event.originator_version, event.topic, event.state)
        rows.append((notification_id, previous, current))
        previous = current
    return rows


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "notification_id bigint PRIMARY KEY, prev_hash char(64) NOT NULL, hash char(64) NOT NULL)"
            ).format(schema=schema, chain=Identifier(CHAIN_TABLE))
        )
        self._sql_chain_head = SQL("SELECT hash FROM {schema}.{chain} ORDER BY notification_id DESC LIMIT 1").format(
            schema=schema, chain=Identifier(CHAIN_TABLE)
        )
        self._sql_chain_insert = SQL(
            "INSERT INTO {schema}.{chain} (notification_id, prev_hash, hash) VALUES (%s, %s, %s)"
        ).format(schema=schema, chain=Identifier(CHAIN_TABLE))
        self._sql_rows = SQL(
            "SELECT COALESCE(e.notification_id, c.notification_id) AS notification_id, e.originator_id,"
            " e.originator_version, e.topic, e.state, c.prev_hash, c.hash"
            " FROM {schema}.{events} e FULL OUTER JOIN {schema}.{chain} c"
            " ON c.notification_id = e.notification_id"
            " WHERE COALESCE(e.notification_id, c.notification_id) > %s"
            " ORDER BY 1 LIMIT %s"
        ).format(schema=schema, events=Identifier(self.events_table_name), chain=Identifier(CHAIN_TABLE))
        self._sql_hashes = SQL(
            "SELECT notification_id, hash FROM {schema}.{chain} WHERE notification_id >= %s AND notification_id <= %s"
        ).format(schema=schema, chain=Identifier(CHAIN_TABLE))

        # The whole save as one statement (one round trip, one implicit
        # transaction): lock the events table as eventsourcing does (links and
        # notification ids in commit order), insert the events, then their
        # links, each hashed from the one before by the same formula as
        # link_hash. eventsourcing's own path takes a transaction, six
        # statements and three round trips for the same.
        self._function = Identifier(INSERT_FUNCTION)
        link = (
            "encode(sha256(convert_to({prev} || '|' || o.notification_id::text || '|'"
            " || replace(o.originator_id::text, '-', '') || '|' || o.originator_version::text"
            " || '|' || o.topic || '|', 'UTF8') || o.state), 'hex')"
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event_type}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY "
                "WITH RECURSIVE inserted AS ("
                " INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)"
                " SELECT originator_id, originator_version, topic, state FROM unnest(events)"
                " RETURNING notification_id, originator_id, originator_version, topic, state"
                "), ordered AS ("
                " SELECT row_number() OVER (ORDER BY i.notification_id) AS n, i.* FROM inserted i"
                "), head AS ("
                " SELECT COALESCE((SELECT c.hash::text FROM {schema}.{chain} c"
                " ORDER BY c.notification_id DESC LIMIT 1), repeat('0', 64)) AS hash"
                "), links (n, notification_id, prev_hash, hash) AS ("
                " SELECT o.n, o.notification_id, h.hash, " + link.format(prev="h.hash") +
                " FROM ordered o, head h WHERE o.n = 1"
                " UNION ALL"
                " SELECT o.n, o.notification_id, l.hash, " + link.format(prev="l.hash") +
                " FROM links l JOIN ordered o ON o.n = l.n + 1"
                "), saved AS ("
                " INSERT INTO {schema}.{chain} (notification_id, prev_hash, hash)"
                " SELECT notification_id, prev_hash, hash FROM links RETURNING notification_id"
                ") SELECT s.notification_id FROM saved s ORDER BY s.notification_id; "
                "END; $BODY$"
            ).format(
                schema=schema,
                function=self._function,
                event_type=Identifier(self.stored_event_type_name),
                lock_timeout=SQL(str(int(self.datastore.lock_timeout))),
                events=Identifier(self.events_table_name),
                channel=Identifier(self.channel_name),
                chain=Identifier(CHAIN_TABLE),
            )
        )
        # As bytes, once: a composed statement is rendered again on every execute.
        self._sql_insert_chained = SQL(
            "SELECT notification_id FROM {schema}.{function}(%s) AS saved(notification_id)"
        ).format(schema=schema, function=self._function).as_bytes(None)
        self._has_function = True
        self._sql_has_events = SQL("SELECT 1 AS found FROM {schema}.{events} WHERE originator_id = %s LIMIT 1").format(
            schema=schema, events=Identifier(self.events_table_name)
        ).as_bytes(None)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def has_events(self, originator_id: Any) -> bool:
        """Whether the aggregate has any stored event (without reading them)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_has_events, (originator_id,), prepare=True)
            return curs.fetchone() is not None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events or not self._has_function:
            return super().insert_events(stored_events, **kwargs)
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(self._sql_insert_chained, (events,), prepare=True)
                return [row["notification_id"] for row in curs.fetchall()]
        except ProgrammingError as exc:
            if not isinstance(exc.__cause__, psycopg.errors.UndefinedFunction):
                raise
        # A schema from before the function (`rps migrate` not run since): the long way.
        log.warning("%s.%s missing; run `rps migrate`", self.datastore.schema, INSERT_FUNCTION)
        self._has_function = False
        return super().insert_events(stored_events, **kwargs)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            curs.execute(self._sql_chain_head)
            row = curs.fetchone()
            curs.executemany(self._sql_chain_insert, _links(row["hash"] if row else GENESIS, ids, stored_events))
        return ids

    def chain_rows(self, after: int, limit: int) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_rows, (after, limit))
            return [dict(r) for r in curs.fetchall()]

    def chain_hashes(self, first: int, last: int) -> dict[int, str]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_hashes, (first, last))
            return {r["notification_id"]: r["hash"] for r in curs.fetchall()}


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def has_events(self, originator_id: Any) -> bool:
        """Whether the aggregate has any stored event."""
        return bool(self.select_events(originator_id, limit=1))

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "notification_id INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        ]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if ids:
            c.execute(f"SELECT hash FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
            row = c.fetchone()
            c.executemany(
                f"INSERT INTO {CHAIN_TABLE} (notification_id, prev_hash, hash) VALUES (?, ?, ?)",
                _links(row[0] if row else GENESIS, ids, stored_events),
            )
        return ids

    def chain_rows(self, after: int, limit: int) -> list[dict[str, Any]]:
        # SQLite has no FULL OUTER JOIN before 3.39: union the two one-sided joins.
        sql = (
            f"SELECT e.rowid AS notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
            f" c.prev_hash, c.hash FROM {self.events_table_name} e"
            f" LEFT JOIN {CHAIN_TABLE} c ON c.notification_id = e.rowid WHERE e.rowid > ?"
            f" UNION ALL SELECT c.notification_id, NULL, NULL, NULL, NULL, c.prev_hash, c.hash"
            f" FROM {CHAIN_TABLE} c LEFT JOIN {self.events_table_name} e ON e.rowid = c.notification_id"
            f" WHERE e.rowid IS NULL AND c.notification_id > ? ORDER BY 1 LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, (after, after, limit))
            names = [d[0] for d in c.sqlite_cursor.description]
            return [dict(zip(names, row)) for row in c.fetchall()]

    def chain_hashes(self, first: int, last: int) -> dict[int, str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT notification_id, hash FROM {CHAIN_TABLE} WHERE notification_id >= ? AND notification_id <= ?",
                (first, last),
            )
            return {row[0]: row[1] for row in c.fetchall()}


RECORDER_TOPICS = {
    "postgres": f"{__name__}:ChainedPostgresRecorder",
    "sqlite": f"{__name__}:ChainedSQLiteRecorder",
}


@dataclass
class ChainCheck:
    service: str
    links: int
    head_position: int
    head_hash: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "intact": self.intact,
            "links": self.links,
            "head_position": self.head_position,
            "head_hash": self.head_hash,
            "broken_at": self.broken_at,
            "problem": self.problem,
        }


def _rows(recorder: Any, batch: int = 1000) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        rows = recorder.chain_rows(after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]["notification_id"]


def verify_chain(service: str, recorder: Any) -> ChainCheck:
    """Recompute every link in order; name the first that does not hold."""
    previous, links, head = GENESIS, 0, 0
    for row in _rows(recorder):
        position = row["notification_id"]
        if row["hash"] is None:
            return ChainCheck(service, links, head, previous, position, "event has no chain link (inserted outside the recorder)")
        if row["topic"] is None:
            return ChainCheck(service, links, head, previous, position, "event deleted (its chain link remains)")
        if row["prev_hash"] != previous:
            return ChainCheck(service, links, head, previous, position, "link does not follow the previous one (a link was removed)")
        expected = link_hash(previous, position, row["originator_id"], row["originator_version"], row["topic"], row["state"])
        if expected != row["hash"]:
            return ChainCheck(service, links, head, previous, position, "event content changed after it was stored")
        previous, links, head = row["hash"], links + 1, position
    return ChainCheck(service, links, head, previous)


def check_against_heads(check: ChainCheck, recorded: dict[str, Any] | None, hashes_at: Any) -> ChainCheck:
    """Compare a service's chain with the head reporting recorded from its envelopes."""
    if not check.intact or not recorded:
        return check
    position, expected = int(recorded["position"]), recorded["hash"]
    if check.head_position < position:
        check.broken_at = check.head_position + 1
        check.problem = f"events after position {check.head_position} are missing (reporting saw up to {position})"
    elif hashes_at(position, position).get(position) != expected:
        check.broken_at = position
        check.problem = "the chain differs from the head reporting recorded"
    return check
