"""What a report is computed from, read once per report: the organisation,
the visits, the items and the publicity of the period."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.backbone.persistence import Database
from services.programme.duty import VisitFacts
from services.reporting.items import Item
from services.reporting.readmodels import GroupInfo, Organisation, ReadModels, Scope


@dataclass
class Facts:
    reads: ReadModels
    org: Organisation
    visits: dict[str, list[VisitFacts]]
    visit_districts: dict[str, str | None]
    items: list[Item]
    publicity: list[dict[str, Any]]
    today: dt.date
    by_group: dict[str | None, list[Item]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str | None, list[Item]] = defaultdict(list)
        for item in self.items:
            grouped[self.group_of(item)].append(item)
        self.by_group = dict(grouped)
        publicity: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for action in self.publicity:
            publicity[action["grp"]].append(action)
        self._publicity = dict(publicity)

    def group_of(self, item: Item) -> str | None:
        """The group an item belongs to: its own, else the group serving its district on its date."""
        return item.group or self.org.group_serving(item.district, item.date)

    def info(self, group: str) -> GroupInfo | None:
        return self.org.groups.get(group)

    def district_of(self, group: str) -> str | None:
        info = self.info(group)
        return info.district if info else self.visit_districts.get(group)

    def names(self, group: str) -> dict[str, Any]:
        """The group's district and government, with their names (for people reading the report)."""
        district = self.district_of(group)
        government = self.org.government_of(district)
        return {
            "group": group,
            "district": district,
            "district_name": (self.org.districts.get(district or "") or {}).get("name"),
            "government": government,
            "government_name": (self.org.governments.get(government or "") or {}).get("name"),
        }

    def group_items(self, group: str) -> list[Item]:
        return self.by_group.get(group, [])

    def group_publicity(self, group: str, first: dt.date, last: dt.date) -> dict[str, int]:
        rows = [
            p for p in self._publicity.get(group, ()) if first.isoformat() <= p["date"] <= last.isoformat()
        ]
        return {"actions": len(rows), "audience": sum(int(p["audience"] or 0) for p in rows)}


def load(
    db: Database,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    *,
    bounded: bool = False,
    scope: Scope | None = None,
    org: Organisation | None = None,
) -> Facts:
    """The facts of ``first .. last``. ``bounded``: only what the reports of that
    period count (visits from the service year the period starts in, items that
    can count in it as of a day from ``min(first, today)`` on); otherwise every
    visit a year before ``first`` and every item up to ``last``, which the
    metrics and reminders count from. ``scope``: only the rows of some groups
    (``readmodels.Scope``); ``org``: the organisation when the caller knows it
    has not changed since it read it."""
    reads = ReadModels(db)
    org = org if org is not None else reads.organisation()
    if bounded:
        visits, districts = reads.visits(first, last, since=service_year_start(org, first), scope=scope)
        items = reads.items(last, since=min(first, today), scope=scope)
    else:
        visits, districts = reads.visits(first, last, scope=scope)
        items = reads.items(last, scope=scope)
    return Facts(
        reads=reads,
        org=org,
        visits=visits,
        visit_districts=districts,
        items=items,
        publicity=reads.publicity(first, last, scope=scope),
        today=today,
    )


# Service years of a group the contracts events have not (yet) described:
# the policy's default, from June 1st (R-VIS-4).
DEFAULT_YEAR_START = (6, 1)


def default_year_start(day: dt.date) -> dt.date:
    start = dt.date(day.year, *DEFAULT_YEAR_START)
    return start if day >= start else dt.date(day.year - 1, *DEFAULT_YEAR_START)


def service_year_start(org: Organisation, day: dt.date) -> dt.date:
    """The earliest first date of the service year ``day``'s month belongs to, over
    every contract and the default year (R-VIS-2, R-VIS-4): a report's figures of
    the service year to date count nothing served before it."""
    starts = [default_year_start(day), day]
    for contract in org.contracts.values():
        dates = contract.year_dates(contract.service_year_of(day))
        if dates is not None:
            starts.append(dates[0])
    return min(starts)


def sort_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row.get("government") or "~", row.get("district") or "~", row["group"])
