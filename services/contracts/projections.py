"""The directory: the organisation as flat rows for the paged, filtered lists.

Fed by the service's own events (after the relay, so lists are eventually
consistent with the commands). Single resources and the "who serves"
queries read the aggregates instead.
"""

from __future__ import annotations

import json
from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import Projection, handles
from services.programme.terms import policy_terms


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class DirectoryProjection(Projection):
    name = "contracts.directory"
    consumer = "contracts"
    sources = ("contracts",)
    table_names = ("ctr_governments", "ctr_districts", "ctr_contracts", "ctr_planners", "ctr_groups")
    tables = (
        "CREATE TABLE IF NOT EXISTS ctr_governments ("
        " code TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
        " leader TEXT, department TEXT, contact TEXT)",
        "CREATE TABLE IF NOT EXISTS ctr_districts ("
        " code TEXT PRIMARY KEY, name TEXT NOT NULL, government TEXT NOT NULL, types TEXT NOT NULL,"
        " leader TEXT, department TEXT, contact TEXT, has_boundary INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS ctr_districts_government ON ctr_districts (government)",
        "CREATE TABLE IF NOT EXISTS ctr_contracts ("
        " code TEXT PRIMARY KEY, team TEXT NOT NULL, institution TEXT, start_date TEXT NOT NULL,"
        " end_date TEXT NOT NULL, term INTEGER NOT NULL, term_years INTEGER NOT NULL,"
        " annual_fee_fen BIGINT NOT NULL, deduction_rule TEXT NOT NULL, service_year_basis TEXT NOT NULL,"
        " ended_on TEXT, team_passed INTEGER, signed_on TEXT, terms TEXT)",
        "CREATE TABLE IF NOT EXISTS ctr_planners ("
        " code TEXT PRIMARY KEY, name TEXT NOT NULL, origin TEXT NOT NULL, qualifications TEXT NOT NULL,"
        " experience_years INTEGER NOT NULL, community_renewal INTEGER NOT NULL, institution TEXT,"
        " appointed_on TEXT, dismissed_on TEXT, grp TEXT)",
        "CREATE TABLE IF NOT EXISTS ctr_groups ("
        " code TEXT PRIMARY KEY, district TEXT NOT NULL, government TEXT, contract TEXT NOT NULL,"
        " tier1_planner TEXT NOT NULL, local_planner TEXT NOT NULL, from_date TEXT NOT NULL, end_date TEXT)",
        "CREATE INDEX IF NOT EXISTS ctr_groups_district ON ctr_groups (district)",
    )

    @handles("GovernmentRegistered")
    def government_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO ctr_governments (code, name, kind, leader, department, contact) VALUES (%s, %s, %s, %s, %s, %s)",
            (d["code"], d["name"], d["kind"], d.get("leader"), d.get("department"), d.get("contact")),
        )

    @handles("ContactsChanged")
    def contacts_changed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        table = "ctr_governments" if d["entity"] == "government" else "ctr_districts"
        cur.execute(
            f"UPDATE {table} SET leader = %s, department = %s, contact = %s WHERE code = %s",
            (d.get("leader"), d.get("department"), d.get("contact"), d["code"]),
        )

    @handles("DistrictRegistered")
    def district_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO ctr_districts (code, name, government, types, leader, contact, has_boundary)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                d["code"],
                d["name"],
                d["government"],
                _json(d["types"]),
                d.get("leader"),
                d.get("contact"),
                1 if d.get("boundary") else 0,
            ),
        )

    @handles("DistrictTypesChanged")
    def district_types_changed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute("UPDATE ctr_districts SET types = %s WHERE code = %s", (_json(d["types"]), d["code"]))

    @handles("DistrictBoundarySet")
    def district_boundary_set(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        cur.execute("UPDATE ctr_districts SET has_boundary = 1 WHERE code = %s", (envelope["data"]["code"],))

    @handles("ContractSigned")
    def contract_signed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO ctr_contracts (code, team, institution, start_date, end_date, term, term_years,"
            " annual_fee_fen, deduction_rule, service_year_basis, signed_on, terms)"
            " VALUES (%s, %s, %s, %s, %s, 1, %s, %s, %s, %s, %s, %s)",
            (
                d["id"],
                d["team"],
                d.get("institution"),
                d["start_date"],
                d["end_date"],
                d["term_years"],
                d["annual_fee_fen"],
                d["deduction_rule"],
                d["service_year_basis"],
                d.get("signed_on"),  # R-CON-1 (amended): absent from older events
                json.dumps(policy_terms(d.get("terms"), d.get("work_content")), ensure_ascii=False),
            ),
        )

    @handles("ContractRenewed")
    def contract_renewed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "UPDATE ctr_contracts SET end_date = %s, term = %s, team_passed = NULL WHERE code = %s",
            (d["end_date"], d["term"], d["id"]),
        )

    @handles("ContractEnded")
    def contract_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute("UPDATE ctr_contracts SET ended_on = %s WHERE code = %s", (d["date"], d["id"]))

    @handles("TeamEvaluated")
    def team_evaluated(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "UPDATE ctr_contracts SET team_passed = %s WHERE code = %s", (1 if d["passed"] else 0, d["contract"])
        )

    @handles("PlannerAppointed")
    def planner_appointed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO ctr_planners (code, name, origin, qualifications, experience_years, community_renewal,"
            " institution, appointed_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                d["id"],
                d["name"],
                d["origin"],
                _json(d["qualifications"]),
                d["experience_years"],
                1 if d["community_renewal"] else 0,
                d.get("institution"),
                d.get("date"),
            ),
        )

    @handles("PlannerDismissed")
    def planner_dismissed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute("UPDATE ctr_planners SET dismissed_on = %s WHERE code = %s", (d["date"], d["id"]))

    @handles("PlannerAssigned")
    def planner_assigned(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute("UPDATE ctr_planners SET grp = %s WHERE code = %s", (d["group"], d["id"]))

    @handles("PlannerReleased")
    def planner_released(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute("UPDATE ctr_planners SET grp = NULL WHERE code = %s AND grp = %s", (d["id"], d["group"]))

    @handles("GroupFormed")
    def group_formed(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        row = cur.execute("SELECT government FROM ctr_districts WHERE code = %s", (d["district"],)).fetchone()
        cur.execute(
            "INSERT INTO ctr_groups (code, district, government, contract, tier1_planner, local_planner, from_date)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (d["code"], d["district"], row["government"] if row else None, d["contract"], d["tier1"], d["local"], d["from_date"]),
        )

    @handles("PlannerReplaced")
    def planner_replaced(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        for column in ("tier1_planner", "local_planner"):
            cur.execute(
                f"UPDATE ctr_groups SET {column} = %s WHERE code = %s AND {column} = %s", (d["in"], d["group"], d["out"])
            )

    @handles("GroupAssignmentEnded")
    def group_ended(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute("UPDATE ctr_groups SET end_date = %s WHERE code = %s", (d["date"], d["group"]))


PROJECTIONS = [DirectoryProjection]
