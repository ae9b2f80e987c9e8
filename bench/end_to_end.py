"""End to end: POST /visits -> stored -> relayed -> projected -> visible to reports.

    .venv/bin/python -m bench.end_to_end [COMMANDS] [CLIENTS] [SERVERS]

Starts the cluster's processes on this machine as the manifests run them
(SERVERS × rps serve visits --role http, default 1, the clients spread over them
as a Service would; rps relay visits, rps project reporting) against a fresh database and vhost, drives
COMMANDS visit commands from CLIENTS concurrent HTTP clients with kept-alive
connections, each signed in as a planner of its group, and watches the
reporting read model for each visit. Prints
commands/s, command latency p50/p99 and propagation delay p50/p99 (from the
201 to the row being in reporting's read model). A benchmark, not a test.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from bench.common import fresh_cluster, percentile, summary
from bench.history import Organisation
from services.bootstrap import Runtime
from tests.processes import RPS, Http, free_port, token


def main() -> None:
    commands = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    servers = int(sys.argv[3]) if len(sys.argv) > 3 else 1  # `rps serve visits` replicas, as a Deployment scales
    with fresh_cluster() as settings:
        runtime = Runtime.cluster(settings, ("visits",))
        organisation = Organisation(runtime)  # made by contracts' aggregates
        groups = [organisation.setup(f"bench{i}") for i in range(8)]
        runtime.close()
        env = {**os.environ, "AMQP_URI": settings.amqp_uri, "DATABASE_URL": settings.database_url,
               "RPS_RELAY_IDLE_SECONDS": "0.02", "PYTHONWARNINGS": "ignore"}
        ports = [free_port() for _ in range(servers)]
        logs = Path("out/bench")
        logs.mkdir(parents=True, exist_ok=True)
        roles = [
            *((("serve", "visits", "--role", "http"), {"RPS_HTTP": f"127.0.0.1:{port}"}, f"serve-visits-{port}") for port in ports),
            (("relay", "visits"), {}, "relay-visits"),
            (("project", "reporting"), {}, "project-reporting"),
        ]
        procs = [
            subprocess.Popen([RPS, *args], env={**env, **extra}, stdout=open(logs / f"{name}.log", "wb"), stderr=subprocess.STDOUT)
            for args, extra, name in roles
        ]
        try:
            for port in ports:
                Http(f"http://127.0.0.1:{port}").wait_ready()
            # Each client is a planner of its group: the policy's scope check and
            # every rule (R-VIS-7's settled years too) run as in production.
            tokens = [token("planner", g.tier1, env=env, group=g.group) for g in groups]
            run(settings, ports, groups, tokens, commands, clients)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=20)


def run(settings, ports: list[int], groups, tokens: list[str], commands: int, clients: int) -> None:
    answered: dict[str, float] = {}
    seen: dict[str, float] = {}
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    per_client = commands // clients
    stop = threading.Event()

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[k % len(ports)], timeout=30)  # spread like a Service
        group = groups[k % len(groups)]
        headers = {"content-type": "application/json", "Authorization": f"Bearer {tokens[k % len(groups)]}"}
        for i in range(per_client):
            body = json.dumps(group.visit(f"2022-03-{i % 28 + 1:02d}", 1, notes=f"bench {k}-{i}"))
            started = time.perf_counter()
            conn.request("POST", "/api/v1/visits", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            done = time.perf_counter()
            with lock:
                latencies.append(done - started)
                if response.status == 201:
                    answered[json.loads(payload)["id"]] = done
                else:
                    errors.append(response.status)

    def watch() -> None:
        # Only the answered visits not seen yet, by primary key: the watcher's
        # own load stays small (reading the whole table every 10 ms cost the
        # shared CPUs more as it grew).
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            # A fresh table has no statistics yet: without this the planner scans it whole every time.
            conn.execute("SET enable_seqscan = off")
            while not stop.is_set():
                with lock:
                    waiting = [i for i in answered if i not in seen]
                if waiting:
                    rows = conn.execute("SELECT id FROM reporting.rpt_visits WHERE id = ANY(%s)", (waiting,)).fetchall()
                    now = time.perf_counter()
                    for (visit_id,) in rows:
                        seen.setdefault(visit_id, now)
                time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 60
    while len(set(answered) - set(seen)) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    watcher.join()
    delays = [seen[i] - answered[i] for i in answered if i in seen]
    print(f"end to end, {len(latencies)} commands from {clients} clients to {len(ports)} `rps serve visits --role http`,"
          " every server on this machine")
    print(f"  commands/s            : {len(answered) / elapsed:8.0f}  ({len(errors)} refused: {sorted(set(errors))})")
    print(f"  command latency       : {summary(latencies)}")
    print(f"  propagation delay     : p50 {percentile(delays, 50) * 1000:.0f} ms, p99 {percentile(delays, 99) * 1000:.0f} ms "
          f"({len(delays)}/{len(answered)} seen)")


if __name__ == "__main__":
    main()
