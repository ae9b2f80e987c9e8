"""Every rule of DOMAIN.md is cited by at least one test, except those not implemented yet
(issue 15, "The suite fails when something is wrong": a rule no test names is a rule nothing checks).

A test cites a rule by its id in a comment or string (``R-VIS-2``); a range ``R-VIS-1..7`` does
not count as a citation of the rules inside it. The list below shrinks: once a listed rule is
cited, this test fails until it is taken off the list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The shared spec lies beside the work tree (shared/spec/DOMAIN.md), on CI too.
DOMAIN = next((p for p in (ROOT.parent / "shared" / "spec" / "DOMAIN.md", Path("/work/shared/spec/DOMAIN.md"))
               if p.exists()), ROOT.parent / "shared" / "spec" / "DOMAIN.md")
RULE = re.compile(r"\bR-[A-Z]+-\d+\b")
THIS = Path(__file__).resolve()

# Section 8 of DOMAIN.md (governance and support) and the programme review: specified, no code yet.
NOT_YET_IMPLEMENTED = {
    "R-COL-1": "joint work with other planning teams is not recorded yet",
    "R-PUB-2": "information submissions and publicity records do not exist yet",
    "R-GOV-1": "the bureau's yearly assessment of governments is not recorded yet",
    "R-GOV-2": "government departments and their assignments do not exist yet",
    "R-DIS-1": "sub-district workplaces and their confirmation are not recorded yet",
    "R-DIS-2": "community-building events are not recorded yet",
    "R-CMT-1": "the committee's meetings hearing the work report are not recorded yet",
    "R-BUD-1": "budgets and their use are not recorded yet",
    "R-SUP-1": "the bureau's office and staff are not recorded yet",
    "R-SUP-2": "the technical materials catalogue does not exist yet",
    "R-SUP-3": "training and exchange events are not recorded yet",
    "R-EVA-5": "the yearly programme review is not recorded yet",
}


def _domain_rules() -> set[str]:
    if not DOMAIN.exists():
        pytest.fail(f"{DOMAIN} not found: the rules of the domain are read from the shared spec", pytrace=False)
    return set(RULE.findall(DOMAIN.read_text(encoding="utf-8")))


def _cited() -> dict[str, list[str]]:
    """Each rule id a test file names (this file's list excluded) -> the files naming it."""
    cited: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").rglob("*")):
        if path.suffix not in (".py", ".js") or "node_modules" in path.parts or path.resolve() == THIS:
            continue
        for rule in set(RULE.findall(path.read_text(encoding="utf-8", errors="replace"))):
            cited.setdefault(rule, []).append(str(path.relative_to(ROOT)))
    return cited


def test_domain_md_has_rules_and_the_pattern_finds_them():
    rules = _domain_rules()
    assert len(rules) >= 50 and {"R-VIS-2", "R-SEC-3", "R-RPT-5"} <= rules


def test_every_rule_of_domain_md_is_cited_by_a_test():
    uncited = sorted(_domain_rules() - set(_cited()) - set(NOT_YET_IMPLEMENTED))
    assert not uncited, f"rules no test cites (add a test citing each, or list it with a reason): {uncited}"


def test_the_not_yet_implemented_list_shrinks_when_a_rule_is_cited():
    cited = _cited()
    now_cited = {rule: cited[rule] for rule in NOT_YET_IMPLEMENTED if rule in cited}
    assert not now_cited, f"cited now: take these off NOT_YET_IMPLEMENTED: {now_cited}"
    unknown = sorted(set(NOT_YET_IMPLEMENTED) - _domain_rules())
    assert not unknown, f"not rules of DOMAIN.md: {unknown}"
    assert all(reason.strip() for reason in NOT_YET_IMPLEMENTED.values())
