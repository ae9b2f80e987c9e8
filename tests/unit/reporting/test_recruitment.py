"""R-TEAM-2 in the monthly dispatch (issue 19): a warning while a contract's team has fewer
planners serving than its targets or a group lacks a planner, only for months from the
section-8 effective date; the team's records in the audit trail (R-TEAM-1)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from services.reporting.settings import DEFAULT_GOVERNANCE_FROM, ReportSettings
from services.reporting.views import build_report_and_digest
from services.reporting.views.common import figures_digest

API = "/api/v1"
TODAY = dt.date(2022, 3, 10)


def team_notes(report: dict, contract: str) -> list[dict]:
    return [w for w in report["warnings"] if w["rule"] == "R-TEAM-2" and w.get("contract") == contract]


def without_clock(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "generated_at"}


def both(runtime, period: str, settings: ReportSettings) -> dict:
    """The monthly report computed whole and from the cache: the same report, the same digest."""
    db = runtime.db("reporting")
    cached, digest = build_report_and_digest(db, "monthly", period, today=TODAY, settings=settings)
    whole, _ = build_report_and_digest(db, "monthly", period, today=TODAY, settings=settings, cached=False)
    assert without_clock(cached) == without_clock(whole)
    assert digest() == figures_digest(whole)
    return whole


def test_the_monthly_dispatch_warns_while_a_target_is_not_met_from_the_effective_month(world, api, runtime):
    # R-TEAM-2: targets per contract (here 1 + 2); one group (1 + 1) leaves the local target unmet
    w = world
    gov = w.government("gov")
    d1 = w.district("d1", gov)
    w.contract = w.code("c")
    w.post("/contracts", {"id": w.contract, "team": "责任规划师团队", "start_date": "2021-06-01", "term_years": 3,
                          "annual_fee_fen": 6_000_000, "targets": {"tier1": 1, "local": 2}})
    w.group("g1", d1)
    api.settle()
    effective = dataclasses.replace(ReportSettings(), governance_from=dt.date(2022, 2, 1))

    report = both(runtime, "2022-02", effective)
    [local] = team_notes(report, w.contract)
    assert local["message"] == f"合同 {w.contract}：本地机构规划师在岗 1 人，未达选聘目标 2 人"
    assert report["findings"] == [f for f in report["findings"] if f["rule"] != "R-TEAM-2"]

    # a month before the effective date reads as it did: no R-TEAM-2 note at all
    earlier = both(runtime, "2022-01", effective)
    assert team_notes(earlier, w.contract) == []
    # the default effective month is after the release: every month of these years is unchanged
    assert DEFAULT_GOVERNANCE_FROM > TODAY
    assert team_notes(both(runtime, "2022-02", ReportSettings()), w.contract) == []

    # a second local planner in a second group meets the local target, a second tier1 is beyond it
    w.group("g2", w.district("d2", gov))
    api.settle()
    assert team_notes(both(runtime, "2022-02", effective), w.contract) == []


def test_the_team_and_institutions_have_their_audit_trail(world, api):
    # R-TEAM-1: recorded by the bureau, filed under the team and the institution
    w = world
    team, institution = w.code("team"), w.code("inst")
    cert = {"grade": "甲级", "certificate_no": "A1", "issuer": "住房和城乡建设部", "valid_until": "2025-12-31"}
    w.post("/teams", {"code": team, "name": "一线城市规划院", "city_tier": "tier1", "qualification": cert})
    w.ok(api.put(f"{API}/teams/{team}/qualification", {"qualification": {**cert, "certificate_no": "A2"}}), 200)
    w.post("/institutions", {"code": institution, "name": "本地规划院", "qualification": cert})
    api.settle()
    trail = api.get(f"{API}/audit/team/{team}").json_body
    assert [e["type"] for e in trail["events"]] == ["TeamRegistered", "TeamQualificationRecorded"]
    assert [e["type"] for e in api.get(f"{API}/audit/institution/{institution}").json_body["events"]] == [
        "InstitutionRegistered"]


def test_a_group_lacking_a_planner_is_warned_about_and_a_planner_counts_once():
    # R-TEAM-2 (and R-ORG-4's two seats): a group with one planner on the day (a history from
    # before R-ORG-4 was enforced) is named; targets count distinct planners per origin
    from services.programme.assignment import ContractTerms, GroupAssignment, Membership
    from services.reporting import periods
    from services.reporting.readmodels import GroupInfo, Organisation
    from services.reporting.views.recruitment import recruitment_warnings

    terms = ContractTerms(id="c1", start_date=dt.date(2021, 6, 1), end_date=dt.date(2024, 5, 31), annual_fee_fen=1)
    since = dt.date(2021, 6, 1)

    def group(code: str, *planners: str) -> GroupInfo:
        assignment = GroupAssignment(code=code, district=f"d-{code}", contract=terms, periods=((since, None),),
                                     members=tuple(Membership(p, since, None) for p in planners))
        return GroupInfo(code=code, district=f"d-{code}", district_name=f"街道{code}", government=None,
                         government_name=None, contract="c1", assignment=assignment)

    org = Organisation(contracts={"c1": terms}, targets={"c1": {"tier1": 2, "local": 1}},
                       planners={"t1": {"origin": "tier1"}, "l1": {"origin": "local"}},
                       groups={"g1": group("g1", "t1", "l1"), "g2": group("g2", "t1")})
    settings = dataclasses.replace(ReportSettings(), governance_from=dt.date(2022, 1, 1))
    notes = recruitment_warnings(org, periods.parse("monthly", "2022-02"), settings, TODAY)
    assert [(n["rule"], n.get("group"), n["message"]) for n in notes] == [
        ("R-TEAM-2", "g2", "小组 g2（街道g2）在岗规划师 1 人，应为 2 人"),
        ("R-TEAM-2", None, "合同 c1：一线城市团队规划师在岗 1 人，未达选聘目标 2 人"),
    ]
    assert recruitment_warnings(org, periods.parse("monthly", "2021-12"), settings, TODAY) == []
