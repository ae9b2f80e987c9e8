"""Request bodies of the web service (strict: unknown fields are refused)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# As auth.py accepts them in a token: a code, and a subject.
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Subject = Annotated[str, Field(pattern=r"^[\w.:@+\-]{1,128}$")]


class DevToken(BaseModel):
    """POST /web/dev-token: a development token for a role and its scope."""

    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["planner", "subdistrict", "government", "bureau", "committee", "operator"]
    subject: Subject | None = None
    group: Code | None = None
    district: Code | None = None
    government: Code | None = None
