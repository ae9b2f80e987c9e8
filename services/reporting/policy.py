"""Who may call the reporting service's routes (R-SEC-1, R-RPT-*): the bureau and the committee;
the quarterly ranking is circulated."""

from __future__ import annotations

from services.backbone.policy import API, BUREAU, OPERATORS, Call, Rule, allow
from services.reporting.state import IssuedReports

REPORT_READERS = frozenset({"bureau", "committee"})
# R-RPT-2: the quarterly summary with the governments' ranking is circulated (通报)
# to every government and sub-district, unscoped; the other reports are not.
CIRCULATED_TO = frozenset({"government", "subdistrict"})
CIRCULATED_REPORTS = frozenset({"quarterly"})


def _issued_kind(call: Call) -> str | None:
    """The kind of the issued copy the path names (None: no such copy, refused like any other kind)."""
    return IssuedReports(call.runtime.db("reporting")).kind_of(int(call.values.get("number", 0)))


POLICY: dict[tuple[str, str], Rule] = {
    ("GET", f"{API}/reports/<kind>/<period>"): allow(
        REPORT_READERS, CIRCULATED_TO, only={role: {"kind": CIRCULATED_REPORTS} for role in CIRCULATED_TO}
    ),
    ("POST", f"{API}/reports/<kind>/<period>/issue"): allow(BUREAU),
    ("GET", f"{API}/reports/issued/<int:number>"): allow(
        REPORT_READERS, CIRCULATED_TO, only={role: {"kind": CIRCULATED_REPORTS} for role in CIRCULATED_TO},
        derive={"kind": _issued_kind},
    ),
    ("POST", f"{API}/reports/<kind>/<period>/notes"): allow(BUREAU),
    # R-RPT-5: the audit trail names actors; the bureau reads it, operators check the chains.
    ("GET", f"{API}/audit/<entity>/<key>"): allow(BUREAU),
    ("GET", f"{API}/audit/verify"): allow(OPERATORS),
    ("GET", f"{API}/reminders"): allow(BUREAU),
}
