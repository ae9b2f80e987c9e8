"""Request bodies and query strings of the visits service.

Bodies are strict (unknown fields are refused); query strings arrive as
text, so their model converts types, and still refuses unknown parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.backbone.text import Code, Plain

# Names and codes: no bidirectional controls (R-SEC-3); notes and reasons are free text.
ShortCode = Annotated[str, Field(max_length=64), Plain]
PersonName = Annotated[str, Field(max_length=100), Plain]

Activity = Literal[
    "survey", "publicity", "opinion_collection", "consultation", "evaluation", "community_building", "other"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class GeoPoint(Strict):
    """WGS84."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class LogVisit(Strict):
    group: Code
    district: ShortCode | None = None  # must be the group's (R-VIS-6)
    date: dt.date | None = None
    days: float
    planners: list[ShortCode] = Field(default_factory=list, max_length=4)
    activities: list[Activity] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list, max_length=20)
    leader_met: bool = False
    leader_name: PersonName | None = None
    notes: str | None = Field(default=None, max_length=2000)
    point: GeoPoint | None = None
    attachments: list[str] = Field(default_factory=list, max_length=20)
    # The day the visit was reported, when the bureau enters a paper record afterwards (R-VIS-7).
    reported_on: dt.date | None = None


class CorrectVisit(Strict):
    """Only the fields sent are changed; ``null`` clears the optional ones (R-VIS-6)."""

    date: dt.date = None  # type: ignore[assignment]  # absent = unchanged; null is refused
    days: float = None  # type: ignore[assignment]
    planners: list[ShortCode] = Field(default=None, max_length=4)  # type: ignore[assignment]
    activities: list[Activity] = None  # type: ignore[assignment]
    places: list[str] = Field(default=None, max_length=20)  # type: ignore[assignment]
    leader_met: bool = None  # type: ignore[assignment]
    leader_name: PersonName | None = None
    notes: str | None = Field(default=None, max_length=2000)
    point: GeoPoint | None = None
    attachments: list[str] = Field(default=None, max_length=20)  # type: ignore[assignment]
    reason: str = Field(min_length=1, max_length=2000)


class VoidVisit(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class Confirmation(Strict):
    """R-VIS-7: ``confirmed: true`` confirms (and may say whether the leader was met);
    ``confirmed: false`` disputes and needs a ``reason``."""

    confirmed: bool
    leader_met_confirmed: bool | None = None
    by: PersonName | None = None
    reason: str | None = Field(default=None, max_length=2000)


class Settle(Strict):
    group: Code
    service_year: int = Field(ge=2000, le=2100)


VisitStatus = Literal["unconfirmed", "confirmed", "disputed", "voided"]


class VisitQuery(BaseModel):
    """``GET /visits`` filters (API.md "Lists")."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    group: str | None = Field(default=None, max_length=64)
    district: str | None = Field(default=None, max_length=64)
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    status: VisitStatus | None = None
    late: bool | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
