"""The Visit aggregate on its own: rules decided against given facts, state rebuilt from its events."""

from __future__ import annotations

import datetime as dt

import pytest

from services.backbone.domain import Conflict, RuleViolated
from services.programme.assignment import ContractTerms, GroupAssignment, Membership
from services.visits.domain import Facts, Forbidden, Visit

D = dt.date.fromisoformat
TERMS = ContractTerms(id="c", start_date=D("2021-06-01"), end_date=D("2024-05-31"), annual_fee_fen=6_000_000)
GROUP = GroupAssignment(
    code="g", district="d", contract=TERMS, periods=((D("2021-06-01"), None),),
    members=(Membership("p1", D("2021-06-01"), D("2022-01-09")), Membership("p2", D("2021-06-01"), None),
             Membership("p3", D("2022-01-10"), None)),
)


def facts(*, role="planner", settled=(), today="2022-08-01", assignment=GROUP) -> Facts:
    return Facts(assignment=assignment, today=D(today), actor="someone", actor_role=role,
                 is_settled=lambda year: year in settled)


def log(date="2021-11-03", days=1.0, planners=("p1",), **kw) -> Visit:
    return Visit.log(facts=kw.pop("facts", facts()), group="g", date=D(date), days=days,
                     planners=list(planners), activities=["survey"], **kw)


def replay(visit: Visit) -> Visit:
    copy = None
    for event in visit.collect_events():
        copy = event.mutate(copy)
    return copy


def test_history_replays_to_the_same_state():
    # R-VIS-6: corrections and voids are events; loading replays them
    visit = log(leader_met=True)
    visit.correct(facts=facts(), changes={"date": D("2021-12-03"), "days": 2.5}, reason="日期填错")
    visit.confirm(leader_met_confirmed=True, by="office")
    visit.void(facts=facts(), reason="重复")
    again = replay(visit)
    assert again.as_dict() == visit.as_dict()
    assert (again.date, again.days, again.revision, again.status) == ("2021-12-03", 2.5, 2, "voided")
    assert [h["action"] for h in again.history] == ["corrected", "confirmed", "voided"]


@pytest.mark.parametrize(
    "kwargs, field, rule",
    [
        ({"days": 0.5, "date": "2022-08-02"}, "date", "R-VIS-6"),
        ({"days": 2, "date": "2022-08-01"}, "days", "R-VIS-6"),
        ({"planners": ("p1",), "date": "2022-01-10"}, "planners", "R-VIS-6"),
        ({"planners": ("p3",), "date": "2022-01-09"}, "planners", "R-VIS-6"),
        ({"planners": ("p2", "p2")}, "planners", "R-VIS-1"),
        ({"planners": ()}, "planners", "R-VIS-1"),
        ({"district": "other"}, "district", "R-VIS-6"),
        ({"date": "2021-05-31"}, "date", "R-VIS-6"),
        ({"facts": facts(assignment=None)}, "group", "R-VIS-1"),
    ],
)
def test_refusals_name_field_and_rule(kwargs, field, rule):
    # R-VIS-1, R-VIS-6
    with pytest.raises(RuleViolated) as refused:
        log(**kwargs)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_a_settled_year_is_the_bureaus_alone():
    # R-VIS-7: service year 2021 (2021-06-01 .. 2022-05-31) is settled; 2022 is not
    visit = log()
    with pytest.raises(Forbidden) as refused:
        visit.correct(facts=facts(settled={2021}), changes={"days": 2}, reason="补记")
    assert refused.value.status == 403 and refused.value.rule == "R-VIS-7"
    with pytest.raises(Forbidden):
        visit.void(facts=facts(settled={2021}), reason="作废")
    with pytest.raises(Forbidden):  # moving it out of the settled year changes that year too
        visit.correct(facts=facts(settled={2021}), changes={"date": D("2022-06-03"), "planners": ["p2"]},
                      reason="移到下一年度")
    with pytest.raises(Forbidden):
        log(date="2022-05-31", days=2, planners=("p2",), facts=facts(settled={2022}))  # its second day is in 2022
    assert len(visit.collect_events()) == 1
    visit.correct(facts=facts(role="bureau", settled={2021}), changes={"days": 2}, reason="核实")
    assert visit.revision == 1 and visit.history[-1]["role"] == "bureau"


def test_confirmation_steps():
    # R-VIS-7
    visit = log()
    with pytest.raises(RuleViolated) as refused:
        visit.dispute(reason=" ", by="office")
    assert refused.value.rule == "R-VIS-7"
    visit.dispute(reason="无人到场", by="office")
    with pytest.raises(Conflict):
        visit.dispute(reason="再次", by="office")
    visit.confirm(leader_met_confirmed=None, by="office")  # the dispute was settled
    assert visit.status == "confirmed"
    with pytest.raises(Conflict):
        visit.confirm(leader_met_confirmed=None, by="office")


def test_late_marking_uses_the_contract_setting():
    # R-VIS-7: more than late_after_days after the date
    strict = GroupAssignment(code="g", district="d", periods=GROUP.periods, members=GROUP.members,
                             contract=ContractTerms(id="c", start_date=D("2021-06-01"), end_date=D("2024-05-31"),
                                                    annual_fee_fen=1, late_after_days=30))
    assert log(date="2022-07-25", facts=facts(today="2022-08-01"), planners=("p2",)).late is False
    assert log(date="2022-07-24", facts=facts(today="2022-08-01"), planners=("p2",)).late is True
    assert log(date="2022-07-02", facts=facts(today="2022-08-01", assignment=strict), planners=("p2",)).late is False
