"""Service days counted in integer half-days (R-VIS-5) and the monthly figures
built on them (R-VIS-2, R-VIS-4, R-RPT-1): hand-computed values, and the
half-day functions agreeing with the Fraction ones they replaced."""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction

import pytest

from services.programme.calendar import (
    contributions,
    half_days_between,
    service_days,
    service_half_days,
)
from services.programme.duty import month_compliance
from tests.unit.visits.test_domain_worked_examples import contract, example_1_visits, group, visits

D = dt.date.fromisoformat


def test_a_visit_spreads_whole_days_then_a_half():
    # R-VIS-5: 1.0 on each of the first ⌊d⌋ dates, 0.5 on the next when d ends in .5
    assert service_half_days([(D("2021-11-30"), 2.5)]) == {D("2021-11-30"): 2, D("2021-12-01"): 2, D("2021-12-02"): 1}
    assert service_half_days([(D("2021-06-30"), Fraction(1, 2))]) == {D("2021-06-30"): 1}
    assert service_half_days([(D("2021-06-30"), "2")]) == {D("2021-06-30"): 2, D("2021-07-01"): 2}


def test_a_date_is_capped_at_one_day():
    # R-VIS-5: two halves make a day, a third adds nothing; a whole day fills the date
    assert service_half_days([(D("2022-03-01"), 0.5), (D("2022-03-01"), 0.5)]) == {D("2022-03-01"): 2}
    assert service_half_days([(D("2022-03-01"), 0.5)] * 3) == {D("2022-03-01"): 2}
    assert service_half_days([(D("2022-03-01"), 1.0), (D("2022-03-01"), 0.5)]) == {D("2022-03-01"): 2}
    # DOMAIN.md §3 example 1: 06-30 for 1.5 days, then 07-01 for 1.0 → 07-01 capped at 1.0
    per_date = service_half_days([(D("2021-06-30"), 1.5), (D("2021-07-01"), 1.0)])
    assert per_date == {D("2021-06-30"): 2, D("2021-07-01"): 2}
    assert half_days_between(per_date, D("2021-07-01"), D("2021-07-31")) == 2  # 1.0 day in July


def test_half_days_agree_with_the_fraction_counting():
    # service_days is the same count in days; both read d as contributions does (truncating)
    rng = random.Random(5)
    lengths = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, "1.3", Fraction(7, 3), Fraction(-3, 2), 0]
    for _ in range(200):
        spread = [(D("2022-01-01") + dt.timedelta(days=rng.randrange(40)), rng.choice(lengths)) for _ in range(8)]
        expected: dict[dt.date, Fraction] = {}
        for start, days in spread:
            for date, amount in contributions(start, days):
                expected[date] = min(Fraction(1), expected.get(date, Fraction(0)) + amount)
        assert service_days(spread) == expected
        assert service_half_days(spread) == {d: int(v * 2) for d, v in expected.items()}


@pytest.mark.parametrize(
    "month, days_in_month, days_to_date, required, has_visit, rules",
    [
        # July 2021: 07-01 carries 0.5 (from 06-30's 1.5 days) + 1.0, capped at 1.0; the year
        # so far is 06-30 (1.0) + 07-01 (1.0) = 2.0 against 30 × 2 / 12 = 5.0 (R-VIS-4)
        ((2021, 7), 1.0, 2.0, 5.0, True, ["R-VIS-3", "R-VIS-4"]),
        # December 2021: no visit; 2.0 + 4 × 2.5 (Aug..Nov) = 12.0 against 30 × 7 / 12 = 17.5
        ((2021, 12), 0.0, 12.0, 17.5, False, ["R-VIS-2", "R-VIS-3", "R-VIS-4"]),
        # March 2022: 2.5; 2.0 + 7 × 2.5 (Aug..Nov, Jan..Mar) = 19.5 against 30 × 10 / 12 = 25.0
        ((2022, 3), 2.5, 19.5, 25.0, True, ["R-VIS-3", "R-VIS-4"]),
        # May 2022: 2.0 + 8 × 2.5 = 22.0 against 30.0 (DOMAIN.md §3 example 1: 22 days in the year)
        ((2022, 5), 2.5, 22.0, 30.0, True, ["R-VIS-3", "R-VIS-4"]),
    ],
)
def test_month_compliance_of_the_first_worked_example(month, days_in_month, days_to_date, required, has_visit, rules):
    # R-RPT-1 per group and month, DOMAIN.md §3 example 1 (assigned from 2021-06-01, no leader met)
    figures = month_compliance(group(contract(), "2021-06-01"), month, example_1_visits(), today=D("2023-01-01"))
    assert figures["duty_month"] is True
    assert figures["days_in_month"] == days_in_month
    assert figures["days_in_service_year"] == days_to_date
    assert figures["required_days_to_date"] == required
    assert figures["has_visit"] is has_visit
    assert [n["rule"] for n in figures["findings"]] == rules and figures["warnings"] == []


def test_month_compliance_counts_a_visit_over_the_service_year_start_only_inside_it():
    # R-VIS-4/R-VIS-5: 2.5 days from 2022-05-30 serve 05-30, 05-31 (year 2021) and 0.5 on
    # 06-01 (year 2022); voided visits count nothing
    assignment = group(contract(), "2021-06-01")
    served = visits(("2022-05-30", 2.5), ("2022-06-10", 1.0), ("2022-06-11", 3.0), voided=(2,))
    june = month_compliance(assignment, (2022, 6), served, today=D("2022-06-20"))
    assert june["service_year"] == 2022
    assert june["days_in_month"] == 1.5 and june["days_in_service_year"] == 1.5
    assert june["visits"] == 1 and june["voided_visits"] == 1
    assert june["required_days_to_date"] == 2.5 and june["has_visit"] is True
    assert [n["rule"] for n in june["warnings"]] == ["R-VIS-3", "R-VIS-4"] and june["findings"] == []
    may = month_compliance(assignment, (2022, 5), served, today=D("2022-06-20"))
    assert may["service_year"] == 2021 and may["days_in_month"] == 2.0 and may["visits"] == 1
