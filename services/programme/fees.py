"""The fee formula (R-FEE-1): a group's fee for a service year, its shortfalls
and deduction, and the inputs it is computed from with their digest. Visits
issues settlements with it; reporting computes the same figures for a year
not yet settled. Shortfalls are exact Fractions until the one rounding to the fen."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from services.backbone.domain import RuleViolated
from services.programme.assignment import DEDUCTION_RULES, GroupAssignment
from services.programme.calendar import month_label
from services.programme.duty import VisitFacts, YearRecord, contract_of, required_days, year_record

ZERO = Fraction(0)
ONE = Fraction(1)


def round_half_up(value: Fraction) -> int:
    """To the nearest integer, halves away from zero (amounts here are never negative)."""
    if value < 0:
        return -round_half_up(-value)
    return math.floor(value + Fraction(1, 2))


def fraction_text(value: Fraction) -> str:
    """Exact fractions as strings ("4/15", "0", "1"), as API.md prints them."""
    return str(value)


@dataclass(frozen=True)
class Figures:
    """R-FEE-1 for one group and service year."""

    annual_fee_fen: int
    duty_months: int
    months_with_visit: int
    days: Fraction
    rule: str

    @property
    def fee_fen(self) -> int:
        return round_half_up(Fraction(self.annual_fee_fen * self.duty_months, 12))

    @property
    def required_days(self) -> Fraction:
        return required_days(self.duty_months)

    @property
    def day_shortfall(self) -> Fraction:
        if self.duty_months == 0:
            return ZERO  # a year without a duty month settles to zero
        return max(ZERO, ONE - self.days / self.required_days)

    @property
    def visit_shortfall(self) -> Fraction:
        if self.duty_months == 0:
            return ZERO
        return max(ZERO, ONE - Fraction(self.months_with_visit, self.duty_months))

    @property
    def shortfall(self) -> Fraction:
        if self.rule == "sum":
            return min(ONE, self.day_shortfall + self.visit_shortfall)
        return max(self.day_shortfall, self.visit_shortfall)

    @property
    def deduction_fen(self) -> int:
        return round_half_up(self.fee_fen * self.shortfall)

    @property
    def payable_fen(self) -> int:
        return self.fee_fen - self.deduction_fen

    def as_dict(self) -> dict[str, Any]:
        return {
            "annual_fee_fen": self.annual_fee_fen,
            "deduction_rule": self.rule,
            "duty_months": self.duty_months,
            "months_with_visit": self.months_with_visit,
            "days": float(self.days),
            "required_days": float(self.required_days),
            "day_shortfall": fraction_text(self.day_shortfall),
            "visit_shortfall": fraction_text(self.visit_shortfall),
            "shortfall": fraction_text(self.shortfall),
            "fee_fen": self.fee_fen,
            "deduction_fen": self.deduction_fen,
            "payable_fen": self.payable_fen,
        }


def check_rule(rule: str) -> str:
    if rule not in DEDUCTION_RULES:
        raise RuleViolated(
            f"deduction_rule：合同的扣减规则 {rule!r} 不是 max 或 sum", field="deduction_rule", rule="R-FEE-1"
        )
    return rule


@dataclass(frozen=True)
class Calculation:
    """A settlement as it would be issued now: the figures and every input."""

    record: YearRecord
    figures: Figures
    inputs: dict[str, Any]
    digest: str


def calculate(assignment: GroupAssignment, year: int, visits: list[VisitFacts]) -> Calculation:
    contract = contract_of(assignment)
    rule = check_rule(contract.deduction_rule)
    record = year_record(assignment, year, visits, confirmed_only=contract.settle_confirmed_only)
    figures = Figures(
        annual_fee_fen=contract.annual_fee_fen,
        duty_months=len(record.duty_months),
        months_with_visit=len(record.months_with_visit),
        days=record.days,
        rule=rule,
    )
    counted_ids = {v.id for v in record.counted}
    inputs = {
        "group": assignment.code,
        "district": assignment.district,
        "contract": contract.id,
        "service_year": year,
        "first_date": record.first.isoformat(),
        "last_date": record.last.isoformat(),
        "annual_fee_fen": contract.annual_fee_fen,
        "deduction_rule": rule,
        "service_year_basis": contract.service_year_basis,
        "settle_confirmed_only": contract.settle_confirmed_only,
        "on_duty": [[a.isoformat(), b.isoformat()] for a, b in assignment.on_duty()],
        "duty_month_list": [month_label(m) for m in record.duty_months],
        "months_with_visit_list": [month_label(m) for m in record.months_with_visit],
        "days_by_month": {m["month"]: m["days"] for m in record.months},
        # Every visit of the year (voided ones too: voiding is a correction),
        # with the revision that changes on each correction or void.
        "visits": [
            {
                "id": v.id,
                "date": v.date.isoformat(),
                "days": float(v.days),
                "revision": v.revision,
                "voided": v.voided,
                "confirmation": v.confirmation,
                "counted": v.id in counted_ids,
            }
            for v in sorted(visits, key=lambda v: (v.date, v.id))
        ],
    }
    digest = fingerprint(inputs)
    return Calculation(record=record, figures=figures, inputs=inputs, digest=digest)


# R-FEE-1: the inputs that determine a settlement's figures. Whatever else changes
# (the contract renewed or ended beyond the year, a visit corrected to the same
# effect, a confirmation that counts nothing) leaves the settlement standing.
FINGERPRINT = (
    "service_year",
    "first_date",
    "last_date",
    "duty_month_list",
    "months_with_visit_list",
    "days_by_month",
    "annual_fee_fen",
    "deduction_rule",
)


def fingerprint(inputs: dict[str, Any]) -> str:
    """The digest of a settlement's figure-determining ``inputs`` (as stored in its event)."""
    kept = {k: inputs.get(k) for k in FINGERPRINT}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()
