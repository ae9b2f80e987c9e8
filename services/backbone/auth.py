"""Who is calling: bearer tokens (JWT) checked on every request (R-SEC-1, R-SEC-2).

Production verifies the city identity provider's tokens with the keys it
publishes at ``RPS_JWKS_URL`` (RS256/ES256); development and tests sign and
verify with a local HMAC key (``RPS_JWT_SECRET``, a fixed development key
when unset) through ``issue_token`` and ``rps token``. Either way the
algorithm comes from an allow-list in the settings (never from the token),
and issuer, audience, expiry and not-before are checked by PyJWT.

Claims: ``sub``, ``role`` and the scope the role needs: ``group`` (planner),
``district`` (sub-district), ``government`` (government). A request without
a token acts as an anonymous resident; a token that is present but not
valid is refused (401) whatever the route.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, Callable, Mapping

import jwt
from werkzeug.wrappers import Request

from services.backbone.context import Actor
from services.backbone.domain import DomainError
from services.backbone.settings import ConfigurationError, Settings

log = logging.getLogger(__name__)

RESIDENT = "resident"
ROLES = ("resident", "planner", "subdistrict", "government", "bureau", "committee", "operator")
# Signed-in staff: not limited by the anonymous intake's rate limit (R-SEC-5).
STAFF = ("planner", "subdistrict", "government", "bureau", "committee", "operator")
# The claim each scoped role cannot do without.
SCOPE_CLAIM = {"planner": "group", "subdistrict": "district", "government": "government"}
ANONYMOUS = Actor(subject="anonymous", role=RESIDENT)

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # as contracts' codes
_SUBJECT = re.compile(r"^[\w.:@+\-]{1,128}$")
MAX_TOKEN_BYTES = 8192


class Unauthenticated(DomainError):
    """No valid credentials where the route needs them, or a token that fails its checks (401)."""

    status = 401
    code = "unauthenticated"

    def __init__(self, message: str, *, code: str = "unauthenticated", error: str | None = None):
        super().__init__(message)
        self.code = code
        challenge = 'Bearer realm="rps"' + (f', error="{error}"' if error else "")
        self.headers = {"WWW-Authenticate": challenge}


def _invalid(message: str) -> Unauthenticated:
    return Unauthenticated(f"令牌无效：{message}", code="invalid_token", error="invalid_token")


# A token that passed every check is remembered this long (bounded by its own
# exp and nbf), so a client's next requests skip the signature and claim checks;
# PyJWKClient keeps the IdP's keys for 300 s anyway.
VERIFIED_TTL_SECONDS = 60
MAX_VERIFIED_TOKENS = 4096

now: Callable[[], float] = time.time


class TokenVerifier:
    """Checks a bearer token against the configured keys and returns the actor."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.algorithms = list(settings.jwt_algorithms)
        # token -> (actor, first and last instant it is valid at, by the checks it passed)
        self._verified: dict[str, tuple[Actor, float, float]] = {}
        self._jwks: jwt.PyJWKClient | None = None
        if settings.jwks_url:
            # Keys are cached and refetched when an unknown key id appears (rotation).
            self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300, timeout=5)

    def _key(self, token: str) -> Any:
        if self._jwks is None:
            return self.settings.signing_secret
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            # The IdP is unreachable: not the caller's fault, retryable (503).
            raise ConnectionError("identity provider keys unavailable") from exc
        except (jwt.PyJWKClientError, jwt.InvalidTokenError):
            raise _invalid("签名密钥未知") from None

    def verify(self, token: str) -> Actor:
        at = now()
        known = self._verified.get(token)
        if known is not None and known[1] <= at < known[2]:
            return known[0]
        actor, claims = self._verify(token)
        self._remember(token, actor, claims, at)
        return actor

    def _remember(self, token: str, actor: Actor, claims: Mapping[str, Any], at: float) -> None:
        leeway = self.settings.jwt_leeway_seconds
        # Exactly the window PyJWT would accept: exp > now - leeway; nbf, iat <= now + leeway.
        until = min(at + VERIFIED_TTL_SECONDS, int(claims["exp"]) + leeway)
        since = max((int(claims[c]) - leeway for c in ("nbf", "iat") if c in claims), default=at)
        if len(self._verified) >= MAX_VERIFIED_TOKENS:
            self._verified = {}
        self._verified[token] = (actor, since, until)

    def _verify(self, token: str) -> tuple[Actor, Mapping[str, Any]]:
        if len(token) > MAX_TOKEN_BYTES:
            raise _invalid("过长")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _invalid("格式错误") from None
        # Checked before any key is looked up: "none", HS256 against a public key, ... are refused here.
        if header.get("alg") not in self.algorithms:
            raise _invalid("签名算法不被接受")
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=self.algorithms,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_signature": True},
            )
        except jwt.ExpiredSignatureError:
            raise _invalid("已过期") from None
        except jwt.ImmatureSignatureError:
            raise _invalid("尚未生效") from None
        except jwt.InvalidAudienceError:
            raise _invalid("受众（aud）不符") from None
        except jwt.InvalidIssuerError:
            raise _invalid("签发方（iss）不符") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _invalid(f"缺少声明 {exc.claim}") from None
        except jwt.InvalidTokenError:
            raise _invalid("签名或内容校验失败") from None
        return actor_from_claims(claims), claims


def actor_from_claims(claims: Mapping[str, Any]) -> Actor:
    subject, role = claims.get("sub"), claims.get("role")
    if not isinstance(subject, str) or not _SUBJECT.match(subject):
        raise _invalid("sub 格式不符")
    if role not in ROLES:
        raise _invalid("role 不是系统中的角色")
    scope: dict[str, str | None] = {}
    for name in ("group", "district", "government"):
        value = claims.get(name)
        if value is not None and (not isinstance(value, str) or not _CODE.match(value)):
            raise _invalid(f"{name} 格式不符")
        scope[name] = value
    needed = SCOPE_CLAIM.get(role)
    if needed and not scope[needed]:
        raise _invalid(f"角色 {role} 的令牌缺少 {needed}")
    return Actor(subject=subject, role=role, **scope)


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer ...``; None when there is no such header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization 头应为 Bearer 令牌", code="invalid_token", error="invalid_request")
    return token.strip()


def authenticate(request: Request, verifier: TokenVerifier) -> Actor:
    """The caller: from a valid token, or an anonymous resident when none is sent."""
    token = bearer(request)
    if token is None:
        return ANONYMOUS
    return verifier.verify(token)


def verifier_of(runtime: Any) -> TokenVerifier:
    """The process's verifier, built once per runtime (it caches the IdP's keys)."""
    verifier = getattr(runtime, "_rps_token_verifier", None)
    if verifier is None:
        verifier = TokenVerifier(runtime.settings)
        runtime._rps_token_verifier = verifier
    return verifier


def issue_token(
    settings: Settings,
    role: str,
    subject: str | None = None,
    group: str | None = None,
    district: str | None = None,
    government: str | None = None,
    ttl_seconds: int = 3600,
) -> str:
    """A token signed with the local key (development and tests; ``rps token``).

    Production takes tokens from the city's identity provider: with a JWKS
    configured there is no local key and this refuses.
    """
    secret = settings.signing_secret
    if secret is None or settings.production:
        raise ConfigurationError("tokens come from the identity provider here (RPS_JWKS_URL is set)")
    if ttl_seconds < 1:
        raise ValueError("ttl_seconds must be positive")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject or f"{role}-dev",
        "role": role,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    for name, value in (("group", group), ("district", district), ("government", government)):
        if value is not None:
            claims[name] = value
    try:
        actor_from_claims(claims)  # never mint what verification would refuse
    except Unauthenticated as exc:
        raise ValueError(exc.message.removeprefix("令牌无效：")) from None
    return jwt.encode(claims, secret, algorithm=settings.jwt_algorithms[0])


def group_district(runtime: Any, group: str | None) -> str | None:
    """The district ``group`` serves, where this process holds the store of the service that keeps
    the organisation (embedded, or a runtime that includes it): a planner's token for a group
    carries it (issue 15 item 10). Elsewhere None: the access policy finds it from the group."""
    from services.backbone.declaration import organisation_owner

    owner = organisation_owner()
    if owner.name not in getattr(runtime, "apps", {}) or not group:
        return None
    return owner.scope_loader().district_of_group(runtime, group)


def service_headers(settings: Settings) -> dict[str, str]:
    """What one service sends when it reads another's event feed: an operator's token."""
    token = settings.service_token
    if token is None and settings.signing_secret is not None:
        token = issue_token(settings, "operator", subject="rps-service", ttl_seconds=600)
    return {"Authorization": f"Bearer {token}"} if token else {}
