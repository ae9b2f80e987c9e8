"""The directory: the organisation as flat rows for the paged, filtered lists.

Fed by the service's own events (after the relay, so lists are eventually
consistent with the commands). Single resources and the "who serves"
queries read the aggregates instead.
"""

from __future__ import annotations

from typing import Any

from services.backbone.persistence import Cursor
from services.backbone.tracking import handles
from services.programme.organisation import OrganisationProjection

# R-TEAM-1: the teams and local institutions with their (latest) planning qualification.
_QUALIFIED = (
    " code TEXT PRIMARY KEY, name TEXT, city TEXT, grade TEXT, certificate_no TEXT, issuer TEXT,"
    " valid_from TEXT, valid_until TEXT"
)
DIRECTORY_TABLES = (
    f"CREATE TABLE IF NOT EXISTS ctr_teams ({_QUALIFIED}, city_tier TEXT)",
    f"CREATE TABLE IF NOT EXISTS ctr_institutions ({_QUALIFIED})",
)


def _qualification(d: dict[str, Any]) -> tuple[Any, ...]:
    q = d.get("qualification") or {}
    return tuple(q.get(k) for k in ("grade", "certificate_no", "issuer", "valid_from", "valid_until"))


class DirectoryProjection(OrganisationProjection):
    """The organisation (the programme's one projection of it) under ``ctr_``, and the
    teams and institutions only this service lists."""

    name = "contracts.directory"
    consumer = "contracts"
    prefix = "ctr_"
    own_tables = DIRECTORY_TABLES
    own_table_names = ("ctr_teams", "ctr_institutions")

    @handles("TeamRegistered")
    def team_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO ctr_teams (code, name, city, city_tier, grade, certificate_no, issuer, valid_from, valid_until)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
            " city = excluded.city, city_tier = excluded.city_tier, grade = excluded.grade,"
            " certificate_no = excluded.certificate_no, issuer = excluded.issuer, valid_from = excluded.valid_from,"
            " valid_until = excluded.valid_until",
            (d["code"], d.get("name"), d.get("city"), d.get("city_tier"), *_qualification(d)),
        )

    @handles("TeamQualificationRecorded")
    def team_qualification_recorded(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "UPDATE ctr_teams SET grade = %s, certificate_no = %s, issuer = %s, valid_from = %s, valid_until = %s"
            " WHERE code = %s",
            (*_qualification(d), d["code"]),
        )

    @handles("InstitutionRegistered")
    def institution_registered(self, cur: Cursor, envelope: dict[str, Any]) -> None:
        d = envelope["data"]
        cur.execute(
            "INSERT INTO ctr_institutions (code, name, city, grade, certificate_no, issuer, valid_from, valid_until)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
            " city = excluded.city, grade = excluded.grade, certificate_no = excluded.certificate_no,"
            " issuer = excluded.issuer, valid_from = excluded.valid_from, valid_until = excluded.valid_until",
            (d["code"], d.get("name"), d.get("city"), *_qualification(d)),
        )


PROJECTIONS = [DirectoryProjection]
