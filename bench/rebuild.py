"""Rebuild of every reporting read model from N generated events, against a plain SQL aggregate, same run.

    .venv/bin/python -W ignore -m bench.rebuild [--events 1000000] [--groups 1000] [--backend sqlite|postgres]
    .venv/bin/python -W ignore -m bench.rebuild --events 100000           # a quicker look
    .venv/bin/python -W ignore -m bench.rebuild --backend postgres --events 30000

The default is issue 7's 1,000,000 events: generating them takes about 4
minutes, once per machine (bench/history.py keeps them in its cache); then
the rebuild about 30 s, the baseline, the monthly report's series. The
PostgreSQL backend makes a round trip per statement (about 5,000 events/s at
30,000 events): give it ``--events`` of a few tens of thousands.

1. The history (bench/history.py): made by the services' own aggregates
   (contracts, visits, feedback: every event one the domain produced, turned
   into envelopes by services/backbone/envelope.py), 1,000 groups over
   enough service years for N, written per source in notification order;
   generated once per size and seed, in a child process, then read from the
   cache. Every type in it must have a handler of its own in some reporting
   read model (checked before the rebuild).
2. Rebuild, as ``Runtime.rebuild`` does it: for each reporting projection,
   ``Projection.rebuild``: ``reset()``, ``catch_up(source, read)`` for each of
   its sources (``Projection.handle_run`` per batch in notification order, 500
   at a time), then the indexes it defers to the end. ``Runtime.embedded`` on a temporary directory (SQLite) or
   ``Runtime.cluster`` on a fresh database (``bench.common.fresh_cluster``).
   Memory: the process's peak RSS (``ru_maxrss``) and current RSS at 25, 50,
   75 and 100 % of the rebuild's envelope deliveries; ``--tracemalloc``
   adds the Python heap (slower).
3. Baseline, same engine, same run: the same N events as rows of one plain
   table (source, position, type, subject, group, date, days), inserted in
   one transaction (SQLite ``executemany``; PostgreSQL ``COPY``), then one
   aggregate: visits as last corrected, not voided, per group and month
   (count and days). The rebuild's read model must give the same figures
   (checked; an AssertionError otherwise).
4. The monthly report for all groups, for the last whole month of the history
   (``bench/report.py``): computed from the read models (cold), from its cache
   with nothing new, and from its cache with ``--churn`` new events (5, 50,
   500) applied before each of ``--calls`` calls (50) as the projection runner
   applies them: the generator makes ``calls x sum(churn)`` events after the
   N, held back from the rebuild.

Events/s counts the N events (not the deliveries: every event reaches
several read models) over the rebuild's wall clock, reading the history
(unpickling, in both processes) included; the baseline's reading is left
out. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from bench.common import fresh_cluster
from bench.history import SOURCES, EventLog, load, made_once, thousands
from bench.report import measure

# -- memory ------------------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Sampler:
    """Memory at 25, 50, 75 and 100 % of the rebuild's deliveries."""

    def __init__(self, total: int, traced: bool):
        self.total = total
        self.done = 0
        self.traced = traced
        self.marks = [0.25, 0.5, 0.75, 1.0]
        self.samples: list[tuple[float, float, float, float | None]] = []

    def __call__(self, n: int) -> None:
        self.done += n
        while self.marks and self.done >= self.marks[0] * self.total:
            heap = None
            if self.traced:
                import tracemalloc

                heap = tracemalloc.get_traced_memory()[1] / 2**20
            self.samples.append((self.marks.pop(0), rss_mb(), maxrss_mb(), heap))


# -- the measured paths ------------------------------------------------------------------------------


def rebuild(runtime: Any, log: EventLog, traced: bool) -> tuple[float, list[tuple[str, int, float]], Sampler]:
    """``Runtime.rebuild("reporting")``, the generated history as its reader: wall clock,
    reading included; per read model the events applied and the time spent."""
    sampler = Sampler(sum(log.counts.values()), traced)  # this process reads each source once
    log.on_batch = sampler
    log.read_seconds = 0.0
    if traced:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    applied = runtime.rebuild("reporting", reader=log.reader)
    elapsed = time.perf_counter() - started
    if traced:
        import tracemalloc

        tracemalloc.stop()
    log.on_batch = lambda n: None
    per_projection = [(name, count, runtime.rebuild_seconds[name]) for name, count in applied.items()]
    return elapsed, per_projection, sampler


def baseline_rows(log: EventLog) -> Iterator[tuple[Any, ...]]:
    for source in SOURCES:
        for e in log.envelopes(source):
            data = e["data"]
            days = data.get("days")
            yield (source, e["position"], e["type"].split(".")[-2], e["subject"], data.get("group"),
                   data.get("date") if isinstance(data.get("date"), str) else None,
                   float(days) if isinstance(days, (int, float)) else None)


BASELINE_AGGREGATE = """
WITH s AS (
    SELECT subject,
           max(grp) AS grp,
           max(CASE WHEN type = '{voided}' THEN 1 ELSE 0 END) AS voided,
           max(CASE WHEN type IN ('{logged}', '{corrected}') THEN position END) AS last_position
    FROM bench_events
    WHERE source = 'visits' AND type IN ('{logged}', '{corrected}', '{voided}')
    GROUP BY subject
)
SELECT s.grp, substr(e.date, 1, 7) AS month, count(*) AS visits, sum(e.days) AS days
FROM s JOIN bench_events e ON e.source = 'visits' AND e.position = s.last_position
WHERE s.voided = 0
GROUP BY s.grp, substr(e.date, 1, 7)
"""
READ_MODEL_AGGREGATE = (
    "SELECT grp, substr(date, 1, 7) AS month, count(*) AS visits, sum(days) AS days FROM rpt_visits"
    " WHERE voided = 0 GROUP BY grp, substr(date, 1, 7)"
)
BASELINE_TABLE = ("CREATE TABLE bench_events (source TEXT NOT NULL, position BIGINT NOT NULL, type TEXT NOT NULL,"
                  " subject TEXT NOT NULL, grp TEXT, date TEXT, days REAL, PRIMARY KEY (source, position))")


def baseline_aggregate() -> str:
    # The types visits publishes (API.md), as the domain names them: VisitLogged, ...
    return BASELINE_AGGREGATE.format(logged="VisitLogged", corrected="VisitCorrected", voided="VisitVoided")


def check_handled(projections: list[Any], types: set[str]) -> None:
    """Every generated type must reach a read model's own handler: a rebuild that
    silently skipped events (a renamed type, say) would look fast."""
    handled = {t for p in projections for t in p._handlers if t != "*"}
    missing = sorted(types - handled)
    assert not missing, f"no reporting read model handles {', '.join(missing)}: the generator is out of date"


def baseline_sqlite(path: Path, log: EventLog) -> tuple[float, dict[tuple[str, str], tuple[int, float]]]:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # as services/backbone/persistence.py opens SQLite
    conn.execute(BASELINE_TABLE)
    log.read_seconds = 0.0
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO bench_events VALUES (?, ?, ?, ?, ?, ?, ?)", baseline_rows(log))
    conn.execute("COMMIT")
    rows = conn.execute(baseline_aggregate()).fetchall()
    elapsed = time.perf_counter() - started - log.read_seconds
    conn.close()
    return elapsed, {(r[0], r[1]): (int(r[2]), float(r[3])) for r in rows}


def baseline_postgres(url: str, log: EventLog) -> tuple[float, dict[tuple[str, str], tuple[int, float]]]:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("SET jit = off")
        conn.execute(BASELINE_TABLE.replace("REAL", "DOUBLE PRECISION"))
        conn.commit()
        log.read_seconds = 0.0
        started = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy("COPY bench_events FROM STDIN") as copy:
                for row in baseline_rows(log):
                    copy.write_row(row)
        conn.commit()
        rows = conn.execute(baseline_aggregate()).fetchall()
        elapsed = time.perf_counter() - started - log.read_seconds
    return elapsed, {(r[0], r[1]): (int(r[2]), float(r[3])) for r in rows}


def read_model_figures(db: Any) -> dict[tuple[str, str], tuple[int, float]]:
    return {(r["grp"], r["month"]): (int(r["visits"]), float(r["days"])) for r in db.query(READ_MODEL_AGGREGATE)}


def live_events(runtime: Any, log: EventLog) -> Callable[[int], int]:
    """``advance(n)``: the next ``n`` held-back events, to every reporting read model, as the
    projection runner applies them (a run per source, tracking records, versions)."""
    pending = iter(log.tail())
    projections = runtime.projections["reporting"]

    def advance(n: int) -> int:
        chunk = [e for _, e in zip(range(n), pending)]
        runs: list[list[dict[str, Any]]] = []
        for envelope in chunk:
            if runs and runs[-1][0]["source"] == envelope["source"]:
                runs[-1].append(envelope)
            else:
                runs.append([envelope])
        for run in runs:
            source = run[0]["source"].split("/")[-1]
            for projection in projections:
                if source in projection.sources:
                    projection.handle_run(run)
        return len(chunk)

    return advance


@contextlib.contextmanager
def reporting_runtime(backend: str, tmp: Path) -> Iterator[tuple[Any, str | None]]:
    from services.backbone.settings import Settings
    from services.bootstrap import Runtime

    if backend == "sqlite":
        runtime = Runtime.embedded(Settings(data_dir=tmp / "var"))
        try:
            yield runtime, None
        finally:
            runtime.close()
    else:
        with fresh_cluster() as settings:
            runtime = Runtime.cluster(settings, ("reporting",))
            try:
                yield runtime, settings.database_url
            finally:
                runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--calls", type=int, default=50, help="monthly reports timed")
    parser.add_argument("--churn", default="5,50,500", help="new events before each cached report, per series")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap (slower)")
    parser.add_argument("--fresh-history", action="store_true",
                        help="make the history again (after a change of the domain's events) instead of the cached one")
    args = parser.parse_args()
    churn = [int(n) for n in args.churn.split(",") if n]
    held_back = args.calls * sum(churn)  # generated after the history, applied between reports

    history = made_once(args.events, held_back, args.groups, args.seed, fresh=args.fresh_history)  # once per machine
    gen = load(history)
    tmp = Path(tempfile.mkdtemp(prefix="rps-bench-rebuild-"))
    try:
        log = EventLog(history, gen["counts"])
        n = gen["total"]
        last_day = dt.date.fromisoformat(gen["last_day"])
        # The last whole month generated (the stream stops part-way through the one after it).
        month = (last_day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        period = max(month, dt.date.fromisoformat(gen["start"])).strftime("%Y-%m")

        with reporting_runtime(args.backend, tmp) as (runtime, url):
            db = runtime.db("reporting")
            check_handled(runtime.projections["reporting"], set(gen["types"]))
            before = (rss_mb(), maxrss_mb())
            generator_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            elapsed, per_projection, sampler = rebuild(runtime, log, args.tracemalloc)
            read_seconds = log.read_seconds
            children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            figures = read_model_figures(db)
            if args.backend == "sqlite":
                base_seconds, base_figures = baseline_sqlite(tmp / "baseline.sqlite", log)
            else:
                base_seconds, base_figures = baseline_postgres(url, log)
            assert figures == base_figures, (
                f"read model and baseline differ in {len(set(figures.items()) ^ set(base_figures.items()))} group-months")
            report_lines = []
            advance = live_events(runtime, log)
            for k, per_call in enumerate(churn):
                lines = measure(runtime, period, args.calls, advance, per_call)
                report_lines += lines if k == 0 else lines[2:]

        rebuild_rate = n / elapsed
        base_rate = n / base_seconds
        counts = gen["counts"]
        apart = [p.name for p in runtime.projections["reporting"] if p.own_file]  # rebuilt by a second process
        engine = "SQLite (Runtime.embedded)" if args.backend == "sqlite" else "PostgreSQL (Runtime.cluster)"
        print(f"rebuild benchmark, {thousands(n)} events ({', '.join(f'{s} {thousands(counts[s])}' for s in SOURCES)}), "
              f"{args.groups} groups, {gen['years']} service years from {gen['start']}; {engine} on this machine")
        print(f"  generated by the domain in {gen['seconds']:.0f} s (child process, once: {history}); "
              f"{len(per_projection)} read models, each source read "
              f"once by this process ({read_seconds:.1f} s of unpickling, counted below) and once by the process "
              f"rebuilding {', '.join(apart) or 'nothing'} beside it")
        print(f"  {'plain table: bulk insert + one GROUP BY (group, month)':58s}: {base_seconds:8.1f} s "
              f"{base_rate:9.0f} events/s   1.00")
        print(f"  {'rebuild: Runtime.rebuild(reporting), wall clock':58s}: {elapsed:8.1f} s "
              f"{rebuild_rate:9.0f} events/s {rebuild_rate / base_rate:6.3f}   (aim: >= 20,000 events/s)")
        for name, applied, seconds in per_projection:
            where = "  (second process)" if name in apart else ""
            print(f"      {name:30s} {thousands(applied):>10s} events {seconds:7.1f} s {applied / seconds:8.0f} /s{where}")
        print(f"  same visits per group and month in the read model and the baseline ({len(figures)} group-months)")
        mem = ", ".join(f"{int(mark * 100)}% rss {rss:.0f} MB peak {peak:.0f} MB" + (f" heap {heap:.1f} MB" if heap else "")
                        for mark, rss, peak, heap in sampler.samples)
        print(f"  memory, runtime started: rss {before[0]:.0f} MB peak {before[1]:.0f} MB; during the rebuild: {mem}; "
              + (f"the second process's peak rss {children_peak:.0f} MB" if children_peak > generator_peak
                 else f"the second process's peak rss at most {generator_peak:.0f} MB (the generator's)"))
        print(f"  {report_lines[0]} (aim: p99 <= 200 ms)")
        for line in report_lines[1:]:
            print(f"  {line}")
        print(f"  event types: {', '.join(f'{k} {v}' for k, v in sorted(gen['types'].items(), key=lambda kv: -kv[1]))}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
