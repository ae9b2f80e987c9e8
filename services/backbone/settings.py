"""Configuration, read from the environment once when a process starts.

Every variable is listed in the README; nothing here connects to anything.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import unquote, urlsplit

from services.backbone.feed import feed_url

if TYPE_CHECKING:
    from services.backbone.chain import Keyring

class ConfigurationError(Exception):
    """A setting is missing or malformed; the process refuses to start."""


def env_int(
    env: Mapping[str, Any], name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``name`` as a whole number, ``default`` when unset or empty, within ``minimum`` (..
    ``maximum``) when given; otherwise a ConfigurationError naming the variable (every
    service's settings read their numbers so)."""
    return _number(env, name, default, int, "an integer", minimum, maximum)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, "a number")


def _number(
    env: Mapping[str, Any],
    name: str,
    default: Any,
    parse: Callable[[Any], Any],
    what: str,
    minimum: Any = None,
    maximum: Any = None,
) -> Any:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = parse(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be {what}, got {raw!r}") from None
    if maximum is not None and not minimum <= value <= maximum:
        raise ConfigurationError(f"{name} must be between {minimum} and {maximum}, got {value}")
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (a mounted Secret)."""
    path = env.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return env.get(name) or None


_KEY_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


def _chain_keys(raw: str | None) -> dict[str, bytes]:
    """``RPS_CHAIN_KEYS``: ``id1:base64key,id2:base64key`` (R-RPT-5); errors never show a key."""
    keys: dict[str, bytes] = {}
    for entry in (raw or "").replace("\n", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ConfigurationError("RPS_CHAIN_KEYS: each entry is id:base64key (id of letters, digits, _ . -)")
        try:
            keys[key_id] = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"RPS_CHAIN_KEYS: the key {key_id!r} is not valid base64") from None
    return keys


def _outside_data_dir(env: Mapping[str, str], name: str) -> str | None:
    """A secret that must not live in RPS_DATA_DIR (a copy of the data would carry it)."""
    path = env.get(f"{name}_FILE")
    if path:
        data_dir = Path(env.get("RPS_DATA_DIR") or "var").resolve()
        if Path(path).resolve().is_relative_to(data_dir):
            raise ConfigurationError(f"{name}_FILE must not be inside RPS_DATA_DIR ({data_dir})")
    return _secret(env, name)


def _fixed_today(env: Mapping[str, str]) -> dt.date | None:
    """``RPS_TODAY``, honoured only outside production (where it is ignored)."""
    raw = (env.get("RPS_TODAY") or "").strip()
    if not raw or env.get("RPS_ENV") == "production":
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ConfigurationError(f"RPS_TODAY must be YYYY-MM-DD, got {raw!r}") from None


ENVIRONMENTS = ("development", "test", "production")
# Signature algorithms a token may use: keys of the city's identity provider
# (JWKS) are asymmetric; a local development key is HMAC. Never "none".
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LOCAL_ALGORITHMS = ("HS256", "HS384", "HS512")
DEV_ISSUER = "rps-dev"
DEV_AUDIENCE = "rps"
# Development and tests only: refused when RPS_ENV=production.
DEV_JWT_SECRET = "rps-development-signing-key--not-for-production"
DEV_PSEUDONYM_KEY = "rps-development-pseudonym-key--not-for-production"
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Settings:
    amqp_uri: str | None = None
    database_url: str | None = None
    data_dir: Path = Path("var")
    http: str = "127.0.0.1:8000"
    relay_batch: int = 200
    relay_idle_seconds: float = 0.5
    consumer_prefetch: int = 100
    # The lease of the one active relay / projection runner (singleton.py): a
    # frozen holder is replaced this long after its last renewal.
    lease_seconds: float = 15.0
    # RabbitMQ's management API (http://host:15672): queue depths with the unacknowledged
    # deliveries counted (issue 15 item 11); unset: a passive declare (ready messages only).
    rabbitmq_management_url: str | None = None
    metrics_port: int = 0
    retry_attempts: int = 5
    retry_backoff_seconds: float = 0.2
    events_urls: dict[str, str] = field(default_factory=dict)
    # Identity (R-SEC-1): production verifies the city IdP's tokens with the keys
    # at RPS_JWKS_URL; development and tests sign and verify with a local key.
    environment: str = "development"
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: tuple[str, ...] = ()
    jwt_leeway_seconds: int = 30
    jwt_secret: str | None = field(default=None, repr=False)
    # Bearer token this process sends to other services (event feeds) when it
    # cannot sign one itself (production: a client-credentials token of the IdP).
    service_token: str | None = field(default=None, repr=False)
    # Keys client addresses and phone numbers before they are stored in the
    # rate-limit counters and idempotency records (R-SEC-5, R-OPN-3).
    pseudonym_key: str | None = field(default=None, repr=False)
    idempotency_retention_hours: int = 24
    rate_limit_per_minute: int = 10
    rate_limit_phone_per_day: int = 5
    trusted_proxy_hops: int = 0
    # R-SEC-3: a claimed key whose request has not answered after this long may be run again.
    idempotency_in_flight_seconds: int = 60
    # PostgreSQL: seconds to open a connection, and the longest statement; a request that
    # waits longer gets 503 with Retry-After instead of hanging (issue 15 item 9).
    db_connect_timeout_seconds: float = 3.0
    db_statement_timeout_seconds: float = 10.0
    # Tests only (RPS_ENV=test): a named point where the process kills itself (crash tests).
    failpoint: str | None = None
    # RPS_TODAY: the process's fixed business date (clock.fix_today); tests, never production.
    today: dt.date | None = None
    # The chain keys (R-RPT-5): HMAC keys of the tamper-evident chain by id, and the id new
    # links are made with. Never in the database nor RPS_DATA_DIR; development and tests
    # use a fixed key, production refuses to start without them.
    chain_keys: dict[str, bytes] = field(default_factory=dict, repr=False)
    chain_key_id: str | None = None
    # Each installed service's own settings (its declaration's ``settings``: a frozen dataclass
    # with ``from_env(env, *, production)``), read from the same environment at the same time.
    services: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ConfigurationError(f"RPS_ENV must be one of {', '.join(ENVIRONMENTS)}, got {self.environment!r}")
        production = self.environment == "production"
        if self.jwks_url:
            allowed, default = ASYMMETRIC_ALGORITHMS, ("RS256", "ES256")
            if not self.jwks_url.startswith(("https://", "http://")) or (
                production and not self.jwks_url.startswith("https://")
            ):
                raise ConfigurationError("RPS_JWKS_URL must be an https:// URL (http:// outside production)")
        else:
            if production:
                raise ConfigurationError(
                    "RPS_ENV=production needs RPS_JWKS_URL (the city identity provider's keys); "
                    "the service refuses to start without it"
                )
            allowed, default = LOCAL_ALGORITHMS, ("HS256",)
        algorithms = tuple(self.jwt_algorithms) or default
        bad = [a for a in algorithms if a not in allowed]
        if bad:
            raise ConfigurationError(f"RPS_JWT_ALGORITHMS: {', '.join(bad)} not allowed here; use {', '.join(allowed)}")
        object.__setattr__(self, "jwt_algorithms", algorithms)
        if production:
            if self.jwt_secret:
                raise ConfigurationError("RPS_JWT_SECRET is for development; production verifies with RPS_JWKS_URL")
            for name, value in (("RPS_JWT_ISSUER", self.jwt_issuer), ("RPS_JWT_AUDIENCE", self.jwt_audience),
                                ("RPS_PSEUDONYM_KEY", self.pseudonym_key)):
                if not value:
                    raise ConfigurationError(f"RPS_ENV=production needs {name}")
        for name, value in (("RPS_JWT_SECRET", self.jwt_secret), ("RPS_PSEUDONYM_KEY", self.pseudonym_key)):
            if value is not None and len(value.encode()) < MIN_SECRET_BYTES:
                raise ConfigurationError(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
        for name, number in (("RPS_IDEMPOTENCY_RETENTION_HOURS", self.idempotency_retention_hours),
                             ("RPS_RATE_LIMIT_PER_MINUTE", self.rate_limit_per_minute),
                             ("RPS_RATE_LIMIT_PHONE_PER_DAY", self.rate_limit_phone_per_day),
                             ("RPS_IDEMPOTENCY_IN_FLIGHT_SECONDS", self.idempotency_in_flight_seconds)):
            if number < 1:
                raise ConfigurationError(f"{name} must be at least 1, got {number}")
        if self.trusted_proxy_hops < 0 or self.jwt_leeway_seconds < 0:
            raise ConfigurationError("RPS_TRUSTED_PROXY_HOPS and RPS_JWT_LEEWAY_SECONDS must not be negative")
        if self.db_connect_timeout_seconds <= 0 or self.db_statement_timeout_seconds < 0:
            raise ConfigurationError("RPS_DB_CONNECT_TIMEOUT_SECONDS must be positive and "
                                     "RPS_DB_STATEMENT_TIMEOUT_SECONDS not negative (0: none)")
        self._check_chain_keys(production)
        if self.failpoint and self.environment != "test":
            raise ConfigurationError("RPS_FAILPOINT is for tests only (RPS_ENV=test)")

    def _check_chain_keys(self, production: bool) -> None:
        from services.backbone.chain import DEV_CHAIN_KEY

        if not self.chain_keys:
            if production:
                raise ConfigurationError(
                    "RPS_ENV=production needs RPS_CHAIN_KEYS (or RPS_CHAIN_KEYS_FILE outside RPS_DATA_DIR): "
                    "the keys of the tamper-evident chain; the service refuses to start without them"
                )
            if self.chain_key_id:
                raise ConfigurationError("RPS_CHAIN_KEY_ID is set but RPS_CHAIN_KEYS is not")
            return
        for key_id, key in self.chain_keys.items():
            if len(key) < MIN_SECRET_BYTES:
                raise ConfigurationError(f"RPS_CHAIN_KEYS: the key {key_id!r} must be at least {MIN_SECRET_BYTES} bytes")
            if production and key == DEV_CHAIN_KEY:
                raise ConfigurationError(f"RPS_CHAIN_KEYS: the key {key_id!r} is the development key")
        if self.chain_key_id is None and len(self.chain_keys) > 1:
            raise ConfigurationError("RPS_CHAIN_KEY_ID must name the key new links are made with")
        if self.chain_key_id is not None and self.chain_key_id not in self.chain_keys:
            raise ConfigurationError(f"RPS_CHAIN_KEY_ID {self.chain_key_id!r} is not among RPS_CHAIN_KEYS")

    @property
    def chain_keyring(self) -> "Keyring":
        """The keys of the tamper-evident chain (the fixed development key where none is set)."""
        from services.backbone.chain import Keyring

        if not self.chain_keys:
            return Keyring.development()
        return Keyring(dict(self.chain_keys), self.chain_key_id or next(iter(self.chain_keys)))

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def issuer(self) -> str:
        return self.jwt_issuer or DEV_ISSUER

    @property
    def audience(self) -> str:
        return self.jwt_audience or DEV_AUDIENCE

    @property
    def signing_secret(self) -> str | None:
        """The local HMAC key (development, tests); None where tokens come from the IdP."""
        if self.jwks_url:
            return None
        return self.jwt_secret or DEV_JWT_SECRET

    @property
    def pseudonym_secret(self) -> bytes:
        return (self.pseudonym_key or DEV_PSEUDONYM_KEY).encode()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, maintenance: bool = False) -> "Settings":
        """``maintenance``: a command that reads or rewrites whole histories (migrate, rebuild,
        reports, audits) runs its statements without the request path's statement timeout,
        unless RPS_DB_STATEMENT_TIMEOUT_SECONDS is set."""
        env = os.environ if env is None else env
        amqp = env.get("AMQP_URI") or None
        db = env.get("DATABASE_URL") or None
        if bool(amqp) != bool(db):
            raise ConfigurationError(
                "set both AMQP_URI and DATABASE_URL for the cluster, or neither for embedded mode"
            )
        if db and not db.startswith(("postgresql://", "postgres://")):
            raise ConfigurationError("DATABASE_URL must be a postgresql:// URL")
        from services.backbone.declaration import publisher_names

        events_urls = {  # the full feed path or the service's base URL (issue 16)
            name: feed_url(env[f"RPS_EVENTS_URL_{name.upper()}"], name)
            for name in publisher_names()
            if env.get(f"RPS_EVENTS_URL_{name.upper()}")
        }
        return cls(
            amqp_uri=amqp,
            database_url=db,
            data_dir=Path(env.get("RPS_DATA_DIR") or "var"),
            http=env.get("RPS_HTTP") or "127.0.0.1:8000",
            relay_batch=env_int(env, "RPS_RELAY_BATCH", 200),
            relay_idle_seconds=_float(env, "RPS_RELAY_IDLE_SECONDS", 0.5),
            consumer_prefetch=env_int(env, "RPS_CONSUMER_PREFETCH", 100),
            lease_seconds=max(1.0, _float(env, "RPS_LEASE_SECONDS", 15.0)),
            rabbitmq_management_url=(env.get("RPS_RABBITMQ_MANAGEMENT_URL") or "").rstrip("/") or None,
            metrics_port=env_int(env, "RPS_METRICS_PORT", 0),
            retry_attempts=max(1, env_int(env, "RPS_RETRY_ATTEMPTS", 5)),
            retry_backoff_seconds=_float(env, "RPS_RETRY_BACKOFF_SECONDS", 0.2),
            events_urls=events_urls,
            environment=env.get("RPS_ENV") or "development",
            jwks_url=env.get("RPS_JWKS_URL") or None,
            jwt_issuer=env.get("RPS_JWT_ISSUER") or None,
            jwt_audience=env.get("RPS_JWT_AUDIENCE") or None,
            jwt_algorithms=tuple(a.strip() for a in (env.get("RPS_JWT_ALGORITHMS") or "").split(",") if a.strip()),
            jwt_leeway_seconds=env_int(env, "RPS_JWT_LEEWAY_SECONDS", 30),
            jwt_secret=_secret(env, "RPS_JWT_SECRET"),
            service_token=_secret(env, "RPS_SERVICE_TOKEN"),
            pseudonym_key=_secret(env, "RPS_PSEUDONYM_KEY"),
            idempotency_retention_hours=env_int(env, "RPS_IDEMPOTENCY_RETENTION_HOURS", 24),
            rate_limit_per_minute=env_int(env, "RPS_RATE_LIMIT_PER_MINUTE", 10),
            rate_limit_phone_per_day=env_int(env, "RPS_RATE_LIMIT_PHONE_PER_DAY", 5),
            trusted_proxy_hops=env_int(env, "RPS_TRUSTED_PROXY_HOPS", 0),
            idempotency_in_flight_seconds=env_int(env, "RPS_IDEMPOTENCY_IN_FLIGHT_SECONDS", 60),
            db_connect_timeout_seconds=_float(env, "RPS_DB_CONNECT_TIMEOUT_SECONDS", 3.0),
            db_statement_timeout_seconds=_float(env, "RPS_DB_STATEMENT_TIMEOUT_SECONDS", 0.0 if maintenance else 10.0),
            failpoint=env.get("RPS_FAILPOINT") or None,
            today=_fixed_today(env),
            chain_keys=_chain_keys(_outside_data_dir(env, "RPS_CHAIN_KEYS")),
            chain_key_id=env.get("RPS_CHAIN_KEY_ID") or None,
            services=_service_settings(env, production=(env.get("RPS_ENV") or "development") == "production"),
        )

    def of(self, service: str) -> Any:
        """``service``'s own settings object (its defaults where these settings were not read from
        an environment), or None for a service that declares none."""
        found = self.services.get(service)
        if found is not None:
            return found
        from services.backbone.declaration import declaration_of, resolve

        declared = declaration_of(service).settings
        return resolve(declared)() if declared is not None else None

    @property
    def embedded(self) -> bool:
        return self.amqp_uri is None

    @property
    def http_host_port(self) -> tuple[str, int]:
        host, _, port = self.http.rpartition(":")
        try:
            return host or "127.0.0.1", int(port)
        except ValueError:
            raise ConfigurationError(f"RPS_HTTP must be host:port, got {self.http!r}") from None

    def postgres_params(self) -> dict[str, str]:
        """Connection parameters from DATABASE_URL, in eventsourcing's names."""
        if not self.database_url:
            raise ConfigurationError("DATABASE_URL is not set")
        url = urlsplit(self.database_url)
        return {
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_DBNAME": (url.path or "/").lstrip("/") or "rps",
        }

    def postgres_connection(self) -> dict[str, str]:
        """The same parameters in psycopg's names (host, port, user, password, dbname)."""
        params = self.postgres_params()
        return {
            "host": params["POSTGRES_HOST"],
            "port": params["POSTGRES_PORT"],
            "user": params["POSTGRES_USER"],
            "password": params["POSTGRES_PASSWORD"],
            "dbname": params["POSTGRES_DBNAME"],
        }


def _service_settings(env: Mapping[str, str], *, production: bool) -> dict[str, Any]:
    """Every installed service's settings, so a malformed one stops the process at start."""
    from services.backbone.declaration import installed_services, resolve

    return {
        declaration.name: resolve(declaration.settings).from_env(env, production=production)
        for declaration in installed_services()
        if declaration.settings is not None
    }
