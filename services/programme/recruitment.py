"""R-TEAM-2 (10+10): the planners a contract's team recruits per origin, its targets, and how
many are appointed on a day (contracts' organisation view and reporting's monthly dispatch
count them the same way)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

ORIGINS = ("tier1", "local")
# The policy's 10 planners of the team's own and 10 from local institutions, per contract.
DEFAULT_TARGETS = {"tier1": 10, "local": 10}
MAX_TARGET = 1000
ORIGIN_NAMES = {"tier1": "一线城市团队规划师", "local": "本地机构规划师"}


def targets_of(stored: Mapping[str, Any] | None) -> dict[str, int]:
    """A contract's targets; contracts signed before they were a field have the policy's."""
    stored = stored or {}
    return {origin: int(stored.get(origin, DEFAULT_TARGETS[origin])) for origin in ORIGINS}


def recruitment(targets: Mapping[str, int], present: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Per origin, appointed / target: ``present`` holds (planner, origin) of everyone serving in
    one of the contract's groups on the day (each planner once)."""
    appointed = {origin: set() for origin in ORIGINS}  # type: dict[str, set[str]]
    for planner, origin in present:
        if origin in appointed:
            appointed[origin].add(planner)
    return {origin: {"appointed": len(appointed[origin]), "target": int(targets[origin])} for origin in ORIGINS}


def shortfalls(counts: Mapping[str, Mapping[str, int]]) -> list[tuple[str, int, int]]:
    """(origin, appointed, target) of each origin below its target."""
    return [(o, c["appointed"], c["target"]) for o, c in counts.items() if c["appointed"] < c["target"]]
