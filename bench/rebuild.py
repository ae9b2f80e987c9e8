"""Rebuild of every reporting read model from N generated events, against a plain SQL aggregate, same run.

    .venv/bin/python -W ignore -m bench.rebuild [--events 1000000] [--groups 1000] [--backend sqlite|postgres]
    .venv/bin/python -W ignore -m bench.rebuild --events 100000           # a quicker look
    .venv/bin/python -W ignore -m bench.rebuild --backend postgres --events 30000

The default is issue 7's 1,000,000 events: about 6 minutes here (generation
35 s, rebuild about 30 s, the baseline, then the monthly report's series). The
PostgreSQL backend makes a round trip per statement (about 5,000 events/s at
30,000 events): give it ``--events`` of a few tens of thousands.

1. Generation (a child process, so its memory is not the rebuild's): 1,000
   groups (one district each, ten governments, twenty contracts signed on
   June 1st, several service years, enough of them for N), the contracts
   service's events first (GovernmentRegistered, DistrictRegistered,
   ContractSigned, PlannerAppointed, GroupFormed; later PlannerReplaced and
   the term's evaluations), then month by month and group by group: about 40
   visits a service year (VisitLogged; most confirmed, a few disputed, about
   8 % corrected, 4 % voided), a FeeSettled per group and ended year
   (figures and inputs from the visits domain's own ``calculate``), and the
   feedback service's events (opinions received, acknowledged, relayed,
   answered or escalated, closed; recommendations raised, forwarded by
   letter, accepted or declined, progress, completed, verified, a few
   reopened or withdrawn; consultations; publicity; work summaries, ratings
   and annual summaries). Event types are named as the services publish
   them, from the domain's event classes (``Opinion.Received`` is
   ``OpinionSubmitted``), and every type generated must have a handler of
   its own in some reporting read model (checked before the rebuild).
   Envelopes are built as services/backbone/envelope.py builds them
   (CloudEvents, ``sequence``, ``position`` per source, a chain hash) and
   written per source, in notification order, to files in a temporary
   directory: the stand-in for the three event stores. The stream stops at
   exactly N events.
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
import hashlib
import math
import multiprocessing
import os
import pickle
import random
import resource
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator

from bench.common import fresh_cluster
from bench.report import measure

SOURCES = ("contracts", "visits", "feedback")
CHUNK = 500
NS = uuid.UUID("6f1d8d8e-5c1e-4d7a-9a55-3c0b2f9e7b21")
GOVERNMENTS = ("dongchangfu", "chiping", "linqing", "yanggu", "shenxian", "donge", "guanxian", "gaotang",
               "jingkai", "gaoxin")
TEAMS = 20
EVENTS_PER_GROUP_YEAR = 185  # what the model below makes, roughly; sets how many years N needs
ACTIVITIES = ("survey", "publicity", "opinion_collection", "consultation", "evaluation", "community_building")
CATEGORIES = ("环境卫生", "道路交通", "公共设施", "规划建设", "绿化景观", "停车", "其他")


def thousands(n: int) -> str:
    return f"{n:,}"


# -- the event log: per source, pickled chunks in notification order ------------------------------


class LogWriter:
    def __init__(self, directory: Path):
        self.directory = directory
        self.files = {s: open(directory / f"{s}.log", "wb") for s in SOURCES}
        self.buffers: dict[str, list[dict[str, Any]]] = {s: [] for s in SOURCES}

    def append(self, source: str, envelope: dict[str, Any]) -> None:
        buffer = self.buffers[source]
        buffer.append(envelope)
        if len(buffer) >= CHUNK:
            pickle.dump(buffer, self.files[source], protocol=pickle.HIGHEST_PROTOCOL)
            buffer.clear()

    def close(self) -> None:
        for source, f in self.files.items():
            if self.buffers[source]:
                pickle.dump(self.buffers[source], f, protocol=pickle.HIGHEST_PROTOCOL)
            f.close()


class EventLog:
    """Reads the generated history back; time spent unpickling is counted apart."""

    def __init__(self, directory: Path, counts: dict[str, int]):
        self.directory = directory
        self.counts = counts
        self.read_seconds = 0.0
        self.on_batch: Callable[[int], None] = lambda n: None

    def __getstate__(self) -> dict[str, Any]:
        # Handed to the process that rebuilds the audit trail beside this one (spawned).
        return {"directory": self.directory, "counts": self.counts, "read_seconds": 0.0}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.on_batch = lambda n: None

    def envelopes(self, source: str) -> Iterator[dict[str, Any]]:
        """The history of ``source`` (up to ``counts``; what is held back after it is ``tail``)."""
        for envelope in self._all(source):
            if envelope["position"] > self.counts[source]:
                return
            yield envelope

    def tail(self) -> list[dict[str, Any]]:
        """The events held back, in the order they happened (their time), every source."""
        held = [e for s in SOURCES for e in self._all(s) if e["position"] > self.counts[s]]
        return sorted(held, key=lambda e: e["time"])

    def _all(self, source: str) -> Iterator[dict[str, Any]]:
        with open(self.directory / f"{source}.log", "rb") as f:
            while True:
                t0 = time.perf_counter()
                try:
                    chunk = pickle.load(f)
                except EOFError:
                    return
                finally:
                    self.read_seconds += time.perf_counter() - t0
                yield from chunk

    def reader(self, source: str) -> Callable[[int, int], list[dict[str, Any]]]:
        """``read(after, limit)`` as ``Projection.catch_up`` calls it (the event store's feed)."""
        stream = self.envelopes(source)
        served = 0

        def read(after: int, limit: int) -> list[dict[str, Any]]:
            nonlocal served
            assert after == served, f"{source}: catch_up asked after {after}, {served} served"
            batch = [e for _, e in zip(range(limit), stream)]  # unpickling is timed inside envelopes()
            served += len(batch)
            self.on_batch(len(batch))
            return batch

        return read


# -- generation ------------------------------------------------------------------------------------


class Full(Exception):
    """The stream has its N events."""


def catalogue_name(key: str) -> str:
    """``"Opinion.Received"`` -> the type the service publishes (``OpinionSubmitted``), as
    services/backbone/envelope.py names it: the event class's ``event_type``, else aggregate + event."""
    import importlib

    modules = {"Government": "contracts.domain", "District": "contracts.domain", "Contract": "contracts.domain",
               "Planner": "contracts.domain", "Group": "contracts.domain", "Visit": "visits.domain",
               "Settlement": "visits.settlement"}
    aggregate, event = key.split(".")
    module = importlib.import_module(f"services.{modules.get(aggregate, 'feedback.domain')}")
    cls = getattr(getattr(module, aggregate), event)
    return getattr(cls, "event_type", None) or cls.__qualname__.replace(".", "")


_NAMES: dict[str, str] = {}


def event_name(key: str) -> str:
    if key not in _NAMES:
        _NAMES[key] = catalogue_name(key)
    return _NAMES[key]


class Stream:
    def __init__(self, writer: LogWriter, limit: int, rng: random.Random, history: int | None = None):
        self.writer = writer
        self.limit = limit
        self.history = history or limit  # the rebuilt part; the rest arrives after (the report's churn)
        self.rng = rng
        self.positions = {s: 0 for s in SOURCES}
        self.cutoffs = dict(self.positions)
        self.count = 0
        self.types: Counter[str] = Counter()
        self.last_visit = dt.date.min
        self.history_last_visit = dt.date.min

    def emit(self, source: str, event_type: str, subject: str, data: dict[str, Any], sequence: int,
             day: dt.date, actor: str, role: str) -> None:
        if self.count >= self.limit:
            raise Full
        event_type = event_name(event_type)
        self.count += 1
        self.positions[source] += 1
        position = self.positions[source]
        if self.count <= self.history:
            self.cutoffs[source] = position
            self.types[event_type] += 1
            self.history_last_visit = self.last_visit
        when = dt.datetime(day.year, day.month, day.day, 2 + self.rng.randrange(10), self.rng.randrange(60),
                           tzinfo=dt.timezone.utc)
        self.writer.append(source, {
            "specversion": "1.0",
            "id": str(uuid.uuid5(NS, f"{subject}:{sequence}")),
            "source": f"rps/{source}",
            "type": f"cn.liaocheng.rps.{source}.{event_type}.v1",
            "time": when.isoformat(),
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
            "sequence": sequence,
            "position": position,
            "actor": actor,
            "actorrole": role,
            "correlationid": "%032x" % self.rng.getrandbits(128),
            "causationid": None,
            "chainhash": hashlib.sha256(f"{source}:{position}".encode()).hexdigest(),
        })


def aggregate_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(NS, f"{kind}:{key}"))


def month_range(first: dt.date, months: int) -> list[dt.date]:
    out, day = [], first
    for _ in range(months):
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


class World:
    """1,000 groups and what happens to them, emitted month by month."""

    def __init__(self, stream: Stream, groups: int, years: int, start: dt.date):
        from services.programme.assignment import ContractTerms, GroupAssignment, Membership

        self.s = stream
        self.rng = stream.rng
        self.years = years
        self.start = start
        self.end = start.replace(year=start.year + years) - dt.timedelta(days=1)
        self.contracts = {
            f"c{t:02d}": ContractTerms(id=f"c{t:02d}", start_date=start, end_date=self.end,
                                       annual_fee_fen=(5_000_000, 6_000_000, 6_500_000, 4_800_000)[t % 4],
                                       deduction_rule="sum" if t % 5 == 0 else "max")
            for t in range(TEAMS)
        }
        self.groups: list[dict[str, Any]] = []
        for i in range(groups):
            code = f"g{i:04d}"
            from_date = start if self.rng.random() > 0.05 else start + dt.timedelta(days=self.rng.randint(60, 250))
            contract = f"c{i % TEAMS:02d}"
            g = {"code": code, "district": f"d{i:04d}", "government": GOVERNMENTS[i % len(GOVERNMENTS)],
                 "contract": contract, "from": from_date, "planners": [f"p{i:04d}a", f"p{i:04d}b"], "members": []}
            g["members"] = [Membership(p, from_date, None) for p in g["planners"]]
            g["assignment"] = GroupAssignment(code=code, district=g["district"], contract=self.contracts[contract],
                                              periods=((from_date, None),), members=tuple(g["members"]))
            self.groups.append(g)
        self.year_visits: dict[tuple[str, int], list[Any]] = defaultdict(list)
        self.opinion_no = 0
        self.letter_no = 0
        self.letter_nos: dict[str, str] = {}

    # -- the contracts service ---------------------------------------------------------------

    def organisation(self) -> None:
        s, day = self.s, self.start - dt.timedelta(days=20)
        for code in GOVERNMENTS:
            s.emit("contracts", "Government.Registered", aggregate_id("government", code),
                   {"code": code, "name": f"{code}人民政府", "kind": "county", "leader": "区长", "department": "自然资源局",
                    "contact": "0635-0000000"}, 1, day, "bureau-admin", "bureau")
        for g in self.groups:
            s.emit("contracts", "District.Registered", aggregate_id("district", g["district"]),
                   {"code": g["district"], "name": f"{g['district']}街道", "types": ["built"], "government": g["government"],
                    "leader": "主任", "contact": "联系人", "boundary": None}, 1, day, "bureau-admin", "bureau")
        for c in self.contracts.values():
            s.emit("contracts", "Contract.Signed", aggregate_id("contract", c.id),
                   {"id": c.id, "team": f"规划团队{c.id}", "institution": "聊城市规划设计研究院", "start_date": c.start_date.isoformat(),
                    "term_years": self.years, "end_date": c.end_date.isoformat(), "annual_fee_fen": c.annual_fee_fen,
                    "deduction_rule": c.deduction_rule, "service_year_basis": "contract", "settle_confirmed_only": False,
                    "late_after_days": 7, "work_content": "驻点服务、意见收集、技术咨询", "evaluation_weights": {}, "pass_mark": 60},
                   1, day, "bureau-admin", "bureau")
        for g in self.groups:
            for k, p in enumerate(g["planners"]):
                self.appoint(p, "tier1" if k == 0 else "local", day)
        for g in self.groups:
            s.emit("contracts", "Group.Formed", aggregate_id("group", g["code"]),
                   {"code": g["code"], "district": g["district"], "contract": g["contract"], "tier1": g["planners"][0],
                    "local": g["planners"][1], "from_date": g["from"].isoformat()}, 1, g["from"], "bureau-admin", "bureau")
        self.group_seq = {g["code"]: 1 for g in self.groups}

    def appoint(self, planner: str, origin: str, day: dt.date) -> None:
        self.s.emit("contracts", "Planner.Appointed", aggregate_id("planner", planner),
                    {"id": planner, "name": f"规划师{planner}", "origin": origin, "qualifications": ["registered_planner"],
                     "experience_years": 8, "community_renewal": False}, 1, day, "bureau-admin", "bureau")

    def replace_planner(self, g: dict[str, Any], day: dt.date) -> None:
        from services.programme.assignment import GroupAssignment, Membership

        out = g["planners"][0]
        new = f"{out}r{day:%y%m}"
        self.appoint(new, "tier1", day)
        self.group_seq[g["code"]] += 1
        self.s.emit("contracts", "Group.PlannerReplaced", aggregate_id("group", g["code"]),
                    {"group": g["code"], "out": out, "in": new, "date": day.isoformat(), "reason": "工作调动"},
                    self.group_seq[g["code"]], day, "bureau-admin", "bureau")
        g["members"] = [m if m.planner != out or m.to_date else Membership(out, m.from_date, day - dt.timedelta(days=1))
                        for m in g["members"]] + [Membership(new, day, None)]
        g["planners"][0] = new
        a = g["assignment"]
        g["assignment"] = GroupAssignment(code=a.code, district=a.district, contract=a.contract, periods=a.periods,
                                          members=tuple(g["members"]))

    def evaluations(self, day: dt.date) -> None:
        for c in self.contracts.values():
            self.s.emit("contracts", "Contract.TeamEvaluated", aggregate_id("contract", c.id),
                        {"contract": c.id, "date": day.isoformat(), "term": 1, "scores": {"duty": 38, "quality": 40},
                         "total": "78", "passed": True, "pass_mark": 60}, 2, day, "bureau-admin", "bureau")

    # -- the visits service --------------------------------------------------------------------

    def visits(self, g: dict[str, Any], month: dt.date) -> None:
        from services.programme.calendar import served_dates
        from services.programme.duty import VisitFacts

        rng, s = self.rng, self.s
        first = max(month, g["from"])
        last = min(month_end(month), self.end)
        if first > last or rng.random() < 0.08:  # not yet assigned, or a month without a visit
            return
        for _ in range(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))):
            date = first + dt.timedelta(days=rng.randint(0, (last - first).days))
            days = rng.choice((0.5, 1.0, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0))
            while served_dates(date, days)[-1] > self.end:
                days -= 0.5
            if days < 0.5:
                continue
            planners = rng.choice(([g["planners"][0]], [g["planners"][0]], [g["planners"][1]], list(g["planners"])))
            leader_met = rng.random() < 0.45
            logged = served_dates(date, days)[-1] + dt.timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 5, 9)))
            late = (logged - date).days > 7
            vid = "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                                   rng.getrandbits(12), rng.getrandbits(48))
            state = {"date": date.isoformat(), "days": days, "planners": planners,
                     "activities": rng.sample(ACTIVITIES, rng.randint(1, 3)), "places": ["社区服务中心", "老旧小区"],
                     "leader_met": leader_met, "leader_name": "主任" if leader_met else None,
                     "notes": "走访片区，了解更新改造需求，收集居民意见。", "point": {"lon": 115.98, "lat": 36.45},
                     "attachments": []}
            actor = planners[0]
            s.emit("visits", "Visit.Logged", vid, {"group": g["code"], "district": g["district"], **state,
                                                   "logged_on": logged.isoformat(), "late": late},
                   1, logged, actor, "planner")
            s.last_visit = max(s.last_visit, date)
            seq, voided, revision, confirmation = 1, False, 0, "unconfirmed"
            roll = rng.random()
            if roll < 0.08:
                new_days = rng.choice([d for d in (0.5, 1.0, 1.5, 2.0) if d != days])
                previous = {"days": days}
                state = {**state, "days": new_days}
                days = new_days
                seq += 1
                revision += 1
                s.emit("visits", "Visit.Corrected", vid, {**state, "late": late, "changed": ["days"], "previous": previous,
                                                          "reason": "时长填写有误", "by": actor, "by_role": "planner"},
                       seq, logged + dt.timedelta(days=2), actor, "planner")
            elif roll < 0.12:
                seq += 1
                revision += 1
                voided = True
                s.emit("visits", "Visit.Voided", vid, {"reason": "重复登记", "by": actor, "by_role": "planner"},
                       seq, logged + dt.timedelta(days=1), actor, "planner")
            if not voided:
                roll = rng.random()
                if roll < 0.85:
                    seq += 1
                    confirmation = "confirmed"
                    s.emit("visits", "Visit.Confirmed", vid,
                           {"leader_met_confirmed": True if leader_met else None, "by": f"{g['district']}-office"},
                           seq, logged + dt.timedelta(days=rng.randint(1, 10)), f"{g['district']}-office", "subdistrict")
                elif roll < 0.88:
                    seq += 1
                    confirmation = "disputed"
                    s.emit("visits", "Visit.Disputed", vid, {"reason": "当日未见到规划师", "by": f"{g['district']}-office"},
                           seq, logged + dt.timedelta(days=rng.randint(1, 10)), f"{g['district']}-office", "subdistrict")
            facts = VisitFacts(id=vid, date=date, days=Fraction(str(days)), leader_met=leader_met, voided=voided,
                               confirmation=confirmation, late=late, revision=revision)
            contract = self.contracts[g["contract"]]
            for year in sorted({contract.service_year_of(d) for d in served_dates(date, days)}):
                self.year_visits[(g["code"], year)].append(facts)

    def settle(self, g: dict[str, Any], year: int, day: dt.date) -> None:
        from services.programme.fees import calculate
        from services.visits.settlement import settlement_id

        visits = self.year_visits.pop((g["code"], year), [])
        calc = calculate(g["assignment"], year, visits)
        data = {
            "group": g["code"], "district": g["district"], "contract": g["contract"], "service_year": year,
            "first_date": calc.record.first.isoformat(), "last_date": calc.record.last.isoformat(), "number": 1,
            "supersedes": None, "settled_on": day.isoformat(), **calc.figures.as_dict(),
            "settle_confirmed_only": False,
            "unconfirmed_visits": [v.id for v in sorted(visits, key=lambda v: (v.date, v.id))
                                   if not v.voided and v.confirmation != "confirmed"],
            "inputs": calc.inputs, "inputs_digest": calc.digest,
        }
        self.s.emit("visits", "Settlement.Issued", str(settlement_id(g["code"], year, 1)), data, 1, day,
                    "bureau-finance", "bureau")

    # -- the feedback service -------------------------------------------------------------------

    def codes(self, g: dict[str, Any]) -> dict[str, Any]:
        return {"district": g["district"], "government": g["government"], "group": g["code"]}

    def feedback(self, g: dict[str, Any], month: dt.date, letters: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
        rng = self.rng
        if month < g["from"].replace(day=1):
            return
        last = month_end(month)
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 3, 4))):
            self.opinion(g, month + dt.timedelta(days=rng.randint(0, (last - month).days)), letters)
        if rng.random() < 0.33:
            self.recommendation(g, month + dt.timedelta(days=rng.randint(0, (last - month).days)), [], letters)
        if rng.random() < 0.25:
            self.consultation(g, month + dt.timedelta(days=rng.randint(0, (last - month).days)))
        if rng.random() < 0.33:
            day = month + dt.timedelta(days=rng.randint(0, (last - month).days))
            self.s.emit("feedback", "Publicity.Recorded", aggregate_id("publicity", f"{g['code']}:{day}"),
                        {**self.codes(g), "date": day.isoformat(), "mode": rng.choice(("offline", "online")),
                         "title": "城市更新政策宣讲", "audience": rng.randint(20, 300), "platform": None, "text": "……"},
                        1, day, g["planners"][0], "planner")
        if month.month in (6, 12):
            half = f"{month.year}-H{1 if month.month == 6 else 2}"
            self.s.emit("feedback", "WorkSummary.Submitted", aggregate_id("summary", f"{g['code']}:{half}"),
                        {**self.codes(g), "kind": "half-yearly", "period": half, "date": last.isoformat(),
                         "text": "本半年度驻点服务情况……", "highlights": ["完成片区体检", "组织居民议事会"], "revision": 1},
                        1, last, g["planners"][0], "planner")
        if month.month == 5:
            self.s.emit("feedback", "Rating.Submitted", aggregate_id("rating", f"{g['code']}:{month.year}"),
                        {**self.codes(g), "year": month.year - 1, "target": "group", "target_code": g["code"],
                         "scores": {"attitude": rng.randint(3, 5), "quality": rng.randint(3, 5)}, "text": None,
                         "date": last.isoformat(), "revision": 1}, 1, last, f"{g['district']}-office", "subdistrict")
        if month.month == 6 and month > self.start:
            self.s.emit("feedback", "AnnualSummary.Submitted", aggregate_id("annual", f"{g['code']}:{month.year}"),
                        {"kind": "group", "author": g["code"], "government": g["government"], "district": g["district"],
                         "group": g["code"], "year": month.year - 1, "text": "年度工作总结……", "date": last.isoformat(),
                         "revision": 1}, 1, last, g["planners"][0], "planner")

    def opinion(self, g: dict[str, Any], day: dt.date, letters: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
        rng, s = self.rng, self.s
        self.opinion_no += 1
        ref = f"YJ{day:%Y%m%d}{self.opinion_no:06d}"
        subject = aggregate_id("opinion", ref)
        codes = {"ref": ref, **self.codes(g)}
        s.emit("feedback", "Opinion.Received", subject,
               {**codes, "category": rng.choice(CATEGORIES), "text": "小区门口道路破损，希望尽快修缮。",
                "channel": rng.choice(("web", "wechat", "hotline", "visit")), "public": True, "point": None,
                "address": None, "media_url": None, "attributes": {}, "contact_phone_masked": "138****0000",
                "person_key": "%016x" % rng.getrandbits(64), "date": day.isoformat(),
                "acknowledge_due_date": (day + dt.timedelta(days=5)).isoformat(),
                "due_date": (day + dt.timedelta(days=30)).isoformat(), "received_on": day.isoformat(), "status": "received"},
               1, day, "resident", "public")
        if rng.random() > 0.95:
            return
        seq = 1
        step = day + dt.timedelta(days=rng.randint(1, 6))
        actor = g["planners"][rng.randrange(2)]
        seq += 1
        s.emit("feedback", "Opinion.Acknowledged", subject, {**codes, "date": step.isoformat(), "status": "acknowledged"},
               seq, step, actor, "planner")
        if rng.random() < 0.1:
            seq += 1
            s.emit("feedback", "Opinion.Relayed", subject, {**codes, "date": step.isoformat(), "comment": "已上报区政府",
                                                            "to": ["government", "bureau"]}, seq, step, actor, "planner")
        roll = rng.random()
        if roll < 0.05:
            step += dt.timedelta(days=rng.randint(2, 20))
            recommendation = self.recommendation(g, step, [ref], letters)
            seq += 1
            s.emit("feedback", "Opinion.Escalated", subject, {**codes, "date": step.isoformat(), "recommendation": recommendation,
                                                              "status": "escalated", "due_date": (day + dt.timedelta(days=30)).isoformat()},
                   seq, step, actor, "planner")
        elif roll < 0.85:
            step += dt.timedelta(days=rng.randint(2, 35))
            seq += 1
            s.emit("feedback", "Opinion.Answered", subject, {**codes, "date": step.isoformat(), "reply": "已转交社区处理。",
                                                             "status": "answered", "due_date": (day + dt.timedelta(days=30)).isoformat()},
                   seq, step, actor, "planner")
        else:
            return
        if rng.random() < 0.7:
            step += dt.timedelta(days=rng.randint(1, 10))
            seq += 1
            s.emit("feedback", "Opinion.Closed", subject, {**codes, "date": step.isoformat(), "status": "closed"},
                   seq, step, actor, "planner")

    def recommendation(self, g: dict[str, Any], day: dt.date, opinions: list[str],
                       letters: dict[str, list[tuple[str, dict[str, Any]]]]) -> str:
        rng, s = self.rng, self.s
        subject = "%032x" % rng.getrandbits(128)
        subject = str(uuid.UUID(subject))
        codes = {"district": g["district"], "group": g["code"], "government": g["government"]}
        actor = g["planners"][0]
        s.emit("feedback", "Recommendation.Raised", subject,
               {**codes, "title": "关于老旧小区加装电梯的建议", "text": "建议……", "category": rng.choice(CATEGORIES),
                "source": "opinion" if opinions else "visit", "opinions": opinions, "visits": [],
                "date": day.isoformat(), "status": "raised"}, 1, day, actor, "planner")
        seq = 1
        if rng.random() < 0.02:
            s.emit("feedback", "Recommendation.Withdrawn", subject, {**codes, "date": day.isoformat(), "reason": "已解决",
                                                                     "status": "withdrawn"}, 2, day, actor, "planner")
            return subject
        # Forwarded by the month's letter to the district's government (the letter's event at the month's end).
        letter_day = month_end(day)
        key = f"{g['government']}:{letter_day:%Y-%m}"
        if key not in letters:
            self.letter_no += 1
            letters[key] = []
            self.letter_nos[key] = f"聊规函〔{letter_day.year}〕{self.letter_no}号"
        letter_id = aggregate_id("letter", key)
        letter_no = self.letter_nos[key]
        due = letter_day + dt.timedelta(days=30)
        seq += 1
        s.emit("feedback", "Recommendation.Forwarded", subject,
               {**codes, "letter": letter_id, "letter_no": letter_no, "date": letter_day.isoformat(),
                "due_date": due.isoformat(), "status": "forwarded"}, seq, letter_day, "bureau-staff", "bureau")
        letters[key].append((subject, {**codes, "letter": letter_id, "letter_no": letter_no, "date": letter_day, "due": due}))
        step = letter_day + dt.timedelta(days=rng.randint(3, 20))
        gov = f"{g['government']}-office"
        roll = rng.random()
        if roll < 0.1:
            seq += 1
            s.emit("feedback", "Recommendation.Declined", subject, {**codes, "date": step.isoformat(), "reason": "条件不具备",
                                                                    "due_date": due.isoformat(), "status": "declined"},
                   seq, step, gov, "government")
            return subject
        seq += 1
        s.emit("feedback", "Recommendation.Accepted", subject, {**codes, "date": step.isoformat(), "text": None,
                                                                "due_date": due.isoformat(), "status": "accepted"},
               seq, step, gov, "government")
        for percent in sorted(rng.sample((30, 50, 70), rng.randint(0, 2))):
            step += dt.timedelta(days=rng.randint(5, 20))
            seq += 1
            s.emit("feedback", "Recommendation.ProgressReported", subject,
                   {**codes, "date": step.isoformat(), "percent": percent, "text": "推进中", "status": "accepted"},
                   seq, step, gov, "government")
        if rng.random() < 0.6:
            step += dt.timedelta(days=rng.randint(5, 40))
            seq += 1
            s.emit("feedback", "Recommendation.Completed", subject, {**codes, "date": step.isoformat(), "text": "已完成",
                                                                     "due_date": due.isoformat(), "status": "completed"},
                   seq, step, gov, "government")
            if rng.random() < 0.8:
                step += dt.timedelta(days=rng.randint(3, 15))
                seq += 1
                s.emit("feedback", "Recommendation.Verified", subject, {**codes, "date": step.isoformat(), "text": None,
                                                                        "status": "verified"}, seq, step, "bureau-staff", "bureau")
                if rng.random() < 0.04:
                    step += dt.timedelta(days=rng.randint(10, 30))
                    seq += 1
                    s.emit("feedback", "Recommendation.Reopened", subject,
                           {**codes, "date": step.isoformat(), "reason": "群众反映问题复发",
                            "due_date": (step + dt.timedelta(days=30)).isoformat(), "status": "accepted"},
                           seq, step, "bureau-staff", "bureau")
        return subject

    def send_letters(self, letters: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
        for key, recs in letters.items():
            if not recs:
                continue
            first = recs[0][1]
            self.s.emit("feedback", "Letter.Sent", first["letter"],
                        {"letter_no": first["letter_no"], "government": key.split(":")[0], "date": first["date"].isoformat(),
                         "due_date": first["due"].isoformat(), "recommendations": [r for r, _ in recs],
                         "districts": sorted({d["district"] for _, d in recs}), "groups": sorted({d["group"] for _, d in recs})},
                        1, first["date"], "bureau-staff", "bureau")
        letters.clear()
        self.letter_nos.clear()

    def consultation(self, g: dict[str, Any], day: dt.date) -> None:
        rng, s = self.rng, self.s
        subject = str(uuid.UUID(int=rng.getrandbits(128)))
        codes = {"district": g["district"], "group": g["code"], "government": g["government"]}
        due = day + dt.timedelta(days=10)
        kind = rng.choice(("plan_review", "technical"))
        s.emit("feedback", "Consultation.Requested", subject,
               {**codes, "kind": kind, "subject": "口袋公园设计方案", "stage": "scheme", "documents": [], "question": "请提出意见",
                "asked_by": f"{g['district']}-office", "date": day.isoformat(), "due_date": due.isoformat(),
                "status": "requested"}, 1, day, f"{g['district']}-office", "subdistrict")
        if rng.random() < 0.85:
            step = day + dt.timedelta(days=rng.randint(1, 15))
            s.emit("feedback", "Consultation.Answered", subject,
                   {**codes, "date": step.isoformat(), "verdict": "agree_with_changes", "text": "建议优化出入口。",
                    "kind": kind, "asked_by": f"{g['district']}-office", "due_date": due.isoformat(),
                    "on_time": step <= due, "status": "answered"}, 2, step, g["planners"][0], "planner")
            if rng.random() < 0.7:
                step += dt.timedelta(days=rng.randint(1, 10))
                s.emit("feedback", "Consultation.Closed", subject, {**codes, "date": step.isoformat(), "text": None,
                                                                   "status": "closed"}, 3, step, f"{g['district']}-office", "subdistrict")

    # -- the history ----------------------------------------------------------------------------

    def play(self) -> None:
        self.organisation()
        contract = next(iter(self.contracts.values()))
        letters: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for month in month_range(self.start, self.years * 12):
            year = contract.service_year_of(month)
            if month.month == self.start.month and month > self.start:
                for g in self.groups:  # the year just ended: settled in its first days
                    self.settle(g, year - 1, month + dt.timedelta(days=self.rng.randint(2, 12)))
            for g in self.groups:
                if self.rng.random() < 0.003:
                    self.replace_planner(g, month + dt.timedelta(days=self.rng.randint(0, 20)))
                self.visits(g, month)
                self.feedback(g, month, letters)
            self.send_letters(letters)
        self.evaluations(self.end)


def generate(directory: str, events: int, held_back: int, groups: int, seed: int, result: Any) -> None:
    """In a child process: write the history and ``held_back`` events after it; report
    counts and the last whole month."""
    started = time.perf_counter()
    years = max(1, math.ceil((events + held_back) / (groups * EVENTS_PER_GROUP_YEAR * 0.9)))
    start = dt.date(dt.date.today().year - years - 1, 6, 1)
    writer = LogWriter(Path(directory))
    stream = Stream(writer, events + held_back, random.Random(seed), history=events)
    world = World(stream, groups, years, start)
    try:
        world.play()
    except Full:
        pass
    finally:
        writer.close()
    last_day = stream.history_last_visit if stream.history_last_visit > dt.date.min else start
    result.update({
        "counts": dict(stream.cutoffs), "total": min(stream.count, events), "types": dict(stream.types), "years": years,
        "held_back": {s: stream.positions[s] - stream.cutoffs[s] for s in SOURCES},
        "start": start.isoformat(), "end": world.end.isoformat(), "last_day": last_day.isoformat(),
        "seconds": time.perf_counter() - started, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    })


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
    return BASELINE_AGGREGATE.format(logged=event_name("Visit.Logged"), corrected=event_name("Visit.Corrected"),
                                     voided=event_name("Visit.Voided"))


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
    args = parser.parse_args()
    churn = [int(n) for n in args.churn.split(",") if n]
    held_back = args.calls * sum(churn)  # generated after the history, applied between reports

    tmp = Path(tempfile.mkdtemp(prefix="rps-bench-rebuild-"))
    try:
        (tmp / "log").mkdir()
        ctx = multiprocessing.get_context("fork")
        with ctx.Manager() as manager:
            result = manager.dict()
            child = ctx.Process(target=generate, args=(str(tmp / "log"), args.events, held_back, args.groups, args.seed, result))
            child.start()
            child.join()
            if child.exitcode != 0:
                raise SystemExit(f"generation failed ({child.exitcode})")
            gen = dict(result)
        log = EventLog(tmp / "log", gen["counts"])
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
        print(f"  generated in {gen['seconds']:.0f} s (child process); {len(per_projection)} read models, each source read "
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
