"""Residents' personal data, kept apart from the event history (R-OPN-3, R-SEC-4).

Name, phone, e-mail and the city app's user id live in one table of the
feedback database, keyed by an opaque random key. Events carry that key and
the masked phone only, so erasing a person deletes a row and rewrites no
history; the opinion stays.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from services.backbone import clock
from services.backbone.domain import RuleViolated
from services.backbone.persistence import Database

# Mainland mobile numbers: 11 digits starting 13..19 (MIIT numbering plan).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")

TABLES = (
    "CREATE TABLE IF NOT EXISTS fb_personal_data ("
    " person_key TEXT PRIMARY KEY, name TEXT, phone TEXT, email TEXT, app_user TEXT,"
    " stored_at TEXT NOT NULL)",
)


def normalise_phone(raw: str) -> str:
    """R-OPN-1: a mainland mobile number; +86 / 0086 prefixes and separators are dropped."""
    phone = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix):]
    if len(phone) == 13 and phone.startswith("86"):
        phone = phone[2:]
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

    def __repr__(self) -> str:  # never print personal data into logs or tracebacks
        masked = mask_phone(self.phone) if self.phone else None
        return f"Person(key={self.key!r}, phone={masked!r})"


class PersonalDataVault:
    """The one place personal data is written, read and erased."""

    def __init__(self, db: Database):
        self.db = db

    def store(self, person: Person) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO fb_personal_data (person_key, name, phone, email, app_user, stored_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (person.key, person.name, person.phone, person.email, person.app_user,
                 clock.now().isoformat(timespec="seconds")),
            )

    def get(self, key: str | None) -> Person | None:
        if not key:
            return None
        rows = self.db.query(
            "SELECT person_key, name, phone, email, app_user FROM fb_personal_data WHERE person_key = %s", (key,)
        )
        if not rows:
            return None
        row: dict[str, Any] = rows[0]
        return Person(key=row["person_key"], name=row["name"], phone=row["phone"], email=row["email"],
                      app_user=row["app_user"])

    def erase(self, key: str | None) -> bool:
        """Delete the person's data; True when there was something to delete."""
        if not key:
            return False
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM fb_personal_data WHERE person_key = %s", (key,))
            return cur.rowcount > 0
