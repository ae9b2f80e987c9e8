"""The base aggregate and the domain errors every service raises.

Domain errors carry what the one HTTP error mapping needs (status, field, rule);
aggregates raise them from small ``check_...`` methods, never ``assert``.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate as _Aggregate

from services.backbone import context


class DomainError(Exception):
    status = 422
    code = "rule_violated"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule


class RuleViolated(DomainError):
    """A domain rule refuses the command (422, names the rule)."""


class Conflict(DomainError):
    """The command conflicts with the current state (409)."""

    status = 409
    code = "conflict"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Aggregate(_Aggregate):
    """An aggregate whose every event records who acted and in which request.

    The metadata is fixed when the event is triggered (not in the replayed
    method body), so loading an aggregate never depends on the caller.
    """

    class Event(_Aggregate.Event):
        meta: dict

    class Created(Event, _Aggregate.Created):
        pass

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("meta", context.current().event_meta())
        super().trigger_event(event_class, **kwargs)

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("meta", context.current().event_meta())
        return super()._create(event_class, **kwargs)
