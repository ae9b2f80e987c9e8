"""The ``rps`` command (API.md "Command line")."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from typing import Callable, Sequence

from services.backbone.commands import settings as _settings
from services.backbone.commands import stop_on_signals as _stop_on_signals

# nameko needs eventlet; its deprecation notice is not news to our users.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)


def cmd_run(args: argparse.Namespace) -> int:
    """The whole system: embedded (one process) or, with a cluster configured, every part."""
    if args.data:
        os.environ["RPS_DATA_DIR"] = args.data  # read by Settings, and by the processes it starts
    settings = _settings()
    if not settings.embedded:
        print("rps run: AMQP_URI/DATABASE_URL are set; run `rps serve`, `rps relay` and `rps project` per process", file=sys.stderr)
        return 2
    from werkzeug.serving import make_server

    from services.backbone.http import Gateway
    from services.bootstrap import Runtime

    runtime = Runtime.embedded(settings)
    runtime.start_embedded_bus()
    seeded = runtime.seed_if_new()
    if seeded:
        print(f"rps: first start, loaded {seeded} Liaocheng governments and sub-districts (R-ORG-2)", flush=True)
    runtime.start_workers()  # the notifier and the daily reminders
    host, port = settings.http_host_port
    server = make_server(host, port, Gateway(runtime.service_objects()), threaded=True)
    stop = threading.Event()
    _stop_on_signals(stop)
    threading.Thread(target=lambda: (stop.wait(), server.shutdown()), daemon=True).start()
    print(f"rps: embedded system on http://{host}:{server.port} (data in {settings.data_dir})", flush=True)
    try:
        server.serve_forever()
    finally:
        runtime.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """One service in its own nameko container (what a Deployment runs): every role it has
    (HTTP, its outbox relay, its read models' consumer, its workers' roles), or those ``--role`` names."""
    # nameko runs on eventlet, whose patching psycopg does not detect: its default C wait
    # function would block the hub for a whole query; wait_select yields to other green threads
    # (connecting), greenwait's wait does so only when the socket is not ready (every query).
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    import eventlet

    eventlet.monkey_patch()
    from services.backbone import greenwait

    greenwait.install()
    import eventlet.wsgi

    from services.backbone.http import MAX_HEADER_LINE

    # A 9 KB token reaches the gate and gets its 401, not eventlet's own 400 (issue 15 item 10).
    eventlet.wsgi.MAX_HEADER_LINE = MAX_HEADER_LINE

    from services.backbone import hosting

    settings = _settings()
    has = hosting.roles_of(args.service)
    lacking = {"relay": "has no event store", "project": "keeps no projections"}
    for role in args.role or ():
        if role not in has:
            print(f"rps {args.command}: {args.service} {lacking.get(role, f'has no role {role}')}", file=sys.stderr)
            return 2
    roles = tuple(role for role in has if role in (args.role or has))
    return hosting.serve(args.service, roles, settings)


def cmd_relay(args: argparse.Namespace) -> int:
    """The outbox relay of one service: its notification log to RabbitMQ (`rps serve SERVICE --role relay`)."""
    return cmd_serve(argparse.Namespace(**{**vars(args), "role": ["relay"]}))


def cmd_project(args: argparse.Namespace) -> int:
    """A service's projection runner: its queues to its read models (`rps serve CONSUMER --role project`)."""
    return cmd_serve(argparse.Namespace(**{**vars(args), "service": args.consumer, "role": ["project"]}))


def cmd_demo(args: argparse.Namespace) -> int:
    """Play service year 2021 for the ten Liaocheng districts over HTTP and write its reports (make demo)."""
    from services.demo import run_demo

    return run_demo(data_dir=args.data_dir, out=args.out, months=args.months, formats=args.formats)


def cmd_asyncapi(args: argparse.Namespace) -> int:
    """Write (or check) docs/asyncapi.yaml from the event catalogue."""
    from pathlib import Path

    from services.backbone.catalogue import asyncapi_yaml

    text = asyncapi_yaml()
    path = Path(args.out)
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path} is out of date: run `rps asyncapi`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """A bearer token for a role and scope, signed with the local key (development and tests)."""
    from services.backbone.auth import issue_token

    settings = _settings()
    district = args.district
    if args.role == "planner" and args.group and district is None:
        district = _group_district(settings, args.group)
    try:
        token = issue_token(
            settings, args.role, subject=args.subject, group=args.group, district=district,
            government=args.government, ttl_seconds=args.ttl,
        )
    except ValueError as exc:
        print(f"rps token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _group_district(settings, group: str) -> str | None:
    """Issue 15 item 10: a planner's token for a group carries its district, read from contracts'
    store when it can be reached (otherwise the token goes without; the policy finds it)."""
    from services.backbone.auth import group_district
    from services.backbone.declaration import organisation_owner
    from services.bootstrap import Runtime

    try:
        runtime = (Runtime.embedded(settings) if settings.embedded
                   else Runtime.cluster(settings, (organisation_owner().name,)))
    except Exception as exc:  # the store is not reachable from here: a token without the district
        print(f"rps token: district of {group} not looked up ({type(exc).__name__})", file=sys.stderr)
        return None
    try:
        return group_district(runtime, group)
    finally:
        runtime.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.bootstrap import migrate

    parked: dict[str, int] = {}
    broken: list[str] = []
    progress = _show_progress if sys.stderr.isatty() else None  # issue 16: a long rebuild says where it is
    lines = migrate(_settings(maintenance=True), parked, broken, progress)
    if progress is not None:
        print(file=sys.stderr)
    for line in lines:
        print(line)
    _print_parked(parked)  # parked events are not a failure (R-SEC-3): the rest completed
    for chain in broken:  # R-RPT-5: a broken chain stops the release pipeline
        print(f"rps migrate: chain BROKEN: {chain}; run `rps audit verify`", file=sys.stderr)
    return 1 if broken else 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from services.backbone.declaration import default_consumer
    from services.bootstrap import Runtime

    settings = _settings(maintenance=True)
    runtime = Runtime.embedded(settings) if settings.embedded else Runtime.cluster(settings, (default_consumer(),))
    try:
        known = {name for consumer, kept in runtime.projections.items() if kept
                 for name in (consumer, *(p.name for p in kept))}
        if args.projection is not None and args.projection not in known:
            print(f"rps rebuild: no read model {args.projection!r} here; one of: {', '.join(sorted(known))}",
                  file=sys.stderr)
            return 2
        # Issue 16: a long rebuild shows where it is, on a terminal only (a Job's log stays clean).
        applied = runtime.rebuild(args.projection, progress=_show_progress if sys.stderr.isatty() else None)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        parked = runtime.parked_counts(applied)
        for name, count in applied.items():
            print(f"{name}: {count} events applied, {parked[name]} parked")
        _print_parked(parked)
    finally:
        runtime.close()
    return 0


def _show_progress(names: list[str], source: str, position: int) -> None:
    """One line on the terminal, rewritten after each batch of a rebuild (module-level: a rebuild's
    second process is given it too)."""
    shown = names[0] if len(names) == 1 else f"{len(names)} read models"
    sys.stderr.write(f"\r\033[Krps: rebuilding {shown}: {source} events up to position {position}")
    sys.stderr.flush()


def _print_parked(parked: dict[str, int]) -> None:
    """R-SEC-3: a rebuild parks what it cannot apply and completes; the count is said here, kept
    in dead_letters and exported as rps_dead_letter_messages (alert RpsDeadLetters)."""
    total = sum(parked.values())
    print(f"{total} events parked" + (": see `rps dead-letters list --consumer CONSUMER`, fix the cause, "
                                      "then `rps dead-letters replay`" if total else ""))


def cmd_dead_letters(args: argparse.Namespace) -> int:
    """Events parked after their retries: list them, or apply them again after a fix."""
    from services.bootstrap import Runtime

    settings = _settings(maintenance=True)
    runtime = Runtime.embedded(settings) if settings.embedded else Runtime.cluster(settings, (args.consumer,))
    try:
        projections = runtime.projections.get(args.consumer, [])
        if args.action == "list":
            rows = [row for p in projections for row in p.parked()]
            for row in rows:
                print(f"{row['id']}\tattempts={row['attempts']}\tparked_at={row['parked_at']}\t{row['error']}")
            print(f"{len(rows)} parked")
            return 0
        failed = 0
        for projection in projections:
            result = projection.replay_parked(args.id or None)
            failed += result["failed"]
            print(f"{projection.name}: {result['applied']} applied, {result['duplicate']} already applied, {result['failed']} still failing")
        return 1 if failed else 0
    finally:
        runtime.close()


def cmd_subscribe(args: argparse.Namespace) -> int:
    """Another department's subscriber: its own queue, the feeds caught up first, one JSON line per event."""
    import dataclasses

    from services.backbone.settings import Settings
    from services.backbone.subscribe import Subscriber, SubscriptionError, feed_reader, forwarder, parse_events, printer

    # A subscriber needs the broker and the feeds, not the system's database.
    amqp_uri = os.environ.get("AMQP_URI")
    if not amqp_uri:
        print("rps subscribe: set AMQP_URI (the broker) and RPS_EVENTS_URL_{SERVICE} (the feeds)", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k not in ("AMQP_URI", "DATABASE_URL")}
    settings = dataclasses.replace(Settings.from_env(env), amqp_uri=amqp_uri)
    stop = threading.Event()
    try:
        events = parse_events(args.events)
        emit = forwarder(args.forward_url, stop) if args.forward_url else printer(sys.stdout.buffer)
        subscriber = Subscriber(
            amqp_uri, name=args.name, events=events, state_path=args.state or f"var/subscribe-{args.name}.json",
            emit=emit, read_feed=feed_reader(settings), from_start=args.from_start, queue_type=args.queue_type,
            stop=stop,
        )
    except SubscriptionError as exc:
        print(f"rps subscribe: {exc}", file=sys.stderr)
        return 2

    def on_signal(*_: object) -> None:
        subscriber.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sources = "; ".join(f"{s}.events: {', '.join(n)}" for s, n in subscriber.sources.items())
    print(f"rps subscribe: queue {subscriber.queue_name} ({sources}), state {subscriber.state.path}",
          file=sys.stderr, flush=True)
    subscriber.run()
    print(f"rps subscribe: stopped after {subscriber.emitted} events ({subscriber.duplicates} duplicates dropped)",
          file=sys.stderr, flush=True)
    return 0


class _Parser(argparse.ArgumentParser):
    """Issue 16: every command's -h says what it does, its arguments and an example. A callable
    epilog is filled in only when help is shown (the projection names need their modules)."""

    def format_help(self) -> str:
        if callable(self.epilog):
            self.epilog = self.epilog()
        return super().format_help()


def _command(sub, name: str, summary: str, description: str, examples: str | Callable[[], str], func):
    """A subcommand: ``summary`` in `rps -h`, ``description`` and ``examples`` in `rps NAME -h`."""
    def epilog() -> str:
        text = examples() if callable(examples) else examples
        return "examples:\n" + "\n".join(f"  {line}" if line else "" for line in text.strip("\n").splitlines())

    p = sub.add_parser(name, help=summary, description=description, epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=func)
    return p


def projection_names() -> dict[str, list[str]]:
    """The read models `rps rebuild` accepts, per service that keeps them."""
    from services.backbone.declaration import service_names
    from services.bootstrap import projection_classes

    return {s: [c.name for c in projection_classes(s)] for s in service_names() if projection_classes(s)}


def _rebuild_examples() -> str:
    listed = "\n".join(f"  {service}: {', '.join(names)}" for service, names in projection_names().items())
    return ("rps rebuild                        # every read model\n"
            "rps rebuild reporting              # a service's read models\n"
            "rps rebuild reporting.settlements  # one read model\n\n"
            f"PROJECTION is a service or one of its read models:\n{listed}")


def build_parser() -> argparse.ArgumentParser:
    from services.backbone.auth import ROLES
    from services.backbone.declaration import (
        default_consumer,
        installed_services,
        publisher_names,
        resolve,
        service_names,
        worker_roles,
    )

    services, consumer = service_names(), default_consumer()

    parser = _Parser(
        prog="rps", description="责任规划师制度管理系统 (Responsible Planner System): run, operate and query it.",
        epilog="`rps COMMAND -h` describes a command. Settings come from the environment (README, Configuration).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    p = _command(
        sub, "run", "the whole system in one process (embedded: no servers needed)",
        "Runs every service, the event bus, the notifier and the daily reminders in one process on "
        "RPS_HTTP (default 127.0.0.1:8000), with SQLite files in the data directory. Without "
        "AMQP_URI and DATABASE_URL only; a first start loads Liaocheng's governments and sub-districts.",
        "rps run\nrps run --data var/demo     # browse the year `make demo` played", cmd_run)
    p.add_argument("--data", metavar="DIR", help="the data directory (default: RPS_DATA_DIR, else var); "
                   "a demo's directory opens on the demo's last business date")
    p = _command(
        sub, "serve", "one service whole against RabbitMQ and PostgreSQL (a Deployment)",
        "Runs one service in one nameko container, with its event store in PostgreSQL (DATABASE_URL) "
        "and its events on RabbitMQ (AMQP_URI): its HTTP API on RPS_HTTP, its outbox relay if it keeps "
        "events and its read models' consumer if it keeps any (one active relay and consumer in the "
        "cluster, others standby), and the roles of its declared workers (one active each). --role runs "
        "only some of them. `web` serves the web pages.",
        "AMQP_URI=amqp://guest:guest@localhost:5672// DATABASE_URL=postgresql://localhost/rps rps serve visits\n"
        "rps serve visits --role http               # the API only; relays and consumers scaled apart\n"
        "rps serve visits --role relay              # = rps relay visits",
        cmd_serve)
    p.add_argument("service", choices=services, help="the service to serve")
    p.add_argument("--role", action="append", choices=("http", "relay", "project", *worker_roles()),
                   help="run only this role (repeatable; default: every role the service has)")
    p = _command(
        sub, "relay", "publish a service's stored events to RabbitMQ (one active, others standby)",
        "Reads a service's notification log in order and publishes each event to the topic exchange "
        "SERVICE.events with publisher confirms; a lease keeps one relay active per service. "
        "The same as `rps serve SERVICE --role relay`.",
        "rps relay contracts", cmd_relay)
    p.add_argument("service", choices=publisher_names(), help="the service whose events to publish")
    p = _command(
        sub, "project", "a service's projection runner: its queues into its read models",
        "Consumes the events a service's read models need from its queues (catching up from the "
        "event feeds first) and applies each once; a lease keeps one runner active per service. "
        "The same as `rps serve CONSUMER --role project`.",
        f"rps project              # {consumer}'s read models\nrps project feedback", cmd_project)
    p.add_argument("consumer", nargs="?", default=consumer, choices=services,
                   help=f"the service whose read models to keep (default: {consumer})")
    _command(
        sub, "migrate", "create or upgrade the schemas, key the audit chains, rebuild changed read models",
        "Creates or upgrades every service's tables in PostgreSQL (only adds), rebuilds the read models "
        "whose tables changed and keys the audit chains (R-RPT-5). Run once per release (the Job migrate).",
        "DATABASE_URL=postgresql://localhost/rps rps migrate", cmd_migrate)
    p = _command(
        sub, "token", "print a bearer token for a role and scope (development and tests)",
        "Prints a bearer token signed with the local key (RPS_JWT_SECRET or the development key). "
        "Production tokens come from the identity provider.",
        "curl -H \"Authorization: Bearer $(rps token --role bureau)\" localhost:8000/api/v1/groups\n"
        "rps token --role planner --group g-gulou --ttl 600", cmd_token)
    p.add_argument("--role", required=True, choices=ROLES, help="the role the token grants")
    p.add_argument("--subject", help="who the token names (default: ROLE-SCOPE)")
    p.add_argument("--group", help="a planner's group (its district is looked up)")
    p.add_argument("--district", help="a sub-district official's or planner's sub-district")
    p.add_argument("--government", help="a government official's government")
    p.add_argument("--ttl", type=int, default=3600, help="seconds the token is valid (default 3600)")
    p = _command(
        sub, "asyncapi", "write or check the AsyncAPI document of the events",
        "Writes the AsyncAPI document of every event the services publish, from the event catalogue.",
        "rps asyncapi\nrps asyncapi --check     # exit 1 when docs/asyncapi.yaml is out of date", cmd_asyncapi)
    p.add_argument("--out", default="docs/asyncapi.yaml", help="the file (default docs/asyncapi.yaml)")
    p.add_argument("--check", action="store_true", help="only compare the file with the code")
    p = _command(
        sub, "demo", "play a past service year over HTTP and write its reports (make demo)",
        "Starts a fresh embedded system, plays service year 2021 (2021-06-01 .. 2022-05-31, and its "
        "settlement in June 2022) for the ten Liaocheng sub-districts through the HTTP API, and writes "
        "every report in every format with an index.html. Browse the result with `rps run --data DIR`.",
        "rps demo\nrps demo --months 3 --formats json,html --out /tmp/demo-out", cmd_demo)
    p.add_argument("--data-dir", default="var/demo", help="the demo system's data, wiped at start (default var/demo)")
    p.add_argument("--out", default="out", help="where the reports and index.html go (default out)")
    p.add_argument("--months", type=int, default=12, metavar="N", help="play only the first N months (1-12)")
    p.add_argument("--formats", default="json,html,xlsx,pdf", help="report formats, comma-separated (json always)")
    p = _command(
        sub, "rebuild", "rebuild read models from the event history (progress on a terminal)",
        "Drops read models and applies their sources' whole history again; events that cannot be applied "
        "are parked, not fatal. On a terminal it shows its progress on stderr.",
        _rebuild_examples, cmd_rebuild)
    p.add_argument("projection", nargs="?", metavar="PROJECTION",
                   help="a service or one read model (default: all; names below)")
    p = _command(
        sub, "dead-letters", "list or replay events parked after their retries",
        "Lists the events a service's read models parked (R-SEC-3), or applies them again after a fix.",
        "rps dead-letters list --consumer reporting\nrps dead-letters replay --consumer reporting --id 42",
        cmd_dead_letters)
    p.add_argument("action", choices=["list", "replay"], help="list them, or apply them again")
    p.add_argument("--consumer", default=consumer, choices=services, help=f"whose read models (default {consumer})")
    p.add_argument("--id", action="append", help="replay only this parked event (repeatable)")
    p = _command(
        sub, "subscribe", "another department's subscriber: print or forward chosen events",
        "Catches up from the event feeds, then follows its own queue sub-NAME; prints one JSON line per "
        "event (or POSTs it to --forward-url), each once, in order per source.",
        "AMQP_URI=amqp://guest:guest@localhost:5672// RPS_EVENTS_URL_VISITS=http://visits:8000 \\\n"
        "  rps subscribe --events VisitLogged --name planning-dept", cmd_subscribe)
    p.add_argument("--events", required=True, help="event types, comma-separated (e.g. VisitLogged,RecommendationForwarded)")
    p.add_argument("--name", default="default", help="the subscriber's name: its queue is sub-NAME (default: default)")
    p.add_argument("--from-start", action="store_true", help="replay every source's history, ignoring saved positions")
    p.add_argument("--forward-url", help="POST each event to this URL instead of printing it")
    p.add_argument("--state", help="where positions are kept (default: var/subscribe-NAME.json)")
    p.add_argument("--queue-type", default="quorum", choices=["quorum", "classic"], help="of a new queue (default quorum)")
    for declaration in installed_services():  # e.g. seed, notify, remind, report, audit
        for command in declaration.cli_commands():
            p = _command(sub, command.name, command.summary, command.description, command.examples,
                         resolve(command.run))
            if command.arguments is not None:
                resolve(command.arguments)(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from services.backbone import logs
    from services.backbone.settings import ConfigurationError

    try:
        # Issue 16: JSON lines in the cluster (RPS_LOG_FORMAT), an access record per request, no colours.
        logs.configure(os.environ, verbose=args.verbose)
        return args.func(args)
    except ConfigurationError as exc:
        print(f"rps: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
