"""The one way to retry: tenacity's policies, named for the kinds of retry
the services make.

- ``on_lost_race``: a write that lost an optimistic-concurrency race runs
  again on fresh state after a random pause in a doubling window, so racers
  spread out (commands, idempotent requests, numbered rows).
- ``until_stopped``: a step whose far side is down (broker, store, receiver)
  is tried again with a doubling, capped pause until it works or the worker
  is asked to stop; the pause is ``stop.wait``, so a stop cuts it short.
- ``bounded``: a handler that keeps failing is given up after a number of
  tries with a doubling pause (the caller parks what it gave up on).
- ``reconnecting``: a store call whose connection dropped is tried again
  a few times, as eventsourcing's own recorders do.
- ``PersistedSchedule``: a delivery whose tries are counted in a table (the
  notifier's outbox) is tried again at a later pass: the same stop and wait
  policies, asked about the stored count instead of slept in a loop.

The policies a hot path calls (every command, every insert, every projected
event) make a first try that is a plain call: tenacity's machinery costs about
40 µs a call (a copy of the policy, a state machine, a future), which an A/B
run of the append benchmark showed as 15 % fewer saves a second; it is paid
only once a try has failed.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

from tenacity import (
    AttemptManager,
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_none,
    wait_random,
    wait_random_exponential,
)

F = TypeVar("F", bound=Callable[..., Any])


class _FirstTryInline(Retrying):
    """A policy whose first try, in ``wraps`` and ``call``, is a plain call; after a failure
    tenacity takes over with that failure as its first attempt, so stop, wait and the
    after-last callback see exactly the tries they would have seen."""

    def wraps(self, f: F) -> F:  # type: ignore[override]
        @functools.wraps(f)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            return self.call(f, *args, **kwargs)

        wrapped.retry = self  # type: ignore[attr-defined]  # as tenacity's own wrapper offers it
        return wrapped  # type: ignore[return-value]

    def call(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``f(*args, **kwargs)`` under this policy."""
        try:
            return f(*args, **kwargs)
        except Exception as failure:
            first: Exception | None = failure
        # Each caller its own copy: tenacity keeps per-run state (statistics) on the object.

        def again(*a: Any, **kw: Any) -> Any:
            nonlocal first
            if first is not None:
                failure, first = first, None
                raise failure
            return f(*a, **kw)

        return self.copy()(again, *args, **kwargs)


class Interrupted(Exception):
    """The worker was asked to stop before the step it kept trying worked."""


def on_lost_race(
    lost: type[BaseException] | Callable[[BaseException], bool],
    *,
    attempts: int,
    pause_seconds: float = 0.0,
    after_last: Callable[[RetryCallState], Any] | None = None,
) -> Retrying:
    """Up to ``attempts`` tries of a write while it fails with ``lost``; before
    try n+1 a random pause in [0, pause_seconds * 2**(n-1)] (none when 0). After
    the last, ``after_last`` decides (it may raise); without it the error stands."""
    return _FirstTryInline(
        retry=retry_if_exception_type(lost) if isinstance(lost, type) else retry_if_exception(lost),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=pause_seconds) if pause_seconds else wait_none(),
        retry_error_callback=after_last,
        reraise=True,
    )


def until_stopped(
    stop: threading.Event,
    *,
    first_pause: float,
    longest_pause: float,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    give_up_on: tuple[type[BaseException], ...] = (),
    on_failure: Callable[[BaseException, float], None] = lambda error, pause: None,
) -> Iterator[AttemptManager]:
    """Attempts (``for attempt in ...: with attempt: ...``) until one works; errors not of
    ``retry_on``, or of ``give_up_on``, end it at once. Pauses first_pause, twice that, ... at most
    longest_pause; ``on_failure(error, pause)`` before each. Raises ``Interrupted``
    when ``stop`` is set while failing (no further try after a cut-short pause)."""

    def tell(state: RetryCallState) -> None:
        assert state.outcome is not None and state.next_action is not None
        on_failure(state.outcome.exception(), state.next_action.sleep)

    retrying = Retrying(
        retry=retry_if_exception(lambda error: isinstance(error, retry_on) and not isinstance(error, give_up_on)),
        wait=wait_exponential(multiplier=first_pause, max=longest_pause),
        sleep=stop.wait,
        before_sleep=tell,
        reraise=True,
    )
    for attempt in retrying:
        if attempt.retry_state.attempt_number > 1 and stop.is_set():
            raise Interrupted()
        yield attempt


def bounded(attempts: int, backoff_seconds: float, *, sleep: Callable[[float], Any],
            retry_on: Callable[[BaseException], bool]) -> Retrying:
    """Up to ``attempts`` tries while the error passes ``retry_on``, pausing
    backoff_seconds * 2**(n-1) after try n; the last error is raised."""
    return _FirstTryInline(
        retry=retry_if_exception(retry_on),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff_seconds),
        sleep=sleep,
        reraise=True,
    )


def reconnecting(errors: tuple[type[BaseException], ...], *, attempts: int = 10,
                 pause_seconds: float = 0.2) -> Callable[[F], F]:
    """A store call tried again while it fails with ``errors`` (a dropped connection), as
    eventsourcing's recorders do: up to ``attempts`` tries, pause_seconds (±5 %) apart."""
    return _FirstTryInline(
        retry=retry_if_exception_type(errors),
        stop=stop_after_attempt(attempts),
        wait=wait_random(pause_seconds * 0.95, pause_seconds * 1.05),
        reraise=True,
    ).wraps  # type: ignore[return-value]


@dataclass(frozen=True)
class PersistedSchedule:
    """Tries counted in a table: ``max_attempts`` of them, then the message is
    parked; after try n the next is due backoff_seconds * 2**(n-1) later."""

    max_attempts: int
    backoff_seconds: float

    def _after(self, attempts: int) -> RetryCallState:
        state = RetryCallState(retry_object=Retrying(), fn=None, args=(), kwargs={})
        state.attempt_number = attempts
        return state

    def gives_up(self, attempts: int) -> bool:
        """Whether ``attempts`` failed tries are the last allowed."""
        return stop_after_attempt(self.max_attempts)(self._after(attempts))

    def pause(self, attempts: int) -> float:
        """Seconds until the try after ``attempts`` failed ones is due."""
        return wait_exponential(multiplier=self.backoff_seconds)(self._after(attempts))
