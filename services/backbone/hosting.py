"""nameko hosts each service whole (issue 17 item 5).

A cluster process runs one service as one nameko container whose extensions
are the service's roles:

- ``http``: its ``@route`` methods (http.py's ``RouteEntrypoint`` on nameko's ``WebServer``);
- ``relay``: ``OutboxRelayRole``, its outbox relay (relay.py) while this process holds the
  service's lease (singleton.py);
- ``project``: ``ProjectionConsumer``, its queues fed to its read models (amqp.py) while this
  process holds the read models' lease, each run applied by a worker as nameko's own
  ``Consumer`` does (spawn a worker, acknowledge once its result is in);
- a declared worker's role (declaration.Worker ``role``, a notification dispatcher say):
  ``WorkerRole``, its loop while this process holds the lease ``ROLE:SERVICE``.

``RuntimeHost`` owns the process's ``Runtime``: built in ``setup``, closed in ``stop``. It is a
shared extension, which nameko stops last, so the entrypoints, their workers and the providers
that use the runtime have all stopped before it closes.

`rps serve SERVICE` runs every role the service has; ``--role`` picks some (a deployment that
scales them apart); `rps relay SERVICE` and `rps project CONSUMER` are `--role relay` and
`--role project` (a service's own command may be another such role). The process runs on
eventlet (nameko's): cli.py patches it before any of this is imported, and every wait below is a
green one.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any, Callable, Collection

import eventlet
from eventlet.event import Event
from nameko.containers import ServiceContainer
from nameko.extensions import DependencyProvider, Entrypoint, SharedExtension

log = logging.getLogger(__name__)

SETTINGS_KEY = "rps.settings"  # the container's config: the Settings read once at start
# A role that has not stopped by then is ended (a relay waiting on a blocked broker's confirms):
# the pod's grace period is 30 s, and its lease is handed back either way (expiry, session end).
STOP_SECONDS = 10.0


class RuntimeHost(SharedExtension):
    """The process's Runtime, one per container."""

    runtime: Any = None

    def setup(self) -> None:
        from services.bootstrap import Runtime

        self.runtime = Runtime.cluster(self.container.config[SETTINGS_KEY], (self.container.service_name,))

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.close()

    def kill(self) -> None:
        self.stop()


class RuntimeProvider(DependencyProvider):
    """Hands each worker the process's runtime."""

    host = RuntimeHost()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.host.runtime


class ApplicationProvider(DependencyProvider):
    """Hands each worker the service's eventsourcing application."""

    host = RuntimeHost()

    def __init__(self, service: str):
        self.service = service

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.host.runtime.app(self.service)


def hold_lease(lease: Any, stopping: threading.Event, act: Callable[[], None]) -> None:
    """Act while this process holds ``lease``; back to standby whenever it is lost (frozen past
    it, PostgreSQL away, network cut): a former holder's write is refused by its fencing token."""
    try:
        while lease.acquire(stopping):
            act()
            lease.release()
    finally:
        lease.release()


class _SingletonRole:
    """A role only one process of the cluster plays at a time: a managed thread holding a lease."""

    container: Any
    stopping: threading.Event
    thread: Any = None

    def _spawn(self, fn: Callable[[], None], identifier: str) -> Any:
        return self.container.spawn_managed_thread(fn, identifier=identifier)

    def _wait_stopped(self, *threads: Any) -> None:
        with eventlet.Timeout(STOP_SECONDS, False):
            for thread in threads:
                if thread is not None:
                    try:
                        thread.wait()
                    except Exception:  # the container has its error already (it kills itself)
                        pass
        for thread in threads:
            if thread is not None and not thread.dead:
                log.warning("%s: not stopped within %.0fs; ended", self, STOP_SECONDS)
                thread.kill()


class OutboxRelayRole(_SingletonRole, DependencyProvider):
    """The service's outbox relay. A provider, not an entrypoint: it runs no service method;
    nameko stops it after the HTTP entrypoints and their workers (whose events it would relay)."""

    host = RuntimeHost()

    def setup(self) -> None:
        self.stopping = threading.Event()
        self.relay: Any = None
        self.gauges_thread: Any = None

    def start(self) -> None:
        from services.backbone.amqp import AmqpPublisher, BrokerGauges
        from services.backbone.operations import watch_broker
        from services.backbone.relay import OutboxRelay
        from services.backbone.singleton import Lease, session_connector
        from services.bootstrap import consumers_of, queues_of

        runtime, service = self.host.runtime, self.container.service_name
        settings = runtime.settings
        self.publisher = AmqpPublisher(settings.amqp_uri or "", consumers_of)
        self.lease = Lease(runtime.db(service), f"relay:{service}", settings.lease_seconds,
                           connect=session_connector(settings))
        self.relay = OutboxRelay(runtime.app(service), runtime.db(service), self.publisher,
                                 batch=settings.relay_batch, fence=self.lease.fence)
        self.broker = BrokerGauges.configured(settings, queues_of((service,)))
        watch_broker(settings.amqp_uri or "", "relay", self.stopping)  # rps_broker_up (issue 15 item 4)
        self.gauges_thread = self._spawn(self._measure, f"relay {service}: gauges")
        self.thread = self._spawn(functools.partial(hold_lease, self.lease, self.stopping, self._relay),
                                  f"relay {service}")

    def _relay(self) -> None:
        print(f"rps: relaying {self.relay.service}.events", flush=True)
        self.relay.run(self.stopping, idle_seconds=self.host.runtime.settings.relay_idle_seconds,
                       still_active=self.lease.held)

    def _measure(self) -> None:
        # Active or standby, whatever the publisher is doing (blocked by an alarm, say):
        # the outbox's backlog from the database, the queues' from the broker.
        while not self.stopping.wait(2.0):
            try:
                self.relay.measure_lag()
            except Exception as exc:  # the database is away: measure next time
                log.warning("relay %s: lag not measured: %s", self.relay.service, exc)
            self.broker.refresh()

    def stop(self) -> None:
        self.stopping.set()
        if self.relay is not None:
            self.relay.app.appended.set()  # out of its idle wait now
        self._wait_stopped(self.thread, self.gauges_thread)
        if self.relay is not None:
            self.lease.release()
            self.publisher.close()

    def kill(self) -> None:
        self.stopping.set()
        for thread in (self.thread, self.gauges_thread):
            if thread is not None:
                thread.kill()


class ProjectionConsumer(_SingletonRole, Entrypoint):
    """The service's read models fed from its queues, one worker per run of a source's events
    (the decorated method applies it); each message is acknowledged after its run committed."""

    host = RuntimeHost()

    def setup(self) -> None:
        self.stopping = threading.Event()
        self.consumer: Any = None

    def start(self) -> None:
        from services.backbone.amqp import AmqpConsumer
        from services.backbone.operations import watch_broker
        from services.backbone.singleton import Lease, session_connector

        runtime, name = self.host.runtime, self.container.service_name
        settings = runtime.settings
        handlers = runtime.delivery_handlers(name)
        self.consumer = AmqpConsumer(
            settings.amqp_uri or "", name, handlers, prefetch=settings.consumer_prefetch,
            run_handlers={source: functools.partial(self._apply_in_worker, source) for source in handlers},
            # Shorter than the lease: the broker closes a frozen runner's connection, and gives
            # what it held back, before a standby starts.
            heartbeat=max(2, int(settings.lease_seconds / 3)),
        )
        self.lease = Lease(runtime.db(name), f"project:{name}", settings.lease_seconds,
                           connect=session_connector(settings))
        self.consumer.still_active = self.lease.held
        for projection in runtime.projections[name]:  # each run's transaction checks the lease's token
            projection.fence = self.lease.fence
        watch_broker(settings.amqp_uri or "", "consumer", self.stopping)  # rps_broker_up (issue 15 item 4)
        self.thread = self._spawn(functools.partial(hold_lease, self.lease, self.stopping, self._consume),
                                  f"project {name}")

    def _consume(self) -> None:
        # A frozen former holder's deliveries go back to the queue when the broker drops it.
        self.consumer.wait_until_alone(self.stopping, self.host.runtime.settings.lease_seconds)
        if self.stopping.is_set():
            return
        print(f"rps: projecting into {self.consumer.consumer} from {', '.join(self.consumer.handlers)}", flush=True)
        self.consumer.should_stop = False
        self.consumer.run()

    def _apply_in_worker(self, source: str, envelopes: list[dict[str, Any]]) -> None:
        """A run applied by a worker of the container; raises what the worker raised (the
        consumer then requeues the run)."""
        outcome = Event()

        def handle_result(worker_ctx: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
            outcome.send(exc_info)
            return result, exc_info

        self.container.spawn_worker(self, (source, envelopes), {}, handle_result=handle_result)
        exc_info = outcome.wait()
        if exc_info is not None:
            raise exc_info[1]

    def stop(self) -> None:
        self.stopping.set()
        if self.consumer is not None:
            self.consumer.stop()
        self._wait_stopped(self.thread)

    def kill(self) -> None:
        self.stopping.set()
        if self.consumer is not None:
            self.consumer.stop()
        if self.thread is not None:
            self.thread.kill()


project = ProjectionConsumer.decorator


class WorkerRole(_SingletonRole, DependencyProvider):
    """A declared worker's loop (declaration.Worker with a role) while this process holds the lease
    ``ROLE:SERVICE``; the loop is made anew at each take and ends when the lease is lost."""

    host = RuntimeHost()

    def __init__(self, worker: Any):
        self.worker = worker

    def setup(self) -> None:
        self.stopping = threading.Event()
        self.lease: Any = None

    def start(self) -> None:
        from services.backbone.declaration import resolve
        from services.backbone.singleton import Lease, session_connector

        self.loop = resolve(self.worker.start)  # its module's metrics exported by a standby too
        runtime, service = self.host.runtime, self.container.service_name
        settings = runtime.settings
        self.lease = Lease(runtime.db(service), f"{self.worker.role}:{service}", settings.lease_seconds,
                           connect=session_connector(settings))
        self.thread = self._spawn(functools.partial(hold_lease, self.lease, self.stopping, self._work),
                                  f"{self.worker.role} {service}")

    def _work(self) -> None:
        self.loop(self.host.runtime, self.lease)(self.stopping)

    def stop(self) -> None:
        self.stopping.set()
        self._wait_stopped(self.thread)
        if self.lease is not None:
            self.lease.release()

    def kill(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.kill()


class MetricsExporter(DependencyProvider):
    """Prometheus on RPS_METRICS_PORT for the roles other than HTTP, served in the hub (an API
    process has /metrics). prometheus_client's own server would block the hub: its socketserver
    was imported, with the unpatched selector, before eventlet patched the process."""

    def start(self) -> None:
        import eventlet.wsgi
        from prometheus_client import make_wsgi_app

        self.socket = eventlet.listen(("0.0.0.0", self.container.config[SETTINGS_KEY].metrics_port))
        self.thread = self.container.spawn_managed_thread(
            functools.partial(eventlet.wsgi.server, self.socket, make_wsgi_app(), log_output=False),
            identifier="metrics",
        )

    def stop(self) -> None:
        self.thread.kill()
        self.socket.close()


def roles_of(service: str) -> tuple[str, ...]:
    """Every role ``service`` has: HTTP always, the relay if it keeps events, the consumer if it
    keeps read models, and its workers' roles."""
    from services.backbone.declaration import declaration_of

    declared = declaration_of(service)
    return (("http",) + (("relay",) if declared.publishes else ()) + (("project",) if declared.projection_classes() else ())
            + tuple(worker.role for worker in declared.workers if worker.role))


def hosted_class(service_cls: type, roles: Collection[str], metrics_port: int = 0) -> type:
    """The nameko service class of ``roles``: the service's own class (its routes) when it serves
    HTTP, with the relay, the consumer, the workers' roles and their metrics added as extensions."""
    from services.backbone.declaration import declaration_of

    namespace: dict[str, Any] = {"name": service_cls.name, "__module__": __name__}
    if metrics_port and set(roles) - {"http"}:
        namespace["metrics_exporter"] = MetricsExporter()
    if "relay" in roles:
        namespace["outbox_relay"] = OutboxRelayRole()
    for worker in declaration_of(service_cls.name).workers:
        if worker.role in roles:
            namespace[f"{worker.role}_role"] = WorkerRole(worker)
    if "project" in roles:
        def apply_events(self: Any, source: str, envelopes: list[dict[str, Any]]) -> None:
            """Apply a run of ``source``'s events to each of this service's read models that reads it."""
            self.runtime.run_handlers(self.name)[source](envelopes)

        namespace["runtime"] = RuntimeProvider()
        # A function of this class's own: the decorator marks the function it is given.
        namespace["apply_events"] = project(apply_events)
    base = service_cls if "http" in roles else object
    return type(f"{service_cls.__name__}Host", (base,), namespace)


def _stop_on_signals(container: ServiceContainer) -> Callable[[], None]:
    """What stops ``container`` at SIGTERM or SIGINT, in a green thread. The hub learns of a signal
    as asyncio's loop does: the interpreter writes its number to a pipe the hub watches (an idle hub
    would sleep through a handler's scheduled stop until its next timer, up to a minute)."""
    import os
    import signal

    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)  # the pipe says it; the handler only keeps the process alive

    def stop_when_signalled() -> None:
        os.read(read_end, 64)  # green: waits in the hub
        container.stop()

    return stop_when_signalled


def serve(service: str, roles: Collection[str], settings: Any) -> int:
    """Run ``service``'s ``roles`` in one container until SIGTERM or SIGINT."""
    from services.bootstrap import service_class

    container = ServiceContainer(hosted_class(service_class(service), roles, settings.metrics_port), {
        "WEB_SERVER_ADDRESS": settings.http,
        SETTINGS_KEY: settings,
    })
    eventlet.spawn_n(_stop_on_signals(container))
    container.start()
    if "http" in roles:
        print(f"rps: {service} serving on http://{settings.http}", flush=True)
    container.wait()
    return 0
