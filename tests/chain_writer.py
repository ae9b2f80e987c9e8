"""Someone with write access to a service's database but not the chain key (R-RPT-5,
issue 15 item 8): edits stored events, recomputes links the only ways they can (plain
SHA-256, or an HMAC with a key they guess), rewrites the heads reporting keeps.

Works on the embedded SQLite files and on the real PostgreSQL (schema per service),
so the unit and integration tests play the same attacks.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator

import psycopg

from services.backbone.chain import CHAIN_TABLE, link_hash
from services.backbone.settings import Settings

GUESSED_KEY = b"a key the writer made up, not the chain key!!"


class Writer:
    def __init__(self, settings: Settings, service: str = "visits"):
        self.settings, self.service = settings, service

    @contextmanager
    def _cursor(self, service: str) -> Iterator[tuple[Any, str, str]]:
        """(cursor, table prefix, placeholder) in a transaction committed on exit."""
        if self.settings.embedded:
            suffix = "events" if service == self.service else "state"
            conn = sqlite3.connect(self.settings.data_dir / f"{service}-{suffix}.sqlite")
            try:
                with conn:
                    yield conn.cursor(), "", "?"
            finally:
                conn.close()
        else:
            with psycopg.connect(self.settings.database_url) as conn, conn.cursor() as cur:
                yield cur, f"{service}.", "%s"

    def _position(self) -> str:
        return "rowid" if self.settings.embedded else "notification_id"

    @property
    def _events(self) -> str:
        # eventsourcing names the PostgreSQL table after the application (Visits -> visits_events)
        return "stored_events" if self.settings.embedded else f"{self.service}_events"

    def events(self) -> list[tuple[Any, ...]]:
        with self._cursor(self.service) as (cur, prefix, _):
            cur.execute(f"SELECT {self._position()}, originator_id, originator_version, topic, state"
                        f" FROM {prefix}{self._events} ORDER BY 1")
            return [tuple(row) for row in cur.fetchall()]

    def links(self) -> list[tuple[int, str, str, str | None]]:
        with self._cursor(self.service) as (cur, prefix, _):
            cur.execute(f"SELECT notification_id, prev_hash, hash, key_id FROM {prefix}{CHAIN_TABLE} ORDER BY 1")
            return [tuple(row) for row in cur.fetchall()]

    def edit(self, position: int, old: bytes, new: bytes) -> None:
        """Change one stored event's content (e.g. a visit's days)."""
        with self._cursor(self.service) as (cur, prefix, p):
            cur.execute(f"SELECT state FROM {prefix}{self._events} WHERE {self._position()} = {p}", (position,))
            state = bytes(cur.fetchone()[0])
            assert old in state, state
            cur.execute(f"UPDATE {prefix}{self._events} SET state = {p} WHERE {self._position()} = {p}",
                        (state.replace(old, new), position))

    def relink(self, start: int = 1, *, key: bytes | None = None, key_id: str | None = None) -> str:
        """Recompute every link from ``start`` on, as the writer can: plain SHA-256 (``key`` None,
        key id cleared) or an HMAC with a key of their own under ``key_id``. Returns the new head."""
        events, links = self.events(), {row[0]: row for row in self.links()}
        previous = links[start][1] if start in links else "0" * 64
        with self._cursor(self.service) as (cur, prefix, p):
            for position, oid, version, topic, state in events:
                if position < start:
                    continue
                current = link_hash(previous, position, oid, version, topic, bytes(state), key)
                cur.execute(f"UPDATE {prefix}{CHAIN_TABLE} SET prev_hash = {p}, hash = {p}, key_id = {p}"
                            f" WHERE notification_id = {p}", (previous, current, key_id, position))
                previous = current
        return previous

    def truncate(self, after: int) -> None:
        """Delete the newest events and their links."""
        with self._cursor(self.service) as (cur, prefix, p):
            cur.execute(f"DELETE FROM {prefix}{self._events} WHERE {self._position()} > {p}", (after,))
            cur.execute(f"DELETE FROM {prefix}{CHAIN_TABLE} WHERE notification_id > {p}", (after,))

    def rewrite_heads(self, position: int, head: str) -> None:
        """Make reporting's record of the service's head say what the rewritten chain says."""
        with self._cursor("reporting") as (cur, prefix, p):
            cur.execute(f"UPDATE {prefix}chain_heads SET position = {p}, hash = {p} WHERE source = {p}",
                        (position, head, self.service))
            cur.execute(f"UPDATE {prefix}chain_checkpoints SET position = {p}, hash = {p} WHERE source = {p}",
                        (position, head, self.service))

    def checkpoints(self) -> list[tuple[str, int, str]]:
        with self._cursor("reporting") as (cur, prefix, p):
            cur.execute(f"SELECT kind, position, hash FROM {prefix}chain_checkpoints WHERE source = {p}"
                        " ORDER BY kind, position", (self.service,))
            return [tuple(row) for row in cur.fetchall()]

    def forget_keying(self) -> str:
        """Turn the chain into one made by the release before keying (plain SHA-256 links,
        no key ids, no signed checkpoints; reporting's unsigned head as that release kept it)."""
        head = self.relink(1)
        last = self.links()[-1][0]
        with self._cursor("reporting") as (cur, prefix, p):
            cur.execute(f"DELETE FROM {prefix}chain_checkpoints WHERE source = {p}", (self.service,))
            cur.execute(f"UPDATE {prefix}chain_heads SET position = {p}, hash = {p} WHERE source = {p}",
                        (last, head, self.service))
        return head
