"""Request bodies of the contracts service (strict: unknown fields are refused).

Types and lengths are checked here (400). Enumerated values (kinds, types,
origins, qualifications, deduction rules) and ranges (term, fee, scores) are
domain rules, checked in the aggregates so the refusal names its rule (422).
Fields beyond API.md's minimal bodies are optional and may be null.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from services.backbone.text import Code, Name, Plain  # names and codes: no bidirectional controls (R-SEC-3)

Text = Annotated[str, Field(max_length=200)]
Reason = Annotated[str, Field(max_length=500)]
Word = Annotated[str, Field(max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RegisterGovernment(Strict):
    code: Code
    name: Name
    kind: str = Field(max_length=64)
    leader: Text | None = None
    department: Text | None = None
    contact: Text | None = None


class GovernmentContacts(Strict):
    leader: Text | None = None
    department: Text | None = None
    contact: Text | None = None


class RegisterDistrict(Strict):
    code: Code
    name: Name
    types: list[Word] = Field(max_length=10)
    government: Code
    leader: Text | None = None
    contact: Text | None = None
    boundary: dict[str, Any] | None = None


class DistrictTypes(Strict):
    types: list[Word] = Field(max_length=10)


class DistrictContacts(Strict):
    leader: Text | None = None
    contact: Text | None = None
    department: Text | None = None


class Boundary(RootModel[dict[str, Any]]):
    """PUT /districts/{code}/boundary: the GeoJSON geometry (or Feature) itself."""


class ContractTerms(Strict):
    """R-CON-1 (amended): the terms the policy names, each a text (工作内容、工作标准、工作深度、工作周期、工作时间、工作经费、权利义务)."""

    content: str | None = Field(default=None, max_length=20000)
    standards: str | None = Field(default=None, max_length=20000)
    depth: str | None = Field(default=None, max_length=20000)
    period: str | None = Field(default=None, max_length=20000)
    hours: str | None = Field(default=None, max_length=20000)
    funding: str | None = Field(default=None, max_length=20000)
    rights_obligations: str | None = Field(default=None, max_length=20000)


class SignContract(Strict):
    id: Code
    team: Annotated[str, Plain] = Field(min_length=1, max_length=200)
    start_date: dt.date
    annual_fee_fen: int
    term_years: int | None = None
    deduction_rule: str | None = Field(default=None, max_length=16)
    institution: Annotated[str, Plain] | None = Field(default=None, max_length=200)
    service_year_basis: str | None = Field(default=None, max_length=16)
    settle_confirmed_only: bool | None = None
    late_after_days: int | None = None
    leader_meeting_counts_for_visit: bool | None = None  # R-VIS-3
    work_content: str | None = Field(default=None, max_length=20000)
    evaluation_weights: dict[Word, float] | None = Field(default=None, max_length=30)
    pass_mark: float | None = None
    signed_on: dt.date | None = None  # R-CON-1: default today
    terms: ContractTerms | None = None
    team_code: Code | None = None  # R-TEAM-1: checked when given
    targets: dict[Word, int] | None = Field(default=None, max_length=2)  # R-TEAM-2: default 10 + 10


class Evaluation(Strict):
    date: dt.date | None = None
    scores: dict[Word, float] = Field(max_length=30)


class PlannerEvaluation(Evaluation):
    contract: Code


class Renewal(Strict):
    date: dt.date | None = None
    term_years: int | None = None


class Ending(Strict):
    date: dt.date | None = None
    reason: Reason | None = None


class AppointPlanner(Strict):
    id: Code
    name: Name
    origin: str = Field(max_length=16)
    qualifications: list[Word] = Field(max_length=10)
    experience_years: int | None = None
    community_renewal: bool | None = None
    institution: Annotated[str, Plain] | None = Field(default=None, max_length=200)
    date: dt.date | None = None
    institution_code: Code | None = None  # R-TEAM-1: a local planner's recorded institution
    serves_locally: bool | None = None  # R-TEAM-2: commitment to serve locally (selection criterion)
    # Contact data: kept in this service's own table, never in events.
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)


class Qualification(Strict):
    """R-TEAM-1: a planning qualification certificate (规划资质)."""

    grade: Text
    certificate_no: Text
    issuer: Text
    valid_from: dt.date | None = None
    valid_until: dt.date


class RegisterTeam(Strict):
    code: Code
    name: Name
    city: Text | None = None
    city_tier: str = Field(max_length=16)
    qualification: Qualification


class TeamQualification(Strict):
    qualification: Qualification


class RegisterInstitution(Strict):
    code: Code
    name: Name
    city: Text | None = None
    qualification: Qualification


class FormGroup(Strict):
    code: Code
    district: Code
    contract: Code
    planners: list[Code] = Field(max_length=10)
    from_date: dt.date | None = None


class Replacement(Strict):
    out: Code
    incoming: Annotated[str, Plain] = Field(alias="in", min_length=1, max_length=64)
    date: dt.date | None = None
    reason: str = Field(min_length=1, max_length=500)
