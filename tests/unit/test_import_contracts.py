"""Issue 17's check: the import contracts of pyproject.toml ([tool.importlinter]) hold. The core
imports no service, no service imports another, reporting imports nothing of visits, the demo
imports no service; and every installed service is inside the contracts."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from services.backbone.declaration import service_names

REPO = Path(__file__).resolve().parents[2]


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_the_import_contracts_hold():
    # In a process of its own: lint-imports configures logging (it would disable this process's loggers).
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--config", "pyproject.toml", "--no-cache"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_installed_service_is_inside_the_contracts():
    # A service added to pyproject's entry points and not here would be free to import another.
    installed = {f"services.{name}" for name in service_names()}
    contracts = _contracts()
    assert set(contracts["services"]["modules"]) == installed
    assert set(contracts["core"]["forbidden_modules"]) == installed
    assert set(contracts["demo"]["forbidden_modules"]) == installed
