"""DOMAIN.md §3's worked examples and our own, on the pure domain (no storage).

Every figure of each example is asserted: duty months, days, months with a
visit, shortfalls (exact fractions), fee, deduction, payable.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from services.programme.assignment import ContractTerms, GroupAssignment, Membership
from services.programme.duty import VisitFacts
from services.programme.fees import Figures, calculate, round_half_up

D = dt.date.fromisoformat


def contract(start="2021-06-01", *, fee=6_000_000, rule="max", basis="contract", years=3, **kw) -> ContractTerms:
    first = D(start)
    return ContractTerms(
        id="c", start_date=first, end_date=first.replace(year=first.year + years) - dt.timedelta(days=1),
        annual_fee_fen=fee, deduction_rule=rule, service_year_basis=basis, **kw,
    )


def group(terms: ContractTerms, from_date: str, to_date: str | None = None, members=("p1", "p2")) -> GroupAssignment:
    return GroupAssignment(
        code="g", district="d", contract=terms,
        periods=((D(from_date), D(to_date) if to_date else None),),
        members=tuple(Membership(p, D(from_date), None) for p in members),
    )


def visits(*pairs, voided=()) -> list[VisitFacts]:
    return [
        VisitFacts(id=f"v{i:02d}", date=D(day), days=Fraction(str(days)), leader_met=False, voided=i in voided)
        for i, (day, days) in enumerate(pairs)
    ]


def example_1_visits() -> list[VisitFacts]:
    monthly = [f"2021-{m:02d}-03" for m in (8, 9, 10, 11)] + [f"2022-{m:02d}-03" for m in (1, 2, 3, 5)]
    return visits(("2021-06-30", 1.5), ("2021-07-01", 1.0), *[(d, 2.5) for d in monthly])


def example_2_visits() -> list[VisitFacts]:
    months = ["2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-04", "2022-05"]  # no March
    return visits(*[(f"{m}-10", 3.0) for m in months], ("2021-09-20", 1.0))


def test_domain_example_1_every_figure():
    # DOMAIN.md §3 example 1 — R-VIS-2, R-VIS-5, R-FEE-1
    calc = calculate(group(contract(), "2021-06-01"), 2021, example_1_visits())
    f = calc.figures
    assert (calc.record.first, calc.record.last) == (D("2021-06-01"), D("2022-05-31"))
    assert f.days == 22 and f.duty_months == 12 and f.months_with_visit == 10
    assert [m[1] for m in calc.record.duty_months] == [6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5]
    assert (2021, 12) not in calc.record.months_with_visit and (2022, 4) not in calc.record.months_with_visit
    assert f.day_shortfall == Fraction(4, 15) and f.visit_shortfall == Fraction(1, 6)
    assert f.fee_fen == 6_000_000 and f.required_days == 30
    assert f.deduction_fen == 1_600_000 and f.payable_fen == 4_400_000
    # The month edge: 06-30 has 1.0, 07-01 has 0.5 + 1.0 capped at 1.0 (R-VIS-5).
    by_month = {m["month"]: m["days"] for m in calc.record.months}
    assert by_month["2021-06"] == 1.0 and by_month["2021-07"] == 1.0


@pytest.mark.parametrize("rule", ["max", "sum"])
def test_domain_example_2_every_figure_with_both_rules(rule):
    # DOMAIN.md §3 example 2 — R-VIS-2 (September 13 of 30 days is no duty month), R-FEE-1
    calc = calculate(group(contract(rule=rule), "2021-09-18"), 2021, example_2_visits())
    f = calc.figures
    assert f.duty_months == 8 and calc.record.duty_months[0] == (2021, 10)
    assert f.fee_fen == 4_000_000 and f.required_days == 20
    assert f.days == 22 and f.months_with_visit == 7
    assert f.day_shortfall == 0 and f.visit_shortfall == Fraction(1, 8)
    assert f.deduction_fen == 500_000 and f.payable_fen == 3_500_000


@pytest.mark.parametrize("rule, deduction, payable", [("max", 1_100_000, 2_400_000), ("sum", 1_600_000, 1_900_000)])
def test_own_example_calendar_year_basis(rule, deduction, payable):
    # Own example A — R-VIS-4 calendar-year basis (a contract setting), R-FEE-1.
    # Contract from 2021-06-01, service year 2021 = 2021-01-01 .. 2021-12-31: duty June .. December = 7;
    # fee 6,000,000 × 7/12 = 3,500,000; required 17.5; 2.0 days on the 5th of June .. November = 12;
    # day shortfall 1 − 12/17.5 = 11/35, visit shortfall 1/7; max 11/35, sum 16/35.
    terms = contract(rule=rule, basis="calendar")
    calc = calculate(group(terms, "2021-06-01"), 2021, visits(*[(f"2021-{m:02d}-05", 2.0) for m in range(6, 12)]))
    f = calc.figures
    # R-VIS-2 amended: the year's dates are those of the months it holds, within the contract.
    assert (calc.record.first, calc.record.last) == (D("2021-06-01"), D("2021-12-31"))
    assert f.duty_months == 7 and f.months_with_visit == 6 and f.days == 12
    assert f.fee_fen == 3_500_000 and f.required_days == Fraction(35, 2)
    assert f.day_shortfall == Fraction(11, 35) and f.visit_shortfall == Fraction(1, 7)
    assert (f.deduction_fen, f.payable_fen) == (deduction, payable)


@pytest.mark.parametrize(
    "from_date, duty, fee, required, visited, day_short, visit_short, deduction, payable",
    [
        # Own example C — from the 16th of a 30-day month: November is a duty month (15 × 2 ≥ 30).
        # Duty Nov .. May = 7, fee 3,500,000, required 17.5. Days: 11-30 for 2.5 (Nov 1.0, Dec 1.5) +
        # 4 × 3.0 = 14.5; the January visit is voided. Visited Nov, Dec, Feb .. May = 6 of 7.
        # Day shortfall 1 − 14.5/17.5 = 6/35 > visit shortfall 1/7 → deduction 600,000.
        ("2021-11-16", 7, 3_500_000, Fraction(35, 2), 6, Fraction(6, 35), Fraction(1, 7), 600_000, 2_900_000),
        # From the 17th: 14 of 30 days, November is no duty month; its visit still counts as days.
        # Duty Dec .. May = 6, fee 3,000,000, required 15; visited Dec, Feb .. May = 5 of 6;
        # day shortfall 1 − 14.5/15 = 1/30 < visit shortfall 1/6 → deduction 500,000.
        ("2021-11-17", 6, 3_000_000, Fraction(15), 5, Fraction(1, 30), Fraction(1, 6), 500_000, 2_500_000),
    ],
)
def test_own_example_half_month_edge_month_end_visit_and_void(
    from_date, duty, fee, required, visited, day_short, visit_short, deduction, payable
):
    # Own example C — R-VIS-2 half-month rule, R-VIS-5 visit over a month end, voided visit, R-FEE-1
    vs = visits(
        ("2021-11-30", 2.5), ("2022-01-20", 3.0), *[(f"2022-{m:02d}-14", 3.0) for m in (2, 3, 4, 5)], voided={1}
    )
    calc = calculate(group(contract(), from_date), 2021, vs)
    f = calc.figures
    assert f.duty_months == duty and f.fee_fen == fee and f.required_days == required
    assert f.days == Fraction(29, 2) and f.months_with_visit == visited
    assert (2021, 12) in calc.record.months_with_visit and (2022, 1) not in calc.record.months_with_visit
    assert f.day_shortfall == day_short and f.visit_shortfall == visit_short
    assert (f.deduction_fen, f.payable_fen) == (deduction, payable)


def test_own_example_replacement_resets_nothing_and_two_planners_one_date():
    # Own example B — R-CON-4, R-VIS-5: p1 is replaced by p3 on 2022-01-10; the group keeps its 12 duty
    # months and 30-day requirement. 2021-06-08: two visits of 1.0 (p1, p2) count 1.0; 2.5 days on the
    # 8th of July .. December (15) and on the 12th of January .. May (12.5) → 28.5 days, 12 months visited;
    # day shortfall 1 − 28.5/30 = 1/20 → deduction 300,000, payable 5,700,000.
    terms = contract()
    g = GroupAssignment(
        code="g", district="d", contract=terms, periods=((D("2021-06-01"), None),),
        members=(
            Membership("p1", D("2021-06-01"), D("2022-01-09")),
            Membership("p2", D("2021-06-01"), None),
            Membership("p3", D("2022-01-10"), None),
        ),
    )
    vs = visits(
        ("2021-06-08", 1.0), ("2021-06-08", 1.0),
        *[(f"2021-{m:02d}-08", 2.5) for m in range(7, 13)],
        *[(f"2022-{m:02d}-12", 2.5) for m in range(1, 6)],
    )
    f = calculate(g, 2021, vs).figures
    assert f.duty_months == 12 and f.required_days == 30
    assert f.days == Fraction(57, 2) and f.months_with_visit == 12
    assert f.day_shortfall == Fraction(1, 20) and f.visit_shortfall == 0
    assert (f.fee_fen, f.deduction_fen, f.payable_fen) == (6_000_000, 300_000, 5_700_000)
    assert g.members_on(D("2022-01-09")) == ["p1", "p2"] and g.members_on(D("2022-01-10")) == ["p2", "p3"]


def test_a_year_without_visits_deducts_everything_and_a_complete_year_nothing():
    # R-FEE-1: no visits → both shortfalls 1; 2.5 days every month → 30 days, 12 months → none.
    g = group(contract(), "2021-06-01")
    empty = calculate(g, 2021, []).figures
    assert (empty.day_shortfall, empty.visit_shortfall) == (1, 1)
    assert (empty.fee_fen, empty.deduction_fen, empty.payable_fen) == (6_000_000, 6_000_000, 0)
    months = [f"2021-{m:02d}" for m in range(6, 13)] + [f"2022-{m:02d}" for m in range(1, 6)]
    full = calculate(g, 2021, visits(*[(f"{m}-15", 2.5) for m in months])).figures
    assert full.days == 30 and full.months_with_visit == 12
    assert (full.deduction_fen, full.payable_fen) == (0, 6_000_000)


def test_a_year_without_a_duty_month_settles_to_zero():
    # R-FEE-1: assigned from 2022-05-20, May has 12 of 31 days → no duty month in service year 2021.
    calc = calculate(group(contract(), "2022-05-20"), 2021, visits(("2022-05-25", 2.0)))
    f = calc.figures
    assert f.duty_months == 0 and f.days == 2 and f.months_with_visit == 0
    assert (f.fee_fen, f.required_days, f.day_shortfall, f.visit_shortfall) == (0, 0, 0, 0)
    assert (f.deduction_fen, f.payable_fen) == (0, 0)


def test_sum_is_capped_at_one():
    # R-FEE-1: `sum` adds the shortfalls but never deducts more than the fee.
    f = Figures(annual_fee_fen=6_000_000, duty_months=12, months_with_visit=2, days=Fraction(3), rule="sum")
    assert f.day_shortfall == Fraction(9, 10) and f.visit_shortfall == Fraction(5, 6)
    assert f.shortfall == 1 and f.deduction_fen == 6_000_000 and f.payable_fen == 0


def test_rounding_is_half_up_to_the_fen_and_only_at_the_end():
    # R-FEE-1: round_half_up, not banker's rounding; shortfalls stay exact until then.
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5, 7)] == [1, 2, 3, 4]
    assert round_half_up(Fraction(2499999, 5_000_000)) == 0
    # 6,000,006 × 1/12 = 500,000.5 → 500,001 fen.
    assert Figures(annual_fee_fen=6_000_006, duty_months=1, months_with_visit=1, days=Fraction(5, 2), rule="max").fee_fen == 500_001
    # fee 1,000,001 × 1/3 = 333,333.67 → 333,334 (a float product would be the same here, the Fraction is exact).
    f = Figures(annual_fee_fen=1_000_001, duty_months=12, months_with_visit=12, days=Fraction(20), rule="max")
    assert f.day_shortfall == Fraction(1, 3) and f.deduction_fen == 333_334 and f.payable_fen == 666_667
