"""What a report is computed from, read once per report: the organisation,
the visits, the items and the publicity of the period."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from services.backbone.persistence import Database
from services.reporting.items import Item
from services.reporting.readmodels import GroupInfo, Organisation, ReadModels
from services.visits.duty import VisitFacts


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


def load(db: Database, first: dt.date, last: dt.date, today: dt.date) -> Facts:
    reads = ReadModels(db)
    visits, districts = reads.visits(first, last)
    return Facts(
        reads=reads,
        org=reads.organisation(),
        visits=visits,
        visit_districts=districts,
        items=reads.items(last),
        publicity=reads.publicity(first, last),
        today=today,
    )


def sort_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row.get("government") or "~", row.get("district") or "~", row["group"])
