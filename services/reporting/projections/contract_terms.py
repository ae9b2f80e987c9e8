"""The contracts' signing dates and the terms the policy names (R-CON-1 amended),
for the annual report's contracts section, read from the organisation's
``rpt_contracts`` (``organisation.py``).

Contracts signed before these fields existed have neither: their row keeps
``signed_on`` empty and each term empty, except 工作内容, which falls back to
the contract's ``work_content`` (as the contracts service shows it)."""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Database
from services.programme.terms import TERM_FIELDS
from services.reporting.projections.organisation import PREFIX

TABLE = f"{PREFIX}contracts"


# R-CON-1: the policy's names of the terms (工作内容、工作标准、工作深度、工作周期、工作时间、工作经费及权利义务).
TERM_NAMES = {
    "content": "工作内容", "standards": "工作标准", "depth": "工作深度", "period": "工作周期", "hours": "工作时间",
    "funding": "工作经费", "rights_obligations": "权利义务",
}


def contract_terms(db: Database, codes: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The contracts ``codes`` (team, signing date, start), and their terms one row each
    (contract, the term's Chinese name, its text; "未约定" where the contract names none)."""
    if not codes:
        return [], []
    marks = ", ".join(["%s"] * len(codes))
    rows = db.query(f"SELECT id, team, signed_on, start_date, terms FROM {TABLE} WHERE id IN ({marks}) ORDER BY id",
                    tuple(codes))
    contracts, clauses = [], []
    for r in rows:
        terms = json.loads(r["terms"] or "{}")
        contracts.append({"contract": r["id"], "team": r["team"], "signed_on": r["signed_on"],
                          "start_date": r["start_date"]})
        clauses.extend({"contract": r["id"], "clause": TERM_NAMES[name], "text": terms.get(name) or "未约定"}
                       for name in TERM_FIELDS)
    return contracts, clauses
