"""The one way to retry (services/backbone/retrying.py, issue 17): each policy keeps the attempts,
pauses and endings of the loop it replaced."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from services.backbone.application import COMMAND_ATTEMPTS, command
from services.backbone.domain import Conflict
from services.backbone.relay import OutboxRelay
from services.backbone.retrying import Interrupted, PersistedSchedule, until_stopped


class Stop(threading.Event):
    """A stop whose pauses return at once and are recorded; it is set after ``pauses`` of them."""

    def __init__(self, pauses: int = 10**6):
        super().__init__()
        self.waited: list[float] = []
        self.pauses = pauses

    def wait(self, timeout: float | None = None) -> bool:
        self.waited.append(timeout or 0.0)
        if len(self.waited) >= self.pauses:
            self.set()
        return self.is_set()


def test_a_command_that_keeps_losing_its_race_is_a_conflict_after_every_attempt():
    # R-API-3 (409): COMMAND_ATTEMPTS tries on fresh state, then Conflict without the store's error chained.
    tries = []

    @command
    def save() -> None:
        tries.append(1)
        raise IntegrityError("version taken")

    with pytest.raises(Conflict) as raised:
        save()
    assert len(tries) == COMMAND_ATTEMPTS
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_command_that_wins_a_later_race_returns_and_other_errors_are_not_retried():
    tries = []

    @command
    def save(value: int) -> int:
        tries.append(value)
        if len(tries) < 3:
            raise IntegrityError("version taken")
        return value * 2

    assert save(21) == 42 and len(tries) == 3

    @command
    def refuse() -> None:
        tries.append(0)
        raise ValueError("not a race")

    tries.clear()
    with pytest.raises(ValueError):
        refuse()
    assert tries == [0]


def test_until_stopped_doubles_its_pause_up_to_the_longest_and_stops_at_the_first_success():
    stop, failures = Stop(), []

    def step(outcomes=iter([OSError("down")] * 6 + [None])) -> str:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        return "done"

    for attempt in until_stopped(stop, first_pause=0.5, longest_pause=4.0, on_failure=lambda e, p: failures.append(p)):
        with attempt:
            result = step()
    assert result == "done"
    assert stop.waited == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0] == failures


def test_until_stopped_is_interrupted_by_a_stop_during_a_pause_without_another_try():
    stop, tries = Stop(pauses=2), []
    with pytest.raises(Interrupted):
        for attempt in until_stopped(stop, first_pause=1.0, longest_pause=30.0):
            with attempt:
                tries.append(1)
                raise OSError("down")
    assert len(tries) == 2 and stop.waited == [1.0, 2.0]


def test_until_stopped_gives_up_at_once_on_what_it_must_not_retry():
    stop = Stop()
    with pytest.raises(KeyError):
        for attempt in until_stopped(stop, first_pause=1.0, longest_pause=30.0, retry_on=(OSError,)):
            with attempt:
                raise KeyError("a bug, not the far side")
    assert stop.waited == []


def test_a_persisted_schedule_parks_after_the_last_attempt_and_doubles_the_wait():
    # The notifier's outbox (R-RPT-8 deliveries): 5 tries, 30 s then 60 s, 120 s, 240 s.
    schedule = PersistedSchedule(max_attempts=5, backoff_seconds=30)
    assert [schedule.gives_up(n) for n in range(1, 6)] == [False, False, False, False, True]
    assert [schedule.pause(n) for n in range(1, 5)] == [30, 60, 120, 240]


class _App:
    def __init__(self, events: int):
        self.appended = threading.Event()
        self.events = [{"position": p} for p in range(1, events + 1)]

    def envelopes(self, after: int, limit: int) -> list[dict[str, Any]]:
        return [e for e in self.events if e["position"] > after][:limit]

    def last_position(self) -> int:
        return len(self.events)


class _Publisher:
    def __init__(self, failures: int):
        self.failures = failures
        self.sent: list[dict[str, Any]] = []

    def publish(self, service: str, envelopes: list[dict[str, Any]]) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("broker down")
        self.sent += envelopes


def _relay(failures: int) -> tuple[OutboxRelay, dict[str, int]]:
    relay = OutboxRelay.__new__(OutboxRelay)  # no store: the position lives in a dict
    saved = {"position": 0}
    relay.app, relay.publisher, relay.service, relay.batch, relay._lag_measured = _App(5), _Publisher(failures), "x", 200, 0.0
    relay.position = lambda: saved["position"]
    relay._save_position = lambda position: saved.__setitem__("position", position)
    relay.measure_lag = lambda position=None: None
    return relay, saved


def test_the_relay_retries_a_failed_publish_with_back_off_from_the_saved_position():
    relay, saved = _relay(failures=3)
    stop = Stop()
    relay.app.appended.wait = lambda timeout=None: stop.set()  # idle after the batch: the test's end
    relay.run(stop, error_backoff=0.1)
    assert stop.waited == [0.1, 0.2, 0.4]
    assert [e["position"] for e in relay.publisher.sent] == [1, 2, 3, 4, 5] and saved["position"] == 5


def test_the_relay_stops_when_its_lease_is_lost_and_when_stopped_while_failing():
    relay, saved = _relay(failures=0)
    relay.run(Stop(), still_active=lambda: False)
    assert relay.publisher.sent == [] and saved["position"] == 0

    relay, saved = _relay(failures=10**6)
    stop = Stop(pauses=3)
    relay.run(stop, error_backoff=1.0)  # returns: no exception out of the relay's thread
    assert stop.waited == [1.0, 2.0, 4.0] and saved["position"] == 0


def _subscriber(answers: list[Any], stop: threading.Event) -> Any:
    from services.backbone.subscribe import Subscriber

    subscriber = Subscriber.__new__(Subscriber)  # only what reading a feed's page needs
    subscriber.stop_event, subscriber.queue_name, subscriber.page_size = stop, "sub", 100
    pending = iter(answers)

    def read_feed(source: str, after: int, limit: int) -> list[dict[str, Any]]:
        answer = next(pending)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    subscriber.read_feed = read_feed
    return subscriber


def test_a_feed_that_is_down_is_waited_for_and_a_refused_token_is_fatal_at_once():
    import urllib.error

    from services.backbone.settings import ConfigurationError
    from services.backbone.subscribe import Stopped

    down = urllib.error.URLError("refused")
    stop = Stop()
    page = [{"position": 1}]
    assert _subscriber([down, urllib.error.HTTPError("u", 503, "busy", {}, None), page], stop)._read_page("visits", 0) == page
    assert stop.waited == [1.0, 2.0]

    stop = Stop()
    with pytest.raises(ConfigurationError):
        _subscriber([urllib.error.HTTPError("u", 403, "forbidden", {}, None)], stop)._read_page("visits", 0)
    assert stop.waited == []

    with pytest.raises(Stopped):
        _subscriber([down] * 10, Stop(pauses=3))._read_page("visits", 0)


def test_a_dropped_connection_is_tried_again_ten_times_about_a_fifth_of_a_second_apart(monkeypatch):
    # services/backbone/chain.py's recorder calls, as eventsourcing's own recorders retry them.
    import time

    from eventsourcing.persistence import InterfaceError, OperationalError

    from services.backbone.retrying import reconnecting

    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    tries = []

    @reconnecting((InterfaceError, OperationalError))
    def insert() -> None:
        tries.append(1)
        raise OperationalError("server closed the connection")

    with pytest.raises(OperationalError):
        insert()
    assert len(tries) == 10 and len(pauses) == 9 and all(0.19 <= p <= 0.21 for p in pauses)


def test_the_first_try_of_a_hot_path_policy_is_a_plain_call_and_the_later_tries_keep_the_policy():
    # The first try runs without tenacity's machinery (a copy, a state machine, a future per call:
    # measured ~40 us, 15 % of a save); after a failure the tries, pauses and last error are the policy's.
    from services.backbone.retrying import bounded, reconnecting

    pauses: list[float] = []
    policy = bounded(4, 0.5, sleep=pauses.append, retry_on=lambda exc: isinstance(exc, KeyError))
    calls: list[int] = []

    def flaky(fail_times: int, error: type[Exception] = KeyError) -> str:
        calls.append(1)
        if len(calls) <= fail_times:
            raise error("lost")
        return "done"

    assert policy.call(flaky, 0) == "done" and len(calls) == 1 and pauses == []
    calls.clear()
    assert policy.call(flaky, 2) == "done" and len(calls) == 3 and pauses == [0.5, 1.0]
    calls.clear(), pauses.clear()
    with pytest.raises(KeyError):
        policy.call(flaky, 9)
    assert len(calls) == 4 and pauses == [0.5, 1.0, 2.0]
    calls.clear(), pauses.clear()
    with pytest.raises(ValueError):  # not retried: one try, no pause
        policy.call(flaky, 9, ValueError)
    assert len(calls) == 1 and pauses == []

    dropped = []

    @reconnecting((ConnectionError,), attempts=3, pause_seconds=0.0)
    def insert(row: int) -> int:
        dropped.append(row)
        if len(dropped) < 3:
            raise ConnectionError("server closed the connection")
        return row

    assert insert(7) == 7 and dropped == [7, 7, 7]
    assert insert.__name__ == "insert"
