"""Who may call the contracts service's routes (R-SEC-1), and where a group's district and a
district's government come from here: contracts' own records are the organisation."""

from __future__ import annotations

from typing import Any, Callable

from services.backbone.domain import NotFound
from services.backbone.policy import API, BUREAU, PUBLIC, READERS, Rule, allow, loaded, path


def _planner(runtime: Any, key: str) -> Any:
    return runtime.app("contracts").get_planner(key)


planner = loaded(_planner, "code")


def _quiet(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except NotFound:
        return None


class OrganisationRecords:
    """The scope loader of the service that keeps the organisation: its aggregates."""

    def district_of_group(self, runtime: Any, group: str) -> str | None:
        return _quiet(lambda: runtime.app("contracts").get_group(group).district)

    def government_of_district(self, runtime: Any, district: str) -> str | None:
        return _quiet(lambda: runtime.app("contracts").get_district(district).government)


SCOPE = OrganisationRecords()

POLICY: dict[tuple[str, str], Rule] = {
    ("POST", f"{API}/governments"): allow(BUREAU),
    ("GET", f"{API}/governments"): allow(READERS),
    ("GET", f"{API}/governments/<code>"): allow(READERS),
    ("PUT", f"{API}/governments/<code>/contacts"): allow("bureau", "government", scope=path(government="code")),
    ("POST", f"{API}/districts"): allow(BUREAU),
    ("GET", f"{API}/districts"): allow(READERS),
    # A resident picks the district of an opinion from these: code and name, without a token.
    ("GET", f"{API}/districts/names"): allow(PUBLIC),
    ("GET", f"{API}/districts/<code>"): allow(READERS),
    ("POST", f"{API}/districts/<code>/types"): allow(BUREAU),
    ("PUT", f"{API}/districts/<code>/boundary"): allow(BUREAU),
    ("PUT", f"{API}/districts/<code>/contacts"): allow(
        "bureau", "government", "subdistrict", scope=path(district="code")
    ),
    ("GET", f"{API}/districts/<code>/serving"): allow(READERS),
    # R-TEAM-1: the bureau records the team and the local institutions; the organisation reads them.
    ("POST", f"{API}/teams"): allow(BUREAU),
    ("GET", f"{API}/teams"): allow(READERS),
    ("GET", f"{API}/teams/<code>"): allow(READERS),
    ("PUT", f"{API}/teams/<code>/qualification"): allow(BUREAU),
    ("POST", f"{API}/institutions"): allow(BUREAU),
    ("GET", f"{API}/institutions"): allow(READERS),
    ("GET", f"{API}/institutions/<code>"): allow(READERS),
    ("POST", f"{API}/contracts"): allow(BUREAU),
    ("GET", f"{API}/contracts"): allow(READERS),
    ("GET", f"{API}/contracts/<code>"): allow(READERS),
    ("POST", f"{API}/contracts/<code>/evaluations"): allow(BUREAU),
    ("POST", f"{API}/contracts/<code>/renewals"): allow(BUREAU),
    ("POST", f"{API}/contracts/<code>/end"): allow(BUREAU),
    ("POST", f"{API}/planners"): allow(BUREAU),
    ("GET", f"{API}/planners"): allow(READERS),
    # A planner's record carries their contacts: the bureau and the planner's own group.
    ("GET", f"{API}/planners/<code>"): allow("bureau", "planner", scope=planner),
    ("POST", f"{API}/planners/<code>/evaluations"): allow(BUREAU),
    ("POST", f"{API}/planners/<code>/dismissal"): allow(BUREAU),
    ("POST", f"{API}/groups"): allow(BUREAU),
    ("GET", f"{API}/groups"): allow(READERS),
    ("GET", f"{API}/groups/<code>"): allow(READERS),
    ("GET", f"{API}/groups/<code>/terms"): allow(READERS),
    ("POST", f"{API}/groups/<code>/replacements"): allow(BUREAU),
    ("POST", f"{API}/groups/<code>/end"): allow(BUREAU),
    ("GET", f"{API}/organisation"): allow(READERS),
}
