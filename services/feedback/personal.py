"""Residents' personal data, kept apart from the event history (R-OPN-3, R-SEC-4).

Name, phone, e-mail and the city app's user id live in one table of the
feedback database, keyed by an opaque random key. Events carry that key and
the masked phone only, so erasing a person deletes a row and rewrites no
history; the opinion stays.

Every access is recorded (R-SEC-4, ASVS V7: who, when, which opinion, what;
never the data itself): a row in the append-only ``fb_personal_data_access``
table, written in the same transaction as the access, and a structured log
line (``rps.personal_data``).
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from services.backbone import clock, context, ratelimit
from services.backbone.domain import RuleViolated
from services.backbone.logsafe import structured
from services.backbone.persistence import Cursor, Database

access_log = logging.getLogger("rps.personal_data")

# Mainland mobile numbers: 11 digits starting 13..19 (MIIT numbering plan).
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")

TABLES = (
    "CREATE TABLE IF NOT EXISTS fb_personal_data ("
    " person_key TEXT PRIMARY KEY, name TEXT, phone TEXT, email TEXT, app_user TEXT,"
    " stored_at TEXT NOT NULL)",
    # R-SEC-4: who touched whose data, when and how; the data itself never. Append-only.
    "CREATE TABLE IF NOT EXISTS fb_personal_data_access ("
    " id TEXT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, correlation_id TEXT,"
    " ref TEXT, action TEXT NOT NULL, fields TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS fb_personal_data_access_ref ON fb_personal_data_access (ref, at)",
    # R-SEC-4: what an opinion holds that is personal whoever gave it (the street address, the
    # photo) and, for one not marked public, its text and exact point (a public one's exact point
    # too: its events carry it rounded). Keyed by the opinion's reference; erasure deletes the row.
    "CREATE TABLE IF NOT EXISTS fb_opinion_private ("
    " ref TEXT PRIMARY KEY, text TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION, address TEXT, media_url TEXT,"
    " stored_at TEXT NOT NULL)",
)

# The access table refuses changes of what it holds, per engine (run after TABLES).
_APPEND_ONLY_MESSAGE = "fb_personal_data_access is append-only"
APPEND_ONLY = {
    "sqlite": tuple(
        f"CREATE TRIGGER IF NOT EXISTS fb_personal_data_access_no_{verb.lower()}"
        f" BEFORE {verb} ON fb_personal_data_access"
        f" BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
        for verb in ("UPDATE", "DELETE")
    ),
    "postgres": (
        "CREATE OR REPLACE FUNCTION fb_personal_data_access_refuse() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}'; END $$",
        "CREATE OR REPLACE TRIGGER fb_personal_data_access_append_only"
        " BEFORE UPDATE OR DELETE OR TRUNCATE ON fb_personal_data_access"
        " FOR EACH STATEMENT EXECUTE FUNCTION fb_personal_data_access_refuse()",
    ),
}

# What an access was: the data was stored at intake, read to deliver a
# notification, shown to staff (the masked phone), or erased.
ACTIONS = ("store", "notify", "view", "erase")
# The actor of accesses no request made (the notification dispatcher).
DISPATCHER = context.Actor(subject="notification-dispatcher", role="system")


def protect_access_log(db: Database) -> None:
    """Install the engine's triggers that make ``fb_personal_data_access`` append-only."""
    statements = APPEND_ONLY.get(db.engine, ())
    if statements:
        with db.transaction() as cur:
            for statement in statements:
                cur.execute(statement)


def normalise_phone(raw: str) -> str:
    """R-OPN-1: a mainland mobile number, stored in the normal form the rate limiter counts (R-SEC-5)."""
    phone = ratelimit.normalise_phone(raw)
    if not _MOBILE.match(phone):
        raise RuleViolated(
            "contact_phone：应为中国大陆手机号码（11 位，以 13–19 开头）", field="contact_phone", rule="R-OPN-1"
        )
    return phone


def mask_phone(phone: str) -> str:
    """R-OPN-3: ``13812345678`` -> ``138****5678``."""
    return f"{phone[:3]}****{phone[-4:]}"


def new_person_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Person:
    key: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    app_user: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.name or self.phone or self.email or self.app_user)

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the fields held (what an access touched), never their values."""
        return tuple(name for name in ("name", "phone", "email", "app_user") if getattr(self, name))

    def __repr__(self) -> str:  # never print personal data into logs or tracebacks
        masked = mask_phone(self.phone) if self.phone else None
        return f"Person(key={self.key!r}, phone={masked!r})"


def record_access(cur: Cursor, *, ref: str | None, action: str, fields: Sequence[str],
                  actor: context.Actor | None = None) -> None:
    """One row in the access table and one log line: who, when, which opinion, what (R-SEC-4)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown personal-data action {action!r}")
    ctx = context.current()
    who = actor or ctx.actor
    at = clock.now().isoformat(timespec="microseconds")  # sorts in order: Asia/Shanghai keeps +08:00
    names = ",".join(fields)
    cur.execute(
        "INSERT INTO fb_personal_data_access (id, at, actor, role, correlation_id, ref, action, fields)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (uuid.uuid4().hex, at, who.subject, who.role, ctx.correlation_id, ref, action, names),
    )
    access_log.info(structured("personal data access", action=action, ref=ref, fields=names, actor=who.subject,
                               role=who.role, correlation=ctx.correlation_id, at=at))


@dataclass(frozen=True)
class OpinionDetails:
    """An opinion's personal details (R-SEC-4); never in events, logs, metrics or anonymous answers."""

    ref: str
    text: str | None = None
    point: dict[str, float] | None = None
    address: str | None = None
    media_url: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name in ("text", "point", "address", "media_url") if getattr(self, name) is not None)

    def __repr__(self) -> str:  # never the values
        return f"OpinionDetails(ref={self.ref!r}, fields={self.fields!r})"

    def shown(self) -> dict[str, Any]:
        """What staff see of them, merged over the opinion's own (public) fields."""
        return {name: getattr(self, name) for name in self.fields}


class PersonalDataVault:
    """The one place personal data is written, read and erased."""

    def __init__(self, db: Database):
        self.db = db

    def store(self, person: Person | None, *, ref: str | None, details: "OpinionDetails | None" = None) -> None:
        """The person's data and the opinion's personal details (R-SEC-4), one recorded access."""
        person_fields = person.fields if person is not None else ()
        detail_fields = details.fields if details is not None else ()
        if not (person_fields or detail_fields):
            return
        with self.db.transaction() as cur:
            if person is not None and person_fields:
                cur.execute(
                    "INSERT INTO fb_personal_data (person_key, name, phone, email, app_user, stored_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s)",
                    (person.key, person.name, person.phone, person.email, person.app_user,
                     clock.now().isoformat(timespec="seconds")),
                )
            if details is not None and detail_fields:
                self._insert_details(cur, details)
            record_access(cur, ref=ref, action="store", fields=person_fields + detail_fields)

    def get(self, key: str | None, *, ref: str | None, action: str = "notify",
            actor: context.Actor | None = None) -> Person | None:
        """The person's data, the access recorded in the same transaction (nothing is recorded
        when nothing is held: erased data is not an access)."""
        if not key:
            return None
        with self.db.transaction() as cur:
            row: dict[str, Any] | None = cur.execute(
                "SELECT person_key, name, phone, email, app_user FROM fb_personal_data WHERE person_key = %s", (key,)
            ).fetchone()
            if row is None:
                return None
            person = Person(key=row["person_key"], name=row["name"], phone=row["phone"], email=row["email"],
                            app_user=row["app_user"])
            record_access(cur, ref=ref, action=action, fields=person.fields, actor=actor)
        return person

    def erase(self, key: str | None, *, ref: str | None) -> bool:
        """Delete the person's data and the opinion's personal details (R-SEC-4); True when there
        was something to delete (then recorded, as one access)."""
        if not key and not ref:
            return False
        fields: tuple[str, ...] = ()
        with self.db.transaction() as cur:
            if key:
                cur.execute("DELETE FROM fb_personal_data WHERE person_key = %s", (key,))
                fields += ("name", "phone", "email", "app_user") if cur.rowcount > 0 else ()
            if ref:
                cur.execute("DELETE FROM fb_opinion_private WHERE ref = %s", (ref,))
                fields += ("text", "point", "address", "media_url") if cur.rowcount > 0 else ()
            if fields:
                record_access(cur, ref=ref, action="erase", fields=fields)
            return bool(fields)

    def _insert_details(self, cur: Cursor, details: OpinionDetails) -> None:
        point = details.point or {}
        cur.execute(
            "INSERT INTO fb_opinion_private (ref, text, lat, lon, address, media_url, stored_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (ref) DO NOTHING",
            (details.ref, details.text, point.get("lat"), point.get("lon"), details.address, details.media_url,
             clock.now().isoformat(timespec="seconds")),
        )

    def details(self, refs: Iterable[str]) -> dict[str, OpinionDetails]:
        """The personal details of these opinions (read only: whoever shows them records it, ``shown``)."""
        refs = list(dict.fromkeys(r for r in refs if r))
        if not refs:
            return {}
        rows = self.db.query(
            "SELECT ref, text, lat, lon, address, media_url FROM fb_opinion_private"
            f" WHERE ref IN ({', '.join(['%s'] * len(refs))})", refs,
        )
        return {
            row["ref"]: OpinionDetails(row["ref"], row["text"],
                                       {"lat": row["lat"], "lon": row["lon"]} if row["lat"] is not None else None,
                                       row["address"], row["media_url"])
            for row in rows
        }

    def shown(self, refs: Iterable[str], *, fields: Sequence[str] = ("contact_phone_masked",)) -> None:
        """Staff were shown these opinions' masked contact: one access each."""
        self.viewed({ref: fields for ref in refs if ref})

    def viewed(self, views: dict[str, Sequence[str]]) -> None:
        """Staff were shown these opinions' personal fields (ref -> field names): one access each."""
        views = {ref: fields for ref, fields in views.items() if ref and fields}
        if not views:
            return
        with self.db.transaction() as cur:
            for ref, fields in views.items():
                record_access(cur, ref=ref, action="view", fields=fields)

    def accesses(self, ref: str) -> list[dict[str, Any]]:
        """The recorded accesses to an opinion's personal data, oldest first."""
        return self.db.query(
            "SELECT at, actor, role, correlation_id, ref, action, fields FROM fb_personal_data_access"
            " WHERE ref = %s ORDER BY at, id", (ref,),
        )
