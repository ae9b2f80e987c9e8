"""The contracts service's success answers (the aggregates' as_dict, views.py), for the OpenAPI
document; dates are ISO strings, absent facts null."""

from __future__ import annotations

from typing import Any

from services.backbone.answers import Answer, page_of


class GovernmentRow(Answer):
    code: str
    name: str
    kind: str
    leader: str | None
    department: str | None
    contact: str | None


class Government(GovernmentRow):
    version: int


class DistrictRow(Answer):
    code: str
    name: str
    government: str
    types: list[str]
    leader: str | None
    department: str | None
    contact: str | None
    has_boundary: bool


class District(DistrictRow):
    version: int
    boundary: Any  # GeoJSON, null until set


class Serving(Answer):
    """Who serves a district on a date (null group and contract when none does)."""

    district: str
    date: str
    group: str | None
    contract: str | None
    planners: list[Any]


class ContractRow(Answer):
    id: str
    team: str
    institution: str | None
    start_date: str
    end_date: str
    term: int
    term_years: int
    annual_fee_fen: int
    deduction_rule: str
    service_year_basis: str
    ended_on: str | None
    status: str
    signed_on: str | None
    terms: dict[str, Any]
    team_code: str | None  # R-TEAM-1: the recorded team, when the contract names one
    targets: dict[str, int] | None  # R-TEAM-2: planners to recruit per origin


class Contract(ContractRow):
    effective_end: str
    renewals: list[Any]
    evaluations: list[Any]
    service_years: list[dict[str, Any]]
    version: int


class ContractEvaluation(Answer):
    """A team's evaluation (R-CON-2); its scores and result as the contract recorded them."""

    contract: str


class PlannerRow(Answer):
    id: str
    name: str
    origin: str
    experience_years: int | None
    institution: str | None
    appointed_on: str | None
    dismissed_on: str | None
    qualifications: list[str]
    status: str
    institution_code: str | None  # R-TEAM-1: a local planner's recorded institution
    serves_locally: bool | None  # R-TEAM-2: the commitment to serve locally (null: not recorded)


class Planner(PlannerRow):
    dismissal_reason: str | None
    assignments: list[dict[str, Any]]
    evaluations: list[Any]
    version: int
    phone: str | None
    email: str | None


class PlannerEvaluation(Answer):
    planner: str


class GroupRow(Answer):
    code: str
    district: str
    contract: str
    from_date: str
    end_date: str | None
    tier1: str
    local: str | None
    planners: list[str]
    status: str


class Group(GroupRow):
    end_reason: str | None
    members: list[dict[str, Any]]
    replacements: list[Any]
    version: int


class GroupTerms(Answer):
    """The contract terms a group serves under (R-FEE-1)."""

    group: str
    district: str
    contract: str
    assignment: dict[str, Any]
    start_date: str
    end_date: str
    effective_end: str
    service_years: list[dict[str, Any]]


class Appointed(Answer):
    appointed: int
    target: int


class Recruitment(Answer):
    """R-TEAM-2: a running contract's planners serving on the date against its targets, per origin."""

    contract: str
    team: str
    team_code: str | None
    tier1: Appointed
    local: Appointed


class Organisation(Answer):
    """Governments, their districts and the group serving each, on a date; recruitment per contract."""

    date: str
    governments: list[dict[str, Any]]
    recruitment: list[Recruitment]


class Qualification(Answer):
    """R-TEAM-1: a planning qualification certificate."""

    grade: str
    certificate_no: str
    issuer: str
    valid_from: str | None
    valid_until: str


class TeamRow(Answer):
    code: str
    name: str
    city: str | None
    city_tier: str
    qualification: Qualification


class Team(TeamRow):
    qualifications: list[Qualification]
    version: int


class InstitutionRow(Answer):
    code: str
    name: str
    city: str | None
    qualification: Qualification


class Institution(InstitutionRow):
    version: int


class DistrictName(Answer):
    code: str
    name: str


class DistrictNames(Answer):
    """The public list of districts: code and name only (issue 16, the resident's form)."""

    items: list[DistrictName]


GovernmentPage = page_of(GovernmentRow)
DistrictPage = page_of(DistrictRow)
ContractPage = page_of(ContractRow)
PlannerPage = page_of(PlannerRow)
GroupPage = page_of(GroupRow)
TeamPage = page_of(TeamRow)
InstitutionPage = page_of(InstitutionRow)
