"""The contracts service's ``rps`` commands (its declaration's ``commands``)."""

from __future__ import annotations

import argparse

from services.backbone import commands
from services.backbone.declaration import Command


def seed(args: argparse.Namespace) -> int:
    """Load the reference data of DOMAIN.md R-ORG-2 (skips what exists)."""
    from services.contracts.seed import seed_liaocheng

    runtime = commands.runtime_for(commands.settings(maintenance=True), ("contracts",))
    try:
        created = seed_liaocheng(runtime.app("contracts"))  # type: ignore[arg-type]
    finally:
        runtime.close()
    print(f"{args.dataset}: {created} created")
    return 0


def _seed_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", choices=["liaocheng"], help="the data set")


COMMANDS = (
    Command(
        "seed", "load reference data (Liaocheng's governments and sub-districts)",
        "Loads the governments and sub-districts of R-ORG-2; what exists is skipped.",
        "rps seed liaocheng", seed, _seed_arguments),
)
