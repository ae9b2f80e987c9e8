"""What reporting itself decides and keeps (not projections, so a rebuild
keeps them): issued reports frozen under their number (R-RPT-7) with each
rendered format, and the bureau's notes on a half-yearly report (R-RPT-3) or
its yearly programme review in the annual report (R-EVA-4).

The tables are created on first use (CREATE TABLE IF NOT EXISTS), once per
database object in a process.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
import threading
import weakref
from typing import Any, Callable, TypeVar

from services.backbone.persistence import Database, create_tables
from services.backbone.retrying import on_lost_race

F = TypeVar("F", bound=Callable[..., Any])

TABLES = (
    "CREATE TABLE IF NOT EXISTS rpt_issued ("
    " number INTEGER PRIMARY KEY, kind TEXT NOT NULL, period TEXT NOT NULL, issued_at TEXT NOT NULL,"
    " issued_by TEXT, issued_role TEXT, digest TEXT NOT NULL, report TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rpt_issued_period ON rpt_issued (kind, period, number)",
    "CREATE TABLE IF NOT EXISTS rpt_issued_files ("
    " number INTEGER NOT NULL, format TEXT NOT NULL, content_type TEXT NOT NULL, filename TEXT NOT NULL,"
    " body TEXT NOT NULL, PRIMARY KEY (number, format))",
    "CREATE TABLE IF NOT EXISTS rpt_notes ("
    " kind TEXT NOT NULL, period TEXT NOT NULL, number INTEGER NOT NULL, date TEXT NOT NULL, text TEXT NOT NULL,"
    " author TEXT, role TEXT, created_at TEXT NOT NULL, PRIMARY KEY (kind, period, number))",
    # R-RPT-5: signed checkpoints of the publishers' chains (services/reporting/audit.py); evidence,
    # not a read model, so a rebuild never moves a head back.
    "CREATE TABLE IF NOT EXISTS chain_checkpoints ("
    " source TEXT NOT NULL, kind TEXT NOT NULL, position BIGINT NOT NULL, hash TEXT NOT NULL, key_id TEXT,"
    " signature TEXT, recorded_at TEXT NOT NULL, PRIMARY KEY (source, kind, position))",
)
ATTEMPTS = 5  # two issues racing for the next number: the loser takes the one after

_ready: "weakref.WeakSet[Database]" = weakref.WeakSet()
_lock = threading.Lock()
# Issued copies' top-level keys per database by number, oldest first (R-RPT-7's comparison).
_sections: "weakref.WeakKeyDictionary[Database, dict[int, frozenset[str]]]" = weakref.WeakKeyDictionary()
SECTIONS_KEPT = 1000


def ensure(db: Database) -> None:
    if db in _ready:
        return
    with _lock:
        if db not in _ready:
            create_tables(db, TABLES)
            if db._joined_cursor() is None:  # inside a keyed request's transaction the CREATE may roll back
                _ready.add(db)


def _is_duplicate(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, psycopg.errors.UniqueViolation)


def _taking_the_next_number(write: F) -> F:
    """Run a write that numbers its row again when a racer took the number (the loser takes the one after)."""
    return on_lost_race(_is_duplicate, attempts=ATTEMPTS).wraps(write)  # type: ignore[return-value]


class IssuedReports:
    """Numbered frozen copies of reports (R-RPT-7)."""

    def __init__(self, db: Database):
        ensure(db)
        self.db = db

    @_taking_the_next_number
    def issue(self, report: dict[str, Any], digest: str, *, issued_at: str, by: str | None, role: str | None) -> int:
        """Store the frozen report under the next number; returns the number."""
        with self.db.transaction() as cur:
            row = cur.execute("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM rpt_issued").fetchone()
            number = int(row["n"])  # type: ignore[index]
            frozen = {**report, "issue": {"number": number, "issued_at": issued_at, "changed_since_issue": False}}
            cur.execute(
                "INSERT INTO rpt_issued (number, kind, period, issued_at, issued_by, issued_role, digest, report)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (number, report["kind"], report["period"], issued_at, by, role, digest,
                 json.dumps(frozen, ensure_ascii=False)),
            )
        return number

    def store_file(self, number: int, fmt: str, content_type: str, filename: str, body: bytes) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO rpt_issued_files (number, format, content_type, filename, body) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (number, format) DO NOTHING",
                (number, fmt, content_type, filename, base64.b64encode(body).decode()),
            )

    def get(self, number: int) -> dict[str, Any] | None:
        rows = self.db.query("SELECT report FROM rpt_issued WHERE number = %s", (number,))
        return json.loads(rows[0]["report"]) if rows else None

    def sections(self, number: int) -> frozenset[str]:
        """The top-level keys of issued copy ``number`` (read once a process: a copy never changes)."""
        with _lock:
            found = _sections.setdefault(self.db, {}).get(number)
        if found is None:
            found = frozenset(self.get(number) or ())
            with _lock:
                kept = _sections.setdefault(self.db, {})
                kept[number] = found
                while len(kept) > SECTIONS_KEPT:
                    kept.pop(next(iter(kept)))
        return found

    def kind_of(self, number: int) -> str | None:
        if not 0 < number <= 2**63 - 1:  # no stored number is out there (BIGINT)
            return None
        rows = self.db.query("SELECT kind FROM rpt_issued WHERE number = %s", (number,))
        return rows[0]["kind"] if rows else None

    def file(self, number: int, fmt: str) -> tuple[bytes, str, str] | None:
        rows = self.db.query(
            "SELECT content_type, filename, body FROM rpt_issued_files WHERE number = %s AND format = %s", (number, fmt)
        )
        if not rows:
            return None
        return base64.b64decode(rows[0]["body"]), rows[0]["content_type"], rows[0]["filename"]

    def formats(self, number: int) -> list[str]:
        rows = self.db.query("SELECT format FROM rpt_issued_files WHERE number = %s ORDER BY format", (number,))
        return ["json", *(r["format"] for r in rows)]

    def latest(self, kind: str, period: str) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT number, issued_at, digest FROM rpt_issued WHERE kind = %s AND period = %s ORDER BY number DESC LIMIT 1",
            (kind, period),
        )
        return rows[0] if rows else None


class BureauNotes:
    """The bureau's notes on a report period (R-RPT-3, R-EVA-4)."""

    def __init__(self, db: Database):
        ensure(db)
        self.db = db

    @_taking_the_next_number
    def add(self, kind: str, period: str, *, date: dt.date, text: str, by: str | None, role: str | None,
            created_at: str) -> dict[str, Any]:
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 AS n FROM rpt_notes WHERE kind = %s AND period = %s",
                (kind, period),
            ).fetchone()
            number = int(row["n"])  # type: ignore[index]
            cur.execute(
                "INSERT INTO rpt_notes (kind, period, number, date, text, author, role, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (kind, period, number, date.isoformat(), text, by, role, created_at),
            )
        return {"number": number, "date": date.isoformat(), "text": text, "author": by}

    def list(self, kind: str, period: str) -> list[dict[str, Any]]:
        return [
            {"number": int(r["number"]), "date": r["date"], "text": r["text"], "author": r["author"]}
            for r in self.db.query(
                "SELECT number, date, text, author FROM rpt_notes WHERE kind = %s AND period = %s ORDER BY number",
                (kind, period),
            )
        ]
