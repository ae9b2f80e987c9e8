"""infra/docker: the images' recipe, linted without a Docker engine (issue 9:
pinned base, multi-stage, non-root user, health check, the lock file)."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from .manifests import INFRA, REPO

DOCKER = INFRA / "docker"


def dockerfiles() -> list[Path]:
    found = sorted(p for p in DOCKER.rglob("Dockerfile*") if not p.name.endswith(".dockerignore"))
    return found


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuations joined and comments dropped."""
    result, pending = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comment lines inside a continuation are dropped too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        result.append((keyword.upper(), args.strip()))
    assert not pending, f"{path}: ends inside a continuation"
    return result


def stages(path: Path) -> list[list[tuple[str, str]]]:
    """The instructions of each stage; global ARGs before the first FROM come first."""
    out: list[list[tuple[str, str]]] = [[]]
    for ins in instructions(path):
        if ins[0] == "FROM":
            out.append([])
        out[-1].append(ins)
    return out


def _global_args(path: Path) -> dict[str, str]:
    args = {}
    for keyword, value in stages(path)[0]:
        if keyword == "ARG":
            name, _, default = value.partition("=")
            args[name] = default.strip('"')
    return args


def base_images(path: Path) -> list[str]:
    """The image each stage starts from, ARG defaults substituted; earlier stage names excluded."""
    args = _global_args(path)
    names: set[str] = set()
    images = []
    for stage in stages(path)[1:]:
        parts = [p for p in stage[0][1].split() if not p.startswith("--")]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), parts[0])
        if image.lower() not in names:
            images.append(image)
        if len(parts) >= 3 and parts[1].upper() == "AS":
            names.add(parts[2].lower())
    return images


def final_stage_user(path: Path | None = None) -> str:
    path = path or dockerfiles()[0]
    users = [value for keyword, value in stages(path)[-1] if keyword == "USER"]
    assert users, f"{path}: the final stage sets no USER (it would run as root)"
    return users[-1]


def lint(path: Path) -> list[str]:
    problems = []
    text_stages = stages(path)
    if len(text_stages) < 3:
        problems.append("not multi-stage (build tools and caches would ship)")
    for image in base_images(path):
        repo, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
        if not tag or tag == "latest":
            problems.append(f"base {image} is not pinned to a tag")
        elif not re.fullmatch(r"3\.11\.\d+-slim(-[a-z]+)?", tag) or repo.rsplit("/", 1)[-1] != "python":
            problems.append(f"base {image} is not an exact python:3.11.N-slim tag")
    if re.search(r"(?i)\blatest\b", " ".join(v for _, v in instructions(path) if _ in ("FROM", "ARG"))):
        problems.append("`latest` is used")
    final = text_stages[-1]
    users = [v for k, v in final if k == "USER"]
    if not users:
        problems.append("the final stage sets no USER")
    elif users[-1].partition(":")[0] in ("root", "0"):
        problems.append(f"the final stage runs as {users[-1]}")
    healthchecks = [v for k, v in final if k == "HEALTHCHECK"]
    if not healthchecks or healthchecks[-1].upper().startswith("NONE"):
        problems.append("no HEALTHCHECK")
    elif "/health/live" not in healthchecks[-1]:
        problems.append("the HEALTHCHECK does not ask /health/live")
    pip_installs = [v for _, v in instructions(path) if re.search(r"\bpip install\b", v)]
    if not pip_installs:
        problems.append("installs nothing with pip")
    for run in pip_installs:
        for command in re.split(r"&&|;", run):
            if "pip install" in command and not re.search(r"(-c|--constraint)\s+constraints\.txt", command):
                problems.append(f"pip install without -c constraints.txt: {command.strip()}")
    if not any(k == "COPY" and "constraints.txt" in v for k, v in instructions(path)):
        problems.append("constraints.txt is not copied into the build")
    if any(k == "ADD" and re.search(r"https?://", v) for k, v in instructions(path)):
        problems.append("ADD from a URL (unpinned download)")
    return problems


def test_there_is_a_dockerfile():
    assert dockerfiles(), "no Dockerfile under infra/docker"


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_dockerfile_passes_lint(path):
    assert lint(path) == []


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_healthcheck_and_default_command_are_exec_form(path):
    # Exec form: no shell between Docker and the probe; rps gets the signals.
    final = stages(path)[-1]
    health = next(v for k, v in final if k == "HEALTHCHECK")
    command = health[health.index("CMD") + 3:].strip()
    assert isinstance(json.loads(command), list)
    cmd = [v for k, v in final if k == "CMD"]
    assert cmd and isinstance(json.loads(cmd[-1]), list)
    assert "exec rps serve" in cmd[-1]


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_build_context_lets_in_what_the_image_copies(path):
    ignore = path.with_name(path.name + ".dockerignore")
    assert ignore.is_file(), f"{ignore.name} keeps .venv, .git and var out of the context"
    rules = [line.strip() for line in ignore.read_text().splitlines() if line.strip() and not line.startswith("#")]

    def admitted(name: str) -> bool:
        verdict = True
        for rule in rules:
            negate = rule.startswith("!")
            pattern = rule.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(name, pattern) or name.startswith(pattern + "/"):
                verdict = negate
        return verdict

    for keyword, value in instructions(path):
        if keyword != "COPY" or "--from=" in value:
            continue
        for source in shlex.split(value)[:-1]:
            assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
            assert admitted(source.rstrip("/")), f"COPY {source}: excluded by {ignore.name}"
    assert not admitted(".venv") and not admitted(".git") and not admitted("var")


def test_lint_catches_latest_root_no_healthcheck_and_unconstrained_pip(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM python:latest\n"
        "RUN pip install nameko\n"
        "USER root\n"
    )
    problems = "\n".join(lint(bad))
    for expected in (
        "not multi-stage",
        "base python:latest is not pinned",
        "`latest` is used",
        "runs as root",
        "no HEALTHCHECK",
        "pip install without -c constraints.txt",
        "constraints.txt is not copied",
    ):
        assert expected in problems
    bad.write_text("FROM python:3.11-slim AS build\nFROM python:3.11-slim\n")
    problems = "\n".join(lint(bad))
    assert "is not an exact python:3.11.N-slim tag" in problems
    assert "sets no USER" in problems


# -- the images: one per service, each with the package's data files ----------

def checks_service_against_the_entry_points(path: Path) -> bool:
    """Whether the build refuses a SERVICE that is not an installed service (asking the package)."""
    runs = " ".join(v for stage in stages(path)[:-1] for k, v in stage if k == "RUN")
    return bool(re.search(r"service_names.*\$\{?SERVICE\}?", runs))


def built_services(script: Path = DOCKER / "build-images.sh") -> set[str]:
    """The services build-images.sh builds: its loop's list, as its own command computes it."""
    text = script.read_text(encoding="utf-8")
    assert re.search(r"^for service in \$services; do$", text, re.M), f"{script}: no loop over $services"
    match = re.search(r"^services=\$\((python3 -c '.*')\)$", text, re.M)
    assert match, f"{script}: services are not read from pyproject.toml"
    done = subprocess.run(["bash", "-c", match.group(1)], cwd=REPO, capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_an_image_for_every_service_and_only_those(path):
    from services.backbone.declaration import service_names

    # web included: it is `rps serve web` from the same package; the list is the entry points alone.
    assert checks_service_against_the_entry_points(path), f"{path}: the build does not check SERVICE"
    assert built_services() == set(service_names())


def data_files() -> list[Path]:
    """Files of the package that are not Python (templates, the web pages)."""
    return sorted(
        p for p in (REPO / "services").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    )


def packaged_by_pyproject(file: Path) -> bool:
    """Whether pyproject.toml's package-data puts ``file`` into the wheel."""
    tool = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    for package, patterns in (tool.get("package-data") or {}).items():
        root = REPO / package.replace(".", "/")
        if root in file.parents and any(
            fnmatch.fnmatch(file.relative_to(root).as_posix(), pattern) for pattern in patterns
        ):
            return True
    return False


def copied_into_the_package(path: Path) -> set[str]:
    """Directories of services/ the build stage copies beside the installed package."""
    build = " ".join(v for stage in stages(path)[1:-1] for k, v in stage if k == "RUN")
    return {m.rstrip("/.") for m in re.findall(r"\bcp\s+-R\s+(services/\S+)", build)}


@pytest.mark.parametrize("path", dockerfiles(), ids=lambda p: str(p.relative_to(REPO)))
def test_image_ships_every_data_file_of_the_package(path):
    # `pip install .` builds a wheel, which holds only pyproject.toml's
    # package-data; whatever else the code reads from its own directory (the
    # web pages) must be copied, or web answers 404 for every page.
    copied = copied_into_the_package(path)
    missing = [
        str(f.relative_to(REPO)) for f in data_files()
        if not packaged_by_pyproject(f)
        and not any(f.relative_to(REPO).as_posix().startswith(d + "/") for d in copied)
    ]
    assert missing == []
    assert any(str(f.relative_to(REPO)).startswith("services/web/static/") for f in data_files())
    # and the build checks it, so a new data file cannot be left out unnoticed
    build = " ".join(v for stage in stages(path)[1:-1] for k, v in stage if k == "RUN")
    assert "find services -type f ! -name '*.py'" in build and 'test -f "$site/$f"' in build


def test_data_file_check_sees_what_pyproject_packages():
    templates = REPO / "services" / "reporting" / "render" / "templates"
    assert all(packaged_by_pyproject(f) for f in templates.glob("*.j2"))
    assert not packaged_by_pyproject(templates / "notes.txt")  # no pattern for it
    assert not packaged_by_pyproject(REPO / "services" / "visits" / "report.css")  # another package
