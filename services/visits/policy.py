"""Who may call the visits service's routes (R-SEC-1, R-VIS-*, R-FEE-1), and where the scope of a
group comes from here: visits' read model of the organisation."""

from __future__ import annotations

from typing import Any

from services.backbone.policy import API, BUREAU, OrganisationTables, Rule, allow, body, loaded, path


def _visit(runtime: Any, key: str) -> Any:
    return runtime.app("visits").get_visit(key)


visit = loaded(_visit, "visit_id")

SCOPE = OrganisationTables("visits", groups="vis_groups", districts="vis_districts")

POLICY: dict[tuple[str, str], Rule] = {
    ("POST", f"{API}/visits"): allow("bureau", "planner", scope=body(group="group")),
    ("GET", f"{API}/visits"): allow(
        "bureau", "planner", "subdistrict", "government",
        narrow={"planner": "group", "subdistrict": "district", "government": "district"},
    ),
    ("GET", f"{API}/visits/<visit_id>"): allow(
        "bureau", "planner", "subdistrict", "government", scope=visit, hide=True
    ),
    ("POST", f"{API}/visits/<visit_id>/corrections"): allow("bureau", "planner", scope=visit, hide=True),
    ("POST", f"{API}/visits/<visit_id>/void"): allow("bureau", "planner", scope=visit, hide=True),
    # R-VIS-7: the sub-district confirms or disputes.
    ("POST", f"{API}/visits/<visit_id>/confirmation"): allow("bureau", "subdistrict", scope=visit, hide=True),
    ("GET", f"{API}/duty-calendar/<group>/<int:service_year>"): allow(
        "bureau", "committee", "planner", "subdistrict", "government", scope=path(group="group")
    ),
    ("GET", f"{API}/compliance/<group>/<period>"): allow(
        "bureau", "committee", "planner", "subdistrict", "government", scope=path(group="group")
    ),
    # R-FEE-1: the bureau settles fees.
    ("POST", f"{API}/settlements"): allow(BUREAU),
    ("GET", f"{API}/settlements/<group>/<int:service_year>"): allow(
        "bureau", "committee", "planner", scope=path(group="group")
    ),
}
