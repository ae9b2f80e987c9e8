"""Shared by the feedback read models: an item's status history with business dates.

Each row keeps ``steps``, a JSON list of ``[date, status]`` in event order;
reports read an item's status as of any date from it (R-RPT-2 "at the
quarter's end"), so a report of a past period does not change when the item
moves on.
"""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Cursor

# The date of a row's last step, kept beside ``steps`` by ``append_step``. No
# step is dated before the one before it (R-OPN-2, R-REC-2, R-CSL-1), so this
# is also the latest date an item moved on: reports find the items a period
# can count with it (indexed, see the projections' tables).
LAST_STEP_DATE = "last_step_on"


def item_indexes(table: str) -> tuple[str, ...]:
    """Indexes for reading the items a period counts (readmodels.ReadModels.items): the
    ones still open, and the ones that moved on since a day; and the open ones of
    a few groups (the monthly report's cache recomputes the groups that changed,
    and the open items are the many: without it, reading a group's scans them all)."""
    return (
        f"CREATE INDEX IF NOT EXISTS {table}_status ON {table} (status, date)",
        f"CREATE INDEX IF NOT EXISTS {table}_last_step ON {table} ({LAST_STEP_DATE}, date)",
        f"CREATE INDEX IF NOT EXISTS {table}_group_status ON {table} (grp, status, date)",
    )


def append_step(cur: Cursor, table: str, key: str, date: str | None, status: str | None, **columns: Any) -> None:
    """Add a step (when ``status`` is given) and set ``columns`` on the row ``id = key``."""
    row = cur.execute(f"SELECT steps FROM {table} WHERE id = %s", (key,)).fetchone()
    if row is None:
        return
    steps = json.loads(row["steps"])
    if status is not None:
        steps.append([date, status])
        columns["status"] = status
        columns[LAST_STEP_DATE] = date
    columns["steps"] = json.dumps(steps)
    assignments = ", ".join(f"{name} = %s" for name in columns)
    cur.execute(f"UPDATE {table} SET {assignments} WHERE id = %s", (*columns.values(), key))
