"""Fee settlement per group and service year (R-FEE-1).

The figures come from the programme's fee formula (``services.programme.fees``). A
settlement is an aggregate of its own that keeps every input it was computed
from, so anyone can check it; settling again with unchanged inputs returns
it, changed inputs issue a new settlement that supersedes it (both kept).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict
from services.programme.assignment import GroupAssignment
from services.programme.duty import VisitFacts, check_service_year, contract_of
from services.programme.fees import calculate, fingerprint

NAMESPACE = uuid.UUID("5b0f6f0e-3f5e-4c53-9c1a-6a1d2f7b9e41")


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

    @event("FeeSettled")
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

    @event("FeeSettlementSuperseded")
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
