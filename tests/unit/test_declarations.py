"""Issue 17 item 1: every installed service declares itself, and what a declaration names exists
and is of the kind the core expects (a reference is only imported when first used, so a typo
would otherwise surface in production)."""

from __future__ import annotations

import pytest

from services.backbone.application import ServiceApplication
from services.backbone.declaration import Command, installed_services, resolve
from services.backbone.tracking import Projection

DECLARATIONS = {d.name: d for d in installed_services()}


@pytest.mark.parametrize("name", sorted(DECLARATIONS))
def test_what_a_declaration_names_exists(name):
    declaration = DECLARATIONS[name]
    assert declaration.service_class().name == name
    if declaration.publishes:
        assert issubclass(declaration.application_class(), ServiceApplication)
        assert declaration.event_modules, f"{name} publishes events: name their modules"
    for cls in declaration.projection_classes():
        assert issubclass(cls, Projection) and cls.consumer == name, cls
    assert all(isinstance(statement, str) for statement in declaration.own_tables())
    assert declaration.policy_rules(), f"{name}: its routes need policy rows"
    scope = declaration.scope_loader()
    if scope is not None:
        assert callable(scope.district_of_group) and callable(scope.government_of_district)
    for ref in (declaration.settings, declaration.metrics, declaration.seed, declaration.migrations):
        if ref is not None:
            assert callable(resolve(ref)), ref
    for worker in declaration.workers:
        assert callable(resolve(worker.start)), worker
    for command in declaration.cli_commands():
        assert isinstance(command, Command) and callable(resolve(command.run)), command


def test_one_service_keeps_the_organisation_and_one_is_the_default_consumer():
    assert len([d for d in DECLARATIONS.values() if d.owns_organisation]) == 1
    assert len([d for d in DECLARATIONS.values() if d.default_consumer]) == 1
    owner = next(d for d in DECLARATIONS.values() if d.owns_organisation)
    assert owner.publishes and owner.scope_loader() is not None


def test_no_two_services_contribute_a_command_of_the_same_name():
    names = [c.name for d in DECLARATIONS.values() for c in d.cli_commands()]
    assert len(names) == len(set(names)), names
