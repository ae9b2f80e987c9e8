"""Identity (R-SEC-1, R-SEC-2): bearer tokens are checked on every request.

Expired, tampered, wrong-audience, wrong-issuer, ``alg: none`` and unsigned
tokens are 401 with the API's error body; production refuses to start
without the identity provider's keys; the IdP's RS256/ES256 keys work
through a JWKS document; the actor of a valid token is on every event.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from services.backbone import auth
from services.backbone.settings import DEV_JWT_SECRET, ConfigurationError, Settings
from services.cli import main as rps

SAFE = "/api/v1/governments"  # any route a bureau token may read
PUBLIC = "/api/v1/open311/v2/services.json"  # a route that needs no token


def claims(**overrides):
    now = int(time.time())
    base = {"iss": "rps-dev", "aud": "rps", "sub": "bureau-1", "role": "bureau", "iat": now, "nbf": now,
            "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload, key=DEV_JWT_SECRET, **kw):
    return jwt.encode(payload, key, algorithm="HS256", **kw)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered() -> str:
    header, payload, signature = hs256(claims(role="committee")).split(".")
    return ".".join([header, _b64(claims(role="bureau")), signature])


BAD_TOKENS = {
    "expired": lambda: hs256(claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200)),
    "not yet valid": lambda: hs256(claims(nbf=int(time.time()) + 3600)),
    "tampered": _tampered,
    "wrong audience": lambda: hs256(claims(aud="another-system")),
    "wrong issuer": lambda: hs256(claims(iss="https://evil.example")),
    "alg none": lambda: jwt.encode(claims(), None, algorithm="none"),
    "unsigned": lambda: ".".join([_b64({"alg": "HS256", "typ": "JWT"}), _b64(claims()), ""]),
    "alg none, signature kept": lambda: ".".join([_b64({"alg": "none"}), _b64(claims()), hs256(claims()).split(".")[2]]),
    "other key": lambda: hs256(claims(), key="x" * 40),
    "HS512 not allowed": lambda: jwt.encode(claims(), DEV_JWT_SECRET * 2, algorithm="HS512"),
    "no expiry": lambda: hs256(claims(exp=None)),
    "no subject": lambda: hs256(claims(sub=None)),
    "unknown role": lambda: hs256(claims(role="root")),
    "planner without group": lambda: hs256(claims(role="planner")),
    "scope with a newline": lambda: hs256(claims(role="government", government="g1\nrole=bureau")),
    "garbage": lambda: "not-a-token",
}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
@pytest.mark.parametrize("path", [SAFE, PUBLIC])
def test_bad_tokens_are_401_everywhere(api, runtime, name, path):
    # R-SEC-1: a token that is present but invalid is refused, even on a public route
    response = api.get(path, headers={"Authorization": f"Bearer {BAD_TOKENS[name]()}"})
    assert response.status_code == 401, (name, response.json_body)
    if path == PUBLIC:  # issue 16: an Open311 route refuses in GeoReport's error list, the gate too
        [error] = response.json_body
        assert error["code"] == 401 and error["description"]
    else:
        error = response.json_body["error"]
        assert error["code"] == "invalid_token" and error["message"]
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="rps"')


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token abc"])
def test_other_authorization_schemes_are_401(api, header):
    response = api.get(SAFE, headers={"Authorization": header})
    assert response.status_code == 401 and response.json_body["error"]["code"] == "invalid_token"


def test_no_token_is_a_resident_and_staff_routes_say_401(api):
    # API.md: 401 = no or invalid token; health and the public intake need none
    anonymous = api.anonymous()
    response = anonymous.get(SAFE)
    assert response.status_code == 401 and response.json_body["error"]["code"] == "unauthenticated"
    assert anonymous.get(PUBLIC).status_code == 200
    assert anonymous.get("/health/live").status_code == 200


def test_a_valid_token_passes_and_its_actor_is_on_the_event(api, runtime, unique):
    # R-SEC-2: subject, role and correlation id travel from the request into the event
    token = hs256(claims(sub="clerk-42"))
    response = api.post("/api/v1/governments", {"code": f"gv-{unique}", "name": "某区", "kind": "district_government"},
                        headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": f"corr-{unique}"})
    assert response.status_code == 201, response.json_body
    assert response.headers["X-Correlation-ID"] == f"corr-{unique}"
    envelope = runtime.app("contracts").envelopes(after=0, limit=1000)[-1]
    assert (envelope["actor"], envelope["actorrole"], envelope["correlationid"]) == ("clerk-42", "bureau", f"corr-{unique}")


def test_a_forged_correlation_id_is_replaced(api):
    # Log lines encoded: a header with a line break never reaches a log line or an event
    response = api.get("/health/live", headers={"X-Correlation-ID": "x forged=line; role=bureau"})
    assert "forged" not in response.headers["X-Correlation-ID"]


def test_leeway_accepts_a_token_a_few_seconds_old(api):
    token = hs256(claims(exp=int(time.time()) - 5))
    assert api.get(SAFE, headers={"Authorization": f"Bearer {token}"}).status_code == 200


# -- configuration -------------------------------------------------------------------------------


def test_production_refuses_to_start_without_the_identity_providers_keys():
    # R-SEC-1: a service refuses to start in production mode without a key configuration
    with pytest.raises(ConfigurationError, match="RPS_JWKS_URL"):
        Settings.from_env({"RPS_ENV": "production"})
    with pytest.raises(ConfigurationError, match="RPS_JWKS_URL"):
        Settings(environment="production")
    # ...nor with a development key in its place
    with pytest.raises(ConfigurationError):
        Settings.from_env({"RPS_ENV": "production", "RPS_JWT_SECRET": "s" * 40})
    complete = {
        "RPS_ENV": "production", "RPS_JWKS_URL": "https://idp.liaocheng.example/jwks.json",
        "RPS_JWT_ISSUER": "https://idp.liaocheng.example", "RPS_JWT_AUDIENCE": "rps", "RPS_PSEUDONYM_KEY": "k" * 40,
        "RPS_CHAIN_KEYS": "k1:" + "a2V5LW9mLXRoZS1jaGFpbi1pbi10aGUtdG9rZW4tdGVzdHM=",  # R-RPT-5 (35 bytes)
    }
    settings = Settings.from_env(complete)
    assert settings.jwt_algorithms == ("RS256", "ES256") and settings.signing_secret is None
    for missing in ("RPS_JWT_ISSUER", "RPS_JWT_AUDIENCE", "RPS_PSEUDONYM_KEY", "RPS_CHAIN_KEYS"):
        with pytest.raises(ConfigurationError, match=missing):
            Settings.from_env({k: v for k, v in complete.items() if k != missing})
    with pytest.raises(ConfigurationError, match="https"):
        Settings.from_env({**complete, "RPS_JWKS_URL": "http://idp.example/jwks.json"})
    with pytest.raises(ConfigurationError, match="not allowed"):
        Settings.from_env({**complete, "RPS_JWT_ALGORITHMS": "HS256"})
    with pytest.raises(ConfigurationError, match="not allowed"):
        Settings.from_env({"RPS_JWT_ALGORITHMS": "none"})
    with pytest.raises(ConfigurationError, match="32 bytes"):
        Settings.from_env({"RPS_JWT_SECRET": "short"})


def test_production_issues_no_local_tokens():
    settings = Settings(environment="production", jwks_url="https://idp.example/jwks", jwt_issuer="i",
                        jwt_audience="a", pseudonym_key="k" * 40, chain_keys={"k1": b"c" * 32})
    with pytest.raises(ConfigurationError):
        auth.issue_token(settings, "bureau")


def test_secrets_come_from_mounted_files_and_never_show_in_repr(tmp_path):
    path = tmp_path / "jwt"
    path.write_text("f" * 48 + "\n")
    settings = Settings.from_env({"RPS_JWT_SECRET_FILE": str(path)})
    assert settings.jwt_secret == "f" * 48
    assert "f" * 48 not in repr(settings)


def test_rps_token_prints_a_token_for_a_role_and_scope(capsys):
    # API.md "Command line": rps token --role ROLE [--subject] [--group] [--district] [--government]
    assert rps(["token", "--role", "planner", "--subject", "p-1", "--group", "g-1", "--district", "d-1"]) == 0
    token = capsys.readouterr().out.strip()
    actor = auth.TokenVerifier(Settings()).verify(token)
    assert (actor.subject, actor.role, actor.group, actor.district) == ("p-1", "planner", "g-1", "d-1")
    assert rps(["token", "--role", "planner"]) == 2  # a planner's token needs its group
    assert "group" in capsys.readouterr().err


# -- the identity provider's keys (JWKS) ---------------------------------------------------------------


@pytest.fixture
def idp():
    """An identity provider's signing keys, published as a JWKS document on a local HTTP server."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, key, alg in (("rsa-1", rsa_key, "RS256"), ("ec-1", ec_key, "ES256")):
        jwk = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key()))
        keys.append({**jwk, "kid": kid, "use": "sig", "alg": alg})
    document = json.dumps({"keys": keys}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    settings = Settings(jwks_url=url, jwt_issuer="https://idp.example", jwt_audience="rps-api")
    try:
        yield {"settings": settings, "rsa": rsa_key, "ec": ec_key}
    finally:
        server.shutdown()
        server.server_close()


def _idp_claims(**overrides):
    return claims(**{"iss": "https://idp.example", "aud": "rps-api", **overrides})


def test_the_identity_providers_rs256_and_es256_tokens_are_accepted(idp):
    verifier = auth.TokenVerifier(idp["settings"])
    rs = jwt.encode(_idp_claims(sub="u-1", role="government", government="g1"), idp["rsa"], algorithm="RS256",
                    headers={"kid": "rsa-1"})
    es = jwt.encode(_idp_claims(sub="u-2", role="committee"), idp["ec"], algorithm="ES256", headers={"kid": "ec-1"})
    assert verifier.verify(rs).government == "g1"
    assert verifier.verify(es).role == "committee"


def test_the_identity_providers_keys_refuse_forgeries(idp):
    verifier = auth.TokenVerifier(idp["settings"])
    public_pem = idp["rsa"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forgeries = {
        # the classic confusion: HMAC keyed with the published public key
        "HS256 with the public key": _hmac_with(public_pem, _idp_claims()),
        "another key, same kid": jwt.encode(_idp_claims(), other, algorithm="RS256", headers={"kid": "rsa-1"}),
        "unknown kid": jwt.encode(_idp_claims(), other, algorithm="RS256", headers={"kid": "nope"}),
        "alg none": jwt.encode(_idp_claims(), None, algorithm="none"),
        "dev key": hs256(_idp_claims()),
        "wrong audience": jwt.encode(_idp_claims(aud="rps"), idp["rsa"], algorithm="RS256", headers={"kid": "rsa-1"}),
    }
    for name, token in forgeries.items():
        with pytest.raises(auth.Unauthenticated):
            verifier.verify(token)
            pytest.fail(f"accepted: {name}")


def _hmac_with(key: bytes, payload: dict) -> str:
    """HS256 by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret."""
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': 'rsa-1'})}.{_b64(payload)}"
    signature = base64.urlsafe_b64encode(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=")
    return f"{signing_input}.{signature.decode()}"


def test_a_remembered_token_is_checked_again_once_its_window_closes(monkeypatch):
    # A verified token is remembered (no signature check per request), never past
    # exp + leeway and never longer than VERIFIED_TTL_SECONDS.
    settings = Settings()
    verifier = auth.TokenVerifier(settings)
    token = auth.issue_token(settings, "bureau", ttl_seconds=120)
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    clock = [float(exp - 120)]
    monkeypatch.setattr(auth, "now", lambda: clock[0])
    checks = []
    real = verifier._verify
    monkeypatch.setattr(verifier, "_verify", lambda t: (checks.append(t), real(t))[1])
    assert verifier.verify(token).role == "bureau"
    assert verifier.verify(token).role == "bureau"
    assert len(checks) == 1  # the second request was answered from memory
    clock[0] += auth.VERIFIED_TTL_SECONDS
    assert verifier.verify(token).role == "bureau"
    assert len(checks) == 2  # the time to live is over: checked again
    # Past exp + leeway the remembered answer no longer holds: the full check decides (here: expired).
    clock[0] = exp + settings.jwt_leeway_seconds

    def expired(t):
        checks.append(t)
        raise auth.Unauthenticated("令牌无效：已过期", code="invalid_token")

    monkeypatch.setattr(verifier, "_verify", expired)
    with pytest.raises(auth.Unauthenticated):
        verifier.verify(token)
    assert len(checks) == 3
