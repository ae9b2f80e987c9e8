"""The duty calendar's date arithmetic (R-VIS-2, R-VIS-4, R-VIS-5), pure."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from services.programme.calendar import (
    add_years,
    contributions,
    contract_duty_months,
    contract_months,
    covered_days,
    days_between,
    is_duty_month,
    month_bounds,
    served_dates,
    service_days,
    service_year_bounds,
    service_year_of,
    term_end,
    year_dates,
    year_months,
    year_of_month,
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


def duty_by_year(spans, start, end, basis="contract"):
    months = dict(contract_months(D(start), D(end), basis))
    out: dict[int, list] = {}
    for m in contract_duty_months(spans, D(start), D(end), basis):
        out.setdefault(months[m], []).append(m)
    return out


def test_a_month_split_between_service_years_belongs_to_the_one_covering_more_of_it():
    # R-VIS-2 amended, DOMAIN's example: a contract from 2023-03-16 — service year 2023 holds March 2023
    # (16 of its 31 days) through February 2024; March 2024 (15 days before the anniversary, 16 after)
    # belongs wholly to service year 2024, and its dates 2024-03-01..15 with it.
    start, end = D("2023-03-16"), D("2026-03-15")
    assert year_months(start, end, "contract", 2023) == tuple(
        [(2023, m) for m in range(3, 13)] + [(2024, 1), (2024, 2)]
    )
    assert year_of_month(start, end, "contract", (2024, 3)) == 2024
    assert year_dates(start, end, "contract", 2023) == (D("2023-03-16"), D("2024-02-29"))
    assert year_dates(start, end, "contract", 2024) == (D("2024-03-01"), D("2025-02-28"))
    # The contract's last month (2026-03-01..15) lies wholly in service year 2025; no month is in two years.
    assert year_of_month(start, end, "contract", (2026, 3)) == 2025
    assert year_of_month(start, end, "contract", (2026, 4)) is None
    assert year_dates(start, end, "contract", 2026) is None
    months = [m for m, _ in contract_months(start, end, "contract")]
    assert len(months) == len(set(months)) == 37
    # A tie goes to the later year: from the 16th of a 30-day month, 15 days each side.
    assert year_of_month(D("2021-06-16"), D("2024-06-15"), "contract", (2022, 6)) == 2022


def test_only_days_inside_the_contract_count():
    # R-VIS-2: the half rule counts the month's days within the contract, against the month's length.
    spans = [(D("2021-06-01"), D("2024-05-31"))]
    assert len(duty_by_year(spans, "2021-06-01", "2024-05-31")[2021]) == 12
    assert covered_days(spans, D("2022-05-20"), D("2022-06-10")) == 22
    # Contract from 2021-06-20: June 2021 has 11 of its days in the contract (no duty); June 2022 (19 days
    # before the anniversary, 11 after) belongs to service year 2021.
    months = duty_by_year([(D("2021-06-20"), D("2024-06-19"))], "2021-06-20", "2024-06-19")[2021]
    assert months[0] == (2021, 7) and months[-1] == (2022, 6) and len(months) == 12


@pytest.mark.parametrize(
    "start, end, basis",
    [
        ("2021-06-16", "2024-06-15", "contract"),  # 16th of a 30-day month
        ("2023-02-15", "2026-02-14", "contract"),  # 15th of February
        ("2024-02-15", "2027-02-14", "contract"),  # 15th of a leap February
        ("2021-06-16", "2024-06-15", "calendar"),  # calendar-year service years, same term
    ],
)
def test_no_service_year_has_more_than_12_duty_months_nor_a_term_more_than_36(start, end, basis):
    # R-VIS-2 amended (replaces the old "13 duty months from the 16th" reading, whose fee was 13/12):
    # where the half rule gives more, the contract's last month does not count.
    spans = [(D(start), D(end))]
    by_year = duty_by_year(spans, start, end, basis)
    assert all(len(months) <= 12 for months in by_year.values())
    assert sum(len(months) for months in by_year.values()) == 36
    last_month = (D(end).year, D(end).month)
    assert last_month not in contract_duty_months(spans, D(start), D(end), basis)


def test_a_contract_from_29_february_has_its_anniversaries_on_28_february():
    # R-VIS-2: service year 2024 holds March 2024 .. February 2025 (its 1 .. 27), 12 duty months a year.
    start, end = D("2024-02-29"), D("2027-02-27")
    assert year_dates(start, end, "contract", 2024) == (D("2024-02-29"), D("2025-02-28"))
    by_year = duty_by_year([(start, end)], "2024-02-29", "2027-02-27")
    assert [len(by_year[y]) for y in (2024, 2025, 2026)] == [12, 12, 12]
    assert by_year[2026][-1] == (2027, 2)


def test_the_first_service_year_from_the_16th_of_a_30_day_month():
    # R-VIS-2: June 2021 (16 .. 30: 15 of 30 days) is a duty month; June 2022 (a tie) belongs to 2022.
    months = duty_by_year([(D("2021-06-16"), D("2024-06-15"))], "2021-06-16", "2024-06-15")[2021]
    assert months[0] == (2021, 6) and months[-1] == (2022, 5) and len(months) == 12


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


def test_a_four_year_term_from_29_february_keeps_28_february_in_the_leap_year_too():
    # R-VIS-2: "A service year that starts on 29 February has its anniversaries on 28 February" — in 2028
    # (a leap year) as in 2025..2027; R-CON-2: the term ends on start + term years − 1 day, that anniversary
    # being 2028-02-28, so 2028-02-27 (before: 2028-02-29 and 2028-02-28, one day more than four years).
    start = D("2024-02-29")
    assert [add_years(start, k) for k in (1, 2, 3, 4)] == [D("2025-02-28"), D("2026-02-28"), D("2027-02-28"),
                                                           D("2028-02-28")]
    end = term_end(start, 4)
    assert end == D("2028-02-27")
    assert service_year_bounds(start, "contract", 2027) == (D("2027-02-28"), D("2028-02-27"))
    assert service_year_bounds(start, "contract", 2028) == (D("2028-02-28"), D("2029-02-27"))
    assert service_year_of(D("2028-02-28"), start, "contract") == 2028
    # Four service years of 12 duty months; February 2028 (27 of its days in the term) is the last one of 2027.
    assert year_dates(start, end, "contract", 2027) == (D("2027-03-01"), D("2028-02-27"))
    by_year = duty_by_year([(start, end)], "2024-02-29", "2028-02-27")
    assert {y: len(m) for y, m in by_year.items()} == {2024: 12, 2025: 12, 2026: 12, 2027: 12}
    assert by_year[2027][-1] == (2028, 2)


def test_a_february_split_by_a_15_february_anniversary_is_a_tie_that_goes_to_the_later_year():
    # R-VIS-2: "the later one on a tie" — from 2023-02-15, February 2024 (leap) has 14 days before the
    # anniversary and 15 after it (later year); February 2025 (common) has 14 and 14: a tie, the later year.
    start, end = D("2023-02-15"), D("2026-02-14")
    assert year_of_month(start, end, "contract", (2024, 2)) == 2024
    assert year_of_month(start, end, "contract", (2025, 2)) == 2025
    # From the 16th: 15 before and 13 after in a common February: the earlier year.
    assert year_of_month(D("2023-02-16"), D("2026-02-15"), "contract", (2025, 2)) == 2024


@pytest.mark.parametrize("basis", ["contract", "calendar"])
def test_a_renewed_contract_caps_its_duty_months_at_12_times_all_its_years(basis):
    # R-VIS-2 (12 a year, 12 × its years, calendar-year contracts included), R-CON-2: a contract from
    # 2021-06-16 renewed for another 3 years ends 2027-06-15. June 2024 (the first term's last month, 15 days
    # each side) now counts — the contract's last month is June 2027, and that one gives way: 72 in six years.
    start, end = D("2021-06-16"), term_end(term_end(D("2021-06-16"), 3) + dt.timedelta(days=1), 3)
    assert end == D("2027-06-15")
    spans = [(start, end)]
    duty = contract_duty_months(spans, start, end, basis)
    assert len(duty) == 72 and (2024, 6) in duty and (2027, 6) not in duty
    assert all(len(months) <= 12 for months in duty_by_year(spans, "2021-06-16", "2027-06-15", basis).values())


def test_an_early_end_caps_a_calendar_year_contract_at_12_times_the_years_it_ran():
    # R-VIS-2: a calendar-year contract from 2021-06-16 ended on 2023-06-15 ran two years; June 2021 and
    # June 2023 each have 15 of 30 days, so the half rule gives 25 duty months over 2021 (7), 2022 (12) and
    # 2023 (6); the contract's last month does not count, so two years pay 24 months, not 25.
    start, end = D("2021-06-16"), D("2023-06-15")
    duty = contract_duty_months([(start, end)], start, end, "calendar")
    assert len(duty) == 24 and duty[0] == (2021, 6) and duty[-1] == (2023, 5)
