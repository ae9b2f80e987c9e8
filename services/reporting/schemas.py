"""Request bodies of the reporting service (strict: unknown fields are refused)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

NOTE_MAX = 5000


class AddNote(BaseModel):
    """The bureau's note on a half-yearly report (R-RPT-3) or its yearly programme review (R-EVA-4)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, max_length=NOTE_MAX)
    date: dt.date | None = None
