"""The web service's JSON answers, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from services.backbone.answers import Answer


class PageConfig(Answer):
    """How the pages sign people in (``oidc`` null without a provider) and the business date they show."""

    environment: str
    dev_sign_in: bool
    oidc: dict[str, Any] | None
    today: str


class DevSignIn(Answer):
    """A development token for a role and its scope (as ``rps token``)."""

    token: str
    role: str
