"""A/B: the rebuild benchmark of a base commit and of the work tree, on ONE history.

    .venv/bin/python -W ignore -m bench.ab BASE [--events 1000000] [--groups 1000] [--seed 7] [--repeat 1]
        [--calls 50] [--churn 5,50,500] [--backend sqlite|postgres]
    make bench-ab BASE=<commit> [AB_ARGS="--events 100000"]

The history is made once, by the work tree's domain (bench/history.py, from
its cache when it is there). BASE's tree is taken out with ``git archive``
into a temporary directory (the repository's worktrees and index are left
alone), and each side runs ITS OWN ``bench/rebuild.py`` with its own
``services`` in its own process, handed that same history instead of
generating one: the base's generator (or the work tree's cache) is replaced
by a copy of the shared files. Sides alternate (A B A B ... with
``--repeat``); the figures of each run are printed side by side, then the
medians. Run it on an otherwise idle machine: both sides share its cores.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.history import load, made_once

REPO = Path(__file__).resolve().parents[1]

# Runs in each side's tree (cwd): its bench.rebuild and services, the shared history.
SIDE = r"""
import json, os, pathlib, shutil, sys
history, root = pathlib.Path(sys.argv[1]), pathlib.Path.cwd().resolve()
sys.argv = ["bench.rebuild", *sys.argv[2:]]
import services, bench.rebuild as rebuild
assert pathlib.Path(services.__file__).resolve().is_relative_to(root), f"services from {services.__file__}, not {root}"
made = json.loads((history / "history.json").read_text(encoding="utf-8"))

def generate(directory, events, held_back, groups, seed, result):  # a base that generates its own: the shared one
    for source in ("contracts", "visits", "feedback"):
        shutil.copyfile(history / f"{source}.log", pathlib.Path(directory) / f"{source}.log")
    result.update(made)

rebuild.generate = generate
strict = rebuild.check_handled

def check_handled(projections, types):  # a type this side's read models ignore is said, not fatal: both get one history
    handled = {t for p in projections for t in p._handlers if t != "*"}
    if types - handled:
        print(f"  (this side's read models handle no {', '.join(sorted(types - handled))})")
    strict(projections, types & handled)

rebuild.check_handled = check_handled
if hasattr(rebuild, "made_once"):  # a side with the cache: the shared history is its cache
    rebuild.made_once = lambda *args, **kwargs: history
rebuild.main()
"""

# The figures compared (label, pattern of its line); a label ending in "ms" is better lower.
FIGURES = (
    ("baseline events/s", r"plain table: .*?:\s+[\d.]+ s\s+(\d+) events/s"),
    ("rebuild events/s", r"rebuild: Runtime\.rebuild\(reporting\).*?:\s+[\d.]+ s\s+(\d+) events/s"),
    ("monthly report cold p99 ms", r"cold \(computed from the read models\) x \d+: p50 [\d.]+ ms, p99 ([\d.]+) ms"),
    ("monthly report warm p99 ms", r"warm, no new events x \d+: p50 [\d.]+ ms, p99 ([\d.]+) ms"),
)
PER_MODEL = re.compile(r"^\s+(reporting\.\S+)\s+[\d,]+ events\s+[\d.]+ s\s+(\d+) /s", re.M)
CHURN = re.compile(r"warm, (\d+) new events before each call x \d+ \(\d+ applied\): p50 [\d.]+ ms, p99 ([\d.]+) ms")


def base_tree(base: str, into: Path) -> str:
    """BASE's files (``git archive``) in ``into``; returns its commit."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{base}^{{commit}}"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.Popen(["git", "archive", commit], cwd=REPO, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    return commit


def run_side(root: Path, history: Path, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", SIDE, str(history), *args], cwd=root, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the benchmark failed in {root}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def figures(output: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for label, pattern in FIGURES:
        match = re.search(pattern, output)
        if match:
            found[label] = float(match.group(1))
    for name, rate in PER_MODEL.findall(output):
        found[f"  {name} /s"] = float(rate)
    for churn, p99 in CHURN.findall(output):
        found[f"monthly report, {churn} new events, p99 ms"] = float(p99)
    return found


def higher_is_better(label: str) -> bool:
    return not label.endswith("ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the commit to compare the work tree with (A)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--churn", default="5,50,500")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side, alternating")
    args = parser.parse_args()
    held_back = args.calls * sum(int(n) for n in args.churn.split(",") if n)  # as bench/rebuild.py holds back
    history = made_once(args.events, held_back, args.groups, args.seed)
    made = load(history)
    passed = ["--events", str(args.events), "--groups", str(args.groups), "--seed", str(args.seed), "--calls",
              str(args.calls), "--churn", args.churn, "--backend", args.backend]

    with tempfile.TemporaryDirectory(prefix="rps-bench-ab-") as tmp:
        base_root = Path(tmp)
        commit = base_tree(args.base, base_root)
        sides = {"A": base_root, "B": REPO}
        runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
        print(f"A/B rebuild benchmark on one history: {made['total']:,} events generated by the domain "
              f"({history}); A = {commit[:10]} ({args.base}), B = the work tree ({REPO})")
        for k in range(args.repeat):
            for side in ("A", "B"):
                output = run_side(sides[side], history, passed)
                runs[side].append(figures(output))
                if k == 0:
                    print(f"\n-- {side}, run 1 --\n{output.rstrip()}")
        labels = [label for label in runs["B"][0] if label in runs["A"][0]]
        print(f"\n{'figure':58s} {'A':>12s} {'B':>12s} {'B/A':>7s}  (median of {args.repeat})")
        for label in labels:
            a = statistics.median(run[label] for run in runs["A"])
            b = statistics.median(run[label] for run in runs["B"])
            ratio = b / a if a else float("nan")
            worse = ratio < 0.95 if higher_is_better(label) else ratio > 1.05
            print(f"{label:58s} {a:12.1f} {b:12.1f} {ratio:7.3f}{'  worse' if worse else ''}")


if __name__ == "__main__":
    main()
