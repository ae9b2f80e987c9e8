"""The base aggregate and the domain errors every service raises.

Domain errors carry what the one HTTP error mapping needs (status, field, rule);
aggregates raise them from small ``check_...`` methods, never ``assert``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from eventsourcing.domain import Aggregate as _Aggregate
from eventsourcing.domain import CommandMethodDecorator

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

    An event's class is named as its type on the bus: ``@event("VisitLogged")``
    (``services.backbone.envelope.event_type_name``); the docstring of the
    method it decorates describes the event in the catalogue.
    """

    # Event classes published under another event's type, by class name. A resubmission is the
    # submission again (consumers keep the highest revision), but it needs a class of its own:
    # the first event creates the aggregate, and eventsourcing keeps one class per name.
    republished_as: ClassVar[Mapping[str, str]] = {}

    class Event(_Aggregate.Event):
        meta: dict

    class Created(Event, _Aggregate.Created):
        pass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # eventsourcing makes the @event classes here
        for decorator in vars(cls).values():
            doc = getattr(getattr(decorator, "decorated_func", None), "__doc__", None)
            if isinstance(decorator, CommandMethodDecorator) and decorator.event_cls_name and doc:
                getattr(cls, decorator.event_cls_name).__doc__ = " ".join(doc.split())  # one paragraph
        for name, published in cls.__dict__.get("republished_as", {}).items():
            getattr(cls, name).published_as = published

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("meta", context.current().event_meta())
        super().trigger_event(event_class, **kwargs)

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("meta", context.current().event_meta())
        return super()._create(event_class, **kwargs)
