"""Planners' contact data (phone, e-mail): kept in this service's own table, never in events.

Events are published to every subscriber and kept forever; contact details
change and are nobody else's business, so they live beside the event store.
The table is created on first use (the runtime has no hook for a service's
own non-projection tables yet).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from services.backbone.persistence import Database

_TABLE = (
    "CREATE TABLE IF NOT EXISTS ctr_planner_contacts ("
    " planner TEXT PRIMARY KEY, phone TEXT, email TEXT)"
)


class PlannerContacts:
    _ready: "weakref.WeakSet[Database]" = weakref.WeakSet()
    _lock = threading.Lock()

    def __init__(self, db: Database):
        self.db = db

    def _ensure(self) -> None:
        if self.db in self._ready:
            return
        with self._lock:
            if self.db not in self._ready:
                with self.db.transaction() as cur:
                    cur.execute(_TABLE)
                self._ready.add(self.db)

    def put(self, planner: str, *, phone: str | None, email: str | None) -> None:
        self._ensure()
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO ctr_planner_contacts (planner, phone, email) VALUES (%s, %s, %s) "
                "ON CONFLICT (planner) DO UPDATE SET phone = excluded.phone, email = excluded.email",
                (planner, phone, email),
            )

    def get(self, planner: str) -> dict[str, Any]:
        self._ensure()
        rows = self.db.query("SELECT phone, email FROM ctr_planner_contacts WHERE planner = %s", (planner,))
        return {"phone": rows[0]["phone"], "email": rows[0]["email"]} if rows else {"phone": None, "email": None}
