"""The contracts aggregates on their own: every rule of DOMAIN.md §2 and R-EVA-1, no store, no HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from eventsourcing.application import Application

from services.backbone.domain import Conflict, RuleViolated
from services.backbone.envelope import envelope_from_event
from services.contracts.domain import (
    Contract,
    District,
    Government,
    Group,
    Planner,
    check_boundary,
    group_id,
    service_years,
    term_end,
)

TODAY = dt.date(2026, 1, 15)
D = dt.date.fromisoformat
SQUARE = {"type": "Polygon", "coordinates": [[[115.9, 36.4], [116.0, 36.4], [116.0, 36.5], [115.9, 36.5], [115.9, 36.4]]]}


def refused(exc: pytest.ExceptionInfo, rule: str, field: str | None = None) -> None:
    assert exc.value.rule == rule, exc.value.message
    if field is not None:
        assert exc.value.field == field
    assert exc.value.message.startswith(f"{exc.value.field}：")


def government(code: str = "dcf") -> Government:
    return Government.register(code=code, name="东昌府区人民政府", kind="district_government")


def district(code: str = "gulou", types: list[str] | None = None) -> District:
    return District.register(code=code, name="古楼街道", types=types or ["historic"], government=government())


def contract(**overrides: Any) -> Contract:
    fields: dict[str, Any] = dict(
        code="c2021",
        team="团队",
        institution=None,
        start_date=D("2021-06-01"),
        term_years=3,
        annual_fee_fen=6_000_000,
        deduction_rule="max",
        service_year_basis="contract",
        settle_confirmed_only=False,
        late_after_days=7,
        work_content=None,
        evaluation_weights=None,
        pass_mark=60,
    )
    fields.update(overrides)
    return Contract.sign(**fields)


def planner(code: str, origin: str, qualifications: tuple[str, ...] = ("registered_planner",)) -> Planner:
    return Planner.appoint(
        code=code,
        name=f"规划师{code}",
        origin=origin,
        qualifications=qualifications,
        experience_years=5,
        community_renewal=False,
        institution=None,
        date=None,
        today=TODAY,
    )


def form(code: str, members: list[Planner], *, c: Contract | None = None, d: District | None = None,
         from_date: str = "2021-06-01", district_groups: tuple[Group, ...] = ()) -> Group:
    return Group.form(
        code=code,
        district=d or district(),
        contract=c or contract(),
        planners=members,
        from_date=D(from_date),
        today=TODAY,
        district_groups=district_groups,
    )


def data_of(aggregate: Any) -> list[tuple[str, dict]]:
    """(type, data) of the pending events, as the envelope publishes them."""
    return [
        (e["type"].split(".")[-2], e["data"])
        for e in (envelope_from_event("contracts", ev, i) for i, ev in enumerate(aggregate.collect_events(), 1))
    ]


# -- contracts ---------------------------------------------------------------


def test_term_ends_on_start_plus_term_years_minus_one_day():
    # R-CON-2: end = start + term years − 1 day (29 February falls back to the 28th)
    assert contract().end_date == "2024-05-31"
    assert term_end(D("2020-02-29"), 1) == D("2021-02-27")


def test_a_four_year_term_from_29_february_ends_on_27_february():
    # R-CON-2 + R-VIS-2: "start + term years" is the anniversary, and a start on 29 February has its
    # anniversaries on 28 February (2028 too), so the term ends 2028-02-27; its four service years end there.
    c = contract(start_date=D("2024-02-29"), term_years=4)
    assert c.end_date == "2028-02-27"
    years = c.terms()["service_years"]
    assert [(y["year"], y["end"]) for y in years] == [
        (2024, "2025-02-28"), (2025, "2026-02-28"), (2026, "2027-02-28"), (2027, "2028-02-27")]
    # A renewal starts on the fourth anniversary, 28 February; its term ends the day before a later one.
    c.evaluate_team(date=D("2028-02-01"), scores={"a": 75}, today=D("2028-02-27"))
    c.renew(date=D("2028-02-27"), term_years=4, today=D("2028-02-27"))
    assert (c.term_start, c.end_date) == ("2028-02-28", "2032-02-27")


def test_term_years_zero_is_refused():
    # R-CON-1
    with pytest.raises(RuleViolated) as exc:
        contract(term_years=0)
    refused(exc, "R-CON-1", "term_years")


def test_negative_fee_is_refused_and_zero_is_not():
    # R-CON-1: the annual fee per group is integer fen, not negative
    with pytest.raises(RuleViolated) as exc:
        contract(annual_fee_fen=-1)
    refused(exc, "R-CON-1", "annual_fee_fen")
    assert contract(annual_fee_fen=0).annual_fee_fen == 0


def test_deduction_rule_is_max_or_sum():
    # R-FEE-1
    with pytest.raises(RuleViolated) as exc:
        contract(deduction_rule="min")
    refused(exc, "R-FEE-1", "deduction_rule")
    assert contract(deduction_rule="sum").deduction_rule == "sum"


def test_service_years_follow_the_contract_start_or_the_calendar():
    # R-VIS-4: 2021-06-01 → 2022-05-31, ...; calendar years are a contract setting
    years = service_years(D("2021-06-01"), D("2024-05-31"), "contract")
    assert [(y["year"], y["start"], y["end"]) for y in years] == [
        (2021, "2021-06-01", "2022-05-31"),
        (2022, "2022-06-01", "2023-05-31"),
        (2023, "2023-06-01", "2024-05-31"),
    ]
    calendar = service_years(D("2021-06-01"), D("2024-05-31"), "calendar")
    assert [y["year"] for y in calendar] == [2021, 2022, 2023, 2024]
    assert calendar[0]["start"] == "2021-06-01" and calendar[-1]["end"] == "2024-05-31"
    with pytest.raises(RuleViolated) as exc:
        contract(service_year_basis="fiscal")
    refused(exc, "R-VIS-4", "service_year_basis")


def test_contract_signed_carries_the_catalogue_fields():
    # R-CON-1: ContractSigned {id, team, ..., end_date, annual_fee_fen, deduction_rule, ...}
    [(kind, data)] = data_of(contract())
    assert kind == "ContractSigned"
    assert data["id"] == "c2021" and data["end_date"] == "2024-05-31"
    assert {"team", "institution", "start_date", "term_years", "annual_fee_fen", "deduction_rule",
            "service_year_basis", "settle_confirmed_only", "late_after_days", "work_content",
            "evaluation_weights", "pass_mark"} <= set(data)
    assert data["settle_confirmed_only"] is False and data["late_after_days"] == 7 and data["pass_mark"] == 60


# -- evaluation (R-EVA-1) ----------------------------------------------------


def test_a_score_of_101_is_refused():
    # R-EVA-1: a score 0–100 per item
    c = contract()
    with pytest.raises(RuleViolated) as exc:
        c.evaluate_team(date=D("2024-05-20"), scores={"service_time": 101}, today=TODAY)
    refused(exc, "R-EVA-1", "scores.service_time")
    with pytest.raises(RuleViolated):
        c.evaluate_team(date=D("2024-05-20"), scores={"service_time": -1}, today=TODAY)
    assert c.evaluations == []


def test_total_is_the_weighted_mean_and_passes_at_the_mark():
    # R-EVA-1: equal weights unless the contract sets them; pass when total ≥ pass mark
    equal = contract()
    result = equal.evaluate_team(date=D("2024-05-20"), scores={"a": 50, "b": 69}, today=TODAY)
    assert result["total"] == "59.50" and result["passed"] is False
    weighted = contract(evaluation_weights={"a": 3, "b": 1})
    result = weighted.evaluate_team(date=D("2024-05-20"), scores={"a": 50, "b": 90}, today=TODAY)
    assert result["total"] == "60.00" and result["passed"] is True
    strict = contract(pass_mark=80)
    assert strict.evaluate_team(date=D("2024-05-20"), scores={"a": 79}, today=TODAY)["passed"] is False


def test_scores_must_be_the_contracts_weighted_items():
    # R-EVA-1: with weights set, the evaluation scores exactly those items
    c = contract(evaluation_weights={"service_time": 2, "recommendations": 1})
    with pytest.raises(RuleViolated) as exc:
        c.evaluate_team(date=D("2024-05-20"), scores={"service_time": 90}, today=TODAY)
    refused(exc, "R-EVA-1", "scores")


def test_weights_must_be_positive():
    # R-EVA-1
    with pytest.raises(RuleViolated) as exc:
        contract(evaluation_weights={"a": 0})
    refused(exc, "R-EVA-1", "evaluation_weights")


def test_team_evaluated_is_its_own_event_type():
    # R-EVA-1: TeamEvaluated {contract, date, scores, total, passed, pass_mark}
    c = contract()
    c.collect_events()
    c.evaluate_team(date=D("2024-05-20"), scores={"a": 90}, today=TODAY)
    [(kind, data)] = data_of(c)
    assert kind == "TeamEvaluated"
    assert data["contract"] == "c2021" and data["total"] == "90.00" and data["passed"] is True
    assert data["scores"] == {"a": 90} and data["pass_mark"] == 60


# -- renewal (R-CON-2) -------------------------------------------------------


def test_renewal_without_a_passing_team_evaluation_is_refused():
    # R-CON-2
    c = contract()
    with pytest.raises(RuleViolated) as exc:
        c.renew(date=D("2024-05-31"), term_years=None, today=TODAY)
    refused(exc, "R-CON-2")
    c.evaluate_team(date=D("2024-05-20"), scores={"a": 40}, today=TODAY)
    with pytest.raises(RuleViolated):
        c.renew(date=D("2024-05-31"), term_years=None, today=TODAY)
    assert c.end_date == "2024-05-31" and c.term == 1


def test_renewal_after_a_pass_extends_the_term():
    # R-CON-2: the new term starts the day after the old one ends
    c = contract()
    c.evaluate_team(date=D("2024-05-20"), scores={"a": 40}, today=TODAY)
    c.evaluate_team(date=D("2024-05-25"), scores={"a": 75}, today=TODAY)  # the latest counts
    c.renew(date=D("2024-05-31"), term_years=2, today=TODAY)
    assert (c.term, c.term_start, c.end_date) == (2, "2024-06-01", "2026-05-31")
    # a pass of the first term does not carry over to the second (a wide window: the date is not what is refused)
    with pytest.raises(RuleViolated) as exc:
        c.renew(date=D("2025-05-31"), term_years=None, today=TODAY, window_days=400)
    refused(exc, "R-CON-2", "id")


def test_a_renewal_dated_more_than_the_window_before_the_terms_end_is_refused():
    # R-CON-2: the term ends 2024-05-31; a renewal dated more than 90 days (a setting) before it is refused
    c = contract()
    c.evaluate_team(date=D("2023-11-20"), scores={"a": 90}, today=TODAY)
    with pytest.raises(RuleViolated) as exc:
        c.renew(date=D("2023-12-01"), term_years=None, today=TODAY)
    refused(exc, "R-CON-2", "date")
    assert "2024-05-31" in exc.value.message and "90" in exc.value.message
    with pytest.raises(RuleViolated) as exc:
        c.renew(date=D("2024-03-01"), term_years=None, today=TODAY)  # 91 days before
    refused(exc, "R-CON-2", "date")
    with pytest.raises(RuleViolated) as exc:
        c.renew(date=D("2024-04-30"), term_years=None, today=TODAY, window_days=30)  # 31 days before
    refused(exc, "R-CON-2", "date")
    assert c.term == 1 and c.end_date == "2024-05-31"
    c.renew(date=D("2024-03-02"), term_years=None, today=TODAY)  # exactly 90 days before
    assert (c.term, c.end_date) == (2, "2027-05-31")


def test_renewal_is_refused_while_a_failed_planner_stays_in_a_group():
    # R-CON-2: a planner whose term evaluation failed cannot stay in a group of the renewed contract
    c = contract()
    c.evaluate_team(date=D("2024-05-20"), scores={"a": 90}, today=TODAY)
    with pytest.raises(RuleViolated) as exc:
        c.renew(date=D("2024-05-31"), term_years=None, today=TODAY, failed_members=[("g1", "p2")])
    refused(exc, "R-CON-2", "planners")
    assert "p2" in exc.value.message


def test_an_ended_contract_is_not_renewed_or_ended_again():
    # R-CON-1: steps out of order are conflicts (409)
    c = contract()
    c.end(date=D("2023-01-01"), reason="提前终止", today=TODAY)
    assert c.effective_end == D("2023-01-01")
    with pytest.raises(Conflict):
        c.end(date=D("2023-02-01"), reason=None, today=TODAY)
    with pytest.raises(Conflict):
        c.renew(date=D("2024-05-31"), term_years=None, today=TODAY)


# -- governments and districts -----------------------------------------------


def test_government_kind_is_a_district_government_or_an_admin_committee():
    # R-ORG-6 (R-ORG-2)
    with pytest.raises(RuleViolated) as exc:
        Government.register(code="x", name="某县", kind="county")
    refused(exc, "R-ORG-6", "kind")
    assert Government.register(code="jk", name="管委会", kind="admin_committee").kind == "admin_committee"


def test_district_types_are_one_or_more_known_types():
    # R-ORG-3
    for types in ([], ["old"]):
        with pytest.raises(RuleViolated) as exc:
            District.register(code="x", name="某街道", types=types, government=government())
        refused(exc, "R-ORG-3", "types")
    d = district(types=["historic", "built", "historic"])
    assert d.types == ["historic", "built"]
    d.collect_events()
    assert d.change_types(["built", "historic"]) is True
    assert d.change_types(["built", "historic"]) is False  # unchanged: no event
    assert [k for k, _ in data_of(d)] == ["DistrictTypesChanged"]


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [116.0, 36.4]},
        {"type": "Polygon", "coordinates": [[[115.9, 36.4], [116.0, 36.4], [116.0, 36.5], [115.9, 36.5]]]},  # open
        {"type": "Polygon", "coordinates": [[[115.9, 36.4], [116.0, 36.4], [115.9, 36.4]]]},  # too few points
        {"type": "Polygon", "coordinates": [[[190, 36.4], [116.0, 36.4], [116.0, 36.5], [190, 36.4]]]},  # lon
        {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [3, 3], [1, 1]]]},  # no area
        {"type": "Polygon", "coordinates": [[["a", 1], [2, 2], [3, 1], ["a", 1]]]},
        {"type": "MultiPolygon", "coordinates": []},
        "POLYGON((1 1, 2 2, 3 1, 1 1))",
    ],
)
def test_invalid_geojson_polygons_are_refused(boundary):
    # R-ORG-2: a district's boundary is a GeoJSON Polygon or MultiPolygon
    with pytest.raises(RuleViolated) as exc:
        check_boundary(boundary)
    refused(exc, "R-ORG-2", "boundary")


def test_valid_polygons_and_features_are_accepted():
    # R-ORG-2
    assert check_boundary(SQUARE) == SQUARE
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    assert check_boundary(multi)["type"] == "MultiPolygon"
    assert check_boundary({"type": "Feature", "properties": {}, "geometry": SQUARE}) == SQUARE
    d = district()
    d.set_boundary(SQUARE)
    assert d.boundary == SQUARE


def test_contacts_change_is_one_event_type_for_both_entities():
    # R-ORG-7: ContactsChanged {entity, code, leader, department, contact}
    g, d = government(), district()
    g.collect_events()
    d.collect_events()
    g.change_contacts(leader="王局长", department="规划科", contact="李四 0635-1234567")
    d.change_contacts(leader="张主任", contact="赵六")
    assert data_of(g) == [("ContactsChanged", {"entity": "government", "code": "dcf", "leader": "王局长",
                                               "department": "规划科", "contact": "李四 0635-1234567"})]
    [(kind, data)] = data_of(d)
    assert kind == "ContactsChanged" and data["entity"] == "district" and data["leader"] == "张主任"


# -- planners ----------------------------------------------------------------


def test_appointment_without_a_qualification_is_refused():
    # R-ORG-5
    with pytest.raises(RuleViolated) as exc:
        planner("p1", "tier1", qualifications=())
    refused(exc, "R-ORG-5", "qualifications")
    with pytest.raises(RuleViolated) as exc:
        planner("p1", "tier1", qualifications=("phd",))
    refused(exc, "R-ORG-5", "qualifications")


def test_origin_is_tier1_or_local():
    # R-ORG-4
    with pytest.raises(RuleViolated) as exc:
        planner("p1", "abroad")
    refused(exc, "R-ORG-4", "origin")


def test_planner_appointed_carries_no_contact_data():
    # R-ORG-5: PlannerAppointed {id, name, origin, qualifications, experience_years, community_renewal}
    [(kind, data)] = data_of(planner("p1", "tier1", ("senior_title", "registered_planner")))
    assert kind == "PlannerAppointed"
    assert data["id"] == "p1" and data["qualifications"] == ["senior_title", "registered_planner"]
    assert {"name", "origin", "experience_years", "community_renewal"} <= set(data)
    assert not {"phone", "email"} & set(data)


# -- groups ------------------------------------------------------------------


def test_a_group_of_two_locals_is_refused():
    # R-ORG-4: one tier1 and one local planner
    with pytest.raises(RuleViolated) as exc:
        form("g1", [planner("l1", "local"), planner("l2", "local")])
    refused(exc, "R-ORG-4", "planners")


def test_a_group_needs_exactly_two_different_planners():
    # R-ORG-4
    t = planner("t1", "tier1")
    for members in ([t], [t, t], [t, planner("l1", "local"), planner("l2", "local")]):
        with pytest.raises(RuleViolated) as exc:
            form("g1", members)
        refused(exc, "R-ORG-4", "planners")


def test_a_planner_is_in_at_most_one_active_group():
    # R-ORG-4
    t, l1, l2 = planner("t1", "tier1"), planner("l1", "local"), planner("l2", "local")
    form("g1", [t, l1])
    with pytest.raises(RuleViolated) as exc:
        form("g2", [t, l2], d=district("liuyuan"))
    refused(exc, "R-ORG-4", "planners")
    assert "g1" in exc.value.message


def test_group_formed_names_the_tier1_and_the_local_planner():
    # R-ORG-1, R-ORG-4: GroupFormed {code, district, contract, tier1, local, from_date}
    g = form("g1", [planner("l1", "local"), planner("t1", "tier1")])
    assert g.id == group_id("g1")
    [(kind, data)] = data_of(g)
    assert kind == "GroupFormed"
    assert data == {"code": "g1", "district": "gulou", "contract": "c2021", "tier1": "t1", "local": "l1",
                    "from_date": "2021-06-01"}


def test_a_group_starts_within_its_contract():
    # R-CON-1: each group works under one contract, within its term
    with pytest.raises(RuleViolated) as exc:
        form("g1", [planner("t1", "tier1"), planner("l1", "local")], from_date="2024-06-01")
    refused(exc, "R-CON-1", "from_date")


def test_a_district_is_served_by_one_group_at_a_time():
    # R-ORG-1
    first = form("g1", [planner("t1", "tier1"), planner("l1", "local")])
    with pytest.raises(RuleViolated) as exc:
        form("g2", [planner("t2", "tier1"), planner("l2", "local")], from_date="2022-01-01", district_groups=(first,))
    refused(exc, "R-ORG-1", "district")
    first.end(date=D("2021-12-31"), reason="调整", planners=[], today=TODAY)
    form("g2", [planner("t2", "tier1"), planner("l2", "local")], from_date="2022-01-01", district_groups=(first,))


def test_replacement_keeps_the_group():
    # R-CON-4: who, when, why; the same group (and its obligations) continues
    t1, l1, t2 = planner("t1", "tier1"), planner("l1", "local"), planner("t2", "tier1")
    c = contract()
    g = form("g1", [t1, l1], c=c)
    g.collect_events()
    g.replace(out=t1, incoming=t2, contract=c, date=D("2022-01-10"), reason="工作调动", today=TODAY)
    assert (g.id, g.code, g.from_date, g.district) == (group_id("g1"), "g1", "2021-06-01", "gulou")
    assert (g.tier1, g.local) == ("t2", "l1")
    assert [m["planner"] for m in g.planners_on(D("2022-01-09"))] == ["t1", "l1"]
    assert [m["planner"] for m in g.planners_on(D("2022-01-10"))] == ["t2", "l1"]
    assert data_of(g) == [("PlannerReplaced", {"group": "g1", "out": "t1", "in": "t2", "date": "2022-01-10",
                                               "reason": "工作调动"})]
    assert (t1.group, t1.last_day_in_group, t2.group) == (None, "2022-01-09", "g1")


def test_replacement_keeps_one_tier1_and_one_local():
    # R-ORG-4
    t1, l1, l2 = planner("t1", "tier1"), planner("l1", "local"), planner("l2", "local")
    c = contract()
    g = form("g1", [t1, l1], c=c)
    with pytest.raises(RuleViolated) as exc:
        g.replace(out=t1, incoming=l2, contract=c, date=D("2022-01-10"), reason="调动", today=TODAY)
    refused(exc, "R-ORG-4", "in")


def test_replacement_before_the_last_change_is_a_conflict():
    # R-CON-4: replacements are facts in order
    t1, l1, t2, t3 = planner("t1", "tier1"), planner("l1", "local"), planner("t2", "tier1"), planner("t3", "tier1")
    c = contract()
    g = form("g1", [t1, l1], c=c)
    g.replace(out=t1, incoming=t2, contract=c, date=D("2022-01-10"), reason="调动", today=TODAY)
    with pytest.raises(Conflict):
        g.replace(out=t2, incoming=t3, contract=c, date=D("2022-01-01"), reason="调动", today=TODAY)


def test_a_planner_in_a_group_is_not_dismissed_until_replaced():
    # R-ORG-4: a group always has its two planners
    t1, l1, t2 = planner("t1", "tier1"), planner("l1", "local"), planner("t2", "tier1")
    c = contract()
    g = form("g1", [t1, l1], c=c)
    with pytest.raises(RuleViolated) as exc:
        t1.dismiss(date=D("2022-01-10"), reason="离职", today=TODAY)
    refused(exc, "R-ORG-4")
    g.replace(out=t1, incoming=t2, contract=c, date=D("2022-01-10"), reason="离职", today=TODAY)
    t1.dismiss(date=D("2022-01-10"), reason="离职", today=TODAY)
    with pytest.raises(RuleViolated) as exc:
        form("g2", [t1, planner("l2", "local")], c=c, d=district("liuyuan"), from_date="2022-02-01")
    refused(exc, "R-ORG-4", "planners")


def test_a_planner_who_failed_cannot_join_a_group_of_the_renewed_contract():
    # R-CON-2
    c = contract()
    failed, passed, local = planner("t1", "tier1"), planner("t2", "tier1"), planner("l1", "local")
    failed.evaluate(contract=c, date=D("2024-05-20"), scores={"a": 40}, today=TODAY)
    passed.evaluate(contract=c, date=D("2024-05-20"), scores={"a": 80}, today=TODAY)
    c.evaluate_team(date=D("2024-05-20"), scores={"a": 90}, today=TODAY)
    c.renew(date=D("2024-05-31"), term_years=None, today=TODAY)
    with pytest.raises(RuleViolated) as exc:
        form("g1", [failed, local], c=c, from_date="2024-06-01")
    refused(exc, "R-CON-2", "planners")
    assert form("g1", [passed, local], c=c, from_date="2024-06-01").tier1 == "t2"


def test_failed_term_is_what_the_renewal_check_reads():
    # R-CON-2: only a failure in the contract's current term blocks the renewal
    c = contract()
    p = planner("t1", "tier1")
    assert p.failed_term(c) is False
    p.evaluate(contract=c, date=D("2024-05-20"), scores={"a": 59}, today=TODAY)
    assert p.failed_term(c) is True
    assert p.evaluations[-1]["passed"] is False and p.evaluations[-1]["term"] == 1


def test_ending_a_group_releases_its_planners():
    # R-ORG-4: after the assignment the planners may join another group
    t1, l1 = planner("t1", "tier1"), planner("l1", "local")
    c = contract()
    g = form("g1", [t1, l1], c=c)
    g.end(date=D("2022-05-31"), reason="调整", planners=[t1, l1], today=TODAY)
    assert g.serves_on(D("2022-05-31")) and not g.serves_on(D("2022-06-01"))
    with pytest.raises(Conflict):
        g.end(date=D("2022-06-30"), reason=None, planners=[t1, l1], today=TODAY)
    with pytest.raises(RuleViolated):  # the last day still belongs to the old group
        form("g2", [t1, l1], c=c, d=district("liuyuan"), from_date="2022-05-31")
    assert form("g2", [t1, l1], c=c, d=district("liuyuan"), from_date="2022-06-01").code == "g2"


def test_dates_after_today_are_refused():
    # R-SEC-3: what happened is not dated in the future
    with pytest.raises(RuleViolated) as exc:
        form("g1", [planner("t1", "tier1"), planner("l1", "local")], from_date="2026-01-16")
    refused(exc, "R-SEC-3", "from_date")


def test_aggregates_rebuild_from_their_events():
    # R-CON-4, R-RPT-5: replaying the stored events gives the same state
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    c = contract()
    t1, l1, t2 = planner("t1", "tier1"), planner("l1", "local"), planner("t2", "tier1")
    g = form("g1", [t1, l1], c=c)
    g.replace(out=t1, incoming=t2, contract=c, date=D("2022-01-10"), reason="调动", today=TODAY)
    c.evaluate_team(date=D("2024-05-20"), scores={"a": 90}, today=TODAY)
    c.renew(date=D("2024-05-31"), term_years=None, today=TODAY)
    app.save(c, g, t1, l1, t2)
    again = app.repository.get(g.id)
    assert again.members == g.members and again.replacements == g.replacements
    assert app.repository.get(c.id).as_dict() == c.as_dict()
    assert app.repository.get(t1.id).as_dict() == t1.as_dict()
