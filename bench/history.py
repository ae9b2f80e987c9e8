"""The benchmarks' history, made by the domain: the services' own aggregates
take every step, so every event is one the services would have stored.

    .venv/bin/python -W ignore -m bench.history [--events 1000000] [--groups 1000] [--seed 7] [--held-back 0]

prints the directory holding that history (generated once per machine, then
found in ``$RPS_BENCH_CACHE``, default ``~/.cache/rps-bench``).

1,000 groups (one district each, ten governments, twenty contracts signed on
June 1st, several service years, enough of them for N): contracts' aggregates
register the governments and districts, sign the contracts, appoint the
planners and form the groups (the planners join), now and then replace a
planner, and evaluate the teams at the end. Then month by month and group by
group: about 40 visits a service year through ``Visit.log`` (most confirmed,
a few disputed, about 8 % corrected, 4 % voided), a settlement per group and
ended year through ``Settlement.issue`` (the fee formula on the year's
visits), and feedback's aggregates: opinions received, acknowledged,
relayed, answered or escalated into a recommendation, closed;
recommendations raised, sent by the month's letter to the district's
government, accepted or declined, progress, completed, verified, a few
reopened or withdrawn; consultations; publicity; half-yearly work summaries,
ratings and planning-evaluation summaries. A step the domain refuses (a
visit across a planner's replacement, say) is left out, as the service
would refuse it.

Each aggregate's new events become envelopes through
services/backbone/envelope.py's ``envelope_from_event`` (type, data,
metadata as the relay publishes them), with ``position`` per source in the
order the steps happened and a stand-in chain hash (the store's chain is
not the domain's); the actor of each step is in the metadata as a request
would put it there. They are written per source, in notification order, as
pickled chunks: the stand-in for the three event stores. The stream stops at
exactly N events (plus ``held_back`` after them, for the benchmarks that
apply live events after a rebuild).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import pickle
import random
import resource
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterator

SOURCES = ("contracts", "visits", "feedback")
CHUNK = 500
TEAMS = 20
GOVERNMENTS = ("dongchangfu", "chiping", "linqing", "yanggu", "shenxian", "donge", "guanxian", "gaotang",
               "jingkai", "gaoxin")
EVENTS_PER_GROUP_YEAR = 185  # what the model below makes, roughly; sets how many years N needs
ACTIVITIES = ("survey", "publicity", "opinion_collection", "consultation", "evaluation", "community_building")
CATEGORIES = ("heritage", "public_space", "public_service", "transport", "utilities", "greening", "land_use",
              "governance", "other")
CHANNELS = ("app", "planner", "open311", "hotline", "other")
ACKNOWLEDGE_DAYS, ANSWER_DAYS = 5, 30  # feedback's defaults (R-OPN-2)


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


# -- the stream: aggregates' new events, as envelopes --------------------------------------------


class Full(Exception):
    """The stream has its N events."""


class Stream:
    def __init__(self, writer: LogWriter, limit: int, rng: random.Random, history: int | None = None):
        self.writer = writer
        self.limit = limit
        self.history = history or limit  # the rebuilt part; the rest arrives after (live events)
        self.rng = rng
        self.positions = {s: 0 for s in SOURCES}
        self.cutoffs = dict(self.positions)
        self.count = 0
        self.refused = 0  # steps the domain refused (left out, as the service would refuse them)
        self.types: Counter[str] = Counter()
        self.last_visit = dt.date.min
        self.history_last_visit = dt.date.min

    @contextlib.contextmanager
    def by(self, subject: str, role: str) -> Iterator[None]:
        """The actor of the steps inside, in each event's metadata (as a request sets it)."""
        from services.backbone import context

        actor = context.Actor(subject=subject, role=role)
        with context.acting(context.RequestContext(actor=actor, correlation_id="%032x" % self.rng.getrandbits(128))):
            yield

    def emit(self, source: str, *aggregates: Any) -> None:
        """The aggregates' new events, in the order a ``save(*aggregates)`` stores them."""
        from services.backbone.envelope import envelope_from_event, event_type_name

        for aggregate in aggregates:
            for event in aggregate.collect_events():
                if self.count >= self.limit:
                    raise Full
                self.count += 1
                self.positions[source] += 1
                position = self.positions[source]
                if self.count <= self.history:
                    self.cutoffs[source] = position
                    self.types[event_type_name(event)] += 1
                    self.history_last_visit = self.last_visit
                chainhash = hashlib.sha256(f"{source}:{position}".encode()).hexdigest()
                self.writer.append(source, envelope_from_event(source, event, position, chainhash=chainhash))


def month_range(first: dt.date, months: int) -> list[dt.date]:
    out, day = [], first
    for _ in range(months):
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


# -- the world: the services' aggregates, step by step ------------------------------------------


class World:
    """1,000 groups and what happens to them, month by month."""

    def __init__(self, stream: Stream, groups: int, years: int, start: dt.date):
        from services.programme.assignment import ContractTerms

        self.s = stream
        self.rng = stream.rng
        self.years = years
        self.start = start
        self.end = start.replace(year=start.year + years) - dt.timedelta(days=1)
        self.contracts: dict[str, Any] = {}  # code -> Contract aggregate
        self.terms = {
            f"c{t:02d}": ContractTerms(id=f"c{t:02d}", start_date=start, end_date=self.end,
                                       annual_fee_fen=(5_000_000, 6_000_000, 6_500_000, 4_800_000)[t % 4],
                                       deduction_rule="sum" if t % 5 == 0 else "max")
            for t in range(TEAMS)
        }
        self.planners: dict[str, Any] = {}  # code -> Planner aggregate
        self.groups: list[dict[str, Any]] = []
        for i in range(groups):
            from_date = start if self.rng.random() > 0.05 else start + dt.timedelta(days=self.rng.randint(60, 250))
            self.groups.append({"code": f"g{i:04d}", "district": f"d{i:04d}", "government": GOVERNMENTS[i % len(GOVERNMENTS)],
                                "contract": f"c{i % TEAMS:02d}", "from": from_date, "planners": [f"p{i:04d}a", f"p{i:04d}b"]})
        self.year_visits: dict[tuple[str, int], list[Any]] = defaultdict(list)
        self.letter_no = 0

    # -- the contracts service ---------------------------------------------------------------

    def organisation(self) -> None:
        from services.contracts.domain import Contract, District, Government, Group, Planner

        s, day = self.s, self.start - dt.timedelta(days=20)
        governments = {}
        with s.by("bureau-admin", "bureau"):
            for code in GOVERNMENTS:
                governments[code] = Government.register(code=code, name=f"{code}人民政府", kind="district_government",
                                                        leader="区长", department="自然资源局", contact="0635-0000000")
                s.emit("contracts", governments[code])
            districts = {}
            for g in self.groups:
                districts[g["district"]] = District.register(code=g["district"], name=f"{g['district']}街道", types=["built"],
                                                             government=governments[g["government"]], leader="主任",
                                                             contact="联系人")
                s.emit("contracts", districts[g["district"]])
            for terms in self.terms.values():
                self.contracts[terms.id] = Contract.sign(
                    code=terms.id, team=f"规划团队{terms.id}", institution="聊城市规划设计研究院", start_date=terms.start_date,
                    term_years=self.years, annual_fee_fen=terms.annual_fee_fen, deduction_rule=terms.deduction_rule,
                    service_year_basis="contract", settle_confirmed_only=False, late_after_days=7,
                    work_content="驻点服务、意见收集、技术咨询", evaluation_weights=None, pass_mark=60, signed_on=day, today=day)
                s.emit("contracts", self.contracts[terms.id])
            for g in self.groups:
                for k, p in enumerate(g["planners"]):
                    self.appoint(p, "tier1" if k == 0 else "local", day)
        for g in self.groups:
            with s.by("bureau-admin", "bureau"):
                members = [self.planners[p] for p in g["planners"]]
                group = Group.form(code=g["code"], district=districts[g["district"]], contract=self.contracts[g["contract"]],
                                   planners=members, from_date=g["from"], today=g["from"])
            s.emit("contracts", group, *members)
            g["group"] = group

    def appoint(self, planner: str, origin: str, day: dt.date) -> None:
        from services.contracts.domain import Planner

        self.planners[planner] = Planner.appoint(code=planner, name=f"规划师{planner}", origin=origin,
                                                 qualifications=["registered_planner"], experience_years=8,
                                                 community_renewal=False, institution=None, date=day, today=day)
        self.s.emit("contracts", self.planners[planner])

    def replace_planner(self, g: dict[str, Any], day: dt.date) -> None:
        from services.backbone.domain import DomainError

        out = g["planners"][0]
        new = f"{out}r{day:%y%m}"
        with self.s.by("bureau-admin", "bureau"):
            self.appoint(new, "tier1", day)
            leaving, joining = self.planners[out], self.planners[new]
            try:
                g["group"].replace(out=leaving, incoming=joining, contract=self.contracts[g["contract"]], date=day,
                                   reason="工作调动", today=day)
            except DomainError:  # refused (before the group's first day, say): the new planner waits unassigned
                self.s.refused += 1
                return
        self.s.emit("contracts", g["group"], leaving, joining)
        g["planners"][0] = new

    def assignment(self, g: dict[str, Any]) -> Any:
        """The group as visits' read model knows it (services/visits/readmodel.py) from contracts' events."""
        from services.programme.assignment import GroupAssignment, Membership

        group = g["group"]
        members = tuple(Membership(m["planner"], dt.date.fromisoformat(m["from"]),
                                   dt.date.fromisoformat(m["to"]) if m["to"] else None) for m in group.members)
        return GroupAssignment(code=group.code, district=group.district, contract=self.terms[group.contract],
                               periods=((dt.date.fromisoformat(group.from_date), None),), members=members)

    def evaluations(self, day: dt.date) -> None:
        with self.s.by("bureau-admin", "bureau"):
            for contract in self.contracts.values():
                contract.evaluate_team(date=day, scores={"duty": 38, "quality": 40}, today=day)
                self.s.emit("contracts", contract)

    # -- the visits service --------------------------------------------------------------------

    def visits(self, g: dict[str, Any], month: dt.date) -> None:
        from services.backbone.domain import DomainError
        from services.programme.calendar import as_fraction, served_dates
        from services.programme.duty import VisitFacts
        from services.visits.domain import Facts, Visit

        rng, s = self.rng, self.s
        first = max(month, g["from"])
        last = min(month_end(month), self.end)
        if first > last or rng.random() < 0.08:  # not yet assigned, or a month without a visit
            return
        assignment = self.assignment(g)
        terms = self.terms[g["contract"]]
        office = f"{g['district']}-office"
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
            actor = planners[0]
            facts = Facts(assignment=assignment, today=logged, actor=actor, actor_role="planner",
                          is_settled=lambda year: False)
            roll, confirm_roll = rng.random(), rng.random()
            try:
                with s.by(actor, "planner"):
                    visit = Visit.log(facts=facts, group=g["code"], date=date, days=days, planners=planners,
                                      activities=rng.sample(ACTIVITIES, rng.randint(1, 3)),
                                      places=["社区服务中心", "老旧小区"], leader_met=leader_met,
                                      leader_name="主任" if leader_met else None,
                                      notes="走访片区，了解更新改造需求，收集居民意见。", point={"lon": 115.98, "lat": 36.45})
                    if roll < 0.08:
                        new_days = rng.choice([d for d in (0.5, 1.0, 1.5, 2.0) if d != days])
                        later = Facts(assignment=assignment, actor=actor, actor_role="planner", is_settled=lambda year: False,
                                      today=max(logged, served_dates(date, new_days)[-1]) + dt.timedelta(days=2))
                        visit.correct(facts=later, changes={"days": new_days}, reason="时长填写有误")
                    elif roll < 0.12:
                        visit.void(facts=facts, reason="重复登记")
                if not visit.voided:
                    with s.by(office, "subdistrict"):
                        if confirm_roll < 0.85:
                            visit.confirm(leader_met_confirmed=True if leader_met else None, by=office)
                        elif confirm_roll < 0.88:
                            visit.dispute(reason="当日未见到规划师", by=office)
            except DomainError:  # refused, as the service would refuse it: nothing of it is stored
                s.refused += 1
                continue
            s.emit("visits", visit)
            s.last_visit = max(s.last_visit, date)
            visit_date, visit_days = dt.date.fromisoformat(visit.date), as_fraction(visit.days)
            facts_of = VisitFacts(id=str(visit.id), date=visit_date, days=visit_days, leader_met=bool(visit.leader_met),
                                  voided=visit.voided, confirmation=visit.confirmation,
                                  leader_met_confirmed=visit.leader_met_confirmed, late=visit.late,
                                  revision=visit.revision)
            for year in sorted({terms.service_year_of(d) for d in served_dates(visit_date, visit_days)}):
                self.year_visits[(g["code"], year)].append(facts_of)

    def settle(self, g: dict[str, Any], year: int, day: dt.date) -> None:
        from services.visits.settlement import Settlement

        with self.s.by("bureau-finance", "bureau"):
            settlement = Settlement.issue(assignment=self.assignment(g), service_year=year,
                                          visits=self.year_visits.pop((g["code"], year), []), today=day, previous=None)
        self.s.emit("visits", settlement)

    # -- the feedback service -------------------------------------------------------------------

    def codes(self, g: dict[str, Any]) -> dict[str, Any]:
        return {"district": g["district"], "government": g["government"], "group": g["code"]}

    def feedback(self, g: dict[str, Any], month: dt.date, letters: dict[str, list[Any]]) -> None:
        from services.feedback.domain import AnnualSummary, Publicity, Rating, WorkSummary

        rng, s = self.rng, self.s
        if month < g["from"].replace(day=1):
            return
        last = min(month_end(month), self.end)
        planner, office = g["planners"][0], f"{g['district']}-office"

        def some_day() -> dt.date:
            return month + dt.timedelta(days=rng.randint(0, (last - month).days))

        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 3, 4))):
            self.opinion(g, some_day(), letters)
        if rng.random() < 0.33:
            self.recommendation(g, some_day(), letters)
        if rng.random() < 0.25:
            self.consultation(g, some_day())
        if rng.random() < 0.33:
            day = some_day()
            with s.by(planner, "planner"):
                publicity = Publicity.record(today=day, date=day, **self.codes(g), mode=rng.choice(("offline", "online")),
                                             title="城市更新政策宣讲", audience=rng.randint(20, 300), platform=None, text="……")
            s.emit("feedback", publicity)
        if month.month in (5, 11):  # the half year's summary, in its last month
            period = f"{last.year}-H{1 if month.month == 5 else 2}"
            with s.by(planner, "planner"):
                WorkSummary.check(today=last, date=last, kind="half_yearly", period=period, text="本半年度驻点服务情况……",
                                  highlights=["完成片区体检", "组织居民议事会"])
                summary = WorkSummary(**self.codes(g), kind="half_yearly", period=period, date=last.isoformat(),
                                      text="本半年度驻点服务情况……", highlights=["完成片区体检", "组织居民议事会"], revision=1)
            s.emit("feedback", summary)
        if month.month == 5:  # the service year's ratings, before it ends
            year = month.year - 1
            scores = {"cooperation": rng.randint(3, 5), "workplace": rng.randint(3, 5), "implementation": rng.randint(3, 5)}
            with s.by(office, "subdistrict"):
                Rating.check(today=last, date=last, year=year, target="district", scores=scores, text=None)
                rating = Rating(**self.codes(g), year=year, target="district", target_code=g["district"], scores=scores,
                                text=None, date=last.isoformat(), revision=1)
            s.emit("feedback", rating)
        if month.month == 6 and month > self.start:
            year = month.year - 1
            with s.by(planner, "planner"):
                AnnualSummary.check(today=last, date=last, kind="planning_evaluation", year=year, text="年度工作总结……")
                annual = AnnualSummary(kind="planning_evaluation", author=g["code"], government=g["government"],
                                       district=g["district"], group=g["code"], year=year, text="年度工作总结……",
                                       date=last.isoformat(), revision=1)
            s.emit("feedback", annual)

    def opinion(self, g: dict[str, Any], day: dt.date, letters: dict[str, list[Any]]) -> None:
        from services.feedback.application import new_ref
        from services.feedback.domain import Opinion

        rng, s = self.rng, self.s
        with s.by("resident", "public"):
            opinion = Opinion.receive(
                today=day, date=day, acknowledge_days=ACKNOWLEDGE_DAYS, answer_days=ANSWER_DAYS, ref=new_ref(),
                **self.codes(g), category=rng.choice(CATEGORIES), text="小区门口道路破损，希望尽快修缮。",
                channel=rng.choice(CHANNELS), public=True, point=None, address=None, media_url=None, attributes={},
                contact_phone_masked="138****0000", person_key="%016x" % rng.getrandbits(64))
        s.emit("feedback", opinion)
        if rng.random() > 0.95:
            return
        step = day + dt.timedelta(days=rng.randint(1, 6))
        actor = g["planners"][rng.randrange(2)]
        with s.by(actor, "planner"):
            opinion.acknowledge(date=step, today=step, group=g["code"])
            if rng.random() < 0.1:
                opinion.relay(date=step, today=step, comment="已上报区政府")
        s.emit("feedback", opinion)
        roll = rng.random()
        if roll < 0.05:
            step += dt.timedelta(days=rng.randint(2, 20))
            with s.by(actor, "planner"):
                opinion.check_can_escalate(date=step, today=step)
                recommendation = self.raised(g, step, opinions=[opinion.ref], title=f"群众意见 {opinion.ref}")
                opinion.escalate(date=step, today=step, recommendation=str(recommendation.id))
            s.emit("feedback", opinion, recommendation)
            self.follow(g, recommendation, step, letters)
        elif roll < 0.85:
            step += dt.timedelta(days=rng.randint(2, 35))
            with s.by(actor, "planner"):
                opinion.answer(date=step, today=step, reply="已转交社区处理。")
            s.emit("feedback", opinion)
        else:
            return
        if rng.random() < 0.7:
            step += dt.timedelta(days=rng.randint(1, 10))
            with s.by(actor, "planner"):
                opinion.close(date=step, today=step)
            s.emit("feedback", opinion)

    def raised(self, g: dict[str, Any], day: dt.date, *, opinions: list[str], title: str) -> Any:
        from services.feedback.domain import Recommendation

        return Recommendation.raise_(today=day, date=day, **self.codes(g), title=title, text="建议……",
                                     category=self.rng.choice(CATEGORIES), source="opinion" if opinions else "survey",
                                     opinions=opinions, visits=[],
                                     linked_districts={"opinions": {ref: g["district"] for ref in opinions}, "visits": {}})

    def recommendation(self, g: dict[str, Any], day: dt.date, letters: dict[str, list[Any]]) -> None:
        with self.s.by(g["planners"][0], "planner"):
            recommendation = self.raised(g, day, opinions=[], title="关于老旧小区加装电梯的建议")
        self.s.emit("feedback", recommendation)
        self.follow(g, recommendation, day, letters)

    def follow(self, g: dict[str, Any], recommendation: Any, day: dt.date, letters: dict[str, list[Any]]) -> None:
        """Withdrawn now and then; else sent with the month's letter to the government (at the month's end)."""
        if self.rng.random() < 0.02:
            with self.s.by(g["planners"][0], "planner"):
                recommendation.withdraw(date=day, today=day, reason="已解决")
            self.s.emit("feedback", recommendation)
            return
        letters.setdefault(g["government"], []).append((g, recommendation, day))

    def send_letters(self, month: dt.date, letters: dict[str, list[Any]]) -> None:
        from services.feedback.domain import Letter

        day = min(month_end(month), self.end)
        due = day + dt.timedelta(days=30)
        for government in list(letters):
            # What was raised after the letter's day waits for the next one.
            items = [item for item in letters[government] if item[2] <= day]
            letters[government] = [item for item in letters[government] if item[2] > day]
            if not items:
                continue
            self.letter_no += 1
            letter_no = f"聊规函〔{day.year}〕{self.letter_no}号"
            recommendations = [r for _, r, _ in items]
            with self.s.by("bureau-staff", "bureau"):
                for r in recommendations:
                    r.check_forwardable(government=government, date=day, today=day)
                letter = Letter.send(today=day, letter_no=letter_no, government=government, date=day, due_date=due,
                                     recommendations=recommendations)
                for r in recommendations:
                    r.forward(letter=str(letter.id), letter_no=letter_no, government=government, date=day, due_date=due,
                              today=day)
            self.s.emit("feedback", letter, *recommendations)
            for g, r, _ in items:
                self.answer(g, r, day)

    def answer(self, g: dict[str, Any], r: Any, letter_day: dt.date) -> None:
        rng, s = self.rng, self.s
        step = letter_day + dt.timedelta(days=rng.randint(3, 20))
        with s.by(f"{g['government']}-office", "government"):
            if rng.random() < 0.1:
                r.decline(date=step, today=step, reason="条件不具备")
                s.emit("feedback", r)
                return
            r.accept(date=step, today=step)
            for percent in sorted(rng.sample((30, 50, 70), rng.randint(0, 2))):
                step += dt.timedelta(days=rng.randint(5, 20))
                r.report_progress(date=step, today=step, percent=percent, text="推进中")
            completed = rng.random() < 0.6
            if completed:
                step += dt.timedelta(days=rng.randint(5, 40))
                r.complete(date=step, today=step, text="已完成")
        s.emit("feedback", r)
        roll = rng.random()
        if completed and roll < 0.84:  # the bureau checks the work: verified, or a few sent back (R-REC-2)
            step += dt.timedelta(days=rng.randint(3, 15))
            with s.by("bureau-staff", "bureau"):
                if roll < 0.04:
                    r.reopen(date=step, today=step, reason="现场核查发现尚未完工")
                else:
                    r.verify(date=step, today=step)
            s.emit("feedback", r)

    def consultation(self, g: dict[str, Any], day: dt.date) -> None:
        from services.feedback.domain import Consultation

        rng, s = self.rng, self.s
        office = f"{g['district']}-office"
        due = day + dt.timedelta(days=10)
        review = rng.random() < 0.5
        with s.by(office, "subdistrict"):
            consultation = Consultation.request(
                today=day, date=day, due_date=due, **self.codes(g), kind="project_review" if review else "advice",
                subject="口袋公园设计方案" if review else None, stage="design" if review else None, documents=[],
                question="请提出意见", asked_by="district", role="subdistrict")
        s.emit("feedback", consultation)
        if rng.random() < 0.85:
            step = day + dt.timedelta(days=rng.randint(1, 15))
            with s.by(g["planners"][0], "planner"):
                consultation.answer(date=step, today=step, verdict="agree_with_changes" if review else None,
                                    text="建议优化出入口。")
            s.emit("feedback", consultation)
            if rng.random() < 0.7:
                step += dt.timedelta(days=rng.randint(1, 10))
                with s.by(office, "subdistrict"):
                    consultation.close(date=step, today=step, role="subdistrict")
                s.emit("feedback", consultation)

    # -- the history ----------------------------------------------------------------------------

    def play(self) -> None:
        self.organisation()
        terms = next(iter(self.terms.values()))
        letters: dict[str, list[Any]] = {}
        for month in month_range(self.start, self.years * 12):
            year = terms.service_year_of(month)
            if month.month == self.start.month and month > self.start:
                for g in self.groups:  # the year just ended: settled in its first days
                    self.settle(g, year - 1, month + dt.timedelta(days=self.rng.randint(2, 12)))
            for g in self.groups:
                if self.rng.random() < 0.003:
                    self.replace_planner(g, month + dt.timedelta(days=self.rng.randint(0, 20)))
                self.visits(g, month)
                self.feedback(g, month, letters)
            self.send_letters(month, letters)
        self.evaluations(self.end)


# -- an organisation for the benchmarks that drive one service -----------------------------------


class Organisation:
    """Contracts' aggregates make a group's organisation (a contract, a district, two planners, the
    group); its events go to a runtime's consumers of contracts, as the bus would hand them on."""

    def __init__(self, runtime: Any, consumers: tuple[str, ...] = ("visits",)):
        from services.contracts.domain import Government

        self.runtime = runtime
        self.consumers = consumers
        # A block of positions of its own: organisations made into one shared database never collide.
        self.position = 10_000_000 + random.randrange(10**6) * 1000
        self.government = Government.register(code="dongchangfu", name="东昌府区人民政府", kind="district_government")
        self.publish(self.government)
        self.groups: dict[str, tuple[Any, list[Any]]] = {}

    def publish(self, *aggregates: Any) -> None:
        from services.backbone.envelope import envelope_from_event

        for aggregate in aggregates:
            for event in aggregate.collect_events():
                self.position += 1
                envelope = envelope_from_event("contracts", event, self.position)
                for consumer in self.consumers:
                    for projection in self.runtime.projections.get(consumer, ()):
                        if "contracts" in projection.sources:
                            projection.handle(envelope)

    def setup(self, unique: str, *, start_date: str = "2021-06-01", from_date: str | None = None,
              annual_fee_fen: int = 6_000_000, deduction_rule: str = "max") -> Any:
        """``c-``, ``d-``, ``p1-``, ``p2-`` and ``g-{unique}``, the group serving from ``from_date``."""
        from services.contracts.domain import Contract, District, Group, Planner
        from tests.unit.visits.feed import Setup

        start = dt.date.fromisoformat(start_date)
        serves_from = dt.date.fromisoformat(from_date or start_date)
        contract = Contract.sign(code=f"c-{unique}", team="规划团队", institution="聊城市规划设计研究院", start_date=start,
                                 term_years=3, annual_fee_fen=annual_fee_fen, deduction_rule=deduction_rule,
                                 service_year_basis="contract", settle_confirmed_only=False, late_after_days=7,
                                 work_content="驻点服务", evaluation_weights=None, pass_mark=60, signed_on=start, today=start)
        district = District.register(code=f"d-{unique}", name=f"d-{unique}街道", types=["built"],
                                     government=self.government, leader="主任", contact="联系人")
        planners = [Planner.appoint(code=f"p{k}-{unique}", name=f"规划师p{k}-{unique}", origin=origin,
                                    qualifications=["registered_planner"], experience_years=10, community_renewal=False,
                                    institution=None, date=start, today=start)
                    for k, origin in ((1, "tier1"), (2, "local"))]
        self.publish(contract, district, *planners)
        group = Group.form(code=f"g-{unique}", district=district, contract=contract, planners=planners,
                           from_date=serves_from, today=serves_from)
        self.publish(group, *planners)
        self.groups[group.code] = (group, planners)
        return Setup(contract=contract.code, district=district.code, group=group.code, tier1=planners[0].code,
                     local=planners[1].code)

    def end_group(self, code: str, date: str, reason: str = "派驻结束") -> None:
        group, planners = self.groups[code]
        last = dt.date.fromisoformat(date)
        group.end(date=last, reason=reason, planners=planners, today=last)
        self.publish(group, *planners)


# -- generation, once per machine ----------------------------------------------------------------


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
        "refused": stream.refused,
        "held_back": {s: stream.positions[s] - stream.cutoffs[s] for s in SOURCES},
        "start": start.isoformat(), "end": world.end.isoformat(), "last_day": last_day.isoformat(),
        "seconds": time.perf_counter() - started, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    })


def cache_root() -> Path:
    return Path(os.environ.get("RPS_BENCH_CACHE") or Path.home() / ".cache" / "rps-bench")


def cache_key(events: int, held_back: int, groups: int, seed: int) -> str:
    # A change of this generator makes another history; a change of the domain does not (A/B runs share one).
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return f"history-{events}-{held_back}-{groups}-{seed}-{digest}"


def load(directory: Path) -> dict[str, Any]:
    """What ``generate`` reported about the history in ``directory``."""
    return json.loads((directory / "history.json").read_text(encoding="utf-8"))


def made_once(events: int, held_back: int, groups: int, seed: int, *, fresh: bool = False) -> Path:
    """The history's directory: generated in a child process (its memory is not the caller's) the
    first time, found in the cache after that."""
    directory = cache_root() / cache_key(events, held_back, groups, seed)
    if (directory / "history.json").exists() and not fresh:
        return directory
    partial = directory.with_name(directory.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as manager:
        result = manager.dict()
        child = ctx.Process(target=generate, args=(str(partial), events, held_back, groups, seed, result))
        child.start()
        child.join()
        if child.exitcode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise SystemExit(f"generation failed ({child.exitcode})")
        (partial / "history.json").write_text(json.dumps(dict(result)), encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    partial.rename(directory)  # whole or not at all: a run stopped half-way leaves no history behind
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--held-back", type=int, default=0, help="events made after the N (live events)")
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="generate again even when cached")
    args = parser.parse_args()
    directory = made_once(args.events, args.held_back, args.groups, args.seed, fresh=args.fresh)
    made = load(directory)
    print(directory)
    counts = ", ".join(f"{s} {thousands(made['counts'][s])}" for s in SOURCES)
    types = ", ".join(f"{k} {v}" for k, v in sorted(made["types"].items(), key=lambda kv: -kv[1]))
    print(f"  {thousands(made['total'])} events ({counts}), generated in {made['seconds']:.0f} s "
          f"({thousands(made['refused'])} steps the domain refused left out); types: {types}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
