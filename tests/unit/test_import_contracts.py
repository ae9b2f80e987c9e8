"""Issue 17's check: the import contracts of pyproject.toml ([tool.importlinter]) hold. The core
imports no service, no service imports another, reporting imports nothing of visits, the demo
imports no service; and every installed service is inside the contracts."""

from __future__ import annotations

import contextlib
import io
import os
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

from services.backbone.declaration import service_names

REPO = Path(__file__).resolve().parents[2]


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_the_import_contracts_hold():
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(REPO)  # lint-imports reads ./pyproject.toml
    try:
        with contextlib.redirect_stdout(out):
            status = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    finally:
        os.chdir(cwd)
    assert status == 0, out.getvalue()


def test_every_installed_service_is_inside_the_contracts():
    # A service added to pyproject's entry points and not here would be free to import another.
    installed = {f"services.{name}" for name in service_names()}
    contracts = _contracts()
    assert set(contracts["services"]["modules"]) == installed
    assert set(contracts["core"]["forbidden_modules"]) == installed
    assert set(contracts["demo"]["forbidden_modules"]) == installed
