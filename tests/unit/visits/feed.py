"""A stand-in for the contracts service in tests: its events, fed straight to the projections.

``ContractsFeed`` builds envelopes of the contracts catalogue the way
services/backbone/envelope.py does (CloudEvents 1.0 with ``sequence`` and
``position``) and hands them to the visits projections that read
``contracts``, as the bus would. Positions start high so that they never
collide with events a real contracts service in the same runtime publishes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from services.backbone.envelope import SPECVERSION, TYPE_PREFIX, sequence_text

_NAMESPACE = uuid.UUID("0d5c2b8e-1f55-4a57-8e57-0f3a51b2c7aa")
_FIRST_POSITION = 10_000_000


def envelope(event_type: str, subject: str, data: dict[str, Any], *, sequence: int, position: int,
             source: str = "contracts") -> dict[str, Any]:
    """A valid envelope of ``source``'s event ``event_type`` (e.g. ``GroupFormed``)."""
    return {
        "specversion": SPECVERSION,
        "id": str(uuid.uuid5(_NAMESPACE, f"{source}:{position}")),
        "source": f"rps/{source}",
        "type": f"{TYPE_PREFIX}.{source}.{event_type}.v1",
        "time": dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc).isoformat(),
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
        "sequence": sequence_text(sequence),  # as published (API.md: a zero-padded string)
        "position": position,
        "actor": "test",
        "actorrole": "bureau",
        "correlationid": uuid.uuid4().hex,
        "causationid": None,
    }


class ContractsFeed:
    """Publishes contracts events to a runtime's consumers of ``contracts``."""

    def __init__(self, runtime: Any, consumers: tuple[str, ...] = ("visits",)):
        self.runtime = runtime
        self.consumers = consumers
        # A random block of positions: feeds into one shared database never collide.
        self._positions = itertools.count(_FIRST_POSITION + random.randrange(10**6) * 1000)
        self._sequences: dict[str, int] = defaultdict(int)

    def emit(self, event_type: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        self._sequences[subject] += 1
        env = envelope(event_type, subject, data, sequence=self._sequences[subject], position=next(self._positions))
        for consumer in self.consumers:
            for projection in self.runtime.projections.get(consumer, ()):
                if "contracts" in projection.sources:
                    projection.handle(env)
        return env

    # -- the catalogue, with the defaults of DOMAIN.md ---------------------------------

    def contract(self, id: str, start_date: str, *, term_years: int = 3, annual_fee_fen: int = 6_000_000,
                 deduction_rule: str = "max", service_year_basis: str = "contract",
                 settle_confirmed_only: bool = False, late_after_days: int = 7, end_date: str | None = None) -> str:
        start = dt.date.fromisoformat(start_date)
        end = end_date or (start.replace(year=start.year + term_years) - dt.timedelta(days=1)).isoformat()
        self.emit("ContractSigned", f"contract:{id}", {
            "id": id, "team": "测试团队", "institution": "测试规划院", "start_date": start_date,
            "term_years": term_years, "end_date": end, "annual_fee_fen": annual_fee_fen,
            "deduction_rule": deduction_rule, "service_year_basis": service_year_basis,
            "settle_confirmed_only": settle_confirmed_only, "late_after_days": late_after_days,
            "work_content": "……", "evaluation_weights": {}, "pass_mark": 60,
        })
        return id

    def renew(self, id: str, date: str, *, term_years: int, end_date: str) -> None:
        self.emit("ContractRenewed", f"contract:{id}", {"id": id, "date": date, "term_years": term_years, "end_date": end_date})

    def end_contract(self, id: str, date: str, reason: str = "提前终止") -> None:
        self.emit("ContractEnded", f"contract:{id}", {"id": id, "date": date, "reason": reason})

    def planner(self, id: str, origin: str = "tier1") -> str:
        self.emit("PlannerAppointed", f"planner:{id}", {
            "id": id, "name": f"规划师{id}", "origin": origin, "qualifications": ["registered_planner"],
            "experience_years": 10, "community_renewal": False,
        })
        return id

    def district(self, code: str, government: str = "dongchangfu") -> str:
        self.emit("DistrictRegistered", f"district:{code}", {
            "code": code, "name": f"{code}街道", "types": ["built"], "government": government,
            "leader": "主任", "contact": "联系人", "boundary": None,
        })
        return code

    def group(self, code: str, *, district: str, contract: str, tier1: str, local: str, from_date: str) -> str:
        self.emit("GroupFormed", f"group:{code}", {
            "code": code, "district": district, "contract": contract, "tier1": tier1, "local": local,
            "from_date": from_date,
        })
        return code

    def replace(self, group: str, out: str, into: str, date: str, reason: str = "工作调动") -> None:
        self.emit("PlannerReplaced", f"group:{group}", {"group": group, "out": out, "in": into, "date": date, "reason": reason})

    def end_group(self, group: str, date: str, reason: str = "派驻结束") -> None:
        self.emit("GroupAssignmentEnded", f"group:{group}", {"group": group, "date": date, "reason": reason})

    def dismiss(self, planner: str, date: str, reason: str = "考评不合格") -> None:
        self.emit("PlannerDismissed", f"planner:{planner}", {"id": planner, "date": date, "reason": reason})

    def setup(self, unique: str, *, start_date: str = "2021-06-01", from_date: str | None = None,
              **contract_settings: Any) -> "Setup":
        """A contract, a district, two planners and their group: the usual starting point."""
        contract = self.contract(f"c-{unique}", start_date, **contract_settings)
        district = self.district(f"d-{unique}")
        tier1, local = self.planner(f"p1-{unique}", "tier1"), self.planner(f"p2-{unique}", "local")
        group = self.group(f"g-{unique}", district=district, contract=contract, tier1=tier1, local=local,
                           from_date=from_date or start_date)
        return Setup(contract=contract, district=district, group=group, tier1=tier1, local=local)


@dataclass(frozen=True)
class Setup:
    contract: str
    district: str
    group: str
    tier1: str
    local: str

    def visit(self, date: str, days: float, **fields: Any) -> dict[str, Any]:
        """A POST /visits body for this group."""
        return {"group": self.group, "date": date, "days": days, "planners": [self.tier1],
                "activities": ["survey"], **fields}
