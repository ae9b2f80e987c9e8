"""Group commit keeps each command all-or-nothing and its conflict its own."""

from __future__ import annotations

import threading

from eventsourcing.persistence import IntegrityError

from services.backbone.application import GroupCommitter
from tests.processes import wait_for


class _Event:
    def __init__(self, name: str):
        self.name = name


class _Processing:
    def __init__(self, *names: str):
        self.events = [_Event(n) for n in names]


def test_commands_arriving_together_share_one_transaction_and_get_their_own_recordings():
    transactions: list[list[str]] = []
    gate = threading.Event()

    def put(events):
        gate.wait(5)  # the first transaction is slow, so the others queue behind it
        transactions.append([e.name for e in events])
        return [f"rec-{e.name}" for e in events]

    committer = GroupCommitter(put)
    results: dict[str, list] = {}
    threads = [
        threading.Thread(target=lambda n=n: results.__setitem__(n, committer.record(_Processing(f"{n}a", f"{n}b"))))
        for n in "wxyz"
    ]
    threads[0].start()
    wait_for(lambda: committer._leader_active, 10, "the first command leading")  # issue 15: no spin without a deadline
    for t in threads[1:]:
        t.start()
    wait_for(lambda: len(committer._queue) >= 3, 10, "three commands queued behind it")
    gate.set()
    for t in threads:
        t.join(5)
    assert len(transactions) == 2  # the first alone, then the three that waited, together
    assert sorted(transactions[1]) == ["xa", "xb", "ya", "yb", "za", "zb"]
    assert {n: r for n, r in results.items()} == {n: [f"rec-{n}a", f"rec-{n}b"] for n in "wxyz"}


def test_a_conflict_in_a_batch_fails_only_its_own_command():
    def put(events):
        if any(e.name == "bad" for e in events):
            raise IntegrityError("version taken")
        return [e.name for e in events]

    committer = GroupCommitter(put)
    ok, bad = _Processing("ok1", "ok2"), _Processing("bad")
    tickets = []
    from services.backbone.application import _Ticket

    tickets = [_Ticket(ok), _Ticket(bad)]
    committer._commit(tickets)
    assert tickets[0].recordings == ["ok1", "ok2"] and tickets[0].error is None
    assert isinstance(tickets[1].error, IntegrityError)
    assert all(t.done.is_set() for t in tickets)
