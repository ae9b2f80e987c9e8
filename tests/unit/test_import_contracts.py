"""Issue 17's check: the import contracts of pyproject.toml ([tool.importlinter]) hold. The core
imports no service, no service imports another, reporting imports nothing of visits, the demo
imports no service; and every installed service is inside the contracts. Nor does a service
reach another's application through the runtime the core hands it."""

from __future__ import annotations

import ast
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


def reaches_into_other_apps(name: str, source: str) -> list[str]:
    """Where ``source`` (a module of service ``name``) takes an application from the runtime other
    than its own: ``runtime.app("other")``, ``runtime.publisher_app(...)`` or ``runtime.apps``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("publisher_app", "apps"):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "app"
              and not (node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == name)):
            found.append(f"line {node.lineno}: .app() of another service")
    return found


def test_no_service_reaches_another_services_application():
    # Issue 17: a service reads others' facts by their events, feeds or declared interfaces (reporting
    # hands the chains' checkpoints it keeps to the core, R-RPT-5), never by their applications.
    reached = {
        f"{path.relative_to(REPO)} {where}"
        for name in service_names() for path in sorted((REPO / "services" / name).rglob("*.py"))
        for where in reaches_into_other_apps(name, path.read_text(encoding="utf-8"))
    }
    assert reached == set()


def test_the_reach_check_catches_another_services_application():
    own = 'def f(runtime):\n    return runtime.app("feedback").get_letter(1)\n'
    assert reaches_into_other_apps("feedback", own) == []
    assert reaches_into_other_apps("reporting", own) == ["line 2: .app() of another service"]
    assert reaches_into_other_apps("reporting", "app = runtime.publisher_app(s)\n") == ["line 1: .publisher_app"]
    assert reaches_into_other_apps("reporting", "apps = list(runtime.apps.values())\n") == ["line 1: .apps"]
