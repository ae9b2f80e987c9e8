"""A local institution that supplies planners, with its planning qualification (R-TEAM-1,
具备相应规划资质); a local planner names it when appointed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Mapping

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.contracts.domain.checks import check_code, check_text, institution_id
from services.contracts.domain.team import check_qualification, describe, valid_on


class Institution(Aggregate):
    """A local planning institution (any grade of planning qualification)."""

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return institution_id(code)

    @classmethod
    def register(cls, *, code: str, name: str, city: str | None, qualification: Mapping[str, Any]) -> "Institution":
        check_code(code, "code")
        name = check_text(name, "name")  # type: ignore[assignment]
        return cls(code=code, name=name, city=check_text(city, "city", required=False),
                   qualification=check_qualification(qualification, "qualification"))

    @event("InstitutionRegistered")
    def __init__(self, code: str, name: str, city: str | None, qualification: dict) -> None:
        self.code = code
        self.name = name
        self.city = city
        self.qualification = qualification

    def check_qualified_on(self, date: dt.date, field: str) -> None:
        """R-TEAM-1: a local planner comes from an institution whose qualification is valid on the appointment."""
        if not valid_on(self.qualification, date):
            raise RuleViolated(
                f"{field}：本地机构 {self.code} 的规划资质在 {date} 无效（{describe(self.qualification)}）",
                field=field,
                rule="R-TEAM-1",
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "city": self.city,
            "qualification": dict(self.qualification),
            "version": self.version,
        }
