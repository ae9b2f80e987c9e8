"""A sub-district (镇街/园区) under a government, the unit a group serves (R-ORG-2, R-ORG-3, R-ORG-7).
"""

from __future__ import annotations

import uuid
from typing import Any, Iterable

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.contracts.domain.checks import (
    HasContacts,
    bad_boundary,
    check_boundary,
    check_code,
    check_text,
    check_types,
    district_id,
)
from services.contracts.domain.government import Government


# Fixed paths beside /districts/{code}: a district with such a code could not be read by it.
RESERVED_CODES = frozenset({"names"})


def check_not_reserved(code: str) -> None:
    if code.lower() in RESERVED_CODES:
        raise RuleViolated(f"code：“{code}”是系统保留的路径名，不能用作街道编码", field="code", rule="R-SEC-3")


class District(HasContacts, Aggregate):
    """A sub-district (镇街/园区) under a government: the unit a group serves."""

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return district_id(code)

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        types: Iterable[str],
        government: "Government",
        leader: str | None = None,
        contact: str | None = None,
        boundary: Any = None,
    ) -> "District":
        check_code(code, "code")
        check_not_reserved(code)
        name = check_text(name, "name")  # type: ignore[assignment]
        return cls(
            code=code,
            name=name,
            types=check_types(types),
            government=government.code,
            leader=check_text(leader, "leader", required=False),
            contact=check_text(contact, "contact", required=False),
            boundary=check_boundary(boundary),
        )

    @event("DistrictRegistered")
    def __init__(
        self,
        code: str,
        name: str,
        types: list[str],
        government: str,
        leader: str | None,
        contact: str | None,
        boundary: dict[str, Any] | None,
    ) -> None:
        self.code = code
        self.name = name
        self.types = types
        self.government = government
        self.leader = leader
        self.department: str | None = None
        self.contact = contact
        self.boundary = boundary

    def change_types(self, types: Iterable[str]) -> bool:
        """R-ORG-3; False (no event) when the types are already these."""
        new = check_types(types)
        if new == self.types:
            return False
        self._types_changed(code=self.code, types=new)
        return True

    @event("DistrictTypesChanged")
    def _types_changed(self, code: str, types: list[str]) -> None:
        self.types = types

    def set_boundary(self, boundary: Any) -> None:
        checked = check_boundary(boundary)
        if checked is None:
            raise bad_boundary("应为 GeoJSON 多边形")
        self._boundary_set(code=self.code, boundary=checked)

    @event("DistrictBoundarySet")
    def _boundary_set(self, code: str, boundary: dict[str, Any]) -> None:
        self.boundary = boundary

    def change_contacts(self, *, leader: str | None, contact: str | None, department: str | None = None) -> bool:
        """Replace the contacts (the department is optional, R-ORG-7); False (no event) when nothing changes."""
        return self._replace_contacts("district", leader, department, contact)

    @event("ContactsChanged")
    def _contacts_changed(
        self, entity: str, code: str, leader: str | None, department: str | None, contact: str | None
    ) -> None:
        """R-ORG-7: the district's responsible leader and contact person (department optional)."""
        self.leader = leader
        self.department = department
        self.contact = contact

    def as_dict(self, *, with_boundary: bool = True) -> dict[str, Any]:
        out = {
            "code": self.code,
            "name": self.name,
            "types": list(self.types),
            "government": self.government,
            "leader": self.leader,
            "department": self.department,
            "contact": self.contact,
            "has_boundary": self.boundary is not None,
            "version": self.version,
        }
        if with_boundary:
            out["boundary"] = self.boundary
        return out
