"""`rps notify` under its lease (issue 15 item 5): a dispatcher that lost the lease mid-pass
(frozen, then woken after the standby took over) stops before the next message, so the
people waiting are not told twice by two dispatchers."""

import threading

from services.feedback.notifications import Dispatcher, RecordingNotifier

from .test_notifications import Clock, opinion


def test_a_dispatcher_that_lost_its_lease_stops_before_the_next_message(api, runtime, world):
    # Issue 15 item 5 (R-OPN-4's messages sent once): the lease is asked before each message.
    for _ in range(3):
        opinion(api, world)
    api.settle()
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(runtime.db("feedback"), notifier, clock=Clock())
    held = iter([True, True])  # the lease passes to the standby after two messages
    dispatcher.still_active = lambda: next(held, False)
    assert dispatcher.dispatch_once() == 2
    assert len(notifier.messages) == 2
    assert dispatcher.state()["pending"] >= 4  # the rest wait for the holder
    dispatcher.still_active = lambda: True  # the new holder sends them, once
    dispatcher.dispatch_once()
    assert len({m.id for m in notifier.messages}) == len(notifier.messages)


def test_the_dispatchers_loop_ends_when_its_lease_is_lost(runtime):
    # The cluster's role `notify`: its loop returns to wait for the lease again, though not stopped.
    dispatcher = Dispatcher(runtime.db("feedback"), RecordingNotifier(), clock=Clock())
    held = iter([True, True, True])
    dispatcher.still_active = lambda: next(held, False)
    loop = threading.Thread(target=dispatcher.run, args=(threading.Event(),), kwargs={"idle_seconds": 0.01})
    loop.start()
    loop.join(5.0)
    assert not loop.is_alive()
