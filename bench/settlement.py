"""Fee settlement (R-FEE-1) of G groups × one service year, against one SQL query, same run.

    .venv/bin/python -W ignore -m bench.settlement [--groups 1000] [--app sqlite,postgres] [--repeat 5]

Generates G groups (contract from 2021-06-01, rule max or sum, four annual
fees; most assigned all year, some from the 16th or 17th of September, some
ended mid-February or mid-January) and one service year (2021: 2021-06-01 ..
2022-05-31) of visits per group, about 40 a group: 0.5 .. 3 days, some on a
date another visit already has (the 1.0 cap), some gap months, some spilling
past the year's last day, about 5 % corrected and 5 % voided. Each visit is
a real ``Visit`` aggregate built through ``Visit.log`` / ``correct`` /
``void`` (the domain's checks run), so the visits are ones the service would
accept.

The baseline is one SQL query in PostgreSQL over two plain tables (the
groups' year bounds, duty span, fee and rule; the visits as last corrected
with a voided flag) that computes, per group, the duty months (half-month
rule), the service days with the per-date cap of 1.0, the duty months with a
visit, the fee, the deduction and the payable (exact integer arithmetic in
half-days and fractions, half up), i.e. the figures R-FEE-1 needs. JIT is
off for it (compiling would cost more than the query). It is run
``--repeat`` times and the median counts; so do the two domain paths below.
Loading the plain tables (COPY) is untimed, as the domain paths get their
visits in memory. Measured against it, in the same run:

- ``calculate()`` per group: the programme's pure functions
  (services/programme/fees.py, duty.py, calendar.py), visits in memory;
- ``Settlement.issue()`` per group: the same plus the settlement aggregate
  and its event (nothing stored);
- ``VisitsApplication.settle`` per group on SQLite (``Runtime.embedded`` on a
  temporary directory) and on PostgreSQL (``Runtime.cluster`` on a fresh
  database from ``bench.common.fresh_cluster``): the contracts facts made by
  contracts' aggregates and fed to the visits read models
  (``bench.history.Organisation``), the visits saved to the event store and
  caught up by the ledger before the clock starts; each settle
  reads the group, its earlier settlements and the year's visits, computes,
  and stores the settlement's ``FeeSettled`` (one transaction).

Every path's figures are compared per group with the SQL query's (duty
months, months with a visit, days, fee, deduction, payable); the script
stops with an AssertionError if any differ. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import psycopg

from bench.common import fresh_cluster, percentile
from services.backbone import clock
from services.backbone.settings import Settings
from services.bootstrap import Runtime
from services.programme.assignment import ContractTerms, GroupAssignment, Membership
from services.programme.calendar import as_fraction, served_dates
from services.programme.duty import VisitFacts
from services.programme.fees import calculate
from services.visits.domain import Facts, Visit
from services.visits.settlement import Settlement

YEAR = 2021
CONTRACT_START = dt.date(2021, 6, 1)
CONTRACT_END = dt.date(2024, 5, 31)  # three years
YEAR_FIRST, YEAR_LAST = dt.date(2021, 6, 1), dt.date(2022, 5, 31)
SETTLED_AT = dt.datetime(2022, 6, 15, 10, 0, tzinfo=clock.TZ)
FEES = (6_000_000, 4_800_000, 5_500_000, 6_666_667)
DAYS = (0.5, 1.0, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0)


# -- the data: groups and their visits as the visits service would hold them ---------------------


@dataclass
class Group:
    unique: str
    code: str
    tier1: str
    local: str
    fee: int
    rule: str
    from_date: dt.date
    end_date: dt.date | None  # GroupAssignmentEnded's date (the last day), if any
    assignment: GroupAssignment
    visits: list[Visit]

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        return max(self.from_date, CONTRACT_START), min(self.end_date or CONTRACT_END, CONTRACT_END)


def make_group(i: int) -> tuple[str, str, str, str, int, str, dt.date, dt.date | None]:
    unique = f"s{i:05d}"
    kind = i % 20
    from_date, end_date = CONTRACT_START, None
    if kind == 16:
        from_date = dt.date(2021, 9, 16)  # 15 of September's 30 days: a duty month
    elif kind == 17:
        from_date = dt.date(2021, 9, 17)  # 14 of 30: not one
    elif kind == 18:
        end_date = dt.date(2022, 2, 14)  # 14 of February's 28: a duty month
    elif kind == 19:
        end_date = dt.date(2022, 1, 15)  # 15 of January's 31: not one
    rule = "sum" if i % 3 == 0 else "max"
    return unique, f"g-{unique}", f"p1-{unique}", f"p2-{unique}", FEES[i % len(FEES)], rule, from_date, end_date


def assignment_of(code: str, tier1: str, local: str, fee: int, rule: str, from_date: dt.date,
                  end_date: dt.date | None) -> GroupAssignment:
    """What the visits read models make of Organisation.setup (+ end_group), built by hand."""
    unique = code[2:]
    return GroupAssignment(
        code=code,
        district=f"d-{unique}",
        contract=ContractTerms(id=f"c-{unique}", start_date=CONTRACT_START, end_date=CONTRACT_END,
                               annual_fee_fen=fee, deduction_rule=rule),
        periods=((from_date, end_date),),
        members=(Membership(tier1, from_date, end_date), Membership(local, from_date, end_date)),
    )


def plan_visits(rng: random.Random, g: Group) -> list[dict[str, Any]]:
    """About 40 visits inside the group's assignment and the service year, as plain data."""
    first, last = max(g.span[0], YEAR_FIRST), min(g.span[1], YEAR_LAST)
    months = []
    day = first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    weak = rng.random() < 0.15  # some groups fall short of the year's duty
    skipped = {m for m in months if rng.random() < (0.3 if weak else 0.06)}
    live_months = [m for m in months if m not in skipped] or months[:1]
    count = round(rng.randint(30, 50) * len(months) / 12 * (0.45 if weak else 1))
    plans: list[dict[str, Any]] = []
    for _ in range(max(1, count)):
        if plans and rng.random() < 0.06:
            date = rng.choice(plans)["date"]  # a second visit on a date another one has
        else:
            month = rng.choice(live_months)
            nxt = (month + dt.timedelta(days=32)).replace(day=1)
            lo, hi = max(month, first), min(nxt - dt.timedelta(days=1), last)
            date = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
        days = rng.choice(DAYS)
        while served_dates(date, days)[-1] > g.span[1]:  # an assignment that ends: stay inside it
            days -= 0.5
        if days < 0.5:
            continue
        planners = rng.choice(([g.tier1], [g.tier1], [g.tier1], [g.local], [g.tier1, g.local]))
        plan: dict[str, Any] = {"date": date, "days": days, "planners": planners, "leader_met": rng.random() < 0.5,
                                "delay": rng.choice((0, 1, 1, 2, 3, 5, 9, 14))}
        roll = rng.random()
        if roll < 0.05:
            plan["void"] = True
        elif roll < 0.10:
            new_days = rng.choice([d for d in DAYS if d != days])
            while served_dates(date, new_days)[-1] > g.span[1]:
                new_days -= 0.5
            if new_days >= 0.5 and new_days != days:
                plan["correct"] = new_days
        plans.append(plan)
    return plans


def build_visits(g: Group, plans: list[dict[str, Any]]) -> list[Visit]:
    """Real aggregates, through the domain's commands and checks (nothing stored)."""
    out = []
    for p in plans:
        today = served_dates(p["date"], p["days"])[-1] + dt.timedelta(days=p["delay"])
        facts = Facts(assignment=g.assignment, today=today, actor=g.tier1, actor_role="planner",
                      is_settled=lambda year: False)
        visit = Visit.log(facts=facts, group=g.code, date=p["date"], days=p["days"], planners=p["planners"],
                          activities=["survey", "consultation"], places=["社区服务中心"], leader_met=p["leader_met"],
                          leader_name="主任" if p["leader_met"] else None, notes="走访片区，收集居民意见")
        if "correct" in p:
            later = Facts(assignment=g.assignment, today=max(today, served_dates(p["date"], p["correct"])[-1]) + dt.timedelta(days=2),
                          actor=g.tier1, actor_role="planner", is_settled=lambda year: False)
            visit.correct(facts=later, changes={"days": p["correct"]}, reason="时长填写有误")
        if p.get("void"):
            visit.void(facts=facts, reason="重复登记")
        out.append(visit)
    return out


def facts_of(visit: Visit) -> VisitFacts:
    """A visit as the ledger turns it into ``VisitFacts`` (services/visits/readmodel.py)."""
    return VisitFacts(id=str(visit.id), date=dt.date.fromisoformat(visit.date), days=as_fraction(visit.days),
                      leader_met=bool(visit.leader_met), voided=visit.voided, confirmation=visit.confirmation,
                      leader_met_confirmed=visit.leader_met_confirmed, late=visit.late, revision=visit.revision)


def generate(groups: int, seed: int) -> tuple[list[Group], dict[str, list[dict[str, Any]]]]:
    rng = random.Random(seed)
    out, plans = [], {}
    for i in range(groups):
        unique, code, tier1, local, fee, rule, from_date, end_date = make_group(i)
        g = Group(unique, code, tier1, local, fee, rule, from_date, end_date,
                  assignment_of(code, tier1, local, fee, rule, from_date, end_date), [])
        plans[code] = plan_visits(rng, g)
        g.visits = build_visits(g, plans[code])
        out.append(g)
    return out, plans


# -- the figures compared ------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    duty_months: int
    months_with_visit: int
    days: Fraction
    fee_fen: int
    deduction_fen: int
    payable_fen: int


def result_of(figures: Any) -> Result:
    return Result(figures.duty_months, figures.months_with_visit, Fraction(figures.days), figures.fee_fen,
                  figures.deduction_fen, figures.payable_fen)


def result_of_dict(d: dict[str, Any]) -> Result:
    return Result(d["duty_months"], d["months_with_visit"], as_fraction(d["days"]), d["fee_fen"], d["deduction_fen"],
                  d["payable_fen"])


def check_same(name: str, got: dict[str, Result], expected: dict[str, Result]) -> None:
    assert got.keys() == expected.keys(), f"{name}: groups differ"
    wrong = [g for g in expected if got[g] != expected[g]]
    assert not wrong, f"{name}: {len(wrong)} groups differ from SQL, e.g. {wrong[0]}: {got[wrong[0]]} != {expected[wrong[0]]}"


# -- the baseline: one SQL query over plain tables -----------------------------------------------

SQL_FIGURES = """
WITH g AS (
    SELECT grp, year_first, year_last, span_first, span_last, annual_fee_fen, rule FROM bench_groups
), months AS (  -- the calendar months the service year overlaps (13 at most)
    SELECT grp, m_first, (m_first + interval '1 month' - interval '1 day')::date AS m_last
    FROM (SELECT g.grp, g.year_last, (date_trunc('month', g.year_first::timestamp) + k * interval '1 month')::date AS m_first
          FROM g, unnest('{0,1,2,3,4,5,6,7,8,9,10,11,12}'::int[]) AS k) AS c
    WHERE m_first <= year_last
), duty AS (  -- R-VIS-2: covered days (inside the year and the duty span) x 2 >= days in month
    SELECT m.grp, m.m_first,
           greatest(0, least(m.m_last, g.year_last, g.span_last) - greatest(m.m_first, g.year_first, g.span_first) + 1)
               AS covered,
           m.m_last - m.m_first + 1 AS month_days
    FROM months m JOIN g USING (grp)
), per_date AS (  -- R-VIS-5 in half-days: 2 a date for whole days, 1 for a trailing half, at most 2 a date
    SELECT v.grp, v.date + i AS day, least(2, sum(least(2, v.halves - 2 * i))) AS served
    FROM (SELECT grp, date, (2 * days)::int AS halves FROM bench_visits WHERE NOT voided) v,
         unnest('{0,1,2,3,4}'::int[]) AS i
    WHERE 2 * i < v.halves
    GROUP BY v.grp, v.date + i
), served AS (
    SELECT p.grp, date_trunc('month', p.day::timestamp)::date AS m_first, sum(p.served) AS halves
    FROM per_date p JOIN g USING (grp)
    WHERE p.day BETWEEN g.year_first AND g.year_last
    GROUP BY 1, 2
), fig AS (
    SELECT g.grp, g.annual_fee_fen::bigint AS annual, g.rule,
           count(*) FILTER (WHERE d.covered > 0 AND d.covered * 2 >= d.month_days)::bigint AS dm,
           count(*) FILTER (WHERE d.covered > 0 AND d.covered * 2 >= d.month_days AND s.halves > 0)::bigint AS mv,
           coalesce(sum(s.halves), 0)::bigint AS halves
    FROM g JOIN duty d USING (grp) LEFT JOIN served s USING (grp, m_first)
    GROUP BY g.grp, g.annual_fee_fen, g.rule
), parts AS (  -- day shortfall (5dm - 2days)/5dm, visit shortfall (dm - mv)/dm, as integer fractions
    SELECT grp, annual, rule, dm, mv, halves,
           (2 * annual * dm + 12) / 24 AS fee,
           greatest(0, 5 * dm - halves) AS nd, 5 * dm AS dd,
           dm - mv AS nv, dm AS dv
    FROM fig
), shortfall AS (
    SELECT grp, dm, mv, halves, fee,
           CASE WHEN dm = 0 THEN 0
                WHEN rule = 'sum' THEN least(nd * dv + nv * dd, dd * dv)
                WHEN nd * dv >= nv * dd THEN nd ELSE nv END AS num,
           CASE WHEN dm = 0 THEN 1
                WHEN rule = 'sum' THEN dd * dv
                WHEN nd * dv >= nv * dd THEN dd ELSE dv END AS den
    FROM parts
)
SELECT grp, dm AS duty_months, mv AS months_with_visit, halves, fee AS fee_fen,
       (2 * fee * num + den) / (2 * den) AS deduction_fen,
       fee - (2 * fee * num + den) / (2 * den) AS payable_fen
FROM shortfall
"""


def load_plain_tables(conn: psycopg.Connection, groups: list[Group]) -> tuple[float, int]:
    conn.execute("DROP TABLE IF EXISTS bench_groups, bench_visits")
    conn.execute("CREATE TABLE bench_groups (grp text PRIMARY KEY, year_first date, year_last date, span_first date,"
                 " span_last date, annual_fee_fen bigint, rule text)")
    conn.execute("CREATE TABLE bench_visits (id text PRIMARY KEY, grp text NOT NULL, date date NOT NULL,"
                 " days numeric(3,1) NOT NULL, voided boolean NOT NULL)")
    started = time.perf_counter()
    rows = 0
    with conn.cursor() as cur:
        with cur.copy("COPY bench_groups FROM STDIN") as copy:
            for g in groups:
                copy.write_row((g.code, YEAR_FIRST, YEAR_LAST, g.span[0], g.span[1], g.fee, g.rule))
        with cur.copy("COPY bench_visits FROM STDIN") as copy:
            for g in groups:
                for v in g.visits:
                    copy.write_row((str(v.id), g.code, dt.date.fromisoformat(v.date), Decimal(str(v.days)), v.voided))
                    rows += 1
    conn.execute("CREATE INDEX ON bench_visits (grp, date)")
    conn.execute("ANALYZE bench_groups")
    conn.execute("ANALYZE bench_visits")
    return time.perf_counter() - started, rows


def sql_figures(conn: psycopg.Connection) -> tuple[dict[str, Result], float]:
    # JIT compilation would cost more than the query (about 1 s at 1,000 groups) when
    # the planner's estimates cross jit_above_cost: off, as for any short query.
    conn.execute("SET jit = off")
    started = time.perf_counter()
    rows = conn.execute(SQL_FIGURES).fetchall()
    elapsed = time.perf_counter() - started
    out = {r[0]: Result(int(r[1]), int(r[2]), Fraction(int(r[3]), 2), int(r[4]), int(r[5]), int(r[6])) for r in rows}
    return out, elapsed


# -- the measured paths --------------------------------------------------------------------------


def domain_calculate(groups: list[Group]) -> tuple[dict[str, Result], float]:
    inputs = [(g.code, g.assignment, [facts_of(v) for v in g.visits]) for g in groups]
    started = time.perf_counter()
    calcs = [(code, calculate(assignment, YEAR, visits)) for code, assignment, visits in inputs]
    elapsed = time.perf_counter() - started
    return {code: result_of(c.figures) for code, c in calcs}, elapsed


def domain_issue(groups: list[Group]) -> tuple[dict[str, Result], float]:
    inputs = [(g.code, g.assignment, [facts_of(v) for v in g.visits]) for g in groups]
    today = SETTLED_AT.date()
    started = time.perf_counter()
    issued = [(code, Settlement.issue(assignment=a, service_year=YEAR, visits=v, today=today, previous=None))
              for code, a, v in inputs]
    elapsed = time.perf_counter() - started
    return {code: result_of_dict(s.figures) for code, s in issued}, elapsed


def application_settle(runtime: Runtime, groups: list[Group], plans: dict[str, list[dict[str, Any]]]
                       ) -> tuple[dict[str, Result], float, list[float], float]:
    """Contracts facts and visits in place (untimed), then ``settle`` for every group (timed)."""
    from bench.history import Organisation

    feed = Organisation(runtime)
    app = runtime.app("visits")
    started = time.perf_counter()
    for g in groups:
        feed.setup(g.unique, start_date=CONTRACT_START.isoformat(), from_date=g.from_date.isoformat(),
                   annual_fee_fen=g.fee, deduction_rule=g.rule)
        if g.end_date is not None:
            feed.end_group(g.code, g.end_date.isoformat())
        visits = build_visits(g, plans[g.code])  # fresh aggregates: each store gets its own events
        for i in range(0, len(visits), 200):
            app.save(*visits[i : i + 200])
    app.reads.catch_up(app.envelopes)  # the relay's job while the year goes on
    setup = time.perf_counter() - started
    app.now = lambda: SETTLED_AT
    out: dict[str, Result] = {}
    latencies = []
    started = time.perf_counter()
    for g in groups:
        t0 = time.perf_counter()
        settlement, new = app.settle(group=g.code, service_year=YEAR)
        latencies.append(time.perf_counter() - t0)
        assert new
        out[g.code] = result_of_dict(settlement.figures)
    return out, time.perf_counter() - started, latencies, setup


@contextlib.contextmanager
def embedded_runtime() -> Iterator[Runtime]:
    with tempfile.TemporaryDirectory(prefix="rps-bench-settle-") as tmp:
        runtime = Runtime.embedded(Settings(data_dir=Path(tmp) / "var"))
        try:
            yield runtime
        finally:
            runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the SQL query and the domain paths (median)")
    parser.add_argument("--app", default="sqlite,postgres",
                        help="VisitsApplication.settle on: sqlite, postgres, both (comma-separated) or none")
    args = parser.parse_args()
    apps = [a for a in args.app.split(",") if a and a != "none"]

    started = time.perf_counter()
    groups, plans = generate(args.groups, args.seed)
    generated = time.perf_counter() - started
    visits = sum(len(g.visits) for g in groups)
    voided = sum(v.voided for g in groups for v in g.visits)
    corrected = sum(v.revision > 0 and not v.voided for g in groups for v in g.visits)

    with fresh_cluster() as settings:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
            load_seconds, rows = load_plain_tables(conn, groups)
            sql_runs = [sql_figures(conn) for _ in range(args.repeat)]
        expected = sql_runs[0][0]
        sql_time = statistics.median(t for _, t in sql_runs)

        lines: list[tuple[str, float, str]] = []
        calc_runs = [domain_calculate(groups) for _ in range(args.repeat)]
        for got, _ in calc_runs:
            check_same("calculate()", got, expected)
        lines.append(("domain calculate() per group, visits in memory", statistics.median(t for _, t in calc_runs), ""))
        issue_runs = [domain_issue(groups) for _ in range(args.repeat)]
        for got, _ in issue_runs:
            check_same("Settlement.issue()", got, expected)
        lines.append(("domain Settlement.issue() (+ aggregate, event)", statistics.median(t for _, t in issue_runs), ""))

        for backend in apps:
            if backend == "sqlite":
                ctx: Any = embedded_runtime()
                label = "VisitsApplication.settle, SQLite (embedded)"
            elif backend == "postgres":
                ctx = contextlib.closing(Runtime.cluster(settings, ("visits",)))
                label = "VisitsApplication.settle, PostgreSQL (cluster)"
            else:
                raise SystemExit(f"--app: unknown backend {backend!r}")
            with ctx as runtime:
                got, elapsed, latencies, setup = application_settle(runtime, groups, plans)
            check_same(label, got, expected)
            lines.append((label, elapsed, f"  p50 {percentile(latencies, 50) * 1000:.1f} ms, "
                                          f"p99 {percentile(latencies, 99) * 1000:.1f} ms a settle "
                                          f"(set-up untimed: {setup:.0f} s)"))

    n = len(groups)
    payable = sum(r.payable_fen for r in expected.values())
    deducted = sum(1 for r in expected.values() if r.deduction_fen)
    print(f"settlement benchmark, {n} groups x service year {YEAR} ({visits} visits: {voided} voided, "
          f"{corrected} corrected; generated through the domain in {generated:.1f} s), PostgreSQL {server} on this machine")
    print(f"  {'one SQL query over plain tables (PostgreSQL)':50s}: {sql_time:8.3f} s {n / sql_time:9.0f} groups/s   1.00"
          f"  (median of {args.repeat}; COPY of {rows} rows untimed: {load_seconds:.2f} s)")
    for label, elapsed, extra in lines:
        rate = n / elapsed
        print(f"  {label:50s}: {elapsed:8.3f} s {rate:9.0f} groups/s {rate / (n / sql_time):6.2f}{extra}")
    print(f"  same figures in every path for all {n} groups (duty months, months with a visit, days, fee, deduction, "
          f"payable): total payable {payable} fen, {deducted} groups with a deduction")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
