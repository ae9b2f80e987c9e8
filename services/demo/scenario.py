"""The driver of the demo's service year: plays the plot (``services.demo.plot``)
through the HTTP API.

Everything that happens carries its business date; the driver keeps a queue
ordered by those dates and replays the year in order, so each call sees the
system as it was on that day (a planner replaced in January logs the visits
from then on, a letter forwards what was raised before it, ...). Who makes a
call is the role the rules name (R-SEC-1): the bureau organises, sends
letters, verifies and settles; a planner of the group logs visits and raises
recommendations; the sub-district confirms or disputes visits and reports
progress; the government accepts, declines and completes.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

from services.demo.client import ApiError, Client, Role
from services.demo.plot import (
    ACTIVITY_CYCLE,
    ACTIVITY_NOTE,
    ANNUAL_FEE_FEN,
    API,
    APP_INTAKE,
    BUREAU,
    COLLECT_DAYS,
    CONSULTATIONS,
    CONTRACT,
    CORRECTIONS,
    D,
    DECLINE_REASONS,
    DISPUTE_REASON,
    DISTRICT,
    DISTRICTS,
    DISTRICT_KIND,
    DUPLICATES,
    ESCALATIONS,
    FIRST_LETTER_NUMBER,
    GOVERNMENTS,
    GROUP,
    GROUPS,
    GROUP_OF,
    HIGHLIGHTS,
    IMPLEMENTATION_SUMMARY_DATE,
    INSTITUTION_CODE,
    INSTITUTIONS,
    LATE_REPORT,
    LATE_REPORT_DAYS,
    LETTER_ROUNDS,
    OPINIONS,
    OUTCOMES,
    PLANNERS,
    PLANNING_EVALUATION_DATE,
    PROGRESS_TEXT,
    PUBLICITY,
    RATINGS,
    RATING_DATE,
    RECOMMENDATIONS,
    RELAY_COMMENT,
    REOPEN_REASON,
    REPLACEMENT,
    REPLIES,
    SETTLEMENT_DATE,
    TEAM,
    WITHDRAW_REASON,
    YEAR,
    YEAR_FIRST,
    ConsultationPlot,
    GroupPlot,
    OpinionPlot,
    RecommendationPlot,
    boundary,
    government,
    parse_visits,
    point_in,
    subdistrict,
    year_day,
)


# -- the driver ----------------------------------------------------------------------------------


class Skipped(Exception):
    """A step whose earlier step did not happen (it failed, or lies after the cut-off)."""


@dataclass
class Tally:
    visits: int = 0
    leader_meetings: int = 0
    confirmed: int = 0
    disputed: int = 0
    corrected: int = 0
    voided: int = 0
    opinions: int = 0
    answered: int = 0
    escalated: int = 0
    relayed: int = 0
    recommendations: int = 0
    letters: int = 0
    forwarded: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0
    verified: int = 0
    reopened: int = 0
    withdrawn: int = 0
    consultations: int = 0
    consultation_opinions: int = 0
    publicity: int = 0
    summaries: int = 0
    ratings: int = 0
    settlements: int = 0
    calls: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: int = 0
    settled: dict[str, dict[str, Any]] = field(default_factory=dict)
    today_refs: list[str] = field(default_factory=list)


class Year:
    """Plays the plot: a queue of dated steps, run in business-date order."""

    def __init__(self, client: Client, *, cutoff: dt.date, say: Callable[[str], None] = print):
        self.client = client
        self.cutoff = cutoff
        self.say = say
        self.tally = Tally()
        self.ids: dict[str, str] = {}  # scenario label -> id / ref the system gave it
        self.recs: dict[str, dict[str, Any]] = {}  # recommendation label -> what the bureau knows of it
        self._queue: list[tuple[dt.date, int, str, Callable[[dt.date], None], bool]] = []
        self._seq = itertools.count()
        self._org_changed = False
        self._month: tuple[int, int] | None = None
        self._month_start = Tally()
        self._letter_numbers: dict[int, int] = {}

    # -- the queue -------------------------------------------------------------------

    def at(self, day: dt.date, label: str, step: Callable[[dt.date], None], *, organisation: bool = False) -> None:
        heapq.heappush(self._queue, (day, next(self._seq), label, step, organisation))

    def need(self, label: str) -> str:
        try:
            return self.ids[label]
        except KeyError:
            raise Skipped(label) from None

    def play(self) -> Tally:
        while self._queue:
            day, _, label, step, organisation = heapq.heappop(self._queue)
            if day > self.cutoff:
                self.tally.skipped += 1
                continue
            self._progress(day)
            if self._org_changed and not organisation:
                # Visits and feedback learn of groups from contracts' events: let them arrive.
                self.wait()
                self._org_changed = False
            try:
                step(day)
            except Skipped:
                self.tally.skipped += 1
            except ApiError as exc:
                self.tally.failures.append(f"{day} {label}: {exc}")
                self.say(f"  ! {day} {label}: {exc}")
            if organisation:
                self._org_changed = True
        self._progress(None)
        self.tally.calls = self.client.calls
        return self.tally

    def wait(self) -> None:
        if not self.client.settle():
            self.say("  ! warning: the projections did not catch up within 30 s; going on")

    def _progress(self, day: dt.date | None) -> None:
        month = (day.year, day.month) if day else None
        if month == self._month:
            return
        if self._month is not None and self._month >= (2021, 6):
            t, s = self.tally, self._month_start
            self.say(
                f"  {self._month[0]}-{self._month[1]:02d}  visits {t.visits - s.visits:>3}  "
                f"opinions {t.opinions - s.opinions:>2}  recommendations {t.recommendations - s.recommendations:>2}  "
                f"letters {t.letters - s.letters}  consultations {t.consultations - s.consultations}"
            )
        self._month = month
        self._month_start = Tally(**{k: v for k, v in vars(self.tally).items()
                                     if k not in ("failures", "settled", "today_refs")})

    # -- who -------------------------------------------------------------------------

    def member(self, group: str, origin: str, day: dt.date) -> str:
        plot = GROUP[group]
        code = plot.tier1 if origin == "tier1" else plot.local
        r = REPLACEMENT
        if r["group"] == group and code == r["out"] and day >= r["date"]:
            return r["in"]
        return code

    def planner(self, group: str, day: dt.date, origin: str = "tier1") -> Role:
        plot = GROUP[group]
        return Role("planner", subject=self.member(group, origin, day), group=group, district=plot.district)

    # -- the story ---------------------------------------------------------------------

    def plot(self) -> None:
        """Put every step of the year in the queue."""
        self.organisation()
        for group in GROUPS:
            self.visits(group)
        for opinion in OPINIONS:
            self.opinion(opinion)
        for rec in RECOMMENDATIONS:
            self.recommendation(rec)
        for round_date in LETTER_ROUNDS:
            self.at(round_date, f"letters {round_date}", self.letters)
        for consultation in CONSULTATIONS:
            self.consultation(consultation)
        self.paperwork()
        for group in GROUPS:
            self.at(SETTLEMENT_DATE, f"settlement {group.code}", lambda day, g=group.code: self.settle(g))

    # organisation (R-ORG-*, R-CON-*) -----------------------------------------------------

    def organisation(self) -> None:
        c = self.client
        start = D(2021, 5, 20)

        def governments(day: dt.date) -> None:
            for code, (leader, department, contact) in GOVERNMENTS.items():
                c.put(f"{API}/governments/{code}/contacts",
                      {"leader": leader, "department": department, "contact": contact}, who=BUREAU,
                      correlation="demo.organisation")

        def districts(day: dt.date) -> None:
            for d in DISTRICTS:
                c.put(f"{API}/districts/{d.code}/contacts", {"leader": f"党工委书记 {d.leader}", "contact": d.contact},
                      who=BUREAU, correlation="demo.organisation")
                c.put(f"{API}/districts/{d.code}/boundary", boundary(d), who=BUREAU, correlation="demo.organisation")
            # R-ORG-3: the seed's first guess of types, corrected by the bureau.
            c.post(f"{API}/districts/gulou/types", {"types": ["historic", "built"]}, who=BUREAU,
                   correlation="demo.organisation")
            c.post(f"{API}/districts/gaotie/types", {"types": ["new", "built"]}, who=BUREAU,
                   correlation="demo.organisation")

        def team(day: dt.date) -> None:
            # R-TEAM-1: the bureau records the team and the local institutions before signing.
            c.post(f"{API}/teams", TEAM, who=BUREAU, correlation="demo.organisation")
            for code, name, grade, certificate in INSTITUTIONS:
                c.post(f"{API}/institutions", {"code": code, "name": name, "city": "聊城市", "qualification": {
                    "grade": grade, "certificate_no": certificate, "issuer": "山东省自然资源厅",
                    "valid_from": "2020-06-01", "valid_until": "2025-05-31"}}, who=BUREAU, correlation="demo.organisation")

        def contract(day: dt.date) -> None:
            c.post(f"{API}/contracts", {
                "id": CONTRACT, "team": "聊城市责任规划师团队", "start_date": YEAR_FIRST.isoformat(), "term_years": 3,
                "team_code": TEAM["code"],  # R-TEAM-1: its class-A qualification valid on the signing date
                "annual_fee_fen": ANNUAL_FEE_FEN, "deduction_rule": "max",
                "institution": "上海同城规划设计研究院（牵头）、聊城市规划设计研究院",
                "work_content": "驻点服务：每个派驻月至少服务一次并与镇街主要负责同志面对面交流，每年服务不少于 30 天；"
                                "收集群众意见，提出意见建议；开展项目技术审查和咨询；开展宣传和社区营造；按半年和年度报送工作总结。",
                # R-CON-1 (amended): the signing date and the policy's terms, each a separate field
                "signed_on": day.isoformat(),
                "terms": {
                    "content": "驻点服务、收集群众意见、提出意见建议、项目技术审查和咨询、宣传和社区营造、半年和年度工作总结。",
                    "standards": "每个派驻月至少到片区服务一次并与镇街主要负责同志面对面交流；每服务年度累计服务不少于 30 天；"
                                 "意见建议和技术咨询按期办结。",
                    "depth": "对片区规划、城市设计和建设项目方案提出专业意见，深度达到可供镇街决策和项目修改完善的程度。",
                    "period": "合同期三年，自 2021 年 6 月 1 日至 2024 年 5 月 31 日；期满经任期考评合格可续签。",
                    "hours": "按派驻月安排驻点服务，每服务年度不少于 30 天；镇街有重大规划建设事项时及时到场。",
                    "funding": f"每组每年服务费 {ANNUAL_FEE_FEN / 100:,.2f} 元，按服务年度考核结算，未达到服务要求的按规定扣减。",
                    "rights_obligations": "市自然资源和规划局负责聘任、考核和经费保障；镇街提供工作场所和必要工作条件；"
                                          "责任规划师依约履职，对意见建议的专业性负责。",
                },
            }, who=BUREAU, correlation="demo.organisation")

        def appoint(day: dt.date, planner: tuple) -> None:
            pid, name, origin, quals, years, renewal, institution = planner
            c.post(f"{API}/planners", {
                "id": pid, "name": name, "origin": origin, "qualifications": quals, "experience_years": years,
                "community_renewal": renewal, "institution": institution, "date": day.isoformat(),
                # R-TEAM-1: a local planner names their institution; R-TEAM-2: committed to serve locally
                "institution_code": INSTITUTION_CODE.get(institution) if origin == "local" else None,
                "serves_locally": True,
            }, who=BUREAU, correlation="demo.organisation")

        self.at(start, "government contacts", governments, organisation=True)
        self.at(start, "districts: contacts, boundaries, types", districts, organisation=True)
        self.at(start, "team and local institutions", team, organisation=True)
        self.at(start, "contract c2021", contract, organisation=True)
        late_pairs = {p for g in GROUPS if g.from_date > YEAR_FIRST for p in (g.tier1, g.local)}
        for planner in PLANNERS:
            day = D(2021, 9, 10) if planner[0] in late_pairs else D(2021, 5, 25)
            self.at(day, f"appoint {planner[0]}", lambda d, p=planner: appoint(d, p), organisation=True)
        for group in GROUPS:
            self.at(group.from_date, f"form {group.code}", lambda d, g=group: c.post(f"{API}/groups", {
                "code": g.code, "district": g.district, "contract": CONTRACT, "planners": [g.tier1, g.local],
                "from_date": g.from_date.isoformat(),
            }, who=BUREAU, correlation="demo.organisation"), organisation=True)
        r = REPLACEMENT
        self.at(r["appointed"], f"appoint {r['in']}", lambda d: appoint(d, r["planner"]), organisation=True)
        self.at(r["date"], f"replace {r['out']} by {r['in']}", lambda d: c.post(
            f"{API}/groups/{r['group']}/replacements",
            {"out": r["out"], "in": r["in"], "date": d.isoformat(), "reason": r["reason"]},
            who=BUREAU, correlation="demo.organisation"), organisation=True)

    # visits (R-VIS-*) -----------------------------------------------------------------------

    def visits(self, group: GroupPlot) -> None:
        district = DISTRICT[group.district]
        cycle = ACTIVITY_CYCLE[DISTRICT_KIND.get(group.district, "built")]
        planned = parse_visits(group.visits)
        half = len(planned) // 2
        for i, (day, days, flags) in enumerate(planned):
            label = f"visit {group.code} {day}"
            activities = [cycle[i % len(cycle)]] + ([cycle[(i + 2) % len(cycle)]] if i % 2 == 0 else [])
            places = [district.places[i % len(district.places)]]
            leader = "L" in flags
            notes = "；".join(ACTIVITY_NOTE[a].format(place=places[0]) for a in activities)
            if leader:
                notes += f"；与{district.leader}书记面对面交流工作"
            who = "local" if "2" in flags else "tier1"
            present_origins = ["tier1"] if "1" in flags else ["local"] if "2" in flags else ["tier1", "local"]
            body = {
                "group": group.code, "date": day.isoformat(), "days": days, "activities": activities,
                "places": places, "leader_met": leader, "leader_name": district.leader if leader else None,
                "notes": notes,
            }
            if i % 4 == 1:
                body["point"] = point_in(group.district, i)
            self.at(day, label, lambda d, b=body, lbl=label, g=group.code, w=who, o=present_origins:
                    self.log_visit(d, lbl, g, w, o, b))
            if "x" in flags:
                self.at(day + dt.timedelta(days=6), f"dispute {label}", lambda d, lbl=label, g=group:
                        self.decide(lbl, g, confirmed=False))
            elif group.confirms == "all" or (group.confirms == "leader" and leader) or \
                    (group.confirms == "first-half" and i < half):
                self.at(day + dt.timedelta(days=3 + i % 4), f"confirm {label}", lambda d, lbl=label, g=group, m=leader:
                        self.decide(lbl, g, confirmed=True, leader_met=m))
        for code, mmdd, after, changes, reason in CORRECTIONS:
            if code == group.code:
                day = year_day(mmdd)
                self.at(day + dt.timedelta(days=after), f"correct visit {code} {day}",
                        lambda d, lbl=f"visit {code} {day}", ch=changes, why=reason, g=code:
                        self.correct(d, lbl, g, ch, why))
        for code, mmdd, reason in DUPLICATES:
            if code == group.code:
                day = year_day(mmdd)
                original = next(b for b in planned if b[0] == day)
                self.at(day, f"duplicate visit {code} {day}",
                        lambda d, g=code, v=original, why=reason: self.duplicate(d, g, v, why))

    def log_visit(self, day: dt.date, label: str, group: str, who: str, origins: list[str], body: dict) -> None:
        # A past year arrives as the planners' paper records, entered by the bureau with the
        # day each was reported (R-VIS-7); one report came in late, and is marked so.
        delay = LATE_REPORT_DAYS if (group, day.month) == LATE_REPORT else 2
        reported = min(day + dt.timedelta(days=int(body["days"] + 0.5) + delay), dt.date.today())
        body = {**body, "planners": [self.member(group, o, day) for o in origins], "reported_on": reported.isoformat()}
        visit = self.client.post(f"{API}/visits", body, who=BUREAU, correlation=f"demo.{group}")
        self.ids[label] = visit["id"]
        self.tally.visits += 1
        self.tally.leader_meetings += 1 if body["leader_met"] else 0

    def decide(self, label: str, group: GroupPlot, *, confirmed: bool, leader_met: bool = False) -> None:
        visit = self.need(label)
        leader = DISTRICT[group.district].leader
        if confirmed:
            body: dict[str, Any] = {"confirmed": True, "leader_met_confirmed": leader_met, "by": f"{leader}（书记）"}
        else:
            body = {"confirmed": False, "reason": DISPUTE_REASON, "by": DISTRICT[group.district].contact}
        self.client.post(f"{API}/visits/{visit}/confirmation", body, who=subdistrict(group.district),
                         correlation=f"demo.{group.code}")
        if confirmed:
            self.tally.confirmed += 1
        else:
            self.tally.disputed += 1

    def correct(self, day: dt.date, label: str, group: str, changes: dict, reason: str) -> None:
        visit = self.need(label)
        self.client.post(f"{API}/visits/{visit}/corrections", {**changes, "reason": reason},
                         who=self.planner(group, day, "local"), correlation=f"demo.{group}")
        self.tally.corrected += 1

    def duplicate(self, day: dt.date, group: str, planned: tuple, reason: str) -> None:
        visit_day, days, flags = planned
        who = self.planner(group, day)
        copy = self.client.post(f"{API}/visits", {
            "group": group, "date": visit_day.isoformat(), "days": days,
            "planners": [self.member(group, "tier1", day)], "leader_met": "L" in flags,
            "notes": "（重复录入）",
        }, who=who, correlation=f"demo.{group}")
        self.client.post(f"{API}/visits/{copy['id']}/void", {"reason": reason}, who=who, correlation=f"demo.{group}")
        self.tally.voided += 1

    # opinions (R-OPN-*) ---------------------------------------------------------------------

    def opinion(self, o: OpinionPlot) -> None:
        self.at(o.date, f"opinion {o.label}", lambda d: self.submit(d, o))
        day = o.date
        for step in o.flow.split():
            name, _, offset = step.partition("+")
            day = day + dt.timedelta(days=int(offset))
            self.at(day, f"opinion {o.label} {name}", lambda d, n=name: self.opinion_step(d, o, n))

    def submit(self, day: dt.date, o: OpinionPlot) -> None:
        group = GROUP_OF[o.district]
        if o.channel == "planner":
            who = self.planner(group, day, "local")
        elif o.channel == "hotline":
            who = subdistrict(o.district)  # the 12345 hotline's ticket, entered by the sub-district
        else:
            who = APP_INTAKE
        body: dict[str, Any] = {"category": o.category, "text": o.text, "channel": o.channel, "public": o.public,
                                "date": day.isoformat()}
        if o.by_point:
            body["point"] = point_in(o.district, len(o.label))
        else:
            body["district"] = o.district
        answer = self.client.post(f"{API}/opinions", body, who=who, correlation=f"demo.opinion.{o.label}")
        if answer.get("district") != o.district:
            self.say(f"  ! opinion {o.label}: the point mapped to {answer.get('district')}, not {o.district}")
        self.ids[f"opinion {o.label}"] = answer["ref"]
        self.tally.opinions += 1

    def opinion_step(self, day: dt.date, o: OpinionPlot, step: str) -> None:
        ref = self.need(f"opinion {o.label}")
        group = GROUP_OF[o.district]
        who = self.planner(group, day)
        path = f"{API}/opinions/{ref}"
        corr = f"demo.opinion.{o.label}"
        c = self.client
        if step == "ack":
            c.post(f"{path}/acknowledge", {"date": day.isoformat()}, who=who, correlation=corr)
        elif step == "ans":
            c.post(f"{path}/answer", {"date": day.isoformat(), "reply": REPLIES[o.category]}, who=who,
                   correlation=corr)
            self.tally.answered += 1
        elif step == "relay":
            c.post(f"{path}/relay", {"date": day.isoformat(), "comment": RELAY_COMMENT}, who=who, correlation=corr)
            self.tally.relayed += 1
        elif step == "close":
            c.post(f"{path}/close", {"date": day.isoformat()}, who=who, correlation=corr)
        elif step == "esc":
            title, outcome = ESCALATIONS[o.label]
            answer = c.post(f"{path}/escalate", {"date": day.isoformat(), "title": title}, who=who, correlation=corr)
            rec = answer["recommendation"]
            self.ids[o.label] = rec["id"]
            self.recs[o.label] = {"id": rec["id"], "group": group, "district": o.district, "raised": day,
                                  "government": DISTRICT[o.district].government, "outcome": outcome,
                                  "status": "raised", "correlation": corr}
            self.tally.escalated += 1
            self.tally.recommendations += 1
        else:
            raise ValueError(f"unknown opinion step {step!r}")

    def today_intake(self) -> None:
        """Two residents use the public intake today, anonymously (R-OPN-1, R-OPN-4)."""
        c = self.client
        for body in (
            {"district": "gulou", "category": "public_space", "channel": "app", "public": True,
             "text": "光岳楼南侧广场的座椅坏了几处，希望修一修。"},
            {"point": point_in("huxi", 5), "category": "greening", "channel": "app",
             "text": "湖西社区门口的绿化带缺苗，希望补种。"},
        ):
            try:
                answer = c.post(f"{API}/opinions", body, correlation="demo.today")
                view = c.get(f"{API}/opinions/{answer['ref']}")
                self.tally.today_refs.append(f"{view['ref']} ({view['district']}, {view['status']})")
            except ApiError as exc:
                self.tally.failures.append(f"today's intake: {exc}")
                self.say(f"  ! today's intake: {exc}")

    # recommendations and letters (R-REC-*) --------------------------------------------------

    def recommendation(self, r: RecommendationPlot) -> None:
        def raise_(day: dt.date) -> None:
            plot = GROUP[r.group]
            visit = self.ids.get(f"visit {r.group} {day}")
            if visit:
                self.wait()  # R-REC-1: feedback learns of the visit (and its district) from visits' events
            body = {"group": r.group, "title": r.title, "text": r.text, "category": r.category, "source": r.source,
                    "date": day.isoformat(), "visits": [visit] if visit else []}
            rec = self.client.post(f"{API}/recommendations", body, who=self.planner(r.group, day),
                                   correlation=f"demo.{r.label}")
            self.ids[r.label] = rec["id"]
            self.recs[r.label] = {"id": rec["id"], "group": r.group, "district": plot.district, "raised": day,
                                  "government": DISTRICT[plot.district].government, "outcome": r.outcome,
                                  "status": "raised", "correlation": f"demo.{r.label}"}
            self.tally.recommendations += 1

        self.at(r.date, f"raise {r.label}", raise_)
        if r.outcome == "withdrawn":
            def withdraw(day: dt.date) -> None:
                rec = self.recs.get(r.label)
                if rec is None:
                    raise Skipped(r.label)
                self.client.post(f"{API}/recommendations/{rec['id']}/withdraw",
                                 {"date": day.isoformat(), "reason": WITHDRAW_REASON}, who=BUREAU,
                                 correlation=rec["correlation"])
                rec["status"] = "withdrawn"
                self.tally.withdrawn += 1

            self.at(r.date + dt.timedelta(days=5), f"withdraw {r.label}", withdraw)

    def letters(self, day: dt.date) -> None:
        """R-REC-2: one letter per government forwarding what its districts' groups raised."""
        ready = [(label, rec) for label, rec in self.recs.items()
                 if rec["status"] == "raised" and rec["outcome"] not in ("pending", "withdrawn")
                 and rec["raised"] <= day - dt.timedelta(days=COLLECT_DAYS)]
        for code in GOVERNMENTS:
            items = [(label, rec) for label, rec in ready if rec["government"] == code]
            if not items:
                continue
            number = self._letter_number(day)
            try:
                self.client.post(f"{API}/letters", {
                    "government": code, "letter_no": number, "date": day.isoformat(),
                    "recommendations": [rec["id"] for _, rec in items],
                }, who=BUREAU, correlation=f"demo.letter.{day}.{code}")
            except ApiError as exc:
                self.tally.failures.append(f"{day} letter {number}: {exc}")
                self.say(f"  ! {day} letter {number}: {exc}")
                continue
            self.tally.letters += 1
            for label, rec in items:
                rec["status"] = "forwarded"
                self.tally.forwarded += 1
                for offset, step, who in OUTCOMES[rec["outcome"]]:
                    self.at(day + dt.timedelta(days=offset), f"{label} {step}",
                            lambda d, lb=label, s=step, w=who: self.rec_step(d, lb, s, w))

    def _letter_number(self, day: dt.date) -> str:
        """The bureau's letter numbers run on through each calendar year."""
        number = self._letter_numbers.get(day.year, FIRST_LETTER_NUMBER.get(day.year, 1))
        self._letter_numbers[day.year] = number + 1
        return f"聊自然资规函〔{day.year}〕{number}号"

    def rec_step(self, day: dt.date, label: str, step: str, who: str) -> None:
        rec = self.recs[label]
        role = {"gov": government(rec["government"]), "sd": subdistrict(rec["district"]), "bureau": BUREAU}[who]
        path = f"{API}/recommendations/{rec['id']}"
        name, _, arg = step.partition(":")
        body: dict[str, Any] = {"date": day.isoformat()}
        if name == "accept":
            body["text"] = "采纳，由相关部门和街道（园区）按建议组织实施"
        elif name == "decline":
            body["reason"] = DECLINE_REASONS.get(label, "经研究暂不具备实施条件")
        elif name == "progress":
            body.update(percent=int(arg), text=PROGRESS_TEXT[int(arg)])
        elif name == "complete":
            body["text"] = "已按建议完成实施，竣工材料已报送市局"
        elif name == "verify":
            body["text"] = "经现场核查，落实情况属实"
        elif name == "reopen":
            body["reason"] = REOPEN_REASON
        self.client.post(f"{path}/{name}", body, who=role, correlation=rec["correlation"])
        counter = {"accept": "accepted", "decline": "declined", "complete": "completed", "verify": "verified",
                   "reopen": "reopened"}.get(name)
        if counter:
            setattr(self.tally, counter, getattr(self.tally, counter) + 1)

    # consultations (R-CSL-1) -----------------------------------------------------------------

    def consultation(self, k: ConsultationPlot) -> None:
        plot = GROUP[k.group]
        asker = subdistrict(plot.district) if k.asked_by == "district" else government(DISTRICT[plot.district].government)
        corr = f"demo.{k.label}"

        def ask(day: dt.date) -> None:
            body: dict[str, Any] = {"group": k.group, "kind": k.kind, "asked_by": k.asked_by, "date": day.isoformat(),
                                    "due_date": (day + dt.timedelta(days=k.due_days)).isoformat()}
            if k.kind == "project_review":
                body.update(subject=k.subject, stage=k.stage, documents=[f"{k.subject}（送审稿）.pdf"])
            else:
                body["question"] = k.subject
            answer = self.client.post(f"{API}/consultations", body, who=asker, correlation=corr)
            self.ids[k.label] = answer["id"]
            self.tally.consultations += 1

        def answer(day: dt.date) -> None:
            body = {"date": day.isoformat(), "text": k.opinion}
            if k.verdict:
                body["verdict"] = k.verdict
            self.client.post(f"{API}/consultations/{self.need(k.label)}/opinion", body,
                             who=self.planner(k.group, day), correlation=corr)
            self.tally.consultation_opinions += 1

        def close(day: dt.date) -> None:
            self.client.post(f"{API}/consultations/{self.need(k.label)}/close",
                             {"date": day.isoformat(), "text": "意见已收悉，按意见修改完善"}, who=asker, correlation=corr)

        self.at(k.date, f"consultation {k.label}", ask)
        if k.answer_days is not None:
            answered = k.date + dt.timedelta(days=k.answer_days)
            self.at(answered, f"consultation {k.label} opinion", answer)
            if k.close_days is not None:
                self.at(answered + dt.timedelta(days=k.close_days), f"consultation {k.label} close", close)

    # publicity, summaries, ratings, settlements (R-PUB-1, R-EVA-*, R-FEE-1) -----------------

    def paperwork(self) -> None:
        c = self.client
        for group, day, mode, title, audience, platform in PUBLICITY:
            def publicity(d: dt.date, g=group, m=mode, t=title, a=audience, p=platform) -> None:
                c.post(f"{API}/publicity", {"group": g, "title": t, "mode": m, "audience": a, "platform": p,
                                             "text": f"{t}，参与 {a} 人次", "date": d.isoformat()},
                       who=self.planner(g, d, "local"), correlation=f"demo.{g}")
                self.tally.publicity += 1

            self.at(day, f"publicity {group} {day}", publicity)
        for group in GROUPS:
            for period, day, months in (("2021-H2", D(2022, 1, 8), ((2021, m) for m in range(7, 13))),
                                        ("2022-H1", D(2022, 6, 28), ((2022, m) for m in range(1, 7)))):
                self.at(day, f"work summary {group.code} {period}",
                        lambda d, g=group, p=period, ms=tuple(months): self.work_summary(d, g, p, ms))
        for group, period, day, text, highlights in HIGHLIGHTS:
            self.at(day, f"highlights {group} {period}", lambda d, g=group, p=period, t=text, h=highlights:
                    c.post(f"{API}/work-summaries", {"group": g, "period": p, "kind": "highlights", "text": t,
                                                     "highlights": h, "date": d.isoformat()},
                           who=self.planner(g, d), correlation=f"demo.{g}"))
        for group in GROUPS:
            self.at(RATING_DATE, f"ratings {group.code}", lambda d, g=group: self.rate(d, g))
            self.at(PLANNING_EVALUATION_DATE, f"planning evaluation {group.code}", lambda d, g=group: c.post(
                f"{API}/annual-summaries", {
                    "kind": "planning_evaluation", "year": YEAR, "group": g.code, "date": d.isoformat(),
                    "text": f"{YEAR}服务年度规划评估小结：对{DISTRICT[g.district].places[0]}等重点地区开展规划实施评估，"
                            "梳理问题清单并提出下一年度工作重点。",
                }, who=self.planner(g.code, d), correlation=f"demo.{g.code}"))
        for code in GOVERNMENTS:
            self.at(IMPLEMENTATION_SUMMARY_DATE, f"implementation summary {code}", lambda d, gov=code: c.post(
                f"{API}/annual-summaries", {
                    "kind": "implementation", "year": YEAR, "government": gov, "date": d.isoformat(),
                    "text": "本年度认真办理市局函告的责任规划师意见建议，建立台账、明确责任科室，"
                            "已完成事项均报送竣工材料；未完成事项列入下一年度计划。",
                }, who=government(gov), correlation=f"demo.{gov}"))

    def work_summary(self, day: dt.date, group: GroupPlot, period: str, months: tuple[tuple[int, int], ...]) -> None:
        planned = [v for v in parse_visits(group.visits) if (v[0].year, v[0].month) in months]
        days = sum(v[1] for v in planned)
        opinions = sum(1 for o in OPINIONS if o.district == group.district and (o.date.year, o.date.month) in months)
        raised = sum(1 for r in RECOMMENDATIONS if r.group == group.code and (r.date.year, r.date.month) in months)
        text = (f"{period} 工作总结：小组驻点服务 {len(planned)} 次、约 {days:g} 天，"
                f"收集群众意见 {opinions} 件，提出意见建议 {raised} 条，参与项目审查和技术咨询，开展规划宣传。")
        self.client.post(f"{API}/work-summaries", {
            "group": group.code, "period": period, "kind": "half_yearly", "text": text, "date": day.isoformat(),
            "highlights": [f"服务 {len(planned)} 次", f"群众意见 {opinions} 件", f"意见建议 {raised} 条"],
        }, who=self.planner(group.code, day), correlation=f"demo.{group.code}")
        self.tally.summaries += 1

    def rate(self, day: dt.date, group: GroupPlot) -> None:
        for target, scores in zip(("government", "district"), RATINGS[group.code]):
            self.client.post(f"{API}/ratings", {
                "group": group.code, "year": YEAR, "target": target, "date": day.isoformat(),
                "scores": dict(zip(("cooperation", "workplace", "implementation"), scores)),
                "text": "配合积极，工作场所有保障" if scores[0] >= 4 else "配合尚可，建议明确对接人员",
            }, who=self.planner(group.code, day), correlation=f"demo.{group.code}")
            self.tally.ratings += 1

    def settle(self, group: str) -> None:
        settlement = self.client.post(f"{API}/settlements", {"group": group, "service_year": YEAR}, who=BUREAU,
                                      correlation=f"demo.settlement.{group}")
        self.tally.settlements += 1
        self.tally.settled[group] = settlement
