"""psycopg's wait under eventlet (``rps serve``): ask the socket first, yield to the hub only
when it is not ready.

psycopg's ``wait_select`` works under eventlet's patching, but each of its calls goes through
the hub (listeners, a timer, a switch) even when the socket is ready at once, and pipeline
mode (``executemany``, the read models' bulk writes) waits for writability many times per
statement: ten rows took 1.5-2.2 ms green against 0.4 ms unpatched, and a projection
runner's run took 46 ms where a plain thread took 25 (issue 17's A/B: propagation p50
+30 ms). Here the unpatched ``select`` with a zero timeout tells what is ready without
blocking; only a socket that is not ready parks the green thread (``trampoline``), so other
green threads run while the server works.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from psycopg import errors
from psycopg.waiting import READY_R, READY_W, WAIT_R, WAIT_W


class _Interval(Exception):
    """The interval psycopg asked to be woken at passed (it checks for interrupts)."""


def wait_green(gen: Any, fileno: int, interval: float = 0.0, timeout: float | None = None) -> Any:
    """``psycopg.waiting.wait``'s contract, cooperative under eventlet (after ``install``)."""
    from eventlet.green import select as green_select
    from eventlet.hubs import trampoline

    ready_now = _unpatched_select
    deadline = monotonic() + timeout if timeout is not None else None
    fds = (fileno,)
    try:
        wanted = next(gen)
        while True:
            reads, writes = (fds if wanted & WAIT_R else ()), (fds if wanted & WAIT_W else ())
            readable, writable, broken = ready_now(reads, writes, fds, 0)
            if not (readable or writable or broken):
                pause = interval if deadline is None else max(0.0, min(interval, deadline - monotonic()))
                if deadline is not None and pause == 0:
                    pass  # the deadline has come: the generator is told nothing is ready, then it ends
                elif reads and writes:  # eventlet parks on one direction only: its green select takes both
                    readable, writable, broken = green_select.select(reads, writes, fds, pause)
                else:
                    try:
                        trampoline(fileno, read=bool(reads), write=bool(writes), timeout=pause or None,
                                   timeout_exc=_Interval)
                    except _Interval:
                        pass
                    readable, writable, broken = ready_now(reads, writes, fds, 0)
            if broken:
                raise errors.OperationalError("connection socket closed")
            wanted = gen.send((READY_R if readable else 0) | (READY_W if writable else 0))
            if deadline is not None and monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except StopIteration as done:
        return done.value


_unpatched_select: Any = None  # the select module's own select, looked up once by install()


def install() -> None:
    """psycopg's connections wait with ``wait_green`` from now on (call after eventlet's patching)."""
    global _unpatched_select
    from eventlet.patcher import original
    from psycopg import waiting

    _unpatched_select = original("select").select
    waiting.wait = wait_green
