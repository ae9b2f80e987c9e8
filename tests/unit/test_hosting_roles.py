"""Issue 17 item 5: `rps serve SERVICE` hosts every role the service has as extensions of one nameko
service class; `--role` picks some, and a role the service lacks is refused before anything starts.
(tests/integration/test_hosting.py runs a whole process on the real servers.)"""

from __future__ import annotations

import os
import subprocess

import pytest
from nameko.containers import ServiceContainer
from nameko.web.server import WebServer

from services.backbone.hosting import (
    SETTINGS_KEY,
    MetricsExporter,
    OutboxRelayRole,
    ProjectionConsumer,
    RuntimeHost,
    WorkerRole,
    hosted_class,
    roles_of,
)
from services.bootstrap import service_class
from tests.processes import RPS


def test_every_service_has_http_a_publisher_its_relay_a_keeper_of_read_models_its_consumer():
    assert roles_of("visits") == ("http", "relay", "project")
    assert roles_of("reporting") == ("http", "project")  # keeps read models, publishes nothing
    assert roles_of("web") == ("http",)
    assert roles_of("feedback") == ("http", "relay", "project", "notify")  # its notifier, a declared worker


def _container(service: str, roles: tuple[str, ...], metrics_port: int = 0) -> ServiceContainer:
    return ServiceContainer(hosted_class(service_class(service), roles, metrics_port), {SETTINGS_KEY: None})


def test_the_whole_service_is_one_class_whose_extensions_are_its_routes_relay_and_consumer():
    container = _container("visits", roles_of("visits"))
    kinds = {type(e).__name__ for e in container.entrypoints}
    assert kinds == {"RouteEntrypoint", "ProjectionConsumer"}
    assert any(isinstance(d, OutboxRelayRole) for d in container.dependencies)
    # One runtime for the process, shared by the providers, the relay and the consumer.
    assert [type(s) for s in container.subextensions if isinstance(s, RuntimeHost)] == [RuntimeHost]


def test_a_role_alone_serves_no_http_and_exports_its_metrics_when_a_port_is_set():
    relay = _container("visits", ("relay",), metrics_port=9100)
    assert not relay.entrypoints
    assert {type(d) for d in relay.dependencies} == {OutboxRelayRole, MetricsExporter}
    project = _container("reporting", ("project",))
    assert [type(e) for e in project.entrypoints] == [ProjectionConsumer]
    assert not any(isinstance(s, WebServer) for s in project.subextensions)
    # An API process has /metrics; it opens no second port.
    assert not any(isinstance(d, MetricsExporter) for d in _container("visits", ("http",), 9100).dependencies)


def test_a_declared_worker_is_a_leased_role_of_its_services_container():
    notify = _container("feedback", ("notify",), metrics_port=9100)
    assert not notify.entrypoints
    assert {type(d) for d in notify.dependencies} == {WorkerRole, MetricsExporter}
    [role] = [d for d in notify.dependencies if isinstance(d, WorkerRole)]
    assert (role.worker.name, role.worker.role) == ("notifier", "notify")
    assert not any(isinstance(d, WorkerRole) for d in _container("feedback", ("relay", "project")).dependencies)


@pytest.mark.parametrize("args, said", [
    (("serve", "web", "--role", "relay"), "rps serve: web has no event store"),
    (("project", "web"), "rps project: web keeps no projections"),
    (("serve", "visits", "--role", "notify"), "rps serve: visits has no role notify"),
])
def test_a_role_the_service_lacks_is_refused_with_exit_2(args, said):
    env = {**os.environ, "AMQP_URI": "amqp://guest:guest@127.0.0.1:1//", "DATABASE_URL": "postgresql://127.0.0.1:1/none"}
    done = subprocess.run([RPS, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and said in done.stderr, done.stderr
