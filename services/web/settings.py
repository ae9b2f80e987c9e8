"""The web pages' settings: how people sign in (read from the environment once, when the
process starts, with the other settings; the service takes them from its runtime).

Production signs people in at the city's identity provider with OpenID
Connect (authorization code with PKCE, run by the page itself): the provider
issues the access token the API verifies with ``RPS_JWKS_URL``, carrying the
same claims as a development token (``sub``, ``role``, ``group``,
``district``, ``government``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

from services.backbone.settings import ConfigurationError


@dataclass(frozen=True)
class WebSettings:
    # RPS_OIDC_ISSUER: the provider's issuer URL; its discovery document is
    # ``{issuer}/.well-known/openid-configuration``. Unset: no OIDC sign-in.
    oidc_issuer: str | None = None
    # RPS_OIDC_CLIENT_ID: this site's (public) client id at the provider.
    oidc_client_id: str | None = None
    # RPS_OIDC_SCOPES: scopes asked for; the provider maps them to our claims.
    oidc_scopes: str = "openid profile"
    # RPS_OIDC_AUDIENCE: sent as ``audience`` when the provider needs it to
    # mint an access token for the API (must match RPS_JWT_AUDIENCE).
    oidc_audience: str | None = None

    @property
    def oidc(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def oidc_origin(self) -> str | None:
        """The provider's origin, which the pages' Content-Security-Policy lets them call."""
        if not self.oidc_issuer:
            return None
        parts = urlsplit(self.oidc_issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, production: bool = False) -> "WebSettings":
        issuer = (env.get("RPS_OIDC_ISSUER") or "").rstrip("/") or None
        client_id = env.get("RPS_OIDC_CLIENT_ID") or None
        if issuer:
            scheme = urlsplit(issuer).scheme
            if scheme not in ("https", "http") or (production and scheme != "https"):
                raise ConfigurationError("RPS_OIDC_ISSUER must be an https:// URL")
            if not client_id:
                raise ConfigurationError("RPS_OIDC_ISSUER needs RPS_OIDC_CLIENT_ID")
        return cls(
            oidc_issuer=issuer,
            oidc_client_id=client_id,
            oidc_scopes=env.get("RPS_OIDC_SCOPES") or "openid profile",
            oidc_audience=env.get("RPS_OIDC_AUDIENCE") or None,
        )

