"""Wiring: the one place that builds stores, buses, relays and services.

``Runtime.embedded`` builds the whole system in one process (SQLite, the
in-process bus, relay threads); ``Runtime.cluster`` builds what one cluster
process needs (PostgreSQL schemas, RabbitMQ). Service code is the same in
both; only what is injected differs.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable

from services.backbone import clock
from services.backbone.application import ServiceApplication
from services.backbone.deadlines import bound_event_store
from services.backbone.persistence import (
    IDEMPOTENCY_TABLES,
    Database,
    SQLiteDatabase,
    create_tables,
    ensure_postgres_database,
    ensure_postgres_schema,
    event_store_env,
    open_database,
)
from services.backbone.declaration import declaration_of, installed_services, publisher_names, resolve, service_names
from services.backbone.settings import ConfigurationError, Settings
from services.backbone.tracking import Progress, Projection, Reader, catch_up_skipped, rebuild

log = logging.getLogger(__name__)


def application_class(service: str) -> type[ServiceApplication]:
    return declaration_of(service).application_class()


def service_class(service: str) -> type:
    return declaration_of(service).service_class()


def projection_classes(consumer: str) -> list[type[Projection]]:
    """The read models a service keeps (its declaration's ``projections``)."""
    return declaration_of(consumer).projection_classes()


def own_tables(service: str) -> tuple[str, ...]:
    """Tables a service keeps that are not read models (its declaration's ``tables``)."""
    return declaration_of(service).own_tables()


def consumers_of(source: str) -> tuple[str, ...]:
    """Services with a projection of ``source``'s events: their queues exist before any publish."""
    return tuple(
        consumer
        for consumer in service_names()
        if any(source in cls.sources for cls in projection_classes(consumer))
    )


def queues_of(services: tuple[str, ...]) -> list[tuple[str, str]]:
    """(source, consumer) of the queues ``services`` publish to or consume from."""
    queues = {(s, consumer) for s in services if s in publisher_names() for consumer in consumers_of(s)}
    queues |= {(source, s) for s in services for cls in projection_classes(s) for source in cls.sources}
    return sorted(queues)


class Runtime:
    """What one process holds: applications, databases, projections, publishers."""

    def __init__(self, settings: Settings, services: tuple[str, ...], *, create_tables_now: bool,
                 progress: Progress | None = None):
        for service in services:
            declaration_of(service)  # an unknown name is refused here
        self.settings = settings
        clock.fix_today(settings.today)  # RPS_TODAY: the business date every part of this process uses
        self.services = services
        self.apps: dict[str, ServiceApplication] = {}
        self.dbs: dict[str, Database] = {}
        self.projections: dict[str, list[Projection]] = {}
        self._extra_checks: dict[str, Callable[[], None]] = {}
        self.informational_checks: dict[str, Callable[[], None]] = {}
        self._idempotency_dbs: dict[str, Database] = {}
        self._idempotency_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.relays: list[Any] = []
        self.stopping = threading.Event()
        self.rebuild_seconds: dict[str, float] = {}  # of the last rebuild, per read model
        self._broker_gauges: Any = None
        self._gateway: Any = None
        self._gateway_lock = threading.Lock()  # local_client's one Gateway, built once
        self._run_handlers: dict[str, dict[str, Callable[[list[dict[str, Any]]], Any]]] = {}
        for service in services:
            if declaration_of(service).publishes:
                env = event_store_env(service, settings, create_table=create_tables_now)
                self.apps[service] = application_class(service)(env=env)
                if not settings.embedded:  # checks on checkout, connect and statement timeouts (issue 15 item 9)
                    bound_event_store(self.apps[service], settings)
                self.apps[service].recorder.keyring = settings.chain_keyring  # type: ignore[attr-defined]  # R-RPT-5
            self.dbs[service] = open_database(service, settings)
            if service in self.apps:
                self.apps[service].wire(self.dbs[service], settings.of(service))
            self.projections[service] = [
                cls(self._database_for(service, cls, create_tables_now)) for cls in projection_classes(service)
            ]
            for projection in self.projections[service]:
                if hasattr(projection, "keyring"):  # R-RPT-5: reporting checks the heads' signatures
                    projection.keyring = settings.chain_keyring
            if create_tables_now:
                create_tables(self.dbs[service], own_tables(service))
                for projection in self.projections[service]:
                    self._drop_moved(service, projection)
                    if projection.schema_current():  # otherwise rebuild_stale makes them anew
                        projection.create_tables()
        self.rebuilt = self.rebuild_stale(progress) if create_tables_now else []

    def _database_for(self, service: str, cls: type[Projection], create_tables_now: bool) -> Database:
        """The service's database, or (embedded) the SQLite file a read model keeps apart."""
        if not (self.settings.embedded and cls.own_file):
            return self.dbs[service]
        if cls.own_file not in self.dbs:
            self.dbs[cls.own_file] = SQLiteDatabase(self.settings.data_dir / f"{cls.own_file}.sqlite")
            if create_tables_now:
                create_tables(self.dbs[cls.own_file], ())
        return self.dbs[cls.own_file]

    def _drop_moved(self, service: str, projection: Projection) -> None:
        """An older release kept a read model now in a file of its own in the service's file."""
        if projection.db is self.dbs[service]:
            return
        with self.dbs[service].transaction() as cur:
            for table in projection.table_names:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute("DELETE FROM tracking WHERE projection = %s", (projection.name,))
            cur.execute("DELETE FROM tracking_marks WHERE projection = %s", (projection.name,))
            cur.execute("DELETE FROM read_model_schemas WHERE projection = %s", (projection.name,))

    # -- construction ------------------------------------------------------

    @classmethod
    def embedded(cls, settings: Settings) -> "Runtime":
        """All services, SQLite under RPS_DATA_DIR; tables created on start."""
        if not settings.embedded:
            raise ConfigurationError("embedded mode needs AMQP_URI and DATABASE_URL unset")
        return cls(settings, service_names(), create_tables_now=True)

    @classmethod
    def cluster(cls, settings: Settings, services: tuple[str, ...]) -> "Runtime":
        if settings.embedded:
            raise ConfigurationError("cluster mode needs AMQP_URI and DATABASE_URL")
        runtime = cls(settings, services, create_tables_now=False)
        from services.backbone.amqp import broker_reachable

        # Reported by /health/ready, not required: commands wait in the outbox (issue 15 item 4).
        runtime.informational_checks["broker"] = lambda: _require(broker_reachable(settings.amqp_uri or ""), "broker")
        return runtime

    # -- lookups -----------------------------------------------------------

    def app(self, service: str) -> ServiceApplication:
        return self.apps[service]

    def publisher_app(self, service: str) -> ServiceApplication | None:
        return self.apps.get(service)

    def db(self, service: str) -> Database:
        return self.dbs[service]

    def idempotency_db(self, service: str) -> Database:
        """Where ``service``'s idempotency keys live: beside its events, so a request's events and
        its key's answer are stored in one transaction (R-SEC-3). The cluster keeps both in the
        service's schema; embedded, the events' SQLite file."""
        if not (self.settings.embedded and service in self.apps):
            return self.dbs[service]
        with self._idempotency_lock:
            if service not in self._idempotency_dbs:
                db = SQLiteDatabase(self.settings.data_dir / f"{service}-events.sqlite")
                columns = "caller, path, idem_key, fingerprint, status, body, headers, created_at"
                # Keys an older release kept in the state file move here (their answers stay replayable).
                moved = self.dbs[service].query(f"SELECT {columns} FROM idempotency_keys WHERE status IS NOT NULL")
                with db.transaction() as cur:
                    for statement in IDEMPOTENCY_TABLES:
                        cur.execute(statement)
                    cur.executemany(
                        f"INSERT INTO idempotency_keys ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING", [tuple(row.values()) for row in moved],
                    )
                if moved:
                    with self.dbs[service].transaction() as cur:
                        cur.execute("DELETE FROM idempotency_keys")
                self._idempotency_dbs[service] = db
            return self._idempotency_dbs[service]

    def read_model(self, name: str) -> Projection:
        return next(p for projections in self.projections.values() for p in projections if p.name == name)

    def readiness_checks(self) -> dict[str, Callable[[], None]]:
        """What an HTTP process needs to take writes now (issue 15 item 4): the cluster's
        PostgreSQL answers a write probe for each service's schema (not read-only, room on
        its disk); embedded, each SQLite file answers."""
        checks: dict[str, Callable[[], None]] = {}
        if not self.settings.embedded:
            from services.backbone.deadlines import write_probe

            for service in self.services:
                checks[f"{service}.database"] = functools.partial(write_probe, self.settings, service)
        else:
            for name, app in self.apps.items():
                checks[f"{name}.event_store"] = app.ping
            for name, db in self.dbs.items():
                checks[f"{name}.database"] = db.ping
        checks.update(self._extra_checks)
        return checks

    def refresh_gauges(self) -> None:
        """Bring gauges up to date before a scrape: lags, dead letters, and each
        service's own figures (its declaration's ``metrics``: ``refresh(runtime)``)."""
        from services.backbone import metrics

        for service in self.services:
            refresh = declaration_of(service).metrics
            if refresh is not None:
                resolve(refresh)(self)

        lags: dict[tuple[str, str], int] = {}
        for consumer, projections in self.projections.items():
            for projection in projections:
                projection.count_parked()
                for source in projection.sources:
                    app = self.apps.get(source)
                    if app is not None and self.settings.embedded:  # one process: positions tell
                        lag = projection.lag(source, app.last_position())
                        lags[(consumer, source)] = max(lags.get((consumer, source), 0), lag)
        for (consumer, source), lag in lags.items():
            metrics.PROJECTION_LAG.labels(consumer, source).set(lag)
        if not self.settings.embedded:  # the queues, by the broker, wherever the runner is
            self.broker_gauges().refresh()
        for name, app in self.apps.items():
            rows = self.dbs[name].query("SELECT position FROM relay_position WHERE service = %s", (name,))
            position = int(rows[0]["position"]) if rows else 0
            metrics.RELAY_LAG.labels(name).set(max(0, app.last_position() - position))

    def broker_gauges(self) -> Any:
        """This process's view of the queues its services publish to and consume from."""
        if self._broker_gauges is None:
            from services.backbone.amqp import BrokerGauges

            self._broker_gauges = BrokerGauges.configured(self.settings, queues_of(self.services))
        return self._broker_gauges

    def local_client(self, service: str) -> Any:
        """A WSGI client of ``service``'s HTTP API where this process serves it (embedded),
        else None: one service reaches another only by its public API, the same gate
        (token, policy, checks) as over the network."""
        if service not in self.services:
            return None
        from werkzeug.test import Client

        from services.backbone.http import Gateway

        with self._gateway_lock:
            if self._gateway is None:
                self._gateway = Gateway(self.service_objects())
        return Client(self._gateway)

    def service_objects(self) -> list[Any]:
        """Plain instances of the service classes, with what nameko would inject."""
        objects = []
        for service in self.services:
            obj = service_class(service)()
            obj.runtime = self
            if service in self.apps:
                obj.app = self.apps[service]
            objects.append(obj)
        return objects

    # -- embedded mode -----------------------------------------------------

    def start_embedded_bus(self) -> None:
        """Relay threads publishing onto the in-process bus, in notification order."""
        from services.backbone.bus import InProcessBus
        from services.backbone.relay import OutboxRelay

        bus = InProcessBus()
        for consumer in self.projections:
            for source, deliver in self.delivery_handlers(consumer).items():
                bus.subscribe(source, deliver)
        for service, app in self.apps.items():
            relay = OutboxRelay(app, self.dbs[service], bus, batch=self.settings.relay_batch)
            self.relays.append(relay)
            thread = threading.Thread(
                target=relay.run,
                args=(self.stopping,),
                kwargs={"idle_seconds": self.settings.relay_idle_seconds},
                name=f"relay-{service}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def seed_if_new(self) -> int:
        """First start of an embedded system: each service's reference data (R-ORG-2) into its new store."""
        seeded = 0
        for declaration in installed_services():
            app = self.apps.get(declaration.name)
            if declaration.seed is not None and app is not None and app.last_position() == 0:
                seeded += resolve(declaration.seed)(app)
        return seeded

    def start_workers(self, *, daily: bool = True) -> None:
        """The services' background loops as threads (embedded mode; the cluster runs them as
        roles of their services' containers and CronJobs). ``daily``: the daily jobs too (a demo
        playing a past year: none)."""
        for declaration in installed_services():
            if declaration.name not in self.services:
                continue
            for worker in declaration.workers:
                if worker.daily and not daily:
                    continue
                run = resolve(worker.start)(self)
                thread = threading.Thread(target=run, args=(self.stopping,), name=worker.name, daemon=True)
                thread.start()
                self._threads.append(thread)

    def delivery_handlers(self, consumer: str) -> dict[str, Callable[[dict[str, Any]], Any]]:
        """Per source, what applies one of its events to each of ``consumer``'s read models (after
        what the bus skipped before it, from the source's history: ``tracking.catch_up_skipped``)."""
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        projections = self.projections.get(consumer, [])
        for source in sorted({s for p in projections for s in p.sources}):
            subscribed = [p for p in projections if source in p.sources]

            def deliver(envelope: dict[str, Any], subscribed: list[Projection] = subscribed,
                        source: str = source) -> list[str]:
                remaining = catch_up_skipped(subscribed, source, [envelope], functools.partial(self.event_reader, source))
                return [
                    p.deliver(
                        envelope,
                        attempts=self.settings.retry_attempts,
                        backoff_seconds=self.settings.retry_backoff_seconds,
                    ) if remaining[p.name] else "caught_up"  # taken from the history with what was skipped
                    for p in subscribed
                ]

            handlers[source] = deliver
        return handlers

    def run_handlers(self, consumer: str) -> dict[str, Callable[[list[dict[str, Any]]], Any]]:
        """Per source, what applies a run of its events (in order) to each of
        ``consumer``'s read models (``Projection.deliver_run``: a commit per run,
        not per event), after what the bus skipped before it (``tracking.catch_up_skipped``).
        Made once per consumer: a projection runner asks for them at every run."""
        if consumer in self._run_handlers:
            return self._run_handlers[consumer]
        handlers: dict[str, Callable[[list[dict[str, Any]]], Any]] = {}
        projections = self.projections.get(consumer, [])
        for source in sorted({s for p in projections for s in p.sources}):
            subscribed = [p for p in projections if source in p.sources]

            def deliver_run(envelopes: list[dict[str, Any]], subscribed: list[Projection] = subscribed,
                            source: str = source) -> None:
                remaining = catch_up_skipped(subscribed, source, envelopes, functools.partial(self.event_reader, source))
                for projection in subscribed:
                    if remaining[projection.name]:
                        projection.deliver_run(
                            remaining[projection.name],
                            attempts=self.settings.retry_attempts,
                            backoff_seconds=self.settings.retry_backoff_seconds,
                        )

            handlers[source] = deliver_run
        self._run_handlers[consumer] = handlers  # whole, then shared (a racer may build its own once)
        return handlers

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every relay has published all that is stored (tests, demo)."""
        import time

        deadline = time.monotonic() + timeout
        while any(r.position() < r.app.last_position() for r in self.relays):
            if time.monotonic() > deadline:
                raise TimeoutError("relays did not catch up")
            for relay in self.relays:
                relay.app.appended.set()
            time.sleep(0.01)

    def rebuild(
        self, consumer: str | None = None, reader: Reader | None = None, progress: Progress | None = None
    ) -> dict[str, int]:
        """Drop read models and apply every source's history again (``reader(source)``;
        default: the event stores). A read model kept in a file of its own is rebuilt by
        a second process at the same time as the others (both cores, and SQLite takes one
        writer per file). ``progress`` (a module-level function: the second process gets it
        too) is told after each batch."""
        chosen = [
            p for name, projections in self.projections.items() for p in projections
            if consumer is None or consumer in (name, p.name)
        ]
        apart = [p for p in chosen if p.own_file] if len(chosen) > 1 else []
        self.rebuild_seconds = {}
        # Spawned, not forked: this process may run threads. No process starts before a submit.
        with ProcessPoolExecutor(max(len(apart), 1), mp_context=multiprocessing.get_context("spawn")) as pool:
            beside = {
                p.name: pool.submit(_rebuild_apart, self.settings, self.services, p.name, reader, progress)
                for p in apart
            }
            applied = rebuild([p for p in chosen if p not in apart], reader or self.event_reader,
                              seconds=self.rebuild_seconds, progress=progress)
            for name, future in beside.items():
                applied[name], self.rebuild_seconds[name] = future.result()
        for projection in apart:
            projection.forget()
        return {p.name: applied[p.name] for p in chosen}

    def parked_counts(self, names: Any = None) -> dict[str, int]:
        """Events parked per read model (``names``: those only); sets the dead-letter gauge."""
        return {
            p.name: p.count_parked() for projections in self.projections.values() for p in projections
            if names is None or p.name in names
        }

    def rebuild_stale(self, progress: Progress | None = None) -> list[str]:
        """Rebuild the read models whose tables this code declares otherwise than
        they were built (an upgrade changed them, or they are new): drop them
        and apply their sources' history again. Runs where tables are made
        (embedded start, ``rps migrate``), before any consumer."""
        stale = [p for projections in self.projections.values() for p in projections if not p.schema_current()]
        applied = rebuild(stale, self.event_reader, progress=progress)
        for projection in stale:
            if applied[projection.name]:
                log.warning("%s: tables changed; rebuilt from %d events", projection.name, applied[projection.name])
        parked = self.parked_counts(applied)
        return [f"{p.name}: tables (re)made, {applied[p.name]} events applied, {parked[p.name]} parked" for p in stale]

    def event_reader(self, source: str) -> Callable[[int, int], list[dict[str, Any]]]:
        """Read a source's history: from its store here, or its HTTP feed in the cluster."""
        app = self.apps.get(source)
        if app is not None:
            return lambda after, limit: app.envelopes(after=after, limit=limit)
        url = self.settings.events_urls.get(source)
        if not url:
            raise ConfigurationError(
                f"to read {source}'s events set RPS_EVENTS_URL_{source.upper()} "
                f"(e.g. http://{source}:8000/api/v1/events/{source})"
            )
        from services.backbone.auth import service_headers
        from services.backbone.feed import http_reader

        return http_reader(url, headers=service_headers(self.settings))

    def close(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for app in self.apps.values():
            app.close()
        for db in (*self.dbs.values(), *self._idempotency_dbs.values()):
            db.close()


def _rebuild_apart(
    settings: Settings, services: tuple[str, ...], name: str, reader: Reader | None, progress: Progress | None = None
) -> tuple[int, float]:
    runtime = Runtime(settings, services, create_tables_now=False)
    try:
        seconds: dict[str, float] = {}
        applied = rebuild([runtime.read_model(name)], reader or runtime.event_reader, seconds=seconds,
                          progress=progress)
        return applied[name], seconds[name]
    finally:
        runtime.close()


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise ConnectionError(f"{what} unreachable")


def migrate(settings: Settings, parked: dict[str, int] | None = None, broken: list[str] | None = None,
            progress: Progress | None = None) -> list[str]:
    """Create or upgrade every schema; safe to run again. ``parked``: filled with the events
    each read model holds parked (a rebuild parks what it cannot apply and goes on); ``broken``:
    with the chains that do not verify (service and first broken link; the rest is still done);
    ``progress``: told after each batch the rebuilds of changed read models apply."""
    done = []
    if not settings.embedded:
        ensure_postgres_database(settings)
        for service in service_names():
            ensure_postgres_schema(settings, service)
    runtime = Runtime(settings, service_names(), create_tables_now=True, progress=progress)
    try:
        for app in runtime.apps.values():
            app.create_tables()
        done = [f"{s}: ok" for s in service_names()] + runtime.rebuilt
        for declaration in installed_services():  # e.g. R-RPT-5, R-SEC-4: keyed links, redacted events, signed checkpoints
            if declaration.migrations is not None:
                done += resolve(declaration.migrations)(runtime, broken)
        if parked is not None:
            parked.update(runtime.parked_counts())
    finally:
        runtime.close()
    return done
