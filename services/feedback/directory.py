"""Reading the contracts service's reference data as the feedback service keeps it
(``DirectoryProjection``, the organisation under ``fb_dir_``): governments,
districts with boundaries, groups."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from services.backbone.domain import RuleViolated
from services.backbone.persistence import Database
from services.feedback import geo


@dataclass(frozen=True)
class District:
    code: str
    name: str | None
    government: str | None


@dataclass(frozen=True)
class Group:
    code: str
    district: str
    government: str | None
    from_date: str | None
    ended_on: str | None

    def serves_on(self, day: dt.date) -> bool:
        iso = day.isoformat()
        return (not self.from_date or self.from_date <= iso) and (not self.ended_on or iso <= self.ended_on)


class Directory:
    def __init__(self, db: Database):
        self.db = db

    def government(self, code: str | None) -> dict[str, Any] | None:
        if not code:
            return None
        rows = self.db.query("SELECT code, name, kind, contact FROM fb_dir_governments WHERE code = %s", (code,))
        if not rows:
            return None
        row = dict(rows[0])
        row["contact"] = json.loads(row["contact"]) if row["contact"] else None
        return row

    def district(self, code: str | None) -> District | None:
        if not code:
            return None
        rows = self.db.query("SELECT code, name, government FROM fb_dir_districts WHERE code = %s", (code,))
        return District(**rows[0]) if rows else None

    def district_contact(self, code: str) -> Any:
        rows = self.db.query("SELECT contact FROM fb_dir_districts WHERE code = %s", (code,))
        return json.loads(rows[0]["contact"]) if rows and rows[0]["contact"] else None

    def group(self, code: str | None) -> Group | None:
        if not code:
            return None
        rows = self.db.query(
            "SELECT g.code, g.district, d.government, g.from_date, g.ended_on FROM fb_dir_groups g"
            " LEFT JOIN fb_dir_districts d ON d.code = g.district WHERE g.code = %s",
            (code,),
        )
        return Group(**rows[0]) if rows else None

    def visit_district(self, visit_id: str) -> str | None:
        """R-REC-1: the district of a visit as the visits service logged it (None: unknown here)."""
        rows = self.db.query("SELECT district FROM fb_dir_visits WHERE id = %s", (visit_id,))
        return rows[0]["district"] if rows else None

    def group_serving(self, district: str, day: dt.date) -> Group | None:
        """R-ORG-1: the group serving the district on that day (one at a time)."""
        rows = self.db.query(
            "SELECT g.code, g.district, d.government, g.from_date, g.ended_on FROM fb_dir_groups g"
            " LEFT JOIN fb_dir_districts d ON d.code = g.district WHERE g.district = %s"
            " ORDER BY g.from_date DESC, g.code",
            (district,),
        )
        for row in rows:
            group = Group(**row)
            if group.serves_on(day):
                return group
        return None

    def district_at(self, lon: float, lat: float) -> District | None:
        """R-OPN-1: the district whose boundary contains the WGS84 point.

        Where boundaries touch, a point on the shared edge goes to the first
        district by code, so the answer never depends on storage order.
        """
        rows = self.db.query(
            "SELECT code, name, government, boundary FROM fb_dir_districts WHERE boundary IS NOT NULL"
            " AND boundary <> 'null' ORDER BY code"
        )
        for row in rows:
            try:
                inside = geo.contains(json.loads(row["boundary"]), lon, lat)
            except (geo.InvalidGeometry, ValueError):
                continue  # a malformed boundary cannot claim the point
            if inside:
                return District(code=row["code"], name=row["name"], government=row["government"])
        return None

    # -- the checks commands share ----------------------------------------

    def require_district(self, code: str, *, rule: str, field: str = "district") -> District:
        district = self.district(code)
        if district is None:
            raise RuleViolated(f"{field}：没有编码为 {code} 的镇街（园区）", field=field, rule=rule)
        return district

    def require_group(self, code: str, *, rule: str, on: dt.date | None = None) -> Group:
        group = self.group(code)
        if group is None:
            raise RuleViolated(f"group：没有编码为 {code} 的责任规划师小组", field="group", rule=rule)
        if on is not None and not group.serves_on(on):
            raise RuleViolated(
                f"group：小组 {code} 在 {on.isoformat()} 不在服务期内", field="group", rule=rule
            )
        return group

    def require_government(self, code: str, *, rule: str, field: str = "government") -> dict[str, Any]:
        government = self.government(code)
        if government is None:
            raise RuleViolated(f"{field}：没有编码为 {code} 的区政府（管委会）", field=field, rule=rule)
        return government
