"""The monthly report (R-RPT-1) asked for again and again: computed from scratch,
from its cache with nothing new, and from its cache with new events between calls.

    from bench.report import measure
    for line in measure(runtime, "2023-10", 50, advance, 5):
        print(line)

``runtime`` is a ``services.bootstrap.Runtime`` whose reporting read models
hold a history (``bench.rebuild`` makes one); ``advance(n)`` applies the next
``n`` events of that history to the read models and returns how many it
applied (None: no churn figures). Every figure is ``live_report`` as the
HTTP entrypoint calls it:

(a) cold: ``cached=False``, the report computed from the read models;
(b) warm: the cache filled, no new event between calls;
(c) churn: ``advance(per_call)`` before each call (untimed); with the groups
    each call computed again, on average.

After (b) and (c) the cached report is compared with a cold one over the same
rows and day (an AssertionError when they differ). A benchmark, not a test.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

from bench.common import summary
from services.backbone import clock
from services.reporting.reports import live_report
from services.reporting.views.monthly_cache import last_outcome

# Not figures: the time the report was made.
NOT_COMPARED = ("generated_at",)


def measure(
    runtime: Any, period: str, calls: int, advance: Callable[[int], int] | None, per_call: int
) -> list[str]:
    db = runtime.db("reporting")
    today = clock.today()

    def report(cached: bool) -> tuple[float, dict[str, Any]]:
        t0 = time.perf_counter()
        got = live_report(db, "monthly", period, today=today, cached=cached)
        return time.perf_counter() - t0, got

    def same_as_cold(cached_report: dict[str, Any]) -> None:
        cold_report = report(False)[1]
        assert _figures(cached_report) == _figures(cold_report), "the cached monthly report differs from a cold one"

    lines = []
    cold = [report(False)[0] for _ in range(max(3, calls // 10))]
    last = report(False)[1]
    lines.append(
        f"monthly report {period}, {len(last['groups'])} groups, {len(last['findings'])} findings, "
        f"live_report; cold (computed from the read models) x {len(cold)}: {summary(cold)}"
    )

    report(True)  # fills the cache
    warm = []
    for _ in range(calls):
        seconds, last = report(True)
        warm.append(seconds)
    same_as_cold(last)
    lines.append(f"  warm, no new events x {calls}: {summary(warm)} (same figures as cold)")

    if advance is not None:
        churn, recomputed, whole, applied = [], [], 0, 0
        for _ in range(calls):
            applied += advance(per_call)
            seconds, last = report(True)
            churn.append(seconds)
            outcome = last_outcome(db)
            whole += outcome.computed == "whole"
            recomputed.append(outcome.groups)
        same_as_cold(last)
        lines.append(
            f"  warm, {per_call} new events before each call x {calls} ({applied} applied): {summary(churn)}; "
            f"groups computed again: mean {statistics.fmean(recomputed):.1f}, max {max(recomputed)}"
            f"{f', the whole report {whole} times' if whole else ''} (same figures as cold)"
        )
    return lines


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in NOT_COMPARED}
