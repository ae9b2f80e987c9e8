"""Real `rps` processes and an HTTP client for them (e2e and fault tests)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

RPS = str(Path(sys.executable).with_name("rps"))


def free_port() -> int:
    """A port nothing listens on now, below the kernel's ephemeral range (outgoing connections never take it).

    Only a candidate: the child binds it later, so prefer :meth:`Processes.start_http`, which starts
    the process and tries another port when the child could not bind this one (issue 15)."""
    from tests.servers import _port_taken, _random_port

    while True:
        port = _random_port()
        if not _port_taken(port):
            return port


def token(role: str = "bureau", subject: str | None = None, env: dict[str, str] | None = None, **scope: str) -> str:
    """A token the processes accept: signed with the key their environment configures."""
    from services.backbone.auth import issue_token
    from services.backbone.settings import Settings

    settings = Settings.from_env(dict(os.environ) if env is None else env)
    return issue_token(settings, role, subject=subject or f"{role}-e2e", **scope)


class ProcessExited(RuntimeError):
    pass


class Http:
    """JSON over HTTP to a running process; calls carry a bureau token unless told otherwise."""

    def __init__(self, base: str, token_value: str | None = None, *, anonymous: bool = False):
        self.base = base
        self.token = None if anonymous else (token_value or token("bureau"))

    def as_role(self, role: str, subject: str | None = None, **scope: str) -> "Http":
        return Http(self.base, token(role, subject, **scope))

    def anonymous(self) -> "Http":
        return Http(self.base, anonymous=True)

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None, headers: dict | None = None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {"content-type": "application/json"}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read())

    def wait_ready(self, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
        """Until ``/health/ready`` answers 200 (from ``process``, still running, when given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise ProcessExited(f"{process.args} exited {process.returncode} before {self.base} was ready")
            try:
                if self.call("GET", "/health/ready")[0] == 200 and (process is None or process.poll() is None):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.base} not ready")

    def eventually(self, path: str, check, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.call("GET", path)
            if status == 200 and check(body):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} never satisfied the check; last: {body}")
            time.sleep(0.1)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class Processes:
    def __init__(self, env: dict[str, str], logs: Path):
        self.env = env
        self.logs = logs
        self.running: list[subprocess.Popen] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{'-'.join(args)}.log", "ab")
        proc = subprocess.Popen([RPS, *args], env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        self.running.append(proc)
        return proc

    def start_http(self, *args: str, env: dict[str, str] | None = None, timeout: float = 30.0,
                   attempts: int = 5) -> tuple[subprocess.Popen, "Http"]:
        """Start an HTTP process (``serve <service>`` or ``run``) on a free port and wait until it is ready.

        The port is the child's to bind: when the child exits before it is ready (another process took
        the port meanwhile), start it again on another port. A service's HTTP process serves its event
        feed: the processes started after it are told where (``RPS_EVENTS_URL_{SERVICE}``, as the
        ConfigMap tells the cluster's), so a runner the bus skipped events for can read them there."""
        for _ in range(attempts):
            port = free_port()
            proc = self.start(*args, env={**(env or {}), "RPS_HTTP": f"127.0.0.1:{port}"})
            http = Http(f"http://127.0.0.1:{port}")
            try:
                http.wait_ready(timeout, process=proc)
                if args[0] == "serve" and len(args) > 1:
                    self.env[f"RPS_EVENTS_URL_{args[1].upper()}"] = http.base
                return proc, http
            except ProcessExited:
                continue
        raise RuntimeError(f"rps {' '.join(args)} exited {attempts} times before ready:\n{self.log(*args)[-3000:]}")

    def run(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [RPS, *args], env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=180
        )
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def kill9(self, proc: subprocess.Popen) -> None:
        """Kill without warning, as a crashed node would die."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def log(self, *args: str) -> str:
        return (self.logs / f"{'-'.join(args)}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.running:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()




def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``check`` until it gives something true (returned), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


NODE_PACKAGES = Path(__file__).resolve().parent / "web"


def require_node_package(package: str, needed_for: str) -> None:
    """Node.js and ``package`` from tests/web's pinned lock file, installed with `npm ci` when missing;
    fails (never skips) saying what is missing (issue 15)."""
    if shutil.which("node") is None:
        import pytest

        pytest.fail(f"Node.js is not installed (needed {needed_for})", pytrace=False)
    if not (NODE_PACKAGES / "node_modules" / package).is_dir():
        npm = shutil.which("npm")
        done = npm and subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_PACKAGES,
                                      capture_output=True, text=True, timeout=300)
        if not done or done.returncode != 0:
            import pytest

            pytest.fail(f"{package} is not installed in tests/web and `npm ci` failed: "
                        + (done.stderr[-500:] if done else "npm not found"), pytrace=False)
