"""Pinned dependencies (issue 15 item 9's follow-up): a library whose internals
the code relies on is a direct, exactly pinned dependency, at the version the
environment has and constraints.txt verifies."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# services/backbone/deadlines.py subclasses psycopg_pool's ConnectionPool and uses its check loop.
RELIED_ON = ("psycopg-pool",)


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            pins[_name(line)] = line.split("==", 1)[1].split(";", 1)[0].strip()
    return pins


def _pyproject() -> dict[str, str]:
    return _pins(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"])


def _constraints() -> dict[str, str]:
    return _pins((REPO / "constraints.txt").read_text(encoding="utf-8").splitlines())


def test_libraries_whose_internals_are_used_are_pinned_directly():
    # Issue 15 (psycopg_pool not pinned): an upgrade of the pool must be a decision, not a side effect.
    pyproject, constraints = _pyproject(), _constraints()
    for name in RELIED_ON:
        installed = importlib.metadata.version(name)
        assert pyproject.get(name) == installed, f"pyproject.toml: {name}=={installed} (installed) expected"
        assert constraints.get(name) == installed, f"constraints.txt: {name}=={installed} (installed) expected"


def test_pyproject_pins_agree_with_constraints_and_the_environment():
    constraints = _constraints()
    for name, version in _pyproject().items():
        assert constraints.get(name) == version, f"{name}: pyproject.toml {version}, constraints.txt {constraints.get(name)}"
        assert importlib.metadata.version(name) == version, f"{name}: pinned {version}, installed differs"
