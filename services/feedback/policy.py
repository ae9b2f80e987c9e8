"""Who may call the feedback service's routes (R-SEC-1, R-OPN-*, R-REC-*, R-CSL-1, Open311), and
where the scope of a group comes from here: feedback's directory of the organisation."""

from __future__ import annotations

from typing import Any

from services.backbone.policy import (
    API,
    BUREAU,
    OPEN311,
    OPERATORS,
    PUBLIC,
    Call,
    Intake,
    OrganisationTables,
    Rule,
    allow,
    body,
    deny,
    loaded,
)


def _opinion(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_opinion(key)


def _recommendation(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_recommendation(key)


def _consultation(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_consultation(key)


def _letter(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_letter(key)


opinion = loaded(_opinion, "ref")
recommendation = loaded(_recommendation, "rec_id")
consultation = loaded(_consultation, "consultation_id")
letter = loaded(_letter, "letter_id")


def consultation_asker(call: Call) -> None:
    """R-CSL-1: only the asker (or the bureau) closes a consultation; in scope but not the asker is 403.

    Listed after ``consultation``, which has already hidden one out of scope."""
    found = _consultation(call.runtime, str(call.values.get("consultation_id", "")))
    if not found.may_be_closed_by(call.actor.role):
        raise deny(call, "asked_by：只有提出该技术咨询的一方（或市局）可以关闭", field="asked_by")
    return None


SCOPE = OrganisationTables("feedback", groups="fb_dir_groups", districts="fb_dir_districts")

# A resident submits and follows; the lifecycle and the record's dates are the staff's.
RESIDENT_MAY_NOT_SET = frozenset({"status", "date", "group", "government", "recommendation", "reply", "relays"})
# R-REC-2: only the bureau confirms (verifies) a completed recommendation.
GOVERNMENT_MAY_NOT_SET = frozenset({"status", "verified", "verified_on", "verification"})
_GOV_FIELDS = {"government": GOVERNMENT_MAY_NOT_SET, "subdistrict": GOVERNMENT_MAY_NOT_SET}
_NARROW_ALL = {"planner": "group", "subdistrict": "district", "government": "government"}

POLICY: dict[tuple[str, str], Rule] = {
    # -- opinions (R-OPN-*) ----------------------------------------------------------------------
    ("POST", f"{API}/opinions"): allow(
        "resident", "planner", "subdistrict", "government", "bureau",
        deny_fields={"resident": RESIDENT_MAY_NOT_SET}, intake=Intake(phone_field="contact_phone"),
    ),
    # R-OPN-2: a government's list holds only the relayed opinions of its districts.
    # R-OPN-1: the triage list (triage=true, opinions without a district yet) is the bureau's alone.
    ("GET", f"{API}/opinions"): allow(
        "bureau", "planner", "subdistrict", "government",
        narrow={"planner": "district", "subdistrict": "district", "government": "government"},
        held={"government": {"relayed": "true", "triage": "false"}, "planner": {"triage": "false"},
              "subdistrict": {"triage": "false"}},
    ),
    # R-OPN-4: followed by reference number without logging in.
    ("GET", f"{API}/opinions/<ref>"): allow(PUBLIC),
    # R-OPN-1: the bureau assigns the district of an address-only opinion (its triage list).
    ("POST", f"{API}/opinions/<ref>/district"): allow(BUREAU),
    ("POST", f"{API}/opinions/<ref>/acknowledge"): allow(
        "bureau", "planner", scope=(opinion, body(optional=True, group="group")), hide=True
    ),
    ("POST", f"{API}/opinions/<ref>/relay"): allow("bureau", "planner", scope=opinion, hide=True),
    ("POST", f"{API}/opinions/<ref>/answer"): allow("bureau", "planner", scope=opinion, hide=True),
    ("POST", f"{API}/opinions/<ref>/escalate"): allow("bureau", "planner", scope=opinion, hide=True),
    ("POST", f"{API}/opinions/<ref>/close"): allow("bureau", "planner", scope=opinion, hide=True),
    ("DELETE", f"{API}/opinions/<ref>/personal-data"): allow(BUREAU),
    # -- recommendations (R-REC-*) ---------------------------------------------------------------
    ("POST", f"{API}/recommendations"): allow("bureau", "planner", scope=body(group="group")),
    ("GET", f"{API}/recommendations"): allow("bureau", "planner", "subdistrict", "government", narrow=_NARROW_ALL),
    ("GET", f"{API}/recommendations/<rec_id>"): allow(
        "bureau", "planner", "subdistrict", "government", scope=recommendation, hide=True
    ),
    ("POST", f"{API}/recommendations/<rec_id>/forward"): allow(BUREAU),
    ("POST", f"{API}/recommendations/<rec_id>/accept"): allow(
        "bureau", "government", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/decline"): allow(
        "bureau", "government", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/progress"): allow(
        "bureau", "government", "subdistrict", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/complete"): allow(
        "bureau", "government", "subdistrict", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/verify"): allow(BUREAU),
    ("POST", f"{API}/recommendations/<rec_id>/reopen"): allow(BUREAU),
    ("POST", f"{API}/recommendations/<rec_id>/withdraw"): allow(BUREAU),
    # -- letters, consultations, paperwork -------------------------------------------------------
    ("POST", f"{API}/letters"): allow(BUREAU),
    ("GET", f"{API}/letters"): allow("bureau", "government", narrow={"government": "government"}),
    ("GET", f"{API}/letters/<letter_id>"): allow("bureau", "government", scope=letter, hide=True),
    # R-CSL-1: a government or sub-district asks the group; the group answers; the asker closes.
    ("POST", f"{API}/consultations"): allow("bureau", "government", "subdistrict", scope=body(group="group")),
    ("GET", f"{API}/consultations"): allow("bureau", "planner", "subdistrict", "government", narrow=_NARROW_ALL),
    ("GET", f"{API}/consultations/<consultation_id>"): allow(
        "bureau", "planner", "subdistrict", "government", scope=consultation, hide=True
    ),
    ("POST", f"{API}/consultations/<consultation_id>/opinion"): allow(
        "bureau", "planner", scope=consultation, hide=True
    ),
    ("POST", f"{API}/consultations/<consultation_id>/close"): allow(
        "bureau", "government", "subdistrict", scope=(consultation, consultation_asker), hide=True
    ),
    ("POST", f"{API}/publicity"): allow("bureau", "planner", scope=body(group="group")),
    ("POST", f"{API}/work-summaries"): allow("bureau", "planner", scope=body(group="group")),
    ("POST", f"{API}/ratings"): allow("bureau", "planner", scope=body(group="group")),
    # R-EVA-3: a government's annual summary (not for a group), or a group's planning evaluation.
    ("POST", f"{API}/annual-summaries"): allow(
        "bureau", "planner", "government", scope=body(group="group", government="government"),
        deny_fields={"planner": frozenset({"government"}), "government": frozenset({"group"})},
    ),
    # -- Open311 GeoReport v2: the residents' public interface -----------------------------------
    **{("GET", f"{OPEN311}/{path}.{fmt}"): allow(PUBLIC) for fmt in ("json", "xml")
       for path in ("discovery", "services", "services/<code>", "requests", "requests/<ref>")},
    **{("POST", f"{OPEN311}/requests.{fmt}"): allow(PUBLIC, intake=Intake(phone_field="phone"))
       for fmt in ("json", "xml")},
    # R-RPT-8: reporting's daily job hands a date's reminders to feedback's notifier (the service
    # token is an operator's); the bureau may issue a missed day by hand.
    ("POST", f"{API}/daily-reminders"): allow(OPERATORS),
}
