"""What a service tells the core about itself (issue 17 item 1).

Each service package has one ``ServiceDeclaration`` (``services/<name>/declaration.py``
``SERVICE``), and the installed services are the entry points of the group
``rps.services`` in ``pyproject.toml``: the core (bootstrap, catalogue, policy,
CLI, manifests) iterates over ``installed_services()`` and never names or
imports a service. Adding a service is its package, its declaration and one
entry point line.

Parts of a declaration that would import a service's modules (its nameko
class, its application, its read models, its policy rows) are references,
``"module:attribute"`` strings imported when first used, so loading every
declaration costs nothing and cannot import in a circle.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from dataclasses import dataclass
from typing import Any, Callable

from services.backbone.settings import ConfigurationError

ENTRY_POINT_GROUP = "rps.services"

Ref = str | Callable[..., Any]  # "module:attribute", or the object itself


def resolve(ref: Ref) -> Any:
    """The object a reference names (imported on first use; modules cache it)."""
    if not isinstance(ref, str):
        return ref
    module, sep, attribute = ref.partition(":")
    if not sep:
        raise ValueError(f"a reference is 'module:attribute', got {ref!r}")
    obj: Any = importlib.import_module(module)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Command:
    """An ``rps`` subcommand a service contributes (API.md "Command line")."""

    name: str
    summary: str  # its line in `rps -h`
    description: str  # `rps NAME -h`
    examples: str | Callable[[], str]
    run: Ref  # (argparse.Namespace) -> exit status
    arguments: Ref | None = None  # (parser) -> None: adds its arguments


@dataclass(frozen=True)
class Worker:
    """A background loop the embedded system runs in a thread. ``start(runtime)`` returns what
    runs until the event is set. In the cluster a worker with a ``role`` is a role of its
    service's container (`rps serve SERVICE --role ROLE`), one active by the lease ``ROLE:SERVICE``:
    there ``start(runtime, lease)`` is called each time the lease is taken, and what it returns
    must end when ``lease.held()`` turns false. A daily worker is a CronJob there."""

    name: str
    start: Ref  # (Runtime[, Lease]) -> Callable[[threading.Event], None]
    daily: bool = False  # a daily job (today's business): a demo playing a past year starts none
    role: str | None = None  # its role in the cluster; its Deployment (infra/k8s/generate.py) is named so


@dataclass(frozen=True)
class ServiceDeclaration:
    name: str
    service: Ref  # the nameko service class: its HTTP routes
    application: Ref | None = None  # the eventsourcing application, if it keeps events (and publishes them)
    projections: Ref | None = None  # its read models: a sequence of Projection classes
    tables: Ref | None = None  # DDL of its own tables that are not read models
    event_modules: tuple[str, ...] = ()  # modules whose aggregates' events it publishes (the catalogue)
    policy: Ref | None = None  # its routes' access rules: {(method, path): Rule} (R-SEC-1)
    scope: Ref | None = None  # a ScopeLoader over the organisation it keeps (its own records or read models)
    owns_organisation: bool = False  # its records are the organisation chart the others project
    default_consumer: bool = False  # the read models `rps project`, `rps rebuild` mean when none is named
    settings: Ref | None = None  # its settings class, read from the environment at start
    metrics: Ref | None = None  # refresh(runtime): its own figures before a scrape
    seed: Ref | None = None  # (application) -> count: reference data loaded on a new embedded system
    migrations: Ref | None = None  # (runtime, broken) -> lines: what `rps migrate` does after the tables
    workers: tuple[Worker, ...] = ()
    commands: Ref | None = None  # a sequence of Command

    @property
    def publishes(self) -> bool:
        return self.application is not None

    def service_class(self) -> type:
        return resolve(self.service)

    def application_class(self) -> type:
        if self.application is None:
            raise ConfigurationError(f"{self.name} has no event store")
        return resolve(self.application)

    def projection_classes(self) -> list[type]:
        return list(resolve(self.projections)) if self.projections is not None else []

    def own_tables(self) -> tuple[str, ...]:
        return tuple(resolve(self.tables)) if self.tables is not None else ()

    def policy_rules(self) -> dict[tuple[str, str], Any]:
        return dict(resolve(self.policy)) if self.policy is not None else {}

    def scope_loader(self) -> Any:
        return resolve(self.scope) if self.scope is not None else None

    def cli_commands(self) -> list[Command]:
        return list(resolve(self.commands)) if self.commands is not None else []


@functools.cache
def installed_services() -> tuple[ServiceDeclaration, ...]:
    """Every installed service's declaration, in name order (whatever order the metadata keeps)."""
    found = []
    for entry in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        declaration = entry.load()
        if not isinstance(declaration, ServiceDeclaration) or declaration.name != entry.name:
            raise ConfigurationError(f"entry point {entry.name} = {entry.value} is not {entry.name}'s ServiceDeclaration")
        found.append(declaration)
    if not found:
        raise ConfigurationError(f"no services installed (entry points {ENTRY_POINT_GROUP}): pip install -e .")
    return tuple(found)


def service_names() -> tuple[str, ...]:
    return tuple(d.name for d in installed_services())


def publisher_names() -> tuple[str, ...]:
    """Services that keep an event store and publish what it records."""
    return tuple(d.name for d in installed_services() if d.publishes)


def worker_roles() -> tuple[str, ...]:
    """The roles the installed services' workers declare (`rps serve --role`), in name order."""
    return tuple(sorted({w.role for d in installed_services() for w in d.workers if w.role}))


def declaration_of(name: str) -> ServiceDeclaration:
    for declaration in installed_services():
        if declaration.name == name:
            return declaration
    raise ConfigurationError(f"unknown service {name!r}; one of {', '.join(service_names())}")


def default_consumer() -> str:
    """The service whose read models `rps project` and `rps rebuild` mean when none is named."""
    return next(d.name for d in installed_services() if d.default_consumer)


def organisation_owner() -> ServiceDeclaration:
    """The service whose records are the organisation chart (groups, districts, governments)."""
    return next(d for d in installed_services() if d.owns_organisation)
