"""The organisation as the reports read it (the programme's one projection of the
contracts service's events, ``services.programme.organisation``) under ``rpt_``;
each run of events moves the versions of the groups whose figures it changes
(``versions``), so the monthly report's cache computes those again.
"""

from __future__ import annotations

from typing import Any, Sequence

from services.backbone.envelope import short_type
from services.backbone.persistence import Cursor
from services.programme import organisation
from services.reporting.projections import versions

PREFIX = "rpt_"
# Events that change one group's assignment (R-ORG-1, R-CON-4), and the field naming it.
GROUP_EVENTS = {"GroupFormed": "code", "PlannerReplaced": "group", "GroupAssignmentEnded": "group"}
DIRECTORY_EVENTS = frozenset({"PlannerAppointed", "PlannerDismissed"})
# What no report reads (contacts, boundaries, team evaluations, a planner's current group).
UNREAD_EVENTS = frozenset({"ContactsChanged", "DistrictBoundarySet", "TeamEvaluated", "PlannerAssigned", "PlannerReleased"})


class OrganisationProjection(versions.VersionedProjection, organisation.OrganisationProjection):
    name = "reporting.organisation"
    consumer = "reporting"
    prefix = PREFIX
    own_tables = (versions.CREATE_TABLE,)  # the versions every report read model moves: not its to drop

    def keys_before(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        return self._group_keys(cur, envelopes)

    def keys_after(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        # Names, contracts and districts are in every row: all groups. A group's own
        # assignment is in its row alone, and decides whose the rows with no group in
        # its district are (before and after); the planners' directory is in no row.
        # Contracts events it has no handler for (evaluations) change nothing here.
        handled = {t for e in envelopes if (t := short_type(e)) in self._handlers} - UNREAD_EVENTS
        if not handled:
            return set()
        if handled - GROUP_EVENTS.keys() - DIRECTORY_EVENTS:
            return {versions.EVERYTHING}
        return {versions.ORGANISATION} | self._group_keys(cur, envelopes)

    @staticmethod
    def _group_keys(cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> set[str]:
        codes = sorted({
            str(e["data"][GROUP_EVENTS[t]]) for e in envelopes
            if (t := short_type(e)) in GROUP_EVENTS and e["data"].get(GROUP_EVENTS[t])
        })
        if not codes:
            return set()
        marks = ", ".join(["%s"] * len(codes))
        rows = cur.execute(f"SELECT district FROM {PREFIX}groups WHERE code IN ({marks})", codes).fetchall()
        return {versions.group_key(c) for c in codes} | {versions.district_key(r["district"]) for r in rows}
