"""Success answers' models, for ``route(response=...)`` and so for the OpenAPI document (issue 16):
the fields API.md and the presenters name; an answer may carry more (``additionalProperties``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model


class Answer(BaseModel):
    """The documented fields of an answer, each present; a client must accept more."""

    model_config = ConfigDict(extra="allow")


def page_of(item: type[BaseModel], key: str = "items") -> type[BaseModel]:
    """A list's page (API.md "Lists") whose ``key`` holds ``item``s; ``next_cursor`` is null on the last page."""
    fields: dict[str, Any] = {
        key: (list[item], ...),  # type: ignore[valid-type]
        "next_cursor": (str | None, Field(..., description="下一页的 cursor；最后一页为 null")),
    }
    return create_model(f"{item.__name__}Page", __base__=Answer, **fields)
