"""The tamper-evident chain (R-RPT-5).

Every stored event is linked to the one before it by an HMAC-SHA256 (with
the chain key, which neither the database nor RPS_DATA_DIR holds) over the
previous link and the event's stored content, written by the recorder in the
same transaction as the event (the events table is locked for the insert, so
links are made in notification order). Each link names its key's id, so keys
rotate: verification picks the key by that id. Links made before keying
(``key_id`` NULL) are plain SHA-256; ``rps migrate`` keys them again and
writes a signed checkpoint over them (``rechain``). The newest link of each
service is also carried, signed, in every published envelope (``chainhash``,
``chainkey``, ``chainsig``) and kept by reporting, outside the event tables,
so a deleted tail or a rewritten head is caught too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Mapping, Sequence
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier

from services.backbone.retrying import reconnecting

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CHAIN_TABLE = "event_chain"
INSERT_FUNCTION = "rps_insert_keyed_events"
# The release before keying computed unkeyed links inside this function; `rps migrate` drops it.
UNKEYED_INSERT_FUNCTION = "rps_insert_chained_events"
# Development and tests only (Settings refuses it in production).
DEV_CHAIN_KEY_ID = "dev"
DEV_CHAIN_KEY = b"rps-development-chain-key--not-for-production"


def _message(previous: str, notification_id: int, originator_id: Any, version: int, topic: str, state: Any) -> list[bytes]:
    oid = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id).replace("-", "")
    return [f"{previous}|{notification_id}|{oid}|{version}|{topic}|".encode(),
            state.encode() if isinstance(state, str) else bytes(state)]


def link_hash(previous: str, notification_id: int, originator_id: Any, version: int, topic: str, state: Any,
              key: bytes | None = None) -> str:
    """A link: HMAC-SHA256 with ``key``; plain SHA-256 for links made before keying (``key`` None)."""
    digest = hmac.new(key, digestmod=hashlib.sha256) if key is not None else hashlib.sha256()
    for part in _message(previous, notification_id, originator_id, version, topic, state):
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Keyring:
    """The chain keys by id (RPS_CHAIN_KEYS); new links and signatures use ``active``."""

    keys: Mapping[str, bytes] = field(repr=False)
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"the active chain key id {self.active!r} is not among the keys")

    @classmethod
    def development(cls) -> "Keyring":
        return cls({DEV_CHAIN_KEY_ID: DEV_CHAIN_KEY}, DEV_CHAIN_KEY_ID)

    def link(self, previous: str, notification_id: int, originator_id: Any, version: int, topic: str, state: Any,
             key_id: str | None = None) -> str:
        return link_hash(previous, notification_id, originator_id, version, topic, state,
                         self.keys[key_id or self.active])

    def links(self, previous: str, ids: Sequence[int], stored: Sequence[Any]) -> list[tuple[int, str, str, str]]:
        """(notification_id, prev_hash, hash, key_id) of new events, made with the active key."""
        rows = []
        for notification_id, event in zip(ids, stored):
            current = self.link(previous, notification_id, event.originator_id, event.originator_version,
                                event.topic, event.state)
            rows.append((notification_id, previous, current, self.active))
            previous = current
        return rows

    def _signature(self, key_id: str, service: str, position: int, head: str, kind: str) -> str:
        # A prefix no link message starts with (those start with a 64-digit hash).
        message = f"rps-chain-checkpoint|{service}|{int(position)}|{head}|{kind}|{key_id}".encode()
        return hmac.new(self.keys[key_id], message, hashlib.sha256).hexdigest()

    def sign(self, service: str, position: int, head: str, kind: str = "head") -> tuple[str, str]:
        """A signed checkpoint of ``service``'s chain: (key id, signature)."""
        return self.active, self._signature(self.active, service, position, head, kind)

    def signed(self, service: str, position: int, head: str, key_id: str | None, signature: str | None,
               kind: str = "head") -> bool:
        if not key_id or not signature or key_id not in self.keys:
            return False
        return hmac.compare_digest(self._signature(key_id, service, position, head, kind), signature)


DEVELOPMENT_KEYRING = Keyring.development()


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    # The runtime hands each recorder the configured keys (Settings.chain_keyring).
    keyring: Keyring = DEVELOPMENT_KEYRING

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        chain, events = Identifier(CHAIN_TABLE), Identifier(self.events_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "notification_id bigint PRIMARY KEY, prev_hash char(64) NOT NULL, hash char(64) NOT NULL, key_id text)"
            ).format(schema=schema, chain=chain)
        )
        # A chain from before keying: its links have no key id (NULL).
        self.sql_create_statements.append(
            SQL("ALTER TABLE {schema}.{chain} ADD COLUMN IF NOT EXISTS key_id text").format(schema=schema, chain=chain)
        )
        self._sql_chain_head = SQL("SELECT hash FROM {schema}.{chain} ORDER BY notification_id DESC LIMIT 1").format(
            schema=schema, chain=chain
        )
        self._sql_chain_insert = SQL(
            "INSERT INTO {schema}.{chain} (notification_id, prev_hash, hash, key_id) VALUES (%s, %s, %s, %s)"
        ).format(schema=schema, chain=chain).as_bytes(None)
        self._sql_rows = SQL(
            "SELECT COALESCE(e.notification_id, c.notification_id) AS notification_id, e.originator_id,"
            " e.originator_version, e.topic, e.state, c.prev_hash, c.hash, c.key_id"
            " FROM {schema}.{events} e FULL OUTER JOIN {schema}.{chain} c"
            " ON c.notification_id = e.notification_id"
            " WHERE COALESCE(e.notification_id, c.notification_id) > %s"
            " ORDER BY 1 LIMIT %s"
        ).format(schema=schema, events=events, chain=chain)
        self._sql_hashes = SQL(
            "SELECT notification_id, hash FROM {schema}.{chain} WHERE notification_id >= %s AND notification_id <= %s"
        ).format(schema=schema, chain=chain)
        self._sql_lock = SQL("LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE").format(schema=schema, events=events)
        self._sql_rewrite_state = SQL("UPDATE {schema}.{events} SET state = %s WHERE notification_id = %s").format(
            schema=schema, events=events)
        self._sql_rewrite_link = SQL(
            "UPDATE {schema}.{chain} SET prev_hash = %s, hash = %s, key_id = %s WHERE notification_id = %s"
        ).format(schema=schema, chain=chain)

        # The save in one statement, then the links: lock the events table as
        # eventsourcing does (links and notification ids in commit order),
        # insert the events and answer their ids with the chain's head; the
        # links are made here with the chain key (which never reaches the
        # database: no key in SQL text, parameters or server logs) and inserted
        # in the same transaction.
        self._function = Identifier(INSERT_FUNCTION)
        self.sql_create_statements.append(
            SQL("DROP FUNCTION IF EXISTS {schema}.{function}({schema}.{event_type}[])").format(
                schema=schema, function=Identifier(UNKEYED_INSERT_FUNCTION),
                event_type=Identifier(self.stored_event_type_name))
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event_type}[]) "
                "RETURNS TABLE (notification_id bigint, head text) LANGUAGE plpgsql AS $BODY$ "
                "#variable_conflict use_column\n"
                "BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY "
                "WITH inserted AS ("
                " INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state)"
                " SELECT e.originator_id, e.originator_version, e.topic, e.state FROM unnest(events) e"
                " RETURNING {events}.notification_id"
                ") SELECT i.notification_id, COALESCE((SELECT c.hash::text FROM {schema}.{chain} c"
                " ORDER BY c.notification_id DESC LIMIT 1), repeat('0', 64))"
                " FROM inserted i ORDER BY i.notification_id; "
                "END; $BODY$"
            ).format(
                schema=schema,
                function=self._function,
                event_type=Identifier(self.stored_event_type_name),
                lock_timeout=SQL(str(int(self.datastore.lock_timeout))),
                events=events,
                channel=Identifier(self.channel_name),
                chain=chain,
            )
        )
        # As bytes, once: a composed statement is rendered again on every execute.
        self._sql_insert_chained = SQL(
            "SELECT notification_id, head FROM {schema}.{function}(%s) AS saved(notification_id, head)"
        ).format(schema=schema, function=self._function).as_bytes(None)
        self._has_function = True
        self._sql_has_events = SQL("SELECT 1 AS found FROM {schema}.{events} WHERE originator_id = %s LIMIT 1").format(
            schema=schema, events=Identifier(self.events_table_name)
        ).as_bytes(None)

    @reconnecting((InterfaceError, OperationalError))
    def has_events(self, originator_id: Any) -> bool:
        """Whether the aggregate has any stored event (without reading them)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_has_events, (originator_id,), prepare=True)
            return curs.fetchone() is not None

    @reconnecting((InterfaceError, OperationalError))
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        answer = kwargs.pop("idempotency", None)
        if answer is not None:
            return self._insert_with_answer(stored_events, answer)
        if not stored_events or not self._has_function:
            return super().insert_events(stored_events, **kwargs)
        try:
            with self.datastore.transaction(commit=True) as curs:
                return self._insert_linked(curs, stored_events)
        except ProgrammingError as exc:
            if not isinstance(exc.__cause__, psycopg.errors.UndefinedFunction):
                raise
        # A schema from before the function (`rps migrate` not run since): the long way.
        log.warning("%s.%s missing; run `rps migrate`", self.datastore.schema, INSERT_FUNCTION)
        self._has_function = False
        return super().insert_events(stored_events, **kwargs)

    def _pg_events(self, stored_events: Sequence[StoredEvent]) -> list[Any]:
        return [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]

    def _insert_linked(self, curs: Any, stored_events: Sequence[StoredEvent]) -> list[int]:
        """In the caller's transaction: the events (by the function, which locks the table) and their keyed links."""
        curs.execute(self._sql_insert_chained, (self._pg_events(stored_events),), prepare=True)
        rows = curs.fetchall()
        ids = [row["notification_id"] for row in rows]
        if ids:
            curs.executemany(self._sql_chain_insert, self.keyring.links(rows[0]["head"], ids, stored_events))
        return ids

    def _insert_with_answer(self, stored_events: Sequence[StoredEvent], answer: Any) -> list[int]:
        """R-SEC-3: the events, their links and the idempotency key's answer in one transaction."""
        ids: list[int] = []
        with self.datastore.transaction(commit=True) as curs:
            if stored_events and self._has_function:  # (`rps migrate` makes the function)
                ids = self._insert_linked(curs, stored_events)
            elif stored_events:  # a schema from before the function
                self._insert_stored_events(curs, stored_events)  # locks the table, as eventsourcing does
                ids = list(self._fetch_ids_after_insert_events(curs, stored_events))
            answer.record(lambda sql, params: curs.execute(sql, params).rowcount, f"{self.datastore.schema}.", "%s")
        return ids

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            curs.execute(self._sql_chain_head)
            row = curs.fetchone()
            curs.executemany(self._sql_chain_insert, self.keyring.links(row["hash"] if row else GENESIS, ids, stored_events))
        return ids

    def chain_rows(self, after: int, limit: int) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_rows, (after, limit))
            return [dict(r) for r in curs.fetchall()]

    def rechain(self, redact: "Redact | None" = None, checkpoint: "Checkpoint | None" = None) -> "Rechained":
        """``rps migrate``: redact stored events and key the links again, in one transaction
        with the events table locked (writers wait; readers go on); ``checkpoint``'s event
        is stored, linked, in the same transaction."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._sql_lock)

            def read(after: int, limit: int) -> list[dict[str, Any]]:
                curs.execute(self._sql_rows, (after, limit))
                return [dict(r) for r in curs.fetchall()]

            done = _rechain(
                read,
                lambda states: curs.executemany(self._sql_rewrite_state, states),
                lambda links: curs.executemany(self._sql_rewrite_link, links),
                self.keyring, redact,
            )
            return _checkpointed(done, checkpoint, lambda events: self._insert_linked(curs, events))

    def chain_hashes(self, first: int, last: int) -> dict[int, str]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql_hashes, (first, last))
            return {r["notification_id"]: r["hash"] for r in curs.fetchall()}


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    keyring: Keyring = DEVELOPMENT_KEYRING

    def has_events(self, originator_id: Any) -> bool:
        """Whether the aggregate has any stored event."""
        return bool(self.select_events(originator_id, limit=1))

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "notification_id INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, key_id TEXT)",
        ]

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"PRAGMA table_info({CHAIN_TABLE})")
            if "key_id" not in {row[1] for row in c.fetchall()}:  # a chain from before keying
                c.execute(f"ALTER TABLE {CHAIN_TABLE} ADD COLUMN key_id TEXT")

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        answer = kwargs.pop("idempotency", None)
        ids = super()._insert_events(c, stored_events, **kwargs) if stored_events else []
        if ids:
            c.execute(f"SELECT hash FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
            row = c.fetchone()
            c.executemany(
                f"INSERT INTO {CHAIN_TABLE} (notification_id, prev_hash, hash, key_id) VALUES (?, ?, ?, ?)",
                self.keyring.links(row[0] if row else GENESIS, ids, stored_events),
            )
        if answer is not None:  # R-SEC-3: the key's answer in the events' transaction
            def run(sql: str, params: Sequence[Any]) -> int:
                c.execute(sql, params)
                return c.sqlite_cursor.rowcount

            answer.record(run, "", "?")
        return ids

    def _read_rows(self, c: Any, after: int, limit: int) -> list[dict[str, Any]]:
        # SQLite has no FULL OUTER JOIN before 3.39: union the two one-sided joins.
        sql = (
            f"SELECT e.rowid AS notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
            f" c.prev_hash, c.hash, c.key_id FROM {self.events_table_name} e"
            f" LEFT JOIN {CHAIN_TABLE} c ON c.notification_id = e.rowid WHERE e.rowid > ?"
            f" UNION ALL SELECT c.notification_id, NULL, NULL, NULL, NULL, c.prev_hash, c.hash, c.key_id"
            f" FROM {CHAIN_TABLE} c LEFT JOIN {self.events_table_name} e ON e.rowid = c.notification_id"
            f" WHERE e.rowid IS NULL AND c.notification_id > ? ORDER BY 1 LIMIT ?"
        )
        c.execute(sql, (after, after, limit))
        names = [d[0] for d in c.sqlite_cursor.description]
        return [dict(zip(names, row)) for row in c.fetchall()]

    def chain_rows(self, after: int, limit: int) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as c:
            return self._read_rows(c, after, limit)

    def rechain(self, redact: "Redact | None" = None, checkpoint: "Checkpoint | None" = None) -> "Rechained":
        """``rps migrate``: redact stored events and key the links again, in one transaction
        (``checkpoint``'s event stored, linked, in it too)."""
        with self.datastore.transaction(commit=True) as c:
            done = _rechain(
                lambda after, limit: self._read_rows(c, after, limit),
                lambda states: c.executemany(f"UPDATE {self.events_table_name} SET state = ? WHERE rowid = ?", states),
                lambda links: c.executemany(
                    f"UPDATE {CHAIN_TABLE} SET prev_hash = ?, hash = ?, key_id = ? WHERE notification_id = ?", links),
                self.keyring, redact,
            )
            return _checkpointed(done, checkpoint, lambda events: self._insert_events(c, events))

    def chain_hashes(self, first: int, last: int) -> dict[int, str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT notification_id, hash FROM {CHAIN_TABLE} WHERE notification_id >= ? AND notification_id <= ?",
                (first, last),
            )
            return {row[0]: row[1] for row in c.fetchall()}


# A stored event's topic and state -> its state without the fields it must not carry, or None.
Redact = Callable[[str, bytes], "bytes | None"]


@dataclass(frozen=True)
class Rechained:
    redacted: int  # events whose stored state was rewritten
    relinked: int  # links made again with the active key
    head_position: int
    head_hash: str
    checkpoint_position: int | None = None  # where the checkpoint's event was stored (none: nothing keyed again)


# The keyed head -> the stored events of its signed checkpoint (R-RPT-5 amended: published, not written aside).
Checkpoint = Callable[[Rechained], Sequence[StoredEvent]]


def _checkpointed(done: Rechained, checkpoint: Checkpoint | None,
                  insert: Callable[[Sequence[StoredEvent]], Sequence[int] | None]) -> Rechained:
    """In the rechain's transaction: where links were made again, store the checkpoint's event
    (linked like any other, relayed from the notification log)."""
    if checkpoint is None or not done.relinked:
        return done
    ids = insert(checkpoint(done)) or []
    return replace(done, checkpoint_position=ids[-1] if ids else None)


def _rechain(read: Callable[[int, int], list[dict[str, Any]]], write_states: Callable[[list[tuple[Any, ...]]], Any],
             write_links: Callable[[list[tuple[Any, ...]]], Any], keyring: Keyring, redact: Redact | None,
             batch: int = 1000) -> Rechained:
    """Walk the chain in order: redact what ``redact`` rewrites, then key every link from the
    first unkeyed or rewritten one on (each later link follows the one before it). Writes a
    batch at a time: (state, position) and (prev_hash, hash, key_id, position) rows."""
    previous, position, redacted, relinked, relinking = GENESIS, 0, 0, 0, False
    while True:
        rows = read(position, batch)
        states: list[tuple[Any, ...]] = []
        links: list[tuple[Any, ...]] = []
        for row in rows:
            position = row["notification_id"]
            if row["topic"] is None or row["hash"] is None:
                raise ValueError(f"the chain is broken at position {position}; verify it before migrating")
            state = bytes(row["state"])
            rewritten = redact(row["topic"], state) if redact else None
            if rewritten is not None and rewritten != state:
                states.append((rewritten, position))
                state, redacted, relinking = rewritten, redacted + 1, True
            if relinking or row["key_id"] is None:
                relinking = True
                current = keyring.link(previous, position, row["originator_id"], row["originator_version"],
                                       row["topic"], state)
                links.append((previous, current, keyring.active, position))
                relinked += 1
            else:
                current = row["hash"]
            previous = current
        if states:
            write_states(states)
        if links:
            write_links(links)
        if len(rows) < batch:
            return Rechained(redacted, relinked, position, previous)


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
    unkeyed: int = 0  # links made before keying (plain SHA-256), at the start of the chain
    first_position: int | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def broken(self, position: int, problem: str) -> "ChainCheck":
        self.broken_at, self.problem = position, problem
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "intact": self.intact,
            "links": self.links,
            "head_position": self.head_position,
            "head_hash": self.head_hash,
            "broken_at": self.broken_at,
            "problem": self.problem,
            "unkeyed": self.unkeyed,
            "first_position": self.first_position,
        }


def _rows(recorder: Any, batch: int = 1000) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        rows = recorder.chain_rows(after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]["notification_id"]


CHANGED = "event content changed after it was stored"


def verify_chain(service: str, recorder: Any, keyring: Keyring | None = None) -> ChainCheck:
    """Recompute every link in order, each with the key its id names; name the first that does not hold."""
    keyring = keyring or getattr(recorder, "keyring", DEVELOPMENT_KEYRING)
    check = ChainCheck(service, 0, 0, GENESIS)
    for row in _rows(recorder):
        position, key_id = row["notification_id"], row.get("key_id")
        if check.first_position is None:
            check.first_position = position
        if row["hash"] is None:
            return check.broken(position, "event has no chain link (inserted outside the recorder)")
        if row["topic"] is None:
            return check.broken(position, "event deleted (its chain link remains)")
        if row["prev_hash"] != check.head_hash:
            return check.broken(position, "link does not follow the previous one (a link was removed)")
        content = (check.head_hash, position, row["originator_id"], row["originator_version"], row["topic"], row["state"])
        if key_id is None:
            if check.links > check.unkeyed:
                return check.broken(position, "link made without the chain key after keyed links"
                                              " (rewritten by someone who does not hold the key)")
            if link_hash(*content) != row["hash"]:
                return check.broken(position, CHANGED)
            check.unkeyed += 1
        elif key_id not in keyring.keys:
            return check.broken(position, f"link made with a chain key this process does not hold ({key_id!r}):"
                                          " forged, or the key is missing from RPS_CHAIN_KEYS")
        elif not hmac.compare_digest(keyring.link(*content, key_id=key_id), row["hash"]):
            return check.broken(position, f"{CHANGED}, or its link was forged: the link's MAC does not match")
        check.head_hash, check.links, check.head_position = row["hash"], check.links + 1, position
    return check


def check_against_checkpoints(check: ChainCheck, checkpoints: Sequence[dict[str, Any]], keyring: Keyring,
                              hash_at: Callable[[int], str | None]) -> ChainCheck:
    """Compare a service's chain with the signed checkpoints reporting keeps outside its database
    (``head``: as published in the envelopes; ``migrate``: written by ``rps migrate``).

    Catches what a database writer without the key can still do to a chain whose
    links verify: delete its tail, rewrite the head, or go back to unkeyed links.
    """
    if not check.intact:
        return check
    migrated = max((c for c in checkpoints if c["kind"] == "migrate"), key=lambda c: int(c["position"]), default=None)
    if migrated is not None and check.unkeyed:
        return check.broken(check.first_position or 1, "link made without the chain key although `rps migrate`"
                                                        f" keyed the chain (checkpoint at {migrated['position']})")
    for checkpoint in sorted(checkpoints, key=lambda c: int(c["position"])):
        position, kind = int(checkpoint["position"]), checkpoint["kind"]
        if kind == "head" and migrated is not None and position <= int(migrated["position"]):
            continue  # published before `rps migrate` keyed those links again: its checkpoint holds
        if checkpoint.get("signature") is not None and not keyring.signed(
            check.service, position, checkpoint["hash"], checkpoint.get("key_id"), checkpoint["signature"], kind
        ):
            return check.broken(position, f"the {kind} checkpoint at position {position} kept by reporting"
                                          " is not signed with a chain key (rewritten)")
        if check.head_position < position:
            return check.broken(check.head_position + 1, f"events after position {check.head_position} are missing"
                                                          f" (reporting saw up to {position}, signed {kind} checkpoint)")
        if hash_at(position) != checkpoint["hash"]:
            return check.broken(position, f"the chain differs from the signed {kind} checkpoint at position {position}"
                                          " (the head was rewritten)")
    return check
