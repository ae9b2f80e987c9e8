"""Tracking consumers: apply each event to a read model exactly once.

A projection writes its rows and the tracking record (source service,
notification position) in one transaction; the record's primary key makes
a redelivered event change nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import time
from collections import Counter
from typing import Any, Callable, Iterable, Sequence

from services.backbone import metrics, text
from services.backbone.envelope import MalformedEnvelope, short_type, source_service
from services.backbone.persistence import Cursor, Database, create_tables, is_transient
from services.backbone.retrying import bounded

log = logging.getLogger(__name__)

Handler = Callable[[Any, Cursor, dict[str, Any]], None]
Read = Callable[[int, int], list[dict[str, Any]]]  # (after position, limit) -> envelopes in order
Reader = Callable[[str], Read]  # source -> its history
Covers = tuple[str, int, int]  # (source, after, upto): a run holding every event stored in between


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of these event types (``"*"``: any other)."""

    def decorator(fn: Handler) -> Handler:
        fn.rps_handles = event_types  # type: ignore[attr-defined]
        return fn

    return decorator


class Projection:
    """Base of every read model: subclasses declare tables and handlers."""

    name: str = "abstract"  # names its tracking records and metrics
    consumer: str = "abstract"  # the service that owns it: names its queues
    sources: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()  # CREATE TABLE IF NOT EXISTS statements
    table_names: tuple[str, ...] = ()  # dropped by reset()
    # The indexes among ``tables`` are made once a rebuild's rows are in: one sort
    # instead of an index entry per row. Only where no handler reads by them.
    defer_indexes: bool = False
    # Embedded (SQLite: one writer per file): a file of its own, named so, for a
    # read model big enough that its rebuild is worth running beside the others'.
    own_file: str | None = None
    # The runner's lease check (singleton.Lease.fence), first in each run's transaction:
    # a former holder's writes are refused and rolled back. None: no lease (embedded, API pods).
    fence: Callable[[Cursor], None] | None = None

    def __init__(self, db: Database):
        self.db = db
        self.rebuilding = False  # between reset() and finish_rebuild(), in this process
        # Per source, a position this process saw committed: a floor of last_position (positions
        # only grow until reset), so a run that follows on from it needs no query (skipped_from).
        self._applied_floor: dict[str, int] = {}
        self._handlers: dict[str, Handler] = {}
        for attr in dir(type(self)):
            fn = getattr(type(self), attr)
            for event_type in getattr(fn, "rps_handles", ()):
                self._handlers[event_type] = fn

    @property
    def fingerprint(self) -> str:
        """What the read model's tables look like; a change calls for a rebuild."""
        return hashlib.sha256("\n".join(self.tables).encode()).hexdigest()[:16]

    def create_tables(self) -> None:
        create_tables(self.db, self.tables)

    def _deferred(self, statement: str) -> bool:
        return self.defer_indexes and statement.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))

    def schema_current(self) -> bool:
        """Whether the tables were made as this code declares them (by ``reset``)."""
        rows = self.db.query("SELECT fingerprint FROM read_model_schemas WHERE projection = %s", (self.name,))
        return bool(rows) and rows[0]["fingerprint"] == self.fingerprint

    def holds_events(self) -> bool:
        return any(self.last_position(source) for source in self.sources)

    def handle(self, envelope: dict[str, Any]) -> bool:
        """Apply one event; False when it was applied before."""
        return self.handle_run([envelope]) == 1

    def handle_run(self, envelopes: Sequence[dict[str, Any]], covers: Covers | None = None) -> int:
        """Apply a run of events in one transaction; returns how many were new.

        The tracking records and the read model's rows commit together, so a
        run is applied whole or not at all; a rebuild's cost is its commits,
        hence one for a catch-up batch rather than one per event. ``covers``
        (source, after, upto): the run holds every event that source stored
        after ``after`` up to ``upto`` (a catch-up batch), so one mark records
        them instead of a record each.
        """
        if not envelopes:
            return 0
        keyed = [(source_service(e), int(e["position"]), e) for e in envelopes]
        with self.db.transaction() as cur:
            if self.fence is not None:
                self.fence(cur)
            claimed = self._claim(cur, keyed, covers)
            fresh = []
            for source, position, envelope in keyed:
                if (source, position) in claimed:
                    claimed.discard((source, position))  # the same event twice in one run counts once
                    fresh.append(envelope)
                else:
                    metrics.EVENTS_DUPLICATE.labels(self.consumer, self.name, source).inc()
            if fresh:
                self.apply(KeepableCursor(cur), fresh)
        for source, position, _ in keyed:  # committed: each is applied, now or before
            if position > self._applied_floor.get(source, 0):
                self._applied_floor[source] = position
        for source, count in Counter(source_service(e) for e in fresh).items():
            metrics.EVENTS_CONSUMED.labels(self.consumer, self.name, source).inc(count)
        return len(fresh)

    def _claim(self, cur: Cursor, keyed: Sequence[tuple[str, int, Any]], covers: Covers | None) -> set[tuple[str, int]]:
        """Record the run as applied; returns the (source, position) not applied before.

        Per source, a mark says every event up to it is applied, and a record
        each stands for those applied above it (delivered out of order, or
        one at a time by the bus). A run that covers a stretch starting at
        the mark moves the mark instead of writing records.
        """
        positions: dict[str, set[int]] = {}
        for source, position, _ in keyed:
            positions.setdefault(source, set()).add(position)
        claimed: set[tuple[str, int]] = set()
        for source, wanted in positions.items():
            covering = covers if covers is not None and covers[0] == source else None
            mark = self._mark(cur, source, moving=covering is not None)
            above = {p for p in wanted if p > mark}
            if covering is not None and covering[1] <= mark:
                upto = max(covering[2], *wanted)
                recorded = {
                    int(r["position"])
                    for r in cur.execute(
                        "SELECT position FROM tracking WHERE projection = %s AND source = %s"
                        " AND position > %s AND position <= %s",
                        (self.name, source, mark, upto),
                    ).fetchall()
                }
                new = above - recorded
                if upto > mark:
                    cur.execute(
                        "UPDATE tracking_marks SET position = %s WHERE projection = %s AND source = %s",
                        (upto, self.name, source),
                    )
                if recorded:
                    cur.execute(
                        "DELETE FROM tracking WHERE projection = %s AND source = %s AND position <= %s",
                        (self.name, source, upto),
                    )
            else:
                new = self._record(cur, source, above) if above else set()
            claimed.update((source, p) for p in new)
        return claimed

    def _mark(self, cur: Cursor, source: str, *, moving: bool) -> int:
        """Every event of ``source`` up to the returned position is applied. PostgreSQL:
        a run moving the mark excludes the runs writing records above it (row lock), so
        neither misses what the other applies; SQLite's transactions take turns anyway."""
        lock = "" if self.db.engine != "postgres" else (" FOR UPDATE" if moving else " FOR SHARE")
        select = f"SELECT position FROM tracking_marks WHERE projection = %s AND source = %s{lock}"
        row = cur.execute(select, (self.name, source)).fetchone()
        if row is None:
            cur.execute(
                "INSERT INTO tracking_marks (projection, source, position) VALUES (%s, %s, 0) ON CONFLICT DO NOTHING",
                (self.name, source),
            )
            row = cur.execute(select, (self.name, source)).fetchone()
        return int(row["position"])

    def _record(self, cur: Cursor, source: str, wanted: set[int]) -> set[int]:
        """A tracking record per event; returns the positions not recorded before."""
        if self.db.engine == "postgres":  # one round trip; a concurrent consumer's rows are waited for
            rows = cur.execute(
                "INSERT INTO tracking (projection, source, position) SELECT %s, %s, p FROM unnest(%s::bigint[]) p"
                " ON CONFLICT DO NOTHING RETURNING position",
                (self.name, source, sorted(wanted)),
            ).fetchall()
            return {int(r["position"]) for r in rows}
        # SQLite: the transaction holds the write lock, so what is not there now is ours
        seen = cur.execute(
            "SELECT position FROM tracking WHERE projection = %s AND source = %s AND position BETWEEN %s AND %s",
            (self.name, source, min(wanted), max(wanted)),
        ).fetchall()
        new = wanted - {int(r["position"]) for r in seen}
        cur.executemany(
            "INSERT INTO tracking (projection, source, position) VALUES (%s, %s, %s)",
            [(self.name, source, p) for p in sorted(new)],
        )
        return new

    def apply(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> None:
        """Apply new events to the read model, in order (a subclass may apply a run at once)."""
        for envelope in envelopes:
            handler = self._handlers.get(short_type(envelope)) or self._handlers.get("*")
            if handler is not None:
                handler(self, cur, envelope)

    def deliver(
        self,
        envelope: dict[str, Any],
        *,
        attempts: int = 5,
        backoff_seconds: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> str:
        """Apply with bounded retries; an event that keeps failing is parked.

        Returns ``applied``, ``duplicate`` or ``parked``. A store that is down
        is not the event's fault: that error is raised for the caller to retry
        the same delivery later, and nothing is parked.
        """
        tries = 0

        def apply() -> str:
            nonlocal tries
            tries += 1
            try:
                return "applied" if self.handle(envelope) else "duplicate"
            except Exception as exc:
                if not is_transient(exc):
                    log.warning("%s: %s failed (attempt %d/%d): %s", self.name, envelope.get("id"), tries,
                                attempts, exc)
                raise

        try:
            return _delivery_policy(attempts, backoff_seconds, sleep).call(apply)
        except Exception as exc:
            if is_transient(exc):
                raise
            self.park(envelope, exc, attempts)
        return "parked"

    def deliver_run(self, envelopes: Sequence[dict[str, Any]], *, attempts: int = 5, backoff_seconds: float = 0.2) -> None:
        """Apply a run in one transaction; when it fails for a reason other than a
        store that is down, deliver its events one at a time, so the one at fault
        is retried and parked and the others are applied."""
        try:
            self.handle_run(envelopes)
            return
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("%s: a run of %d failed (%s); one event at a time", self.name, len(envelopes), exc)
        for envelope in envelopes:
            self.deliver(envelope, attempts=attempts, backoff_seconds=backoff_seconds)

    def park(self, envelope: dict[str, Any], error: BaseException | None, attempts: int) -> None:
        source, position = source_service(envelope), int(envelope["position"])
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO dead_letters (id, projection, source, position, envelope, error, attempts, parked_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                "error = excluded.error, attempts = dead_letters.attempts + excluded.attempts",
                (
                    f"{self.name}:{source}:{position}",
                    self.name,
                    source,
                    position,
                    json.dumps(envelope),  # \u-escaped: any text the event holds, every store keeps
                    text.keepable(f"{type(error).__name__}: {error}"[:2000]),
                    attempts,
                    dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                ),
            )
        log.error("%s: parked %s (%s #%d) after %d attempts: %s", self.name, envelope.get("id"), source, position, attempts, error)
        self.count_parked()

    def parked(self) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT id, projection, source, position, error, attempts, parked_at, envelope FROM dead_letters "
            "WHERE projection = %s ORDER BY source, position",
            (self.name,),
        )

    def replay_parked(self, ids: Iterable[str] | None = None) -> dict[str, int]:
        """Apply parked events again (after a fix); those that succeed leave the park."""
        wanted = set(ids) if ids is not None else None
        result = {"applied": 0, "duplicate": 0, "failed": 0}
        for row in self.parked():
            if wanted is not None and row["id"] not in wanted:
                continue
            try:
                outcome = "applied" if self.handle(json.loads(row["envelope"])) else "duplicate"
            except Exception as exc:
                if is_transient(exc):
                    raise
                result["failed"] += 1
                with self.db.transaction() as cur:
                    cur.execute(
                        "UPDATE dead_letters SET error = %s, attempts = attempts + 1 WHERE id = %s",
                        (f"{type(exc).__name__}: {exc}"[:2000], row["id"]),
                    )
                continue
            result[outcome] += 1
            with self.db.transaction() as cur:
                cur.execute("DELETE FROM dead_letters WHERE id = %s", (row["id"],))
        self.count_parked()
        return result

    def count_parked(self) -> int:
        rows = self.db.query("SELECT COUNT(*) AS n FROM dead_letters WHERE projection = %s", (self.name,))
        count = int(rows[0]["n"])
        metrics.DEAD_LETTERS.labels(self.name).set(count)
        return count

    def last_position(self, source: str) -> int:
        rows = self.db.query(
            "SELECT MAX(p) AS p FROM (SELECT MAX(position) AS p FROM tracking WHERE projection = %s AND source = %s"
            " UNION ALL SELECT position AS p FROM tracking_marks WHERE projection = %s AND source = %s) AS applied",
            (self.name, source, self.name, source),
        )
        return int(rows[0]["p"] or 0) if rows else 0

    def handled_position(self, source: str, applied: int | None = None) -> int:
        """The last position of ``source`` this read model has handled: applied (``applied``, when
        the caller read it already), or parked (an event parked after its retries is not waited for again)."""
        rows = self.db.query(
            "SELECT MAX(position) AS p FROM dead_letters WHERE projection = %s AND source = %s", (self.name, source)
        )
        applied = self.last_position(source) if applied is None else applied
        return max(applied, int(rows[0]["p"] or 0) if rows else 0)

    def skipped_from(self, source: str, envelopes: Sequence[dict[str, Any]]) -> int | None:
        """Where the bus skipped events of ``source`` before this run: the position this read
        model has handled up to, when a delivery is more than one past it (or past the one
        before it in the run); None when the run follows on. A delivery at or below it is a
        redelivery, or late, and is applied by its tracking record as before."""
        if self.rebuilding:  # this process applies the whole history in order anyway
            return None
        positions = [int(e["position"]) for e in envelopes]
        floor = self._applied_floor.get(source)
        if floor is not None and _follows_on(floor, positions):  # the usual case: no query
            return None
        applied = self.last_position(source)
        if _follows_on(applied, positions):
            return None
        handled = self.handled_position(source, applied)  # parked events are not missing
        return None if _follows_on(handled, positions) else handled

    def catch_up(self, source: str, read: Callable[[int, int], list[dict[str, Any]]], *, batch: int = 500) -> int:
        """Apply what a source has stored after our last position (late start, rebuild).

        A batch is one transaction; when one fails, its events are applied
        one by one so the error names the event and those before it stay applied.
        """
        return feed([self], source, read, after=self.last_position(source), batch=batch)[self.name]

    def apply_batch(self, envelopes: Sequence[dict[str, Any]], covers: Covers | None = None) -> int:
        """A catch-up batch in one transaction; when it fails, event by event, so the
        error names the event and those before it stay applied."""
        try:
            return self.handle_run(envelopes, covers)
        except Exception as exc:
            if is_transient(exc):
                raise
        # R-SEC-3: one event a read model cannot take is parked, never the end of a catch-up or rebuild
        return sum(self.deliver(envelope, attempts=1) == "applied" for envelope in envelopes)

    def reset(self) -> None:
        """Drop the read model and its tracking records; ``rebuild`` fills it again.

        The fingerprint goes with them: a rebuild cut short is redone where
        tables are made (``Runtime.rebuild_stale``)."""
        with self.db.transaction() as cur:
            for table in self.table_names:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            for source in self.sources:
                cur.execute("DELETE FROM tracking WHERE projection = %s AND source = %s", (self.name, source))
                cur.execute("DELETE FROM tracking_marks WHERE projection = %s AND source = %s", (self.name, source))
            cur.execute("DELETE FROM read_model_schemas WHERE projection = %s", (self.name,))
            cur.execute("DELETE FROM dead_letters WHERE projection = %s", (self.name,))  # replayed by the rebuild
        create_tables(self.db, [t for t in self.tables if not self._deferred(t)])
        self._applied_floor.clear()
        self.rebuilding = True

    def forget(self) -> None:
        """Drop what this process remembers of the read model (another process rebuilt it);
        a subclass that remembers more calls this too."""
        self._applied_floor.clear()

    def rebuild(self, reader: Reader) -> int:
        """Drop the read model, apply every source's history (``reader(source)``), then make
        the deferred indexes and record the fingerprint; returns the events applied."""
        return rebuild([self], reader)[self.name]

    def finish_rebuild(self) -> None:
        self.create_tables()  # the deferred indexes
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO read_model_schemas (projection, fingerprint) VALUES (%s, %s)"
                " ON CONFLICT (projection) DO UPDATE SET fingerprint = excluded.fingerprint",
                (self.name, self.fingerprint),
            )
            self.rebuilt(cur)
        self.rebuilding = False

    def rebuilt(self, cur: Cursor) -> None:
        """Called in the transaction that completes a rebuild (a subclass may say so to its readers)."""

    def lag(self, source: str, source_position: int) -> int:
        """How many of ``source``'s events up to ``source_position`` this read model has yet to apply."""
        return max(0, source_position - self.last_position(source))


@functools.lru_cache(maxsize=16)
def _delivery_policy(attempts: int, backoff_seconds: float, sleep: Callable[[float], None]) -> Any:
    """A delivery's tries, made once per setting (every event goes through one): an error that is
    the event's is tried again, a store that is down is the caller's to retry."""
    return bounded(attempts, backoff_seconds, sleep=sleep, retry_on=lambda exc: not is_transient(exc))


def _follows_on(handled: int, positions: Sequence[int]) -> bool:
    """Whether each position comes at most one after every position before it (``handled`` first)."""
    for position in positions:
        if position > handled + 1:
            return False
        handled = max(handled, position)
    return True


class KeepableCursor:
    """The cursor read models write with: text parameters stored with U+FFFD in place of
    characters no store can keep (R-SEC-3), so an event stored before the edge refused
    them still projects (PostgreSQL refuses NUL in text, no store an unpaired surrogate)."""

    def __init__(self, cur: Cursor):
        self._cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "KeepableCursor":
        self._cur.execute(sql, _keepable(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(sql, [_keepable(row) for row in rows])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


_unkeepable = text.UNKEEPABLE.search


def _keepable(params: Sequence[Any]) -> Sequence[Any]:
    """The parameters themselves when every text is keepable (the rebuild's common case, checked
    by ``isprintable`` first: C-fast), else a copy with U+FFFD in place."""
    for p in params:
        if isinstance(p, str):
            if not p.isprintable() and _unkeepable(p):
                break
        elif isinstance(p, (list, tuple)):
            break
    else:
        return params
    return [
        text.keepable(p) if isinstance(p, str)
        else [text.keepable(v) if isinstance(v, str) else v for v in p] if isinstance(p, (list, tuple)) else p
        for p in params
    ]


# Told after each batch a rebuild applied: (the read models, the source, the position reached).
Progress = Callable[[list[str], str, int], None]


def rebuild(
    projections: Sequence[Projection], reader: Reader, *, batch: int = 500, seconds: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Rebuild read models from their sources' histories, reading each source once
    for all of them (batch by batch, each applied as ``catch_up`` would); returns the
    events each applied, and adds the time each took to ``seconds``. ``progress`` is told
    after each batch (issue 16: ``rps rebuild`` shows it on a terminal)."""
    applied = {p.name: 0 for p in projections}
    spent = seconds if seconds is not None else {}
    for projection in projections:
        t0 = time.perf_counter()
        projection.reset()
        spent[projection.name] = spent.get(projection.name, 0.0) + time.perf_counter() - t0
    for source in dict.fromkeys(s for p in projections for s in p.sources):
        takers = [p for p in projections if source in p.sources]
        for name, count in feed(takers, source, reader(source), batch=batch, seconds=spent, progress=progress).items():
            applied[name] += count
    for projection in projections:
        t0 = time.perf_counter()
        projection.finish_rebuild()
        spent[projection.name] += time.perf_counter() - t0
    return applied


def feed(
    projections: Sequence[Projection],
    source: str,
    read: Read,
    *,
    after: int = 0,
    batch: int = 500,
    seconds: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Apply what ``source`` stored after ``after`` to each projection, batch by batch,
    read once for all (each batch covers its stretch: one mark, no records); returns
    the events each applied, and adds the time each took to ``seconds``."""
    applied = {p.name: 0 for p in projections}
    spent = seconds if seconds is not None else {}
    while True:
        envelopes = read(after, batch)
        upto = int(envelopes[-1]["position"]) if envelopes else after
        for projection in projections:
            t0 = time.perf_counter()
            applied[projection.name] += projection.apply_batch(envelopes, (source, after, upto))
            spent[projection.name] = spent.get(projection.name, 0.0) + time.perf_counter() - t0
        if progress is not None:
            progress([p.name for p in projections], source, upto)
        if len(envelopes) < batch:
            return applied
        after = upto


def catch_up_skipped(
    projections: Sequence[Projection],
    source: str,
    envelopes: Sequence[dict[str, Any]],
    history: Callable[[], Read],
    *,
    batch: int = 500,
) -> dict[str, list[dict[str, Any]]]:
    """Before a run of ``source``'s events as the bus delivered it (in publish order) is applied:
    where the bus skipped events of it (a broker can lose confirmed messages), apply what
    ``source`` stored from each such read model's handled position on, from its history
    (``history()``: its store here, its HTTP feed in the cluster), so nothing is missed or
    applied out of order; tracking counts each event once, whichever way it came. Returns, per
    read model, the run's events still to apply (the whole run where nothing was skipped).
    A history that cannot be read raises: the consumer keeps the run (not acknowledged) and
    tries again later."""
    behind = {p.name: after for p in projections if (after := p.skipped_from(source, envelopes)) is not None}
    if behind:
        _catch_up_skipped([p for p in projections if p.name in behind], source, envelopes, behind, history, batch)
    remaining = {}
    for projection in projections:
        run = list(envelopes)
        if projection.name in behind:  # the history held the run too (published, so stored), unless it grew since
            handled = projection.handled_position(source)
            run = [e for e in envelopes if int(e["position"]) > handled]
        remaining[projection.name] = run
    return remaining


def _catch_up_skipped(
    projections: Sequence[Projection], source: str, envelopes: Sequence[dict[str, Any]], behind: dict[str, int],
    history: Callable[[], Read], batch: int,
) -> None:
    """Apply ``source``'s history after each read model's handled position (``behind``), read once
    for all, page by page (each page covers its stretch for each of them, as a catch-up's does)."""
    delivered = {int(e["position"]) for e in envelopes}
    furthest = max(delivered)
    try:
        read = history()
        after = min(behind.values())
        missing = {name: 0 for name in behind}
        while True:
            page = read(after, batch)
            if any(source_service(e) != source for e in page):  # RPS_EVENTS_URL_* naming another service's feed
                raise MalformedEnvelope(f"{source}'s history holds events of another source")
            upto = int(page[-1]["position"]) if page else after
            for projection in projections:
                handled = behind[projection.name]
                mine = [e for e in page if int(e["position"]) > handled]
                if mine:
                    projection.apply_batch(mine, (source, max(handled, after), upto))
                    missing[projection.name] += sum(
                        1 for e in mine if int(e["position"]) < furthest and int(e["position"]) not in delivered)
            if len(page) < batch:
                break
            after = upto
    except Exception as exc:
        if not is_transient(exc):  # a store that is down says so itself
            log.warning("%s: the bus skipped events of %s after position %d; its history is not readable (%s): "
                        "the run waits in its queue", ", ".join(behind), source, min(behind.values()), exc)
        raise
    for projection in projections:
        if missing[projection.name]:
            metrics.PROJECTION_GAPS.labels(projection.consumer, projection.name, source).inc()
            log.warning("%s: the bus skipped %d events of %s after position %d (delivered up to %d); "
                        "applied from its history first", projection.name, missing[projection.name], source,
                        behind[projection.name], furthest)
        else:  # positions no event holds: a PostgreSQL sequence skips the ids of rolled-back inserts
            log.info("%s: no events of %s stored between position %d and %d", projection.name, source,
                     behind[projection.name], furthest)
