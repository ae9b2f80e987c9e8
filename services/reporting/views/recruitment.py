"""R-TEAM-2 in the monthly dispatch: while a running contract's team has fewer planners
serving than its targets (10 + 10 unless the contract says otherwise), or one of its
groups lacks a planner, the month carries a warning. Only for months from the section-8
effective date (``ReportSettings.governance_from``): reports of earlier months, issued
before the rule existed, say what they said."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.reporting.periods import Period
from services.reporting.readmodels import Organisation
from services.reporting.settings import ReportSettings
from services.reporting.views.common import note
from services.programme.recruitment import ORIGIN_NAMES, recruitment, shortfalls, targets_of

RULE = "R-TEAM-2"
SEATS = 2  # R-ORG-4: a group has two planners


def recruitment_warnings(org: Organisation, p: Period, settings: ReportSettings, today: dt.date) -> list[dict[str, Any]]:
    """The warnings of R-TEAM-2 as of the period's as-of day, per contract in code order."""
    if p.first < settings.governance_from:
        return []
    on = p.as_of(today)
    notes: list[dict[str, Any]] = []
    for code in sorted(org.contracts):
        terms = org.contracts[code]
        if not terms.start_date <= on <= terms.end_date:
            continue
        present: list[tuple[str, str]] = []
        for group in sorted(org.groups):
            info = org.groups[group]
            if info.contract != code or not info.serves_on(on):
                continue
            members = [m.planner for m in info.assignment.members if m.covers(on)]
            if len(members) < SEATS:
                notes.append(note(RULE, f"小组 {group}（{info.district_name or info.district}）在岗规划师 {len(members)} 人，"
                                        f"应为 {SEATS} 人", group=group, district=info.district, contract=code))
            present.extend((m, (org.planners.get(m) or {}).get("origin") or "") for m in members)
        counts = recruitment(org.targets.get(code) or targets_of(None), present)
        for origin, appointed, target in shortfalls(counts):
            notes.append(note(RULE, f"合同 {code}：{ORIGIN_NAMES[origin]}在岗 {appointed} 人，未达选聘目标 {target} 人",
                              contract=code))
    return notes
