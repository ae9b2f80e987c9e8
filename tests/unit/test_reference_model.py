"""The production figures against the reference model (tests/reference/model.py).

Property tests (hypothesis) over generated contracts — every day of a month as
the start, February and 29 February included, terms of 1–4 years (a 4-year term from 29 February
reaches a leap-year anniversary, R-VIS-2 / R-CON-2), service years
by anniversary or calendar year, both deduction rules, the leader-meeting setting
on and off — with assignments that start, end and change mid-month, a planner
replacement, and visits across month and service-year ends, corrected, voided,
disputed or with the leader meeting denied. Everything is driven through the
embedded system's HTTP API; a mismatch names the case, the figure and both values.

Rules: R-VIS-2 (amended), R-VIS-3 (amended), R-VIS-4, R-VIS-5, R-VIS-7, R-FEE-1,
R-RPT-1, R-RPT-2, R-RPT-3, R-CON-4.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.backbone import clock
from services.backbone.settings import Settings
from services.bootstrap import Runtime
from tests.conftest import Api
from tests.reference.model import Contract, Group, Model, Visit, dates, month_dates

API = "/api/v1"
D = dt.date.fromisoformat
TODAY = clock.today()
LAST_VISIT_DAY = TODAY - dt.timedelta(days=6)  # R-VIS-6: no served date after today
MONTH_FIGURES = ("service_year", "duty_month", "visits", "days_in_month", "days_in_service_year",
                 "required_days_to_date", "has_visit", "leader_met")
PERIOD_FIGURES = ("duty_months", "months_with_visit", "months_with_leader_met", "visits", "days_in_period",
                  "required_days_in_period", "days_in_service_year", "required_days_to_date")
SETTLEMENT_FIGURES = ("first_date", "last_date", "duty_months", "months_with_visit", "days", "required_days",
                      "day_shortfall", "visit_shortfall", "fee_fen", "deduction_fen", "payable_fen")


# -- a generated case ----------------------------------------------------------------------


@dataclass(frozen=True)
class VisitSpec:
    date: dt.date
    days: Fraction
    leader_met: bool = False
    action: str = "keep"  # keep, void, correct, dispute, deny (the leader meeting)
    new_date: dt.date | None = None  # a correction's
    new_days: Fraction | None = None

    def __repr__(self) -> str:
        extra = f" {self.action}" if self.action != "keep" else ""
        if self.action == "correct":
            extra += f"→{self.new_date}/{float(self.new_days or 0)}"
        return f"<{self.date} {float(self.days)}d{' L' if self.leader_met else ''}{extra}>"


@dataclass(frozen=True)
class Case:
    contract: Contract
    from_date: dt.date
    end_date: dt.date | None = None  # the assignment's last day
    successor: bool = False  # another group serves the district from end_date + 1
    replacement: dt.date | None = None  # R-CON-4: the tier-1 planner replaced that day
    visits: tuple[VisitSpec, ...] = field(default=())

    def __repr__(self) -> str:
        c = self.contract
        return (
            f"Case(start={c.start}, term={c.term_years}, basis={c.basis}, rule={c.rule}, fee={c.annual_fee_fen},"
            f" leader_counts={c.leader_meeting_counts_for_visit}, assigned={self.from_date}..{self.end_date},"
            f" successor={self.successor}, replacement={self.replacement}, visits={list(self.visits)})"
        )


def served(date: dt.date, days: Fraction) -> list[dt.date]:
    """R-VIS-5: the dates a visit puts service days on."""
    return dates(date, date + dt.timedelta(days=int(days) + (1 if days != int(days) else 0) - 1))


def fits(date: dt.date, days: Fraction, first: dt.date, last: dt.date) -> bool:
    """R-VIS-6: every served date within the assignment, the contract, and not after today."""
    return all(first <= d <= min(last, LAST_VISIT_DAY) for d in served(date, days))


DAYS = st.sampled_from([Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(5, 2), Fraction(3)])


@st.composite
def cases(draw: Any) -> Case:
    year = draw(st.integers(2020, 2023))
    month = draw(st.one_of(st.just(2), st.integers(1, 12)))
    start = dt.date(year, month, draw(st.integers(1, calendar.monthrange(year, month)[1])))
    leap_day = draw(st.integers(0, 5)) == 0  # R-VIS-2: a start on 29 February, its anniversaries on 28 February
    if leap_day:
        start = dt.date(2020, 2, 29)
    years = st.integers(1, 4)
    contract = Contract(
        start=start,
        term_years=draw(st.one_of(st.just(4), years) if leap_day else years),  # R-CON-2: 4 reaches 2024-02-28
        annual_fee_fen=draw(st.sampled_from([6_000_000, 1_000_003])),
        rule=draw(st.sampled_from(["max", "sum"])),
        basis=draw(st.sampled_from(["contract", "contract", "calendar"])),
        leader_meeting_counts_for_visit=draw(st.booleans()),
    )
    end = contract.end
    from_date = start + dt.timedelta(days=draw(st.one_of(st.just(0), st.integers(0, 70))))
    end_date = None
    if draw(st.booleans()) and (end - from_date).days > 40:
        end_date = from_date + dt.timedelta(days=draw(st.integers(20, (end - from_date).days - 10)))
    successor = end_date is not None and draw(st.booleans())
    replacement = None
    if draw(st.booleans()):
        replacement = from_date + dt.timedelta(days=draw(st.integers(1, 400)))
        if replacement >= min(end_date or end, LAST_VISIT_DAY):
            replacement = None
    months = [m for m in Model(contract, Group([])).months() if dt.date(*m, 1) <= LAST_VISIT_DAY]
    visits = []
    for _ in range(draw(st.integers(0, 12))):
        y, m = draw(st.sampled_from(months))
        day = min(draw(st.sampled_from([1, 2, 3, 10, 14, 15, 16, 27, 28, 29, 30, 31])), calendar.monthrange(y, m)[1])
        action = draw(st.sampled_from(["keep"] * 4 + ["void", "correct", "dispute", "deny"]))
        spec = VisitSpec(dt.date(y, m, day), draw(DAYS), draw(st.booleans()), action)
        if action == "correct":
            spec = VisitSpec(spec.date, spec.days, spec.leader_met, action,
                             spec.date + dt.timedelta(days=draw(st.integers(-3, 3))), draw(DAYS))
        visits.append(spec)
    return Case(contract, from_date, end_date, successor, replacement, tuple(visits))


# DOMAIN.md §3's worked examples, as cases: contract from 2021-06-01, 6,000,000 fen, rule max.
EXAMPLE_CONTRACT = Contract(start=D("2021-06-01"))
EXAMPLE_1 = Case(EXAMPLE_CONTRACT, D("2021-06-01"), visits=(
    VisitSpec(D("2021-06-30"), Fraction(3, 2)), VisitSpec(D("2021-07-01"), Fraction(1)),
    *(VisitSpec(dt.date(y, m, 3), Fraction(5, 2)) for y, m in
      [(2021, 8), (2021, 9), (2021, 10), (2021, 11), (2022, 1), (2022, 2), (2022, 3), (2022, 5)]),
))
EXAMPLE_2 = Case(EXAMPLE_CONTRACT, D("2021-09-18"), visits=(
    VisitSpec(D("2021-09-20"), Fraction(1)),
    *(VisitSpec(dt.date(y, m, 10), Fraction(3)) for y, m in
      [(2021, 10), (2021, 11), (2021, 12), (2022, 1), (2022, 2), (2022, 4), (2022, 5)]),
))
# DOMAIN.md R-VIS-2's example: a contract from 2023-03-16, visits either side of the first anniversary.
EXAMPLE_16TH = Case(Contract(start=D("2023-03-16")), D("2023-03-16"), visits=(
    VisitSpec(D("2023-03-20"), Fraction(2), True), VisitSpec(D("2024-02-28"), Fraction(3)),
    VisitSpec(D("2024-03-10"), Fraction(1), True), VisitSpec(D("2024-03-15"), Fraction(3, 2)),
))

# Edges named by the issue: a start on 29 February, the 15th of February with calendar years, the 16th of a
# 30-day month with an assignment that ends mid-month, another group taking over and a planner replaced.
EXAMPLE_29_FEBRUARY = Case(Contract(start=D("2020-02-29"), leader_meeting_counts_for_visit=True), D("2020-02-29"),
                           visits=(VisitSpec(D("2021-02-27"), Fraction(3), True), VisitSpec(D("2021-02-28"), Fraction(1)),
                                   VisitSpec(D("2022-02-28"), Fraction(5, 2), True, "deny")))
# R-VIS-2 / R-CON-2: a 4-year term from 29 February reaches the leap year 2024, whose anniversary is still
# 28 February: the term ends 2024-02-27 (the reference's end), service year 2023 holds February 2024's 1 .. 27.
EXAMPLE_29_FEBRUARY_4_YEARS = Case(Contract(start=D("2020-02-29"), term_years=4), D("2020-02-29"),
                                   visits=(VisitSpec(D("2023-02-27"), Fraction(2), True),
                                           VisitSpec(D("2024-02-26"), Fraction(2)),
                                           VisitSpec(D("2024-02-01"), Fraction(1, 2), True)))
EXAMPLE_29_FEBRUARY_4_YEARS_CALENDAR = Case(Contract(start=D("2020-02-29"), term_years=4, basis="calendar"),
                                            D("2020-02-29"), visits=(VisitSpec(D("2024-02-27"), Fraction(1)),))
EXAMPLE_15_FEBRUARY_CALENDAR = Case(Contract(start=D("2021-02-15"), term_years=2, basis="calendar"), D("2021-02-15"),
                                    visits=(VisitSpec(D("2021-12-31"), Fraction(2)),
                                            VisitSpec(D("2023-02-14"), Fraction(1, 2), True)))
EXAMPLE_16TH_HANDOVER = Case(Contract(start=D("2021-06-16"), rule="sum", annual_fee_fen=1_000_003), D("2021-06-16"),
                             end_date=D("2022-09-15"), successor=True, replacement=D("2022-01-10"),
                             visits=(VisitSpec(D("2022-06-14"), Fraction(3), True),
                                     VisitSpec(D("2022-09-14"), Fraction(2), False, "correct", D("2022-09-17"),
                                               Fraction(3, 2)),
                                     VisitSpec(D("2022-09-30"), Fraction(1), True, "dispute"),
                                     VisitSpec(D("2024-06-15"), Fraction(1, 2), True, "void")))


def test_the_reference_model_gives_the_worked_examples():
    # R-FEE-1, R-VIS-2, R-VIS-5: DOMAIN.md §3 examples 1 and 2, the model alone.
    one = model_of(EXAMPLE_1)[0].settlement(2021)
    assert (one["duty_months"], one["months_with_visit"], one["days"], one["day_shortfall"],
            one["visit_shortfall"], one["deduction_fen"], one["payable_fen"]) == (
        12, 10, 22.0, "4/15", "1/6", 1_600_000, 4_400_000)
    two = model_of(EXAMPLE_2)[0].settlement(2021)
    assert (two["duty_months"], two["fee_fen"], two["required_days"], two["days"], two["visit_shortfall"],
            two["deduction_fen"], two["payable_fen"]) == (8, 4_000_000, 20.0, 22.0, "1/8", 500_000, 3_500_000)
    # R-VIS-2's example: March 2024 belongs wholly to service year 2024.
    sixteenth = model_of(EXAMPLE_16TH)[0]
    assert sixteenth.year_of_month((2024, 3)) == 2024 and sixteenth.month((2023, 3))["duty_month"] is True


# -- the model of a case ---------------------------------------------------------------------


def assigned_visits(case: Case, first: dt.date, last: dt.date) -> list[VisitSpec]:
    """The visits the harness can log for an assignment first .. last (R-VIS-6); a correction
    that would leave it is left out."""
    out = []
    for v in case.visits:
        if not fits(v.date, v.days, first, last):
            continue
        if v.action == "correct" and not fits(v.new_date, v.new_days, first, last):  # type: ignore[arg-type]
            v = VisitSpec(v.date, v.days, v.leader_met)
        out.append(v)
    return out


def spans(case: Case) -> list[tuple[dt.date, dt.date]]:
    end = case.contract.end
    out = [(case.from_date, case.end_date or end)]
    if case.successor:
        out.append((case.end_date + dt.timedelta(days=1), end))  # type: ignore[operator]
    return out


def model_of(case: Case) -> list[Model]:
    models = []
    for first, last in spans(case):
        visits = [
            Visit(
                date=v.new_date if v.action == "correct" else v.date,  # type: ignore[arg-type]
                days=v.new_days if v.action == "correct" else v.days,  # type: ignore[arg-type]
                leader_met=v.leader_met,
                voided=v.action == "void",
                disputed=v.action == "dispute",
                leader_denied=v.action == "deny",
            )
            for v in assigned_visits(case, first, last)
        ]
        models.append(Model(case.contract, Group([(first, None if last == case.contract.end else last)], visits)))
    return models


# -- driving the system ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def system(tmp_path_factory) -> Iterator[Api]:
    """One embedded system for every example of this module (each example has its own codes)."""
    rt = Runtime.embedded(Settings(data_dir=tmp_path_factory.mktemp("reference") / "var", relay_idle_seconds=0.05))
    rt.start_embedded_bus()
    try:
        yield Api(rt)
    finally:
        rt.close()


def ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200, 201)), (response.status_code, response.json_body)
    return response.json_body


def build(api: Api, case: Case) -> list[str]:
    """Sign, form, replace and log the case over HTTP; the codes of its groups."""
    u = uuid.uuid4().hex[:8]
    c = case.contract
    gov, district, contract = f"gov-{u}", f"d-{u}", f"c-{u}"
    ok(api.post(f"{API}/governments", {"code": gov, "name": "参照区人民政府", "kind": "district_government"}))
    ok(api.post(f"{API}/districts", {"code": district, "name": "参照街道", "types": ["built"], "government": gov}))
    ok(api.post(f"{API}/contracts", {
        "id": contract, "team": "责任规划师团队", "start_date": c.start.isoformat(), "term_years": c.term_years,
        "annual_fee_fen": c.annual_fee_fen, "deduction_rule": c.rule, "service_year_basis": c.basis,
        "leader_meeting_counts_for_visit": c.leader_meeting_counts_for_visit,
    }))
    groups = []
    for n, (first, last) in enumerate(spans(case)):
        code = f"g{n}-{u}"
        tier1, local = f"{code}-t", f"{code}-l"
        for pid, origin in ((tier1, "tier1"), (local, "local")):
            ok(api.post(f"{API}/planners", {"id": pid, "name": "规划师", "origin": origin,
                                            "qualifications": ["registered_planner"]}))
        ok(api.post(f"{API}/groups", {"code": code, "district": district, "contract": contract,
                                      "planners": [tier1, local], "from_date": first.isoformat()}))
        if n == 0 and case.replacement is not None:
            incoming = f"{code}-r"
            ok(api.post(f"{API}/planners", {"id": incoming, "name": "接替规划师", "origin": "tier1",
                                            "qualifications": ["registered_planner"]}))
            ok(api.post(f"{API}/groups/{code}/replacements", {
                "out": tier1, "in": incoming, "date": case.replacement.isoformat(), "reason": "工作调动"}))
        if n == 0 and case.end_date is not None:
            ok(api.post(f"{API}/groups/{code}/end", {"date": case.end_date.isoformat(), "reason": "调整"}))
        api.settle()
        for v in assigned_visits(case, first, last):
            visit = ok(api.post(f"{API}/visits", {
                "group": code, "date": v.date.isoformat(), "days": float(v.days), "planners": [local],
                "activities": ["survey"], "leader_met": v.leader_met}))["id"]
            if v.action == "void":
                ok(api.post(f"{API}/visits/{visit}/void", {"reason": "重复登记"}))
            elif v.action == "correct":
                ok(api.post(f"{API}/visits/{visit}/corrections", {
                    "date": v.new_date.isoformat(), "days": float(v.new_days), "reason": "核实更正"}))  # type: ignore
            elif v.action == "dispute":
                ok(api.post(f"{API}/visits/{visit}/confirmation", {"confirmed": False, "reason": "未见到"}))
            elif v.action == "deny":
                ok(api.post(f"{API}/visits/{visit}/confirmation", {"confirmed": True, "leader_met_confirmed": False}))
        groups.append(code)
    api.settle()
    return groups


class Mismatches:
    def __init__(self, case: Case):
        self.case = case
        self.found: list[str] = []

    def check(self, where: str, figure: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            self.found.append(f"{where} {figure}: reference {expected!r}, production {actual!r}")

    def close(self) -> None:
        assert not self.found, "\n".join(self.found[:20])


def label(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def report_row(api: Api, kind: str, period: str, group: str) -> dict[str, Any] | None:
    body = ok(api.get(f"{API}/reports/{kind}/{period}"), 200)
    return next((r for r in body["groups"] if r["group"] == group), None)


def run(api: Api, case: Case) -> None:
    """Build the case and compare; any failure names the case."""
    try:
        compare(api, case, build(api, case))
    except AssertionError as failed:
        raise AssertionError(f"{case!r}\n{failed}") from None


def compare(api: Api, case: Case, groups: list[str]) -> None:
    found = Mismatches(case)
    for code, model in zip(groups, model_of(case)):
        # R-FEE-1: every service year that has ended.
        for year in model.years():
            expected = model.settlement(year)
            if D(expected["last_date"]) >= TODAY:  # type: ignore[arg-type]
                continue
            got = ok(api.post(f"{API}/settlements", {"group": code, "service_year": year}))
            for k in SETTLEMENT_FIGURES:
                found.check(f"{code} settlement {year}", k, expected[k], got[k])
        # R-RPT-4: the annual report of the first service year shows the same R-FEE-1 figures.
        first_year = model.years()[0]
        annual = report_row(api, "annual", str(first_year), code)
        expected = model.settlement(first_year)
        if annual is None:
            if expected["duty_months"]:
                found.check(f"{code} annual {first_year}", "row", "present", None)
        else:
            for k in SETTLEMENT_FIGURES:
                found.check(f"{code} annual {first_year}", k, expected[k], annual[k])
        # R-RPT-1 as the visits service answers it, every month of the contract up to this one.
        months = [m for m in model.months() if dt.date(*m, 1) <= TODAY]
        for m in months:
            response = api.get(f"{API}/compliance/{code}/{label(m)}")
            if not any(model.assigned(d) for d in month_dates(m) if case.contract.start <= d <= case.contract.end):
                found.check(f"{code} compliance {label(m)}", "status (not assigned that month)", 404,
                            response.status_code)
                continue
            got = ok(response, 200)
            expected = model.month(m)
            for k in MONTH_FIGURES:
                found.check(f"{code} compliance {label(m)}", k, expected[k], got[k])  # type: ignore[index]
        # The reports: the first duty month, the month of the second year's start, and their quarter and half.
        duty = model.duty_months()
        picks = {duty[0]} if duty else set()
        picks |= {m for m in months[11:14]}
        for m in sorted(picks):
            if dt.date(*m, 1) > TODAY:
                continue
            row = report_row(api, "monthly", label(m), code)
            expected = model.month(m)
            if row is None:
                if m in duty:  # R-VIS-2: never missing from a report of a month it was on duty
                    found.check(f"{code} monthly {label(m)}", "row", "present", None)
                continue
            for k in MONTH_FIGURES:
                found.check(f"{code} monthly {label(m)}", k, expected[k], row[k])  # type: ignore[index]
            q = (m[1] - 1) // 3
            h = (m[1] - 1) // 6
            for kind, period, ms in (
                ("quarterly", f"{m[0]}-Q{q + 1}", [(m[0], 3 * q + i) for i in (1, 2, 3)]),
                ("half-yearly", f"{m[0]}-H{h + 1}", [(m[0], 6 * h + i) for i in range(1, 7)]),
            ):
                expected_p = model.period(ms)
                row = report_row(api, kind, period, code)
                if row is None:
                    if any(x in duty for x in ms):
                        found.check(f"{code} {kind} {period}", "row", "present", None)
                    continue
                for k in PERIOD_FIGURES:
                    found.check(f"{code} {kind} {period}", k, expected_p[k], row[k])  # type: ignore[index]
    found.close()


@pytest.mark.parametrize("case", [EXAMPLE_1, EXAMPLE_2, EXAMPLE_16TH], ids=["example-1", "example-2", "16th"])
def test_the_worked_examples_through_the_system(system, case):
    # R-FEE-1, R-VIS-2, R-VIS-5, R-RPT-1..3: DOMAIN.md's worked examples 1 and 2 and R-VIS-2's 2023-03-16.
    run(system, case)


@settings(max_examples=30, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases())
@example(case=EXAMPLE_1)
@example(case=EXAMPLE_2)
@example(case=EXAMPLE_29_FEBRUARY)
@example(case=EXAMPLE_15_FEBRUARY_CALENDAR)
@example(case=EXAMPLE_29_FEBRUARY_4_YEARS)
@example(case=EXAMPLE_29_FEBRUARY_4_YEARS_CALENDAR)
@example(case=EXAMPLE_16TH_HANDOVER)
def test_production_figures_equal_the_reference_model(system, case):
    # R-VIS-2 (amended), R-VIS-3 (amended), R-VIS-4, R-VIS-5, R-VIS-7, R-FEE-1, R-RPT-1, R-RPT-2, R-RPT-3,
    # R-CON-4: settlements, compliance and the monthly, quarterly and half-yearly reports of generated cases.
    run(system, case)


# -- every start day, without HTTP -----------------------------------------------------------

START_MONTHS = [(2020, 2), (2021, 2), (2021, 3), (2021, 4), (2021, 12)]


@pytest.mark.parametrize("term_years", [3, 4])
@pytest.mark.parametrize("basis", ["contract", "calendar"])
@pytest.mark.parametrize("year, month", START_MONTHS)
def test_every_start_day_gives_the_reference_years_and_duty_months(year, month, basis, term_years):
    # R-VIS-2 amended, R-VIS-4: for a contract starting on every day of these months (leap and common
    # February, 31- and 30-day months, a year end), three- and four-year terms, assigned throughout: the
    # production term end (R-CON-2: start + term years − 1 day, a 29 February start's anniversaries on
    # 28 February) and the calendar's service years, their dates and duty months equal the reference model's.
    from services.contracts.domain import term_end
    from services.programme.assignment import ContractTerms, GroupAssignment
    from services.programme.duty import year_record

    found = []
    for day in range(1, calendar.monthrange(year, month)[1] + 1):
        reference = Contract(start=dt.date(year, month, day), term_years=term_years, basis=basis)
        model = Model(reference, Group([(reference.start, None)]))
        end = term_end(reference.start, term_years)
        if end != reference.end:
            found.append(f"start {reference.start}, {term_years} years: term end reference {reference.end}, "
                         f"production {end}")
        terms = ContractTerms(id="c", start_date=reference.start, end_date=end, annual_fee_fen=6_000_000,
                              service_year_basis=basis)
        assignment = GroupAssignment(code="g", district="d", contract=terms, periods=((reference.start, None),))
        for y in model.years():
            record = year_record(assignment, y, [])
            expected = (model.year_dates(y)[0], model.year_dates(y)[-1],
                        [m for m in model.duty_months() if model.year_of_month(m) == y])
            got = (record.first, record.last, list(record.duty_months))
            if expected != got:
                found.append(f"start {reference.start} ({basis}) year {y}: reference {expected}, production {got}")
        total = len(model.duty_months())
        if total > 12 * term_years:
            found.append(f"start {reference.start} ({basis}): {total} duty months in a {term_years}-year term")
    assert not found, "\n".join(found[:20])
