"""Configuration, read from the environment once when a process starts.

Every variable is listed in the README; nothing here connects to anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote, urlsplit

SERVICES = ("contracts", "visits", "feedback", "reporting")
# Services that own an event store and publish what it records.
PUBLISHERS = ("contracts", "visits", "feedback")


class ConfigurationError(Exception):
    """A setting is missing or malformed; the process refuses to start."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    amqp_uri: str | None = None
    database_url: str | None = None
    data_dir: Path = Path("var")
    http: str = "127.0.0.1:8000"
    relay_batch: int = 200
    relay_idle_seconds: float = 0.5
    consumer_prefetch: int = 100
    metrics_port: int = 0
    retry_attempts: int = 5
    retry_backoff_seconds: float = 0.2
    events_urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        amqp = env.get("AMQP_URI") or None
        db = env.get("DATABASE_URL") or None
        if bool(amqp) != bool(db):
            raise ConfigurationError(
                "set both AMQP_URI and DATABASE_URL for the cluster, or neither for embedded mode"
            )
        if db and not db.startswith(("postgresql://", "postgres://")):
            raise ConfigurationError("DATABASE_URL must be a postgresql:// URL")
        events_urls = {
            name: env[f"RPS_EVENTS_URL_{name.upper()}"]
            for name in PUBLISHERS
            if env.get(f"RPS_EVENTS_URL_{name.upper()}")
        }
        return cls(
            amqp_uri=amqp,
            database_url=db,
            data_dir=Path(env.get("RPS_DATA_DIR") or "var"),
            http=env.get("RPS_HTTP") or "127.0.0.1:8000",
            relay_batch=_int(env, "RPS_RELAY_BATCH", 200),
            relay_idle_seconds=_float(env, "RPS_RELAY_IDLE_SECONDS", 0.5),
            consumer_prefetch=_int(env, "RPS_CONSUMER_PREFETCH", 100),
            metrics_port=_int(env, "RPS_METRICS_PORT", 0),
            retry_attempts=max(1, _int(env, "RPS_RETRY_ATTEMPTS", 5)),
            retry_backoff_seconds=_float(env, "RPS_RETRY_BACKOFF_SECONDS", 0.2),
            events_urls=events_urls,
        )

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
