"""Who is acting and why: the request context that travels into every event.

Set once per request (or per consumed message) by the entrypoint; read by the
base aggregate when it records an event (R-SEC-2).
"""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Actor:
    subject: str = "system"
    role: str = "system"
    group: str | None = None
    district: str | None = None
    government: str | None = None


@dataclass(frozen=True)
class RequestContext:
    actor: Actor
    correlation_id: str
    causation_id: str | None = None

    def event_meta(self) -> dict[str, str | None]:
        return {
            "actor": self.actor.subject,
            "actorrole": self.actor.role,
            "correlationid": self.correlation_id,
            "causationid": self.causation_id,
        }


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "rps_request_context", default=None
)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        # Work started outside a request (seeding, the demo): the system acts.
        return RequestContext(actor=Actor(), correlation_id=new_correlation_id())
    return ctx


@contextmanager
def acting(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
