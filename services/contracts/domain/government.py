"""A district government or a development zone's administrative committee (R-ORG-2, R-ORG-6, R-ORG-7).
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate
from services.contracts.domain.checks import HasContacts, check_code, check_government_kind, check_text, government_id


class Government(HasContacts, Aggregate):
    """A district government or a development zone's administrative committee."""

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return government_id(code)

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        kind: str,
        leader: str | None = None,
        department: str | None = None,
        contact: str | None = None,
    ) -> "Government":
        check_code(code, "code")
        name = check_text(name, "name")  # type: ignore[assignment]
        check_government_kind(kind)
        return cls(
            code=code,
            name=name,
            kind=kind,
            leader=check_text(leader, "leader", required=False),
            department=check_text(department, "department", required=False),
            contact=check_text(contact, "contact", required=False),
        )

    @event("GovernmentRegistered")
    def __init__(
        self, code: str, name: str, kind: str, leader: str | None, department: str | None, contact: str | None
    ) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.leader = leader
        self.department = department
        self.contact = contact

    def change_contacts(self, *, leader: str | None, department: str | None, contact: str | None) -> bool:
        """Replace the three contacts; False (no event) when nothing changes."""
        return self._replace_contacts("government", leader, department, contact)

    @event("ContactsChanged")
    def _contacts_changed(
        self, entity: str, code: str, leader: str | None, department: str | None, contact: str | None
    ) -> None:
        """R-ORG-7: the responsible leader, department and contact person."""
        self.leader = leader
        self.department = department
        self.contact = contact

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "leader": self.leader,
            "department": self.department,
            "contact": self.contact,
            "version": self.version,
        }
