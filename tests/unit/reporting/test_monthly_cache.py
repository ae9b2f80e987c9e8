"""The monthly dispatch (R-RPT-1) from its cache is the report computed from
scratch, whatever happened in between: events one at a time or in runs,
again (redelivered), parked and replayed, organisation changes, items with
no group (attributed by district, R-ORG-1, or listed on their own), and
rendering the report people read (R-RPT-6)."""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

import pytest

from services.backbone.persistence import SQLiteDatabase
from services.reporting.projections import ServiceTimeProjection
from services.reporting.reports import FormatUnavailable, live_report, render
from services.reporting.views import build_report_and_digest
from services.reporting.views.common import figures_digest
from services.reporting.views.monthly import monthly_report
from services.reporting.views.monthly_cache import last_outcome
from tests.unit.reporting.conftest import row
from tests.unit.reporting.feed import ReportingFeed

D = dt.date.fromisoformat
GOVERNMENT = "gov"
# Each group serves its district from the contract's start; d5 has no group (its
# items with no group are listed on their own); gx is in no organisation event.
GROUPS = {"g1": "d1", "g2": "d2", "g3": "d3", "g4": "d4"}
UNKNOWN_GROUP, UNKNOWN_DISTRICT = "gx", "dx"
DISTRICTS = ("d1", "d2", "d3", "d4", "d5")
# (period, today): ended, in progress (on its last day too: overdue as of the same day as
# once it ended, but warnings, not findings), ahead of today: more than a cache keeps.
ASKED = [("2022-03", "2022-04-15"), ("2022-03", "2022-03-20"), ("2022-03", "2022-03-31"),
         ("2022-02", "2022-03-20"), ("2022-04", "2022-03-20"), ("2022-02", "2022-05-01")]


def figures(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "generated_at"}


def both(feed: ReportingFeed, period: str, today: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cached report and the one computed from scratch, over the same rows; and whether
    they changed since an issue is the same question for both (R-RPT-7: the figures' digest)."""
    cached, digest = build_report_and_digest(feed.db, "monthly", period, today=D(today))
    fresh = monthly_report(feed.db, period, today=D(today))
    assert digest() == figures_digest(fresh) or figures(cached) != figures(fresh)
    # R-RPT-7: also over the sections an older issued copy holds (one without "totals", say).
    held = set(fresh) - {"totals"}
    assert digest(held) == figures_digest(fresh, held) != figures_digest(fresh) or figures(cached) != figures(fresh)
    return figures(cached), figures(fresh)


@pytest.fixture
def feed(tmp_path):
    db = SQLiteDatabase(tmp_path / "reporting-state.sqlite")
    yield ReportingFeed(db)
    db.close()


def organisation(feed: ReportingFeed) -> None:
    feed.emit("GovernmentRegistered", "government:gov", {"code": GOVERNMENT, "name": "东昌府区人民政府",
                                                         "kind": "district_government"})
    for code in DISTRICTS:
        feed.emit("DistrictRegistered", f"district:{code}", {"code": code, "name": f"{code}街道",
                                                            "government": GOVERNMENT, "types": ["built"]})
    feed.emit("ContractSigned", "contract:c", {"id": "c", "team": "测试团队", "start_date": "2021-06-01",
                                               "term_years": 3, "annual_fee_fen": 6_000_000})
    for group, district in GROUPS.items():
        for seat in ("t", "l"):
            feed.emit("PlannerAppointed", f"planner:{group}-{seat}", {"id": f"{group}-{seat}", "name": "张工",
                                                                      "origin": "tier1" if seat == "t" else "local"})
        feed.emit("GroupFormed", f"group:{group}", {"code": group, "district": district, "contract": "c",
                                                    "from_date": "2021-06-01", "tier1": f"{group}-t",
                                                    "local": f"{group}-l"})


class History:
    """Random but plausible events for the groups above, dated around February and March 2022."""

    def __init__(self, feed: ReportingFeed, rng: random.Random):
        self.feed, self.rng = feed, rng
        self.district_of = {**GROUPS, UNKNOWN_GROUP: UNKNOWN_DISTRICT}
        self.serving = {district: group for group, district in GROUPS.items()}  # from now on
        self.visits: list[str] = []
        self.items: dict[str, tuple[str, str, str]] = {}  # id -> (kind, status, date of the last step)
        self.replaced = 0
        self.count = 0

    def next_id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def day(self) -> str:
        return (D("2022-01-10") + dt.timedelta(days=self.rng.randrange(90))).isoformat()

    def after(self, date: str) -> str:
        return (D(date) + dt.timedelta(days=self.rng.randrange(25))).isoformat()

    def group(self) -> str:
        return self.rng.choice([*self.serving.values(), UNKNOWN_GROUP])

    def step(self) -> str:
        actions = [
            (self.log_visit, 6), (self.change_visit, 5), (self.submit_opinion, 4), (self.move_opinion, 5),
            (self.raise_recommendation, 2), (self.move_recommendation, 5), (self.request_consultation, 2),
            (self.move_consultation, 3), (self.record_publicity, 1), (self.redeliver, 2),
            (self.replace_planner, 1), (self.end_assignment, 1), (self.change_district_types, 1),
        ]
        action = self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        action()
        return action.__name__

    # -- visits ----------------------------------------------------------------------

    def log_visit(self) -> None:
        group, visit = self.group(), self.next_id("v")
        run = [self.feed.event("VisitLogged", visit, {
            "group": group, "district": self.district_of[group], "date": self.day(),
            "days": self.rng.choice([0.5, 1.0, 1.5, 2.0]), "leader_met": self.rng.random() < 0.3,
            "logged_on": "2022-04-20", "late": self.rng.random() < 0.2})]
        if self.rng.random() < 0.3:  # confirmed in the same run
            run.append(self.feed.event("VisitConfirmed", visit, {"leader_met_confirmed": True}))
        self.feed.deliver(run)
        self.visits.append(visit)

    def change_visit(self) -> None:
        if not self.visits:
            return self.log_visit()
        visit = self.rng.choice(self.visits)
        kind = self.rng.choice(["VisitCorrected", "VisitVoided", "VisitConfirmed", "VisitDisputed"])
        data: dict[str, Any] = {
            "VisitCorrected": {"date": self.day(), "days": self.rng.choice([0.5, 1.0, 3.0]),
                               "leader_met": self.rng.random() < 0.5, "late": False},
            "VisitVoided": {"reason": "重复登记"},
            "VisitConfirmed": {"leader_met_confirmed": self.rng.choice([True, False, None])},
            "VisitDisputed": {"reason": "当天未见到规划师"},
        }[kind]
        self.feed.emit(kind, visit, data)

    # -- opinions (most with no group until acknowledged) --------------------------------

    def submit_opinion(self) -> None:
        ref, date = self.next_id("o"), self.day()
        district = self.rng.choice([*DISTRICTS, None])
        group = self.serving.get(district or "") if self.rng.random() < 0.3 else None
        self.feed.emit("OpinionSubmitted", f"opinion:{ref}", {
            "ref": ref, "district": district, "government": GOVERNMENT, "group": group, "category": "public_space",
            "channel": "app", "date": date, "acknowledge_due_date": (D(date) + dt.timedelta(days=5)).isoformat(),
            "due_date": (D(date) + dt.timedelta(days=30)).isoformat()})
        self.items[ref] = ("opinion", "received", date)

    def move_opinion(self) -> None:
        open_ = [ref for ref, (kind, status, _) in self.items.items() if kind == "opinion" and status != "closed"]
        if not open_:
            return self.submit_opinion()
        ref = self.rng.choice(open_)
        _, status, last = self.items[ref]
        date = self.after(last)
        data: dict[str, Any] = {"ref": ref, "date": date}
        if status == "received":
            # the group serving the district takes it (or, for none there, another one)
            kind, status = "OpinionAcknowledged", "acknowledged"
            data["group"] = self.rng.choice([*self.serving.values(), None])
        elif status == "acknowledged":
            kind, status = self.rng.choice([("OpinionAnswered", "answered"), ("OpinionEscalated", "escalated"),
                                            ("OpinionRelayed", "acknowledged")])
            if kind == "OpinionRelayed":
                date = last  # relaying is no step of its own
        else:
            kind, status = "OpinionClosed", "closed"
        self.feed.emit(kind, f"opinion:{ref}", data)
        self.items[ref] = ("opinion", status, date)

    # -- recommendations and consultations (always a group's) ---------------------------------

    def raise_recommendation(self) -> None:
        rec, date, group = self.next_id("r"), self.day(), self.group()
        self.feed.emit("RecommendationRaised", rec, {
            "group": group, "district": self.district_of[group], "government": GOVERNMENT, "title": f"建议{rec}",
            "category": "greening", "source": "survey", "date": date})
        self.items[rec] = ("recommendation", "raised", date)

    def move_recommendation(self) -> None:
        moving = [r for r, (kind, status, _) in self.items.items()
                  if kind == "recommendation" and status not in ("declined", "withdrawn", "verified")]
        if not moving:
            return self.raise_recommendation()
        rec = self.rng.choice(moving)
        _, status, last = self.items[rec]
        date = self.after(last)
        data: dict[str, Any] = {"date": date}
        if status == "raised":
            kind, status = self.rng.choice([("RecommendationForwarded", "forwarded"),
                                            ("RecommendationWithdrawn", "withdrawn")])
            if kind == "RecommendationForwarded":
                due = (D(date) + dt.timedelta(days=self.rng.choice([5, 20, 60]))).isoformat()
                data.update(government=GOVERNMENT, letter=f"letter-{rec}", letter_no=f"聊规函〔2022〕{rec}号",
                            due_date=due)
        elif status == "forwarded":
            kind, status = self.rng.choice([("RecommendationAccepted", "accepted"),
                                            ("RecommendationDeclined", "declined")])
        elif status == "accepted":
            kind, status = self.rng.choice([("RecommendationCompleted", "completed"),
                                            ("ImplementationProgressReported", "accepted")])
            if kind == "ImplementationProgressReported":
                data, date = {"date": date, "percent": 50}, last
        else:  # completed
            kind, status = self.rng.choice([("RecommendationVerified", "verified"),
                                            ("RecommendationReopened", "accepted")])
        self.feed.emit(kind, rec, data)
        self.items[rec] = ("recommendation", status, date)

    def request_consultation(self) -> None:
        consultation, date, group = self.next_id("c"), self.day(), self.group()
        due = (D(date) + dt.timedelta(days=self.rng.choice([5, 15, 30]))).isoformat()
        self.feed.emit("ConsultationRequested", consultation, {
            "group": group, "district": self.district_of[group], "government": GOVERNMENT, "kind": "project_review",
            "subject": f"方案{consultation}", "stage": "design", "date": date, "due_date": due})
        self.items[consultation] = ("consultation", "requested", date)

    def move_consultation(self) -> None:
        moving = [c for c, (kind, status, _) in self.items.items() if kind == "consultation" and status != "closed"]
        if not moving:
            return self.request_consultation()
        consultation = self.rng.choice(moving)
        _, status, last = self.items[consultation]
        date = self.after(last)
        if status == "requested":
            self.feed.emit("ConsultationOpinionIssued", consultation, {"date": date, "verdict": "agree"})
            status = "answered"
        else:
            self.feed.emit("ConsultationClosed", consultation, {"date": date})
            status = "closed"
        self.items[consultation] = ("consultation", status, date)

    def record_publicity(self) -> None:
        group = self.group()
        self.feed.emit("PublicityRecorded", self.next_id("p"), {
            "group": group, "district": self.district_of[group], "government": GOVERNMENT, "date": self.day(),
            "mode": "lecture", "title": "规划进社区", "audience": self.rng.randrange(10, 200)})

    # -- delivery and the organisation ----------------------------------------------------------

    def redeliver(self) -> None:
        """An event the consumer has applied comes again (a relay's retry): nothing changes."""
        self.feed.deliver([self.rng.choice(self.feed.sent)])

    def replace_planner(self) -> None:
        group = self.rng.choice(list(self.serving.values()))
        incoming = self.next_id(f"{group}-n")
        self.replaced += 1
        run = [self.feed.event("PlannerAppointed", f"planner:{incoming}", {"id": incoming, "name": "王工",
                                                                          "origin": "local"}),
               self.feed.event("PlannerReplaced", f"group:{group}", {"group": group, "out": f"{group}-l",
                                                                     "in": incoming, "date": self.day()})]
        self.feed.deliver(run)

    def end_assignment(self) -> None:
        """R-ORG-1: g4 leaves d4 on March 10th and g5 serves it from the 11th (once)."""
        if "g5" in self.serving.values():
            return self.change_district_types()
        self.feed.emit("GroupAssignmentEnded", "group:g4", {"group": "g4", "date": "2022-03-10",
                                                            "reason": "contract_ended"})
        for seat in ("t", "l"):
            self.feed.emit("PlannerAppointed", f"planner:g5-{seat}", {"id": f"g5-{seat}", "name": "赵工",
                                                                      "origin": "tier1"})
        self.feed.emit("GroupFormed", "group:g5", {"code": "g5", "district": "d4", "contract": "c",
                                                   "from_date": "2022-03-11", "tier1": "g5-t", "local": "g5-l"})
        self.serving["d4"] = "g5"
        self.district_of["g5"] = "d4"

    def change_district_types(self) -> None:
        district = self.rng.choice(DISTRICTS)
        self.feed.emit("DistrictTypesChanged", f"district:{district}",
                       {"code": district, "types": self.rng.choice([["built"], ["rural"]])})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_cached_monthly_report_is_the_report_computed_from_scratch_after_every_event(feed, seed):
    # R-RPT-1: each overdue opinion, recommendation and consultation, the visits' figures and the
    # groups in the report, as the read models say after each event, whatever the cache kept.
    rng = random.Random(seed)
    organisation(feed)
    history = History(feed, rng)
    computed = []
    for number in range(150):
        action = history.step()
        for period, today in rng.sample(ASKED, 2):
            cached, fresh = both(feed, period, today)
            assert cached == fresh, f"seed {seed}, event {number} ({action}): {period} as of {today}"
            computed.append(last_outcome(feed.db).computed)
    # The cache did its work: many calls computed only the groups that changed, some nothing;
    # an organisation change, a forgotten entry or most groups changed, the whole report.
    assert {"nothing", "groups", "whole"} <= set(computed)
    assert computed.count("groups") > len(computed) / 3
    final, fresh = both(feed, "2022-03", "2022-04-15")
    assert final == fresh and final["findings"] and final["totals"]["groups"] >= 4


def visit(feed: ReportingFeed, visit_id: str, group: str, date: str, days: float = 1.0) -> dict[str, Any]:
    return feed.emit("VisitLogged", visit_id, {"group": group, "district": GROUPS.get(group), "date": date,
                                               "days": days, "leader_met": False, "logged_on": date})


def test_a_redelivered_event_changes_nothing_and_a_run_with_it_updates_its_group(feed):
    # R-RPT-1 with the consumer's exactly-once: a repeat bumps no version; what is new in its run does.
    organisation(feed)
    logged = visit(feed, "v1", "g1", "2022-03-03")
    visit(feed, "v2", "g2", "2022-03-04")
    before, _ = both(feed, "2022-03", "2022-04-15")
    assert row(before, "g1")["unconfirmed_visits"] == 1
    versions = feed.versions()

    feed.deliver([logged])  # the relay published it again
    assert feed.versions() == versions
    again, fresh = both(feed, "2022-03", "2022-04-15")
    assert again == fresh == before and last_outcome(feed.db).computed == "nothing"

    feed.deliver([logged, feed.event("VisitConfirmed", "v1", {"leader_met_confirmed": None})])
    assert feed.versions()["g:g1"] == versions["g:g1"] + 1  # once for the run, none for the repeat
    assert feed.versions()["g:g2"] == versions["g:g2"]
    after, fresh = both(feed, "2022-03", "2022-04-15")
    assert after == fresh
    assert row(after, "g1")["unconfirmed_visits"] == 0 and row(after, "g2") == row(before, "g2")
    assert last_outcome(feed.db).computed == "groups" and last_outcome(feed.db).groups == 1


def test_a_parked_event_replayed_after_the_fix_shows_in_the_cached_report(feed):
    # R-RPT-1: a void parked as a dead letter counts nothing until replayed, then counts at once.
    organisation(feed)
    visit(feed, "v1", "g1", "2022-03-03")
    visit(feed, "v2", "g1", "2022-03-09")
    service_time = feed.projection(ServiceTimeProjection)
    before, _ = both(feed, "2022-03", "2022-04-15")
    assert row(before, "g1")["visits"] == 2

    def broken(self, cur, envelope):
        raise RuntimeError("a bug in this release")

    fixed = service_time._handlers["VisitVoided"]
    service_time._handlers["VisitVoided"] = broken
    void = feed.event("VisitVoided", "v2", {"reason": "重复登记"})
    assert service_time.deliver(void, attempts=2, backoff_seconds=0, sleep=lambda s: None) == "parked"
    parked, fresh = both(feed, "2022-03", "2022-04-15")
    assert parked == fresh == before  # the failed run wrote nothing, bumped nothing

    service_time._handlers["VisitVoided"] = fixed
    assert service_time.replay_parked() == {"applied": 1, "duplicate": 0, "failed": 0}
    replayed, fresh = both(feed, "2022-03", "2022-04-15")
    assert replayed == fresh
    assert (row(replayed, "g1")["visits"], row(replayed, "g1")["voided_visits"]) == (1, 1)


def refs(report: dict[str, Any], group: str | None) -> set[str]:
    """The items the report finds overdue for ``group`` (None: for no group)."""
    return {n["ref"] for n in report["findings"] if "ref" in n and n.get("group") == group}


def test_items_with_no_group_follow_the_group_serving_their_district(feed):
    # R-RPT-1, R-ORG-1: an opinion with no group counts for the group serving its district on its
    # date; with none serving there it is a finding of its own; both move when the organisation does.
    organisation(feed)
    for ref, district, date in (("o1", "d4", "2022-01-20"), ("o2", "d5", "2022-01-20"), ("o3", "d4", "2022-03-12")):
        feed.emit("OpinionSubmitted", f"opinion:{ref}", {  # never acknowledged: overdue by March's end
            "ref": ref, "district": district, "government": GOVERNMENT, "group": None, "date": date,
            "acknowledge_due_date": (D(date) + dt.timedelta(days=5)).isoformat(),
            "due_date": (D(date) + dt.timedelta(days=30)).isoformat()})
    report, fresh = both(feed, "2022-03", "2022-04-15")
    assert report == fresh
    assert refs(report, "g4") == {"o1", "o3"}
    assert refs(report, None) == {"o2"}

    # g4 leaves d4 on 03-10 and g5 takes over on the 11th: o3 (03-12) is g5's from then on.
    feed.emit("GroupAssignmentEnded", "group:g4", {"group": "g4", "date": "2022-03-10"})
    feed.emit("GroupFormed", "group:g5", {"code": "g5", "district": "d4", "contract": "c",
                                          "from_date": "2022-03-11", "tier1": "g4-t", "local": "g4-l"})
    moved, fresh = both(feed, "2022-03", "2022-04-15")
    assert moved == fresh
    assert refs(moved, "g5") == {"o3"} and refs(moved, "g4") == {"o1"}

    # g1 acknowledges the lone one: it is g1's now, no longer a finding of its own.
    feed.emit("OpinionAcknowledged", "opinion:o2", {"ref": "o2", "date": "2022-02-01", "group": "g1"})
    taken, fresh = both(feed, "2022-03", "2022-04-15")
    assert taken == fresh and last_outcome(feed.db).computed == "groups"
    assert refs(taken, None) == set() and refs(taken, "g1") == {"o2"}


def test_rendering_the_cached_report_leaves_the_next_one_exact(world, february, api, runtime):
    # R-RPT-6: HTML, XLSX and PDF are made from the report the cache hands out; they must not
    # change the rows and notes it keeps for the next request (R-RPT-1, R-RPT-7).
    db = runtime.db("reporting")
    api.settle()
    api.post("/api/v1/reports/monthly/2022-02/issue")
    world.void(february["visits"]["e"])  # the live report now differs from the issue
    api.settle()
    report = live_report(db, "monthly", "2022-02")
    assert report["issue"]["changed_since_issue"] is True
    kept = copy.deepcopy(report)
    for fmt in ("html", "xlsx", "pdf"):
        try:
            assert render(report, fmt).body
        except FormatUnavailable:  # this deployment lacks the renderer (PDF's system libraries)
            continue
    assert report == kept
    again = live_report(db, "monthly", "2022-02")
    fresh = live_report(db, "monthly", "2022-02", cached=False)
    assert figures(again) == figures(fresh) == figures(kept)
    assert [w["rule"] for w in again["warnings"]].count("R-RPT-7") == 1  # not once more per request
    over_http = world.report("monthly", "2022-02")
    assert figures(over_http) == figures(fresh)


def test_a_rebuild_shows_in_the_cached_report_when_it_starts_and_when_it_completes(feed):
    # R-RPT-1 / R-RPT-5: a rebuild writes its rows without versions (one per key would cost
    # it a statement per run); dropping the read model and completing it each move `*`.
    organisation(feed)
    visit(feed, "v1", "g1", "2022-03-03")
    visit(feed, "v2", "g2", "2022-03-04")
    before, _ = both(feed, "2022-03", "2022-04-15")
    service_time = feed.projection(ServiceTimeProjection)
    history = [e for e in feed.sent if e["source"] == "rps/visits"]

    service_time.reset()
    dropped, fresh = both(feed, "2022-03", "2022-04-15")
    assert dropped == fresh and row(dropped, "g1")["visits"] == 0
    service_time.handle_run(history, ("visits", 0, len(history)))
    during, _ = both(feed, "2022-03", "2022-04-15")
    assert during == dropped  # incomplete until the rebuild completes, as the runbook says
    service_time.finish_rebuild()
    rebuilt, fresh = both(feed, "2022-03", "2022-04-15")
    assert rebuilt == fresh == before
    assert last_outcome(feed.db).computed == "whole"


def test_a_group_formed_or_ended_computes_that_group_again_not_the_whole_report(feed):
    # R-ORG-1 / R-RPT-1: a change to one group's assignment moves that group's key and its
    # district's, with the organisation read again; the other groups' parts stand.
    organisation(feed)
    visit(feed, "v1", "g1", "2022-03-03")
    before, _ = both(feed, "2022-03", "2022-04-15")
    assert {r["group"] for r in before["groups"]} == set(GROUPS)

    for seat in ("t", "l"):
        feed.emit("PlannerAppointed", f"planner:g5-{seat}", {"id": f"g5-{seat}", "name": "赵工", "origin": "local"})
    feed.emit("GroupFormed", "group:g5", {"code": "g5", "district": "d5", "contract": "c",
                                          "from_date": "2022-03-01", "tier1": "g5-t", "local": "g5-l"})
    feed.emit("GroupAssignmentEnded", "group:g2", {"group": "g2", "date": "2022-02-15"})
    after, fresh = both(feed, "2022-03", "2022-04-15")
    assert after == fresh
    assert {r["group"] for r in after["groups"]} == {"g1", "g3", "g4", "g5"}
    assert last_outcome(feed.db).computed == "groups" and last_outcome(feed.db).groups == 2
