"""PostgreSQL with deadlines (issue 15 items 4 and 9): no request waits on the database for ever.

- Every pooled connection is checked on checkout (psycopg_pool's own check), so
  one left broken by a server restart is replaced instead of failing a request.
- A connection is opened within ``RPS_DB_CONNECT_TIMEOUT_SECONDS`` (libpq's
  ``connect_timeout``, and as long at most for a free one from the pool).
- A statement runs for at most ``RPS_DB_STATEMENT_TIMEOUT_SECONDS`` (the
  server's ``statement_timeout``), and the client waits for any answer at most
  a second longer: a server that says nothing (paused, a stalled VM) cannot
  hold a request either.

Past a deadline the caller gets ``StoreTimeout``, which eventsourcing does not
retry (its retries are for a dropped connection) and http.py answers with 503
and ``Retry-After`` (``persistence.is_transient``). A connection that ran out
of time is closed: what it was doing is unknown.

``write_probe`` is what ``/health/ready`` asks: can this database take a write
now (not read-only, a disk with room), answered within its own short deadline.
"""

from __future__ import annotations

import math
import time
from typing import Any

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool, PoolTimeout

from services.backbone.settings import Settings

# The client's own deadline beyond the server's statement_timeout (the server answers first when it can).
CLIENT_MARGIN_SECONDS = 1.0
# /health/ready answers within 2 s whatever the database does (issue 15 item 4).
PROBE_CONNECT_SECONDS = 1
PROBE_DEADLINE_SECONDS = 1.5


class StoreTimeout(psycopg.DatabaseError):
    """The database gave no answer within its deadline: nothing is known to be stored (503)."""


class BoundedConnection(psycopg.Connection):
    """A connection whose every wait for the server ends by ``deadline_seconds``."""

    deadline_seconds: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            return super().wait(gen, interval, self.deadline_seconds if timeout is None else timeout)
        except errors._WaitTimeout:
            self.close()  # mid-protocol: unusable; the pool drops it
            raise StoreTimeout(f"no answer from the database within {self.deadline_seconds} s") from None
        except errors.QueryCanceled as exc:  # the server's statement_timeout
            raise StoreTimeout(f"statement cancelled: {exc.sqlstate}") from exc


class BoundedPool(ConnectionPool):
    """A pool that checks each connection on checkout (psycopg_pool's ``check_connection``) and
    whose wait for one ends in StoreTimeout, not a retry loop.

    psycopg_pool's own check loop pauses (1 s, then doubling) after each connection that fails
    its check, so the stale connections a server restart leaves behind would outlast any
    reasonable deadline one by one. Here the first failed check drains the pool instead (every
    connection made before it is replaced) and the request takes a fresh one at once.
    """

    def getconn(self, timeout: float | None = None) -> Any:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            conn = super().getconn(timeout)
            try:
                ConnectionPool.check_connection(conn)
                return conn
            except Exception:  # closed by a restart, or no answer within the deadline
                self.putconn(conn)
            self.drain()
            conn = super().getconn(max(0.0, deadline - time.monotonic()))
            try:
                ConnectionPool.check_connection(conn)  # a new connection failing: the server is away
            except Exception:
                self.putconn(conn)
                raise
            return conn
        except PoolTimeout as exc:
            raise StoreTimeout(f"no database connection within {timeout} s") from exc
        except psycopg.OperationalError as exc:
            raise StoreTimeout(f"no usable database connection: {type(exc).__name__}") from exc


def connection_class(deadline_seconds: float) -> type[BoundedConnection]:
    return type("BoundedConnection", (BoundedConnection,), {"deadline_seconds": deadline_seconds})


def connect_kwargs(settings: Settings) -> dict[str, Any]:
    """libpq parameters: the connect timeout and the server-side statement timeout (0: none)."""
    statement_ms = int(settings.db_statement_timeout_seconds * 1000)
    return {
        "connect_timeout": max(1, math.ceil(settings.db_connect_timeout_seconds)),
        "options": f"-c statement_timeout={statement_ms}" if statement_ms else "",
    }


def client_deadline(settings: Settings) -> float | None:
    """How long the client waits for any answer; None without a statement timeout (maintenance)."""
    if not settings.db_statement_timeout_seconds:
        return None
    return settings.db_statement_timeout_seconds + CLIENT_MARGIN_SECONDS


def bound_pool(pool: ConnectionPool, settings: Settings) -> None:
    """Give a pool built elsewhere (eventsourcing's) the same checks and deadlines, then renew
    connections it already opened without them."""
    kwargs = dict(pool.kwargs or {})
    options = kwargs.pop("options", "")
    extra = connect_kwargs(settings)
    kwargs.update(connect_timeout=extra["connect_timeout"], options=f"{options} {extra['options']}".strip())
    pool.kwargs = kwargs
    pool.connection_class = connection_class(client_deadline(settings))
    pool._check = None  # BoundedPool.getconn checks, draining the pool on the first failure
    pool.timeout = settings.db_connect_timeout_seconds
    if type(pool) is not BoundedPool and isinstance(pool, ConnectionPool):
        pool.__class__ = type("Bounded" + type(pool).__name__, (BoundedPool, type(pool)), {})
    if not pool.closed:
        pool.drain()


def bound_event_store(app: Any, settings: Settings) -> None:
    datastore = getattr(app.recorder, "datastore", None)
    pool = getattr(datastore, "pool", None)
    if isinstance(pool, ConnectionPool):
        bound_pool(pool, settings)


def write_probe(settings: Settings, schema: str) -> None:
    """Raise unless PostgreSQL can take a write now: it answers, is not read-only (a standby, or
    ``default_transaction_read_only``), and its disk takes a temporary file. Within 2 s."""
    with connection_class(PROBE_DEADLINE_SECONDS).connect(
        **settings.postgres_connection(),
        connect_timeout=PROBE_CONNECT_SECONDS, autocommit=False,
        options=f"-c statement_timeout={int(PROBE_DEADLINE_SECONDS * 1000)} -c search_path={schema}",
    ) as conn:
        read_only = conn.execute("SHOW transaction_read_only").fetchone()
        if read_only is None or read_only[0] != "off":
            raise ReadOnlyDatabase("the database accepts no writes (read-only)")
        # A sort too big for work_mem spills to a temporary file in the data directory:
        # a full disk refuses it ("No space left on device") and nothing is kept.
        conn.execute("SET LOCAL work_mem = '64kB'")
        conn.execute("SELECT count(*) FROM (SELECT g FROM generate_series(1, 20000) g ORDER BY g DESC) s").fetchone()
        conn.rollback()


class ReadOnlyDatabase(psycopg.DatabaseError):
    """The database is up but takes no writes."""
