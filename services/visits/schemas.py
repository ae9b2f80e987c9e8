"""Request bodies of the visits service (strict: unknown fields are refused)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Activity = Literal[
    "survey", "publicity", "opinion_collection", "consultation", "evaluation", "community_building", "other"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class GeoPoint(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class LogVisit(Strict):
    group: str = Field(min_length=1, max_length=64)
    date: dt.date | None = None
    days: float
    planners: list[str] = Field(default_factory=list, max_length=4)
    activities: list[Activity] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list, max_length=20)
    leader_met: bool = False
    leader_name: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
    point: GeoPoint | None = None
    attachments: list[str] = Field(default_factory=list, max_length=20)
