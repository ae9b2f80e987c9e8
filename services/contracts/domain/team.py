"""The contracted team and its class-A planning qualification (R-TEAM-1, 聘任要求).

A qualification is a certificate: grade, number, issuing body and validity
(``valid_from`` optional, ``valid_until`` inclusive). A team keeps every
certificate recorded for it, so a renewed one is a new record and a contract
signed under the earlier one still reads as it was checked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Mapping

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, RuleViolated
from services.contracts.domain.checks import check_code, check_text, day, team_id

CLASS_A = "甲级"  # 规划甲级资质: what the policy asks of the team
TEAM_CITY_TIERS = ("tier1",)  # R-TEAM-1: a planning institution of a first-tier city


def check_qualification(value: Mapping[str, Any], field: str, *, grade: str | None = None) -> dict[str, Any]:
    """R-TEAM-1: a planning qualification (grade, certificate number, issuer, validity) as the
    events keep it (dates as ISO strings); ``grade``: the grade it must have (the team's 甲级)."""
    checked = {
        "grade": check_text(value.get("grade"), f"{field}.grade"),
        "certificate_no": check_text(value.get("certificate_no"), f"{field}.certificate_no"),
        "issuer": check_text(value.get("issuer"), f"{field}.issuer"),
    }
    if grade is not None and checked["grade"] != grade:
        raise RuleViolated(
            f"{field}.grade：团队应具有规划{grade}资质，记录的是“{checked['grade']}”",
            field=f"{field}.grade",
            rule="R-TEAM-1",
        )
    until, since = value.get("valid_until"), value.get("valid_from")
    if until is None:
        raise RuleViolated(f"{field}.valid_until：资质有效期截止日不能为空", field=f"{field}.valid_until",
                           rule="R-TEAM-1")
    if since is not None and day(since) > day(until):
        raise RuleViolated(f"{field}.valid_from：资质有效期起始日晚于截止日 {until}", field=f"{field}.valid_from",
                           rule="R-TEAM-1")
    checked["valid_from"] = None if since is None else day(since).isoformat()
    checked["valid_until"] = day(until).isoformat()
    return checked


def valid_on(qualification: Mapping[str, Any], date: dt.date) -> bool:
    since = qualification.get("valid_from")
    return (since is None or day(since) <= date) and date <= day(qualification["valid_until"])


def describe(qualification: Mapping[str, Any]) -> str:
    since = qualification.get("valid_from") or "—"
    return f"证书 {qualification['certificate_no']}（{qualification['issuer']}，有效期 {since} 至 {qualification['valid_until']}）"


class Team(Aggregate):
    """The team a contract is signed with: a first-tier city's planning institution (R-TEAM-1)."""

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return team_id(code)

    @classmethod
    def register(
        cls, *, code: str, name: str, city: str | None, city_tier: str, qualification: Mapping[str, Any]
    ) -> "Team":
        check_code(code, "code")
        name = check_text(name, "name")  # type: ignore[assignment]
        if city_tier not in TEAM_CITY_TIERS:
            raise RuleViolated("city_tier：责任规划师团队应为一线城市（tier1）的规划机构", field="city_tier",
                               rule="R-TEAM-1")
        checked = check_qualification(qualification, "qualification", grade=CLASS_A)
        return cls(code=code, name=name, city=check_text(city, "city", required=False), city_tier=city_tier,
                   qualification=checked)

    @event("TeamRegistered")
    def __init__(self, code: str, name: str, city: str | None, city_tier: str, qualification: dict) -> None:
        self.code = code
        self.name = name
        self.city = city
        self.city_tier = city_tier
        self.qualifications = [qualification]

    def record_qualification(self, qualification: Mapping[str, Any]) -> None:
        """R-TEAM-1: a renewed (or corrected) certificate; the earlier ones stay on record."""
        self._qualification_recorded(code=self.code,
                                     qualification=check_qualification(qualification, "qualification", grade=CLASS_A))

    @event("TeamQualificationRecorded")
    def _qualification_recorded(self, code: str, qualification: dict) -> None:
        self.qualifications.append(qualification)

    @property
    def qualification(self) -> dict[str, Any]:
        """The certificate recorded last."""
        return self.qualifications[-1]

    def check_qualified_on(self, date: dt.date, field: str) -> None:
        """R-TEAM-1: a contract is signed only on a day one of the team's class-A certificates is valid."""
        if not any(valid_on(q, date) for q in self.qualifications):
            raise RuleViolated(
                f"{field}：团队 {self.code} 的规划{CLASS_A}资质在签订日 {date} 无效（{describe(self.qualification)}）",
                field=field,
                rule="R-TEAM-1",
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "city": self.city,
            "city_tier": self.city_tier,
            "qualification": dict(self.qualification),
            "qualifications": [dict(q) for q in self.qualifications],
            "version": self.version,
        }
