"""Organisation and contracts: the aggregates and their rules (DOMAIN.md §2, R-EVA-1).

Governments, districts, contracts, planners, groups, teams and institutions are aggregates with
deterministic ids derived from their business codes (``uuid5``), so the
application loads them by code. Commands check with small ``check_...``
functions and then trigger one event; event bodies only assign state, since
they are replayed on every load. Dates travel as ISO strings.

Date conventions (all inclusive, Asia/Shanghai business dates):
- a contract runs ``start_date .. end_date`` (start + term years − 1 day),
  or to the date it was ended;
- a group serves ``from_date .. end_date`` (``GroupAssignmentEnded.date`` is
  its last day);
- in a replacement the incoming planner serves from ``date``, the outgoing
  planner's last day is ``date − 1``.

The package holds one module per aggregate and ``checks`` for what they share;
its names are importable from here.
"""

from __future__ import annotations

from services.contracts.domain.checks import (
    CONTACT_ENTITIES,
    DEFAULT_PASS_MARK,
    DEFAULT_RENEWAL_WINDOW_DAYS,
    DEFAULT_TERM_YEARS,
    DISTRICT_TYPES,
    GOVERNMENT_KINDS,
    MAX_LATE_AFTER_DAYS,
    MAX_SCORE,
    MAX_TERM_YEARS,
    NAMESPACE,
    ORIGINS,
    QUALIFICATIONS,
    SERVICE_YEAR_BASES,
    TERM_TEXT_MAX,
    bad_boundary,
    check_boundary,
    check_code,
    check_contacts,
    check_deduction_rule,
    check_email,
    check_fee,
    check_government_kind,
    check_late_after_days,
    check_not_future,
    check_pass_mark,
    check_phone,
    check_scores,
    check_service_year_basis,
    check_term_years,
    check_terms,
    check_text,
    check_types,
    check_weights,
    contract_id,
    day,
    district_id,
    government_id,
    group_id,
    institution_id,
    keyworded_init,
    plain_number,
    planner_id,
    service_years,
    team_id,
    weighted_total,
)
from services.contracts.domain.contract import Contract
from services.contracts.domain.government import Government
from services.contracts.domain.district import District  # after Government: the catalogue describes ContactsChanged with District's
from services.contracts.domain.group import Group, check_pair
from services.contracts.domain.planner import Planner, check_experience, check_origin, check_qualifications
from services.contracts.domain.team import Team  # R-TEAM-1
from services.contracts.domain.institution import Institution  # R-TEAM-1
from services.programme.assignment import DEDUCTION_RULES, DEFAULT_LATE_AFTER_DAYS  # importers of both
from services.programme.calendar import term_end  # importers of both
from services.programme.terms import TERM_FIELDS, policy_terms  # importers of both

from services.contracts.domain import previous_topics  # noqa: F401 (what the previous release stored keeps loading)

__all__ = [
    "CONTACT_ENTITIES",
    "Contract",
    "DEDUCTION_RULES",
    "DEFAULT_LATE_AFTER_DAYS",
    "DEFAULT_PASS_MARK",
    "DEFAULT_RENEWAL_WINDOW_DAYS",
    "DEFAULT_TERM_YEARS",
    "DISTRICT_TYPES",
    "District",
    "GOVERNMENT_KINDS",
    "Government",
    "Group",
    "Institution",
    "MAX_LATE_AFTER_DAYS",
    "MAX_SCORE",
    "MAX_TERM_YEARS",
    "NAMESPACE",
    "ORIGINS",
    "Planner",
    "QUALIFICATIONS",
    "SERVICE_YEAR_BASES",
    "TERM_FIELDS",
    "TERM_TEXT_MAX",
    "Team",
    "bad_boundary",
    "check_boundary",
    "check_code",
    "check_contacts",
    "check_deduction_rule",
    "check_email",
    "check_experience",
    "check_fee",
    "check_government_kind",
    "check_late_after_days",
    "check_not_future",
    "check_origin",
    "check_pair",
    "check_pass_mark",
    "check_phone",
    "check_qualifications",
    "check_scores",
    "check_service_year_basis",
    "check_term_years",
    "check_terms",
    "check_text",
    "check_types",
    "check_weights",
    "contract_id",
    "day",
    "district_id",
    "government_id",
    "group_id",
    "institution_id",
    "keyworded_init",
    "plain_number",
    "planner_id",
    "policy_terms",
    "service_years",
    "team_id",
    "term_end",
    "weighted_total",
]
