"""The feedback service's ``rps`` commands (its declaration's ``commands``)."""

from __future__ import annotations

import argparse

from services.backbone import commands
from services.backbone.declaration import Command


def notify(args: argparse.Namespace) -> int:
    """The feedback service's notification dispatcher (one active instance): `rps serve feedback --role notify`."""
    from services.cli import cmd_serve

    return cmd_serve(argparse.Namespace(**{**vars(args), "service": "feedback", "role": ["notify"]}))


def purge_personal_data(args: argparse.Namespace) -> int:
    """R-SEC-4: erase residents' personal data kept past RPS_PERSONAL_DATA_RETENTION_DAYS; the opinions stay."""
    from services.feedback.retention import purge_personal_data as purge

    runtime = commands.runtime_for(commands.settings(maintenance=True), ("feedback",))
    try:
        result = purge(runtime.app("feedback"), dry_run=args.dry_run)  # type: ignore[arg-type]
    finally:
        runtime.close()
    for item in result.due:  # references and dates only, never the data
        print(f"{item.ref}\t{'due' if args.dry_run else 'erased'}\tsince {item.since.isoformat()}")
    done = len(result.due) if args.dry_run else len(result.erased)
    print(f"rps purge-personal-data: {'would erase' if args.dry_run else 'erased'} the personal data of {done}"
          f" opinion(s) closed or last changed before {result.cutoff.isoformat()}"
          f" (retention {result.retention_days} days)")
    return 0


def _purge_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="only list the opinions whose data is due")


COMMANDS = (
    Command(
        "notify", "the feedback service's notification dispatcher (one active, others standby)",
        "Delivers the notifications feedback's outbox holds (reminders, letters) to the gateway, "
        "parking what cannot be delivered after its retries.",
        "rps notify", notify),
    Command(
        "purge-personal-data", "erase residents' personal data past its retention period (R-SEC-4; a CronJob)",
        "Erases residents' personal data of opinions closed or last changed more than "
        "RPS_PERSONAL_DATA_RETENTION_DAYS ago; the opinions stay. Prints references and dates only.",
        "rps purge-personal-data --dry-run\nrps purge-personal-data", purge_personal_data, _purge_arguments),
)
