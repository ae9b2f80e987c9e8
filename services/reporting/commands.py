"""The reporting service's ``rps`` commands (its declaration's ``commands``)."""

from __future__ import annotations

import argparse
import json
import sys

from services.backbone import commands
from services.backbone.declaration import Command


def remind(args: argparse.Namespace) -> int:
    """R-RPT-8: a date's reminders (default today) handed to the feedback service's notifier, once per date."""
    from services.backbone import clock
    from services.backbone.domain import DomainError
    from services.reporting.daily_reminders import IssueFailed, issue_day, issuer_for

    settings = commands.settings(maintenance=True)
    runtime = commands.runtime_for(settings, ("reporting",))
    day = args.date or clock.today()  # after the runtime: it fixes the clock (RPS_TODAY)
    try:
        result = issue_day(runtime.db("reporting"), day, issuer_for(runtime), settings=settings.of("reporting"))
    except (IssueFailed, DomainError) as exc:
        print(f"rps remind: {day.isoformat()}: {exc}", file=sys.stderr)
        return 1
    finally:
        runtime.close()
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(result["counts"].items())) or "none"
    done = "issued" if result["issued"] else "already issued before (nothing sent again)"
    print(f"rps remind: {result['date']}: {result['count']} reminder(s) {done} [{counts}]")
    return 0


def report(args: argparse.Namespace) -> int:
    """A report as the events say now, in any format (R-RPT-6)."""
    from services.reporting.reports import live_report, render

    settings = commands.settings(maintenance=True)
    runtime = commands.runtime_for(settings, ("reporting",))
    try:
        try:
            made = live_report(runtime.db("reporting"), args.kind, args.period, settings=settings.of("reporting"))
        except ValueError:
            print(
                f"rps report: 无效的报告期 {args.period!r}（月 YYYY-MM，季 YYYY-Qn，半年 YYYY-Hn，服务年度 YYYY）",
                file=sys.stderr,
            )
            return 2
        if args.format == "json":
            body = (json.dumps(made, ensure_ascii=False, indent=2) + "\n").encode()
        else:
            body = render(made, args.format).body
    finally:
        runtime.close()
    if args.out:
        with open(args.out, "wb") as f:
            f.write(body)
        print(f"wrote {args.out}")
    elif args.format == "json":
        sys.stdout.write(body.decode())
    else:
        print("rps report: give --out FILE for binary formats", file=sys.stderr)
        return 2
    return 0


def audit(args: argparse.Namespace) -> int:
    """Recompute every service's keyed chain and compare it with the signed checkpoints reporting keeps."""
    from services.backbone.declaration import service_names
    from services.reporting.audit import verify_all

    runtime = commands.runtime_for(commands.settings(maintenance=True), service_names())
    try:
        result = verify_all(runtime)
    finally:
        runtime.close()
    for check in result["services"]:
        if check["intact"]:
            # R-RPT-5: links made before keying hold only until `rps migrate` keys them
            unkeyed = f" ({check['unkeyed']} made before keying: run `rps migrate`)" if check.get("unkeyed") else ""
            print(f"{check['service']}: intact, {check['links']} links{unkeyed}, head {check['head_position']}")
        else:
            print(f"{check['service']}: BROKEN at position {check['broken_at']}: {check['problem']}")
    return 0 if result["intact"] else 1


def _remind_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=commands.business_date,
                   help="the business date, YYYY-MM-DD (default: today in Asia/Shanghai)")


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=["monthly", "quarterly", "half-yearly", "annual"], help="the report")
    p.add_argument("period", help="YYYY-MM, YYYY-Qn, YYYY-Hn or the service year YYYY")
    p.add_argument("--format", default="json", choices=["json", "html", "xlsx", "pdf"], help="default json")
    p.add_argument("--out", metavar="FILE", help="write to FILE (needed for xlsx and pdf)")


def _audit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["verify"], help="the check")


COMMANDS = (
    Command(
        "remind", "hand a date's reminders to the notifier, once per date (R-RPT-8; a CronJob)",
        "Computes a date's reminders from reporting's read models and hands them to feedback, which "
        "records them once per date; a second run for the same date sends nothing again.",
        "rps remind\nrps remind --date 2022-03-21", remind, _remind_arguments),
    Command(
        "report", "print a report as the events say now (R-RPT-6)",
        "Computes a report from the read models and prints it (JSON) or writes it (--out).",
        "rps report monthly 2022-03\nrps report quarterly 2022-Q1 --format xlsx --out q1.xlsx\n"
        "rps report annual 2021 --format pdf --out annual.pdf", report, _report_arguments),
    Command(
        "audit", "verify the audit trail's keyed chains (R-RPT-5)",
        "Recomputes every service's keyed chain and compares it with the signed checkpoints; exit 1 when broken.",
        "rps audit verify", audit, _audit_arguments),
)
