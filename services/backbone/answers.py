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


class ChainVerification(Answer):
    """A service's tamper-evident chain recomputed (chain.py, R-RPT-5); ``hash_at`` where asked."""

    service: str
    intact: bool
    links: int
    head_position: int | None
    head_hash: str | None
    broken_at: int | None
    problem: str | None


class OpenApiDocument(Answer):
    """This document: OpenAPI 3.1, generated from the routes."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]
