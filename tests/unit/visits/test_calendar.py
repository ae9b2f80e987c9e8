"""The duty calendar's date arithmetic (R-VIS-2, R-VIS-4, R-VIS-5), pure."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from services.visits.calendar import (
    add_years,
    contributions,
    covered_days,
    days_between,
    duty_months,
    is_duty_month,
    month_bounds,
    served_dates,
    service_days,
    service_year_bounds,
    service_year_of,
)

D = dt.date.fromisoformat


def test_existing_service_day_functions_keep_their_behaviour():
    # R-VIS-5 (reporting imports these)
    assert contributions(D("2021-06-30"), 1.5) == [(D("2021-06-30"), 1), (D("2021-07-01"), Fraction(1, 2))]
    assert contributions(D("2021-06-30"), 0.5) == [(D("2021-06-30"), Fraction(1, 2))]
    per_date = service_days([(D("2021-06-30"), 1.5), (D("2021-07-01"), 1.0), (D("2021-07-01"), "0.5")])
    assert per_date == {D("2021-06-30"): 1, D("2021-07-01"): 1}
    assert days_between(per_date, D("2021-07-01"), D("2021-07-31")) == 1
    assert month_bounds(2024, 2) == (D("2024-02-01"), D("2024-02-29"))
    assert month_bounds(2021, 12) == (D("2021-12-01"), D("2021-12-31"))


def test_served_dates_of_a_visit_over_a_month_end():
    # R-VIS-5: 2.5 days from the last day of a month fall in two months
    assert served_dates(D("2021-11-30"), 2.5) == [D("2021-11-30"), D("2021-12-01"), D("2021-12-02")]
    assert served_dates(D("2021-11-30"), 2) == [D("2021-11-30"), D("2021-12-01")]


@pytest.mark.parametrize(
    "from_date, month, duty",
    [
        ("2021-11-16", (2021, 11), True),  # 15 of 30: 30 ≥ 30
        ("2021-11-17", (2021, 11), False),  # 14 of 30
        ("2021-10-16", (2021, 10), True),  # 16 of 31: 32 ≥ 31
        ("2021-10-17", (2021, 10), False),  # 15 of 31: 30 < 31
        ("2022-02-15", (2022, 2), True),  # February 2022: 14 of 28
        ("2022-02-16", (2022, 2), False),  # 13 of 28
        ("2024-02-15", (2024, 2), True),  # leap February: 15 of 29
        ("2024-02-16", (2024, 2), False),  # 14 of 29: 28 < 29
    ],
)
def test_half_month_rule_at_its_edges(from_date, month, duty):
    # R-VIS-2: covered × 2 ≥ days in month, counted inclusively
    spans = [(D(from_date), D("2030-12-31"))]
    assert is_duty_month(spans, month, D("2020-01-01"), D("2030-12-31")) is duty


def test_an_assignment_ending_mid_month_counts_inclusively():
    # R-VIS-2: assigned through the 15th of a 30-day month (15 days) → duty; through the 14th → not.
    year = (D("2021-06-01"), D("2022-05-31"))
    assert is_duty_month([(D("2021-06-01"), D("2021-09-15"))], (2021, 9), *year)
    assert not is_duty_month([(D("2021-06-01"), D("2021-09-14"))], (2021, 9), *year)


def test_only_days_inside_the_service_year_count():
    # R-VIS-2: the group is on duty all of June 2022, but service year 2021 ends on 2022-05-31, and in a
    # year starting mid-month only the year's own days of its first and last month count.
    spans = [(D("2021-06-01"), D("2024-05-31"))]
    assert len(duty_months(spans, D("2021-06-01"), D("2022-05-31"))) == 12
    assert covered_days(spans, D("2022-05-20"), D("2022-06-10")) == 22
    # Contract from 2021-06-20: June 2021 has 11 of its days in the year (no duty); June 2022 has 19.
    months = duty_months([(D("2021-06-20"), D("2024-06-19"))], D("2021-06-20"), D("2022-06-19"))
    assert months[0] == (2021, 7) and months[-1] == (2022, 6) and len(months) == 12


def test_a_contract_from_the_16th_of_a_30_day_month_has_13_duty_months():
    # R-VIS-2 read literally: June 2021 (16 .. 30 = 15 days) and June 2022 (1 .. 15 = 15 days) are both
    # exactly half of 30 days, so both count and service year 2021 has 13 duty months (fee 13/12).
    # DOMAIN.md does not cap it; reported to the bureau as a question.
    months = duty_months([(D("2021-06-16"), D("2024-06-15"))], D("2021-06-16"), D("2022-06-15"))
    assert months[0] == (2021, 6) and months[-1] == (2022, 6) and len(months) == 13


def test_overlapping_spans_are_not_counted_twice():
    spans = [(D("2021-06-01"), D("2021-06-20")), (D("2021-06-10"), D("2021-06-30"))]
    assert covered_days(spans, D("2021-06-01"), D("2021-06-30")) == 30


def test_service_years_by_contract_and_by_calendar():
    # R-VIS-4: from the contract start (2021-06-01 → 2021-06-01 .. 2022-05-31) or calendar years
    start = D("2021-06-01")
    assert service_year_bounds(start, "contract", 2021) == (D("2021-06-01"), D("2022-05-31"))
    assert service_year_bounds(start, "contract", 2023) == (D("2023-06-01"), D("2024-05-31"))
    assert service_year_bounds(start, "calendar", 2021) == (D("2021-01-01"), D("2021-12-31"))
    assert service_year_of(D("2022-05-31"), start, "contract") == 2021
    assert service_year_of(D("2022-06-01"), start, "contract") == 2022
    assert service_year_of(D("2022-05-31"), start, "calendar") == 2022
    # A contract starting on 29 February keeps its anniversaries on the 28th in common years.
    assert add_years(D("2020-02-29"), 1) == D("2021-02-28")
    assert service_year_bounds(D("2020-02-29"), "contract", 2020) == (D("2020-02-29"), D("2021-02-27"))
