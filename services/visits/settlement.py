"""Fee settlement per group and service year (R-FEE-1).

Shortfalls are exact Fractions until the one rounding to the fen. A
settlement is an aggregate of its own that keeps every input it was computed
from, so anyone can check it; settling again with unchanged inputs returns
it, changed inputs issue a new settlement that supersedes it (both kept).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict, RuleViolated
from services.visits.calendar import month_label
from services.visits.domain import DEDUCTION_RULES, GroupAssignment
from services.visits.duty import (
    VisitFacts,
    YearRecord,
    check_service_year,
    contract_of,
    required_days,
    year_record,
)

NAMESPACE = uuid.UUID("5b0f6f0e-3f5e-4c53-9c1a-6a1d2f7b9e41")
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


def settlement_id(group: str, service_year: int, number: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"settlement:{group}:{service_year}:{number}")


def check_year_ended(last: dt.date, today: dt.date, year: int) -> None:
    """R-FEE-1: a service year is settled once it has ended."""
    if today <= last:
        raise Conflict(f"service_year：{year} 服务年度到 {last} 才结束，尚不能结算", field="service_year")


class Settlement(Aggregate):
    @staticmethod
    def create_id(group: str, service_year: int, number: int) -> uuid.UUID:
        return settlement_id(group, service_year, number)

    @event("Issued")
    def __init__(
        self,
        group: str,
        district: str,
        contract: str,
        service_year: int,
        first_date: str,
        last_date: str,
        number: int,
        supersedes: str | None,
        settled_on: str,
        annual_fee_fen: int,
        deduction_rule: str,
        duty_months: int,
        months_with_visit: int,
        days: float,
        required_days: float,
        day_shortfall: str,
        visit_shortfall: str,
        shortfall: str,
        fee_fen: int,
        deduction_fen: int,
        payable_fen: int,
        settle_confirmed_only: bool,
        unconfirmed_visits: list[str],
        inputs: dict[str, Any],
        inputs_digest: str,
    ) -> None:
        self.group = group
        self.district = district
        self.contract = contract
        self.service_year = service_year
        self.first_date = first_date
        self.last_date = last_date
        self.number = number
        self.supersedes = supersedes
        self.settled_on = settled_on
        self.figures = {
            "annual_fee_fen": annual_fee_fen,
            "deduction_rule": deduction_rule,
            "duty_months": duty_months,
            "months_with_visit": months_with_visit,
            "days": days,
            "required_days": required_days,
            "day_shortfall": day_shortfall,
            "visit_shortfall": visit_shortfall,
            "shortfall": shortfall,
            "fee_fen": fee_fen,
            "deduction_fen": deduction_fen,
            "payable_fen": payable_fen,
        }
        self.settle_confirmed_only = settle_confirmed_only
        self.unconfirmed_visits = unconfirmed_visits
        self.inputs = inputs
        self.inputs_digest = inputs_digest
        self.superseded_by: str | None = None

    @classmethod
    def issue(
        cls,
        *,
        assignment: GroupAssignment,
        service_year: int,
        visits: list[VisitFacts],
        today: dt.date,
        previous: "Settlement | None",
    ) -> "Settlement":
        """The settlement for these inputs: ``previous`` when nothing changed, else a new one."""
        contract = contract_of(assignment)
        _, last = check_service_year(contract, service_year)
        check_year_ended(last, today, service_year)
        calc = calculate(assignment, service_year, visits)
        if previous is not None and fingerprint(previous.inputs) == calc.digest:
            return previous  # its own inputs did not change
        settlement = cls(
            group=assignment.code,
            district=assignment.district,
            contract=contract.id,
            service_year=service_year,
            first_date=calc.record.first.isoformat(),
            last_date=calc.record.last.isoformat(),
            number=previous.number + 1 if previous else 1,
            supersedes=str(previous.id) if previous else None,
            settled_on=today.isoformat(),
            **calc.figures.as_dict(),
            settle_confirmed_only=contract.settle_confirmed_only,
            unconfirmed_visits=[
                v.id for v in sorted(visits, key=lambda v: (v.date, v.id))
                if not v.voided and v.confirmation != "confirmed"
            ],
            inputs=calc.inputs,
            inputs_digest=calc.digest,
        )
        if previous is not None:
            previous.supersede(by=str(settlement.id), number=settlement.number)
        return settlement

    def supersede(self, *, by: str, number: int) -> None:
        self._superseded(by=by, by_number=number)

    @event("Superseded")
    def _superseded(self, by: str, by_number: int) -> None:
        self.superseded_by = by

    def as_dict(self, *, with_inputs: bool = True) -> dict[str, Any]:
        out = {
            "id": str(self.id),
            "group": self.group,
            "district": self.district,
            "contract": self.contract,
            "service_year": self.service_year,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "number": self.number,
            "supersedes": self.supersedes,
            "superseded_by": self.superseded_by,
            "settled_on": self.settled_on,
            **self.figures,
            "duty_month_list": self.inputs.get("duty_month_list", []),
            "months_with_visit_list": self.inputs.get("months_with_visit_list", []),
            "settle_confirmed_only": self.settle_confirmed_only,
            "unconfirmed_visits": self.unconfirmed_visits,
            "inputs_digest": self.inputs_digest,
        }
        if with_inputs:
            out["inputs"] = self.inputs
        return out


# The catalogue's names (docs/asyncapi.yaml): a settlement is a fee settled.
Settlement.Issued.event_type = "FeeSettled"  # type: ignore[attr-defined]
Settlement.Superseded.event_type = "FeeSettlementSuperseded"  # type: ignore[attr-defined]
