"""Where each service keeps its events and its own tables.

Each service has an event store (eventsourcing: events and the notification
log in one table, written atomically) and a small SQL database of its own for
relay positions, tracking records and read models. PostgreSQL in the cluster
(one schema per service), SQLite files under RPS_DATA_DIR when embedded.

``Database`` is a thin adapter so the same SQL (``%s`` placeholders, portable
statements) runs on both.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ContextManager, Iterator, Sequence

from services.backbone.settings import Settings


def event_store_env(service: str, settings: Settings, *, create_table: bool) -> dict[str, str]:
    """The eventsourcing environment for a service's Application."""
    from services.backbone.chain import RECORDER_TOPICS

    env = {"CREATE_TABLE": "yes" if create_table else "no"}
    env["APPLICATION_RECORDER_TOPIC"] = RECORDER_TOPICS["sqlite" if settings.embedded else "postgres"]
    if settings.embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(settings.data_dir / f"{service}-events.sqlite"),
            SQLITE_LOCK_TIMEOUT="10",
        )
    else:
        env.update(settings.postgres_params())
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_SCHEMA=service,
            POSTGRES_POOL_SIZE="4",
            POSTGRES_MAX_OVERFLOW="8",
            # Seconds to wait for a connection from the pool (deadlines.bound_event_store
            # adds libpq's connect timeout and the statement timeout).
            POSTGRES_CONNECT_TIMEOUT=str(max(1, math.ceil(settings.db_connect_timeout_seconds))),
            # A connection is checked on checkout: one broken by a server restart is
            # replaced instead of failing a request (issue 15 item 9).
            POSTGRES_PRE_PING="yes",
        )
    return env


class Cursor:
    """DB-API cursor with ``%s`` placeholders and rows as dicts on both engines."""

    def __init__(self, raw: Any, *, qmark: bool):
        self._raw = raw
        self._qmark = qmark

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "Cursor":
        if self._qmark:
            sql = sql.replace("%s", "?")
        self._raw.execute(sql, tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._qmark:
            sql = sql.replace("%s", "?")
        self._raw.executemany(sql, [tuple(r) for r in rows])

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount

    def fetchall(self) -> list[dict[str, Any]]:
        rows = self._raw.fetchall()
        if self._qmark:
            names = [d[0] for d in self._raw.description or ()]
            return [dict(zip(names, row)) for row in rows]
        return list(rows)

    def fetchone(self) -> dict[str, Any] | None:
        rows = self.fetchall()
        return rows[0] if rows else None


# The transaction each database's work joins in this context (Database.joined), by database.
_joined: ContextVar[dict[int, Cursor]] = ContextVar("rps_joined_transactions", default={})


@contextmanager
def _savepoint(cur: Cursor) -> Iterator[Cursor]:
    """A nested transaction: what fails inside is undone, the joined transaction goes on."""
    cur.execute("SAVEPOINT rps_nested")
    try:
        yield cur
    except BaseException:
        cur.execute("ROLLBACK TO SAVEPOINT rps_nested")
        cur.execute("RELEASE SAVEPOINT rps_nested")
        raise
    cur.execute("RELEASE SAVEPOINT rps_nested")


class Database:
    """A service's own SQL tables (not the event store)."""

    engine = "abstract"

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A transaction of its own, or a savepoint of the one this context joined (``joined``)."""
        joined = self._joined_cursor()
        if joined is not None:
            with _savepoint(joined):
                yield joined
            return
        with self._own_transaction() as cur:
            yield cur

    def _own_transaction(self) -> ContextManager[Cursor]:
        """BEGIN .. COMMIT (ROLLBACK on an exception) on a connection of this database."""
        raise NotImplementedError

    @contextmanager
    def joined(self) -> Iterator[Cursor]:
        """One transaction for everything this context does on this database: a ``transaction()``
        or ``query()`` inside it runs in it (a transaction as a savepoint). R-SEC-3: a keyed request
        without events stores its writes and its key's answer together (idempotency.py)."""
        with self.transaction() as cur:
            token = _joined.set({**_joined.get(), id(self): cur})
            try:
                yield cur
            finally:
                _joined.reset(token)

    def _joined_cursor(self) -> Cursor | None:
        return _joined.get().get(id(self))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.transaction() as cur:
            return cur.execute(sql, params).fetchall()

    def ping(self) -> None:
        self.query("SELECT 1 AS one")

    def close(self) -> None:
        pass


class PurgeSchedule:
    """When a table's expired rows are due to be deleted: at most once per ``every_seconds``
    per database, however many requests come (idempotency keys, rate-limit counters)."""

    def __init__(self, every_seconds: float) -> None:
        self.every_seconds = every_seconds
        self._lock = threading.Lock()
        self._last: dict[int, float] = {}

    def due(self, db: Database, at: float) -> bool:
        """True (and ``at`` noted as the last purge) when ``db``'s last purge is that long ago."""
        with self._lock:
            if at - self._last.get(id(db), 0.0) < self.every_seconds:
                return False
            self._last[id(db)] = at
            return True


class SQLiteDatabase(Database):
    engine = "sqlite"

    def __init__(self, path: Path | str):
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of page cache (default 2 MiB): read models keyed by random ids
        # touch pages all over their indexes; bounded, so memory stays flat.
        self._conn.execute("PRAGMA cache_size=-65536")
        self._lock = threading.RLock()

    @contextmanager
    def _own_transaction(self) -> Iterator[Cursor]:
        with self._lock:
            raw = self._conn.cursor()
            raw.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(raw, qmark=True)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            else:
                raw.execute("COMMIT")
            finally:
                raw.close()

    def close(self) -> None:
        self._conn.close()


class PostgresDatabase(Database):
    engine = "postgres"

    def __init__(self, settings: Settings, schema: str, *, max_size: int = 8):
        from psycopg.rows import dict_row

        from services.backbone import deadlines

        connection = settings.postgres_connection()
        self.schema = schema
        limits = deadlines.connect_kwargs(settings)
        self._pool = deadlines.BoundedPool(
            conninfo="",
            kwargs={
                **connection,
                "options": f"-c search_path={schema} {limits['options']}",
                "row_factory": dict_row,
                "connect_timeout": limits["connect_timeout"],
                # transaction() opens its own; a lone query() needs no BEGIN and COMMIT round trips.
                "autocommit": True,
            },
            connection_class=deadlines.connection_class(deadlines.client_deadline(settings)),
            min_size=1,
            max_size=max_size,
            open=True,
            timeout=settings.db_connect_timeout_seconds,
            # Checked on checkout (deadlines.BoundedPool): a connection broken by a server
            # restart is replaced, not handed to a request (issue 15 item 9).
            max_idle=60,
        )

    @contextmanager
    def _own_transaction(self) -> Iterator[Cursor]:
        with self._pool.connection() as conn:
            with conn.transaction():
                with conn.cursor() as raw:
                    yield Cursor(raw, qmark=False)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        joined = self._joined_cursor()
        if joined is not None:  # sees what the joined transaction wrote
            return joined.execute(sql, params).fetchall()
        # One statement is atomic on its own: one round trip instead of three.
        with self._pool.connection() as conn:
            with conn.cursor() as raw:
                return Cursor(raw, qmark=False).execute(sql, params).fetchall()

    def close(self) -> None:
        self._pool.close()


_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def open_database(service: str, settings: Settings) -> Database:
    if not _IDENT.match(service):
        raise ValueError(f"not a schema name: {service!r}")
    if settings.embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SQLiteDatabase(settings.data_dir / f"{service}-state.sqlite")
    return PostgresDatabase(settings, service)


def ensure_postgres_database(settings: Settings) -> None:
    """Create the database named in DATABASE_URL when it does not exist yet."""
    import psycopg
    from psycopg import sql

    params = settings.postgres_connection()
    dbname = params["dbname"]
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def ensure_postgres_schema(settings: Settings, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(**settings.postgres_connection(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


# The one active relay / projection runner per name (singleton.py): its holder,
# fencing token and expiry by the database's clock (PostgreSQL only; embedded takes none).
LEASES_TABLE = (
    "CREATE TABLE IF NOT EXISTS leases ("
    " name TEXT PRIMARY KEY, holder TEXT NOT NULL, token BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL,"
    " locked BOOLEAN NOT NULL DEFAULT FALSE)"
)

# R-SEC-3: the first answer to each Idempotency-Key, per caller (pseudonymised) and path;
# beside the events (the same schema, or embedded the events' SQLite file) so the answer
# is stored in the events' transaction.
IDEMPOTENCY_TABLES = (
    "CREATE TABLE IF NOT EXISTS idempotency_keys ("
    " caller TEXT NOT NULL, path TEXT NOT NULL, idem_key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " status INTEGER, body TEXT, headers TEXT, created_at BIGINT NOT NULL,"
    " PRIMARY KEY (caller, path, idem_key))",
    "CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at)",
)

# Tables every service's own database has: where its relay stands, and which
# notifications of other services it has already applied (exactly once).
BACKBONE_TABLES = (
    LEASES_TABLE,
    "CREATE TABLE IF NOT EXISTS relay_position ("
    " service TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    # Events a projection kept failing on, parked so the ones behind them go on.
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    " id TEXT PRIMARY KEY, projection TEXT NOT NULL, source TEXT NOT NULL, position BIGINT NOT NULL,"
    " envelope TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, parked_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tracking ("
    " projection TEXT NOT NULL, source TEXT NOT NULL, position BIGINT NOT NULL,"
    " PRIMARY KEY (projection, source, position))",
    # Per projection and source: every event up to ``position`` is applied (tracking records stand for those above).
    "CREATE TABLE IF NOT EXISTS tracking_marks ("
    " projection TEXT NOT NULL, source TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (projection, source))",
    # Per read model, the fingerprint of the tables its rows were written under (rebuilt when it differs).
    "CREATE TABLE IF NOT EXISTS read_model_schemas (projection TEXT PRIMARY KEY, fingerprint TEXT NOT NULL)",
    *IDEMPOTENCY_TABLES,
    # R-SEC-5: hits per pseudonymised client address or phone number and time window.
    "CREATE TABLE IF NOT EXISTS rate_limit_counters ("
    " bucket TEXT NOT NULL, window_start BIGINT NOT NULL, hits INTEGER NOT NULL, expires_at BIGINT NOT NULL,"
    " PRIMARY KEY (bucket, window_start))",
    "CREATE INDEX IF NOT EXISTS rate_limit_counters_expiry ON rate_limit_counters (expires_at)",
)


def is_transient(exc: BaseException) -> bool:
    """A store that is down or busy: the same work may succeed later, unchanged."""
    import psycopg
    from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError
    from psycopg_pool import PoolTimeout

    from services.backbone.deadlines import StoreTimeout

    cause = exc
    if isinstance(exc, PersistenceError) and exc.__cause__ is not None:
        cause = exc.__cause__  # eventsourcing wraps the driver's error
    if isinstance(cause, sqlite3.Error):
        text = str(cause).lower()
        return "locked" in text or "busy" in text
    return isinstance(
        cause,
        (psycopg.OperationalError, psycopg.InterfaceError, OperationalError, InterfaceError, PoolTimeout,
         ConnectionError, TimeoutError,
         # no answer within the deadlines; a database that takes no writes (a standby, read-only)
         StoreTimeout, psycopg.errors.ReadOnlySqlTransaction),
    )


def create_tables(db: Database, statements: Sequence[str]) -> None:
    with db.transaction() as cur:
        for statement in (*BACKBONE_TABLES, *statements):
            cur.execute(statement)
