"""Private PostgreSQL and RabbitMQ servers for the tests that kill, pause or fill them (issue 15).

The machine's shared servers (PostgreSQL on 5432, RabbitMQ node ``rabbit@localhost``
on 5672) are never touched: each instance here has its own data directory, its own
ports on 127.0.0.1 and, for RabbitMQ, its own node name, cookie, configuration and
plugins file.

Ports are chosen at random and the server is started on them; when the server
reports the address as taken, another port is tried (no pick-and-release race).

Use the fixtures (``private_postgres``, ``private_rabbitmq``: module-scoped, a
server per test module; the ``*_factory`` ones give more) from a conftest with
``from tests.servers import private_postgres, private_rabbitmq  # noqa: F401``,
or the classes directly::

    with PrivatePostgres() as pg:
        pg.kill(); pg.start(); pg.pause(); pg.resume(); pg.set_read_only(True)
        pg.fill_disk(); pg.free_disk()
"""

from __future__ import annotations

import base64
import glob
import itertools
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

import pytest

PORTS = range(20000, 32000)  # below Linux's ephemeral range (32768-60999): nothing takes them by chance
_counter = itertools.count(1)


def _random_port() -> int:
    return random.choice(PORTS)


def _port_taken(port: int) -> bool:
    """Only a hint before starting (the server's own bind decides): something listens there."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    """``pid``'s descendants (from /proc), deepest last."""
    parents: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        parents.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal_tree(pid: int, sig: int) -> None:
    """Send ``sig`` to ``pid`` and every process under it (children first for SIGSTOP, so none runs on alone)."""
    tree = _children(pid)
    for target in ([*reversed(tree), pid] if sig == signal.SIGSTOP else [pid, *tree]):
        try:
            os.kill(target, sig)
        except ProcessLookupError:
            pass


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


class _Server:
    """What both private servers do alike: restart, pause (SIGSTOP of the whole process tree), resume."""

    proc: subprocess.Popen | None
    _paused: bool

    def restart(self):
        self.stop()
        return self.start()

    def pause(self) -> None:
        """SIGSTOP the server and every process under it: connections hang, nothing is refused."""
        _signal_tree(self.proc.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        _signal_tree(self.proc.pid, signal.SIGCONT)
        self._paused = False

    def _spawn(self, argv: list[str], log_path: Path, timeout: float, ready: Callable[[], bool], **popen) -> bool:
        """Start ``argv`` in a session of its own; True once ``ready()``, False when it exits first."""
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, **popen)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if ready():
                return True
            time.sleep(0.1)
        raise TimeoutError(f"{type(self).__name__} not ready in {timeout}s:\n{_tail(log_path)}")

    def kill(self) -> None:
        """SIGKILL the server and every process under it, without warning."""
        if self._paused:
            self.resume()
        if self.proc and self.proc.poll() is None:
            _signal_tree(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
            self._wait_gone()

    def _wait_gone(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------- PostgreSQL


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return Path(found[-1]).parent


class PrivatePostgres(_Server):
    """A PostgreSQL server of its own: trust auth, user ``postgres``, data on a small tmpfs.

    The data directory lives on a tmpfs of ``disk_mb`` so that :meth:`fill_disk` can
    fill it (tables and indexes then fail with "could not extend file"); the WAL lives
    beside it on the ordinary disk, so a full data disk refuses writes without a PANIC.
    """

    def __init__(self, *, disk_mb: int = 96):
        self.bin = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="rps-pg-"))
        self.mount = self.root / "disk"
        self.data = self.mount / "data"
        self.wal = self.root / "wal"
        self.log = self.root / "postgres.log"
        self.disk_mb = disk_mb
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._mounted = False
        self._paused = False
        self.read_only = False
        self._init()

    # -- set-up
    def _as_postgres(self) -> dict:
        if os.geteuid() != 0:
            return {}
        return {"user": "postgres", "group": "postgres", "extra_groups": []}

    def _init(self) -> None:
        self.mount.mkdir()
        if os.geteuid() == 0:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.disk_mb}m,mode=0700", "tmpfs", str(self.mount)],
                           check=True, timeout=30)
            self._mounted = True
            owner = pwd.getpwnam("postgres")
            for path in (self.root, self.mount):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "--waldir", str(self.wal), "-U", "postgres",
             "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--wal-segsize=1", "--no-sync"],
            check=True, capture_output=True, timeout=120, **self._as_postgres(),
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# tests/servers.py: a private server\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "max_connections = 60\nshared_buffers = 16MB\n"
                "fsync = off\nfull_page_writes = off\n"  # a process kill loses nothing committed (the OS keeps the pages)
                "max_wal_size = 64MB\nmin_wal_size = 4MB\n"
                "logging_collector = off\n"
            )

    # -- life cycle
    @property
    def url(self) -> str:
        return self.dsn_for("postgres")

    def dsn_for(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self, timeout: float = 60.0) -> "PrivatePostgres":
        """Start on the port it had (after a kill or stop), or on a free one the first time."""
        if self.proc and self.proc.poll() is None:
            return self
        for attempt in range(20):
            if not self.port or attempt:
                self.port = _random_port()
                if _port_taken(self.port):
                    continue
            if self._launch(timeout):
                return self
            if "Address already in use" not in _tail(self.log):
                raise RuntimeError(f"private PostgreSQL did not start:\n{_tail(self.log)}")
        raise RuntimeError("private PostgreSQL: no free port after 20 attempts")

    def _launch(self, timeout: float) -> bool:
        return self._spawn([str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port)], self.log,
                           timeout, self.accepts, **self._as_postgres())

    def accepts(self) -> bool:
        """A connection and a query succeed now."""
        import psycopg

        try:
            with psycopg.connect(self.url, connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def _wait_gone(self) -> None:
        """After a kill (SIGKILL of the postmaster and its processes, as a crashed machine would lose them;
        the next start recovers): wait until no process holds the data directory."""
        def gone() -> bool:
            for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
                try:
                    if f"-D\0{self.data}\0".encode() in Path(cmdline).read_bytes():
                        return False
                except OSError:
                    pass
            return True

        _wait(gone, 30, "the killed postmaster to go")

    def stop(self) -> None:
        """A fast shutdown (sessions ended, a checkpoint written)."""
        if self._paused:
            self.resume()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def sql(self, query: str, dbname: str = "postgres"):
        import psycopg

        with psycopg.connect(self.dsn_for(dbname), connect_timeout=5, autocommit=True) as conn:
            cur = conn.execute(query)
            return cur.fetchall() if cur.description else None

    def create_database(self, name: str) -> str:
        """A database of this server (dropped with the server); its URL."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.dsn_for(name)

    def set_read_only(self, read_only: bool = True) -> None:
        """Every transaction read-only from now on, sessions already open included (default_transaction_read_only)."""
        self.sql(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if read_only else 'off'}")
        self.sql("SELECT pg_reload_conf()")
        # The reload reaches each backend when it next waits for a command: check a new session sees it.
        want = "on" if read_only else "off"
        self.read_only = read_only
        _wait(lambda: self.sql("SHOW default_transaction_read_only")[0][0] == want, 10, "the read-only setting")

    @property
    def filler(self) -> Path:
        return self.mount / "filler"

    def fill_disk(self) -> None:
        """Fill the data directory's disk to the last byte: new rows fail with "No space left on device"."""
        if not self._mounted:
            raise RuntimeError("fill_disk needs the tmpfs (run as root)")
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 20, 4096, 1):  # megabytes, then the last pages
                try:
                    while os.write(fd, b"\0" * size):
                        pass
                except OSError:
                    pass
        finally:
            os.close(fd)

    def free_disk(self) -> None:
        self.filler.unlink(missing_ok=True)

    def close(self) -> None:
        try:
            if self.proc:
                self.kill()
        finally:
            if self._mounted:
                subprocess.run(["umount", "-l", str(self.mount)], timeout=30)
                self._mounted = False
            shutil.rmtree(self.root, ignore_errors=True)



# --------------------------------------------------------------------------- RabbitMQ

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


class PrivateRabbitMQ(_Server):
    """A RabbitMQ node of its own (``rps-test-<n>@localhost``), guest/guest, vhost ``/``.

    ``management=True`` also runs the management plugin on a private port
    (:meth:`queue` reads queue depths from it); off by default, it costs start-up time.
    """

    def __init__(self, *, management: bool = False):
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            raise RuntimeError(f"RabbitMQ not found at {RABBIT_BIN} (apt-get install rabbitmq-server)")
        self.management = management
        self.root = Path(tempfile.mkdtemp(prefix="rps-rabbit-"))
        self.node = f"rps-test-{os.getpid()}-{next(_counter)}@localhost"
        self.port = self.dist_port = self.management_port = 0
        self.log_dir = self.root / "log"
        self.proc: subprocess.Popen | None = None
        self._paused = False
        self.alarm = False
        (self.root / "home").mkdir()
        cookie = self.root / "home" / ".erlang.cookie"
        cookie.write_text(base64.b32encode(os.urandom(20)).decode())
        cookie.chmod(0o400)
        (self.root / "enabled_plugins").write_text("[rabbitmq_management]." if management else "[].")
        (self.root / "rabbitmq-env.conf").write_text("")

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def uri_for(self, vhost: str) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.root / "home"),
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONF_ENV_FILE=str(self.root / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(self.root / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.root / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.root / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.root / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.log_dir),
            RABBITMQ_PID_FILE=str(self.root / "rabbit.pid"),
            RABBITMQ_LOGS=str(self.log_dir / "rabbit.log"),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_SERVER_ERL_ARGS="+P 65536 +S 1:1 +A 4 -kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    def _configure(self) -> None:
        lines = [
            f"listeners.tcp.default = 127.0.0.1:{self.port}",
            "loopback_users.guest = true",
            "log.console = false",
            "log.file.level = warning",
            "disk_free_limit.absolute = 10MB",
        ]
        if self.management:
            # Queue figures every 0.5 s (default 5 s): tests poll them.
            lines += [f"management.tcp.port = {self.management_port}", "management.tcp.ip = 127.0.0.1",
                      "collect_statistics_interval = 500"]
        (self.root / "rabbitmq.conf").write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 90.0) -> "PrivateRabbitMQ":
        """Start (again, on the same ports and data after a kill), or on free ports the first time."""
        if self.proc and self.proc.poll() is None:
            return self
        for attempt in range(10):
            if not self.port or attempt:
                self.port, self.dist_port, self.management_port = (_random_port() for _ in range(3))
                if len({self.port, self.dist_port, self.management_port}) < 3 or any(
                        _port_taken(p) for p in (self.port, self.dist_port, self.management_port)):
                    continue
            self._configure()
            if self._launch(timeout):
                return self
            if "eaddrinuse" not in self._logs().lower():
                raise RuntimeError(f"private RabbitMQ did not start:\n{self._logs()}")
        raise RuntimeError("private RabbitMQ: no free ports after 10 attempts")

    def _logs(self) -> str:
        return "".join(_tail(p) for p in [self.root / "stdout.log", *sorted(self.log_dir.glob("*.log"))])

    def _launch(self, timeout: float) -> bool:
        return self._spawn([str(RABBIT_BIN / "rabbitmq-server")], self.root / "stdout.log", timeout,
                           lambda: self.accepts() and (not self.management or self._management_up()),
                           env=self._env(), cwd=self.root)

    def accepts(self) -> bool:
        """An AMQP connection opens now."""
        import amqp

        try:
            conn = amqp.Connection(f"127.0.0.1:{self.port}", userid="guest", password="guest",
                                   connect_timeout=2, read_timeout=2, write_timeout=2)
            conn.connect()
            conn.close()
            return True
        except Exception:
            return False

    def _management_up(self) -> bool:
        try:
            self.management_get("overview")
            return True
        except (OSError, urllib.error.URLError):
            return False

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """``rabbitmqctl -n <this node> ...`` (never the shared node)."""
        done = subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, "-q", *args], env=self._env(),
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def management_get(self, path: str) -> dict:
        request = urllib.request.Request(
            f"{self.management_url}/api/{path}",
            headers={"authorization": "Basic " + base64.b64encode(b"guest:guest").decode()},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def queue(self, name: str, vhost: str = "/", *, from_node: bool = False) -> dict:
        """``messages`` and ``messages_unacknowledged`` of a queue (zero when it is not declared yet).
        ``from_node``: ask the node itself (rabbitmqctl), not the management statistics, which a queue
        recovered after a kill may report late or stale."""
        if self.management and not from_node:
            try:
                info = self.management_get(f"queues/{urllib.request.quote(vhost, safe='')}/{name}")
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return {"messages": 0, "messages_unacknowledged": 0}
                raise
            if "messages" in info:  # an idle queue recovered after a restart may have no statistics yet
                return {"messages": info["messages"], "messages_unacknowledged": info.get("messages_unacknowledged", 0)}
        for line in self.ctl("list_queues", "-p", vhost, "name", "messages", "messages_unacknowledged").splitlines():
            parts = line.split("\t")
            if parts[0] == name:
                return {"messages": int(parts[1]), "messages_unacknowledged": int(parts[2])}
        return {"messages": 0, "messages_unacknowledged": 0}

    def purge(self, name: str, vhost: str = "/") -> None:
        """Empty a queue (nothing when it is not declared yet)."""
        import amqp

        conn = amqp.Connection(f"127.0.0.1:{self.port}", userid="guest", password="guest", virtual_host=vhost,
                               connect_timeout=5)
        conn.connect()
        try:
            conn.channel().queue_purge(name)
        except amqp.exceptions.NotFound:
            pass
        finally:
            conn.close()

    def add_vhost(self, name: str) -> str:
        """A virtual host of this node, guest allowed; its URI."""
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        return self.uri_for(name)

    def _wait_gone(self) -> None:
        """After a kill (kill -9 of the node; unacknowledged deliveries go back to their durable queues on the
        next start): wait until the port is closed."""
        _wait(lambda: not _port_taken(self.port), 30, "the killed node's port to close")

    def stop(self) -> None:
        if self._paused:
            self.resume()
        if self.proc and self.proc.poll() is None:
            _signal_tree(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
            for pid in _children(self.proc.pid):
                os.kill(pid, signal.SIGKILL)

    def set_alarm(self) -> None:
        """Raise the disk alarm (free-space limit far above the disk): the node blocks every publishing connection."""
        self.ctl("set_disk_free_limit", str(1 << 50))
        self.alarm = True
        _wait(self.alarmed, 30, "the disk alarm")

    def clear_alarm(self) -> None:
        self.ctl("set_disk_free_limit", str(10 << 20))
        self.alarm = False
        _wait(lambda: not self.alarmed(), 30, "the disk alarm to clear")

    def alarmed(self) -> bool:
        return "disk" in self.ctl("eval", "rabbit_alarm:get_alarms().")

    def close(self) -> None:
        try:
            if self.proc:
                self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)



# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL for the test module (tests may kill, pause, fill it; it is running again after each)."""
    with PrivatePostgres() as pg:
        yield pg


@pytest.fixture(scope="module")
def private_rabbitmq() -> Iterator[PrivateRabbitMQ]:
    """A private RabbitMQ node for the test module, with its management API on a private port."""
    with PrivateRabbitMQ(management=True) as rabbit:
        yield rabbit


@pytest.fixture
def healthy_servers(request):
    """Use after the private fixtures: each test leaves them running, unpaused, writable, with disk and no alarm."""
    yield
    for name in ("private_postgres", "private_rabbitmq"):
        if name in request.fixturenames:
            server = request.getfixturevalue(name)
            if server._paused:
                server.resume()
            server.start()
            if isinstance(server, PrivatePostgres):
                server.free_disk()
                if server.read_only:
                    server.set_read_only(False)
            elif server.alarm:
                server.clear_alarm()


def _made(cls):
    made: list = []

    def make(**kw):
        made.append(cls(**kw).start())
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def postgres_factory() -> Iterator[Callable[..., PrivatePostgres]]:
    """Make as many private PostgreSQL servers as a test needs (closed at its end)."""
    yield from _made(PrivatePostgres)


@pytest.fixture
def rabbitmq_factory() -> Iterator[Callable[..., PrivateRabbitMQ]]:
    """Make as many private RabbitMQ nodes as a test needs (closed at its end)."""
    yield from _made(PrivateRabbitMQ)


# --------------------------------------------------------------------------- the fault suite's closing figures


class FaultFigures:
    """What the fault tests report (issue 15): faults injected; commands sent, acknowledged, stored and
    projected; lost and doubled. Printed and written to ``var/faults-figures.json`` when the session ends."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def record(self, test: str, *, faults: int, sent: int, acknowledged: int, stored: int, projected: int,
               lost: int | None = None, doubled: int | None = None) -> dict:
        """``lost``: acknowledged but not stored, or stored but not projected; ``doubled``: stored more
        often than sent, or projected more often than stored (unless the test counts them itself)."""
        row = {
            "test": test, "faults": faults, "sent": sent, "acknowledged": acknowledged, "stored": stored,
            "projected": projected,
            "lost": max(0, acknowledged - stored) + max(0, stored - projected) if lost is None else lost,
            "doubled": max(0, stored - sent) + max(0, projected - stored) if doubled is None else doubled,
        }
        self.rows.append(row)
        return row

    def totals(self) -> dict:
        keys = ("faults", "sent", "acknowledged", "stored", "projected", "lost", "doubled")
        return {"tests": len(self.rows), **{k: sum(r[k] for r in self.rows) for k in keys}}

    def write(self, path: Path) -> str:
        """Write the figures (totals and each test's row) to ``path``; the closing line for the terminal."""
        path.parent.mkdir(parents=True, exist_ok=True)
        totals = self.totals()
        path.write_text(json.dumps({"totals": totals, "tests": self.rows}, indent=2) + "\n")
        return ("fault figures: {faults} faults injected in {tests} tests; commands sent {sent}, acknowledged "
                "{acknowledged}, stored {stored}, projected {projected}; lost {lost}, doubled {doubled}").format(**totals)


FIGURES = FaultFigures()


@pytest.fixture
def fault_figures(request):
    """The recorder a fault test reports into: ``fault_figures(faults=..., sent=..., acknowledged=..., stored=..., projected=...)``."""
    return lambda **figures: FIGURES.record(request.node.nodeid, **figures)
