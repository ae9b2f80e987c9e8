"""The lease that keeps one relay / projection runner active, on the real PostgreSQL
(issue 15 item 5): a standby takes an expired lease with the next fencing token, and
the former holder's writes (the relay's position, a projection's run) are refused.
The same with real processes frozen by SIGSTOP: tests/e2e/test_failover.py."""

from __future__ import annotations

import time

import pytest

from services.backbone.relay import OutboxRelay
from services.backbone.singleton import Lease, LeaseLost, session_connector
from services.bootstrap import Runtime
from tests.processes import wait_for
from tests.unit.visits.feed import envelope

pytestmark = pytest.mark.integration

LEASE = 1.0


@pytest.fixture(scope="module")
def runtime(cluster_settings):
    rt = Runtime.cluster(cluster_settings, ("visits",))
    yield rt
    rt.close()


def freeze(lease: Lease) -> None:
    """The holder stops renewing, as a SIGSTOPped process does (its session stays open)."""
    lease._renewing.clear()


def holders(runtime, unique):
    db = runtime.db("visits")
    name = f"relay:test-{unique}"
    return Lease(db, name, LEASE), Lease(db, name, LEASE)


def take_over(standby: Lease) -> float:
    started = time.monotonic()
    wait_for(standby.try_acquire, timeout=LEASE + 5, what="the standby to take the expired lease")
    return time.monotonic() - started


def test_one_holder_at_a_time_and_a_standby_takes_over_within_a_lease_period(runtime, unique):
    # Issue 15 item 5: a frozen holder is replaced within a lease period, with the next token.
    active, standby = holders(runtime, unique)
    assert active.try_acquire() and active.held()
    assert not standby.try_acquire(), "a live lease is not taken"
    freeze(active)
    assert take_over(standby) <= LEASE + 1.0
    assert standby.token == active.token + 1
    assert not active.held(), "the former holder stops counting itself the holder by its own clock"
    active.release()
    standby.release()


def test_a_former_holders_position_write_is_refused_and_the_position_stands(runtime, unique):
    # Issue 15 item 5 (fencing): the woken relay's save is rolled back; the new holder's stands.
    active, standby = holders(runtime, unique)
    app, db = runtime.app("visits"), runtime.db("visits")
    assert active.try_acquire()
    former = OutboxRelay(app, db, publisher=None, fence=active.fence)
    former._save_position(3)
    freeze(active)
    take_over(standby)
    current = OutboxRelay(app, db, publisher=None, fence=standby.fence)
    current._save_position(7)
    with pytest.raises(LeaseLost):
        former._save_position(5)
    assert current.position() == 7
    assert not active.held()
    standby.release()


def test_a_former_holders_projection_run_is_refused_and_nothing_of_it_is_recorded(runtime, unique):
    # Issue 15 item 5: the runner's run (rows + tracking records) checks the token in its transaction.
    active, standby = holders(runtime, unique)
    projection = runtime.read_model("visits.ledger")
    position = 900_000 + int(unique, 16) % 100_000
    run = [envelope("NoSuchEvent", "s", {}, sequence=1, position=position, source="visits")]
    assert active.try_acquire()
    freeze(active)
    take_over(standby)
    try:
        projection.fence = active.fence
        with pytest.raises(LeaseLost):
            projection.handle_run(run)
        assert position not in _recorded(runtime, position)
        projection.fence = standby.fence
        assert projection.handle_run(run) == 1
        # The same event again (a woken relay's duplicate, same id and position): dropped.
        assert projection.handle_run(run) == 0
        assert _recorded(runtime, position) == [position]
    finally:
        projection.fence = None
        standby.release()


def test_a_holder_frozen_inside_its_transaction_holds_no_one_up_for_longer_than_a_lease(runtime, unique):
    # Issue 15 item 5: PostgreSQL ends the frozen holder's idle transaction after a lease period,
    # so its locks (the lease's row, the position's row) do not keep the standby waiting for ever.
    active, standby = holders(runtime, unique)
    db = runtime.db("visits")
    assert active.try_acquire()
    open_transaction = db.transaction()
    cur = open_transaction.__enter__()
    active.fence(cur)
    freeze(active)
    assert take_over(standby) <= 2 * LEASE + 2.0
    with pytest.raises(Exception):  # its session was ended: the frozen transaction rolled back
        cur.execute("SELECT 1")
        open_transaction.__exit__(None, None, None)
    standby.release()


def _recorded(runtime, position: int) -> list[int]:
    rows = runtime.db("visits").query(
        "SELECT position FROM tracking WHERE projection = 'visits.ledger' AND source = 'visits' AND position = %s",
        (position,),
    )
    return [int(r["position"]) for r in rows]


def test_a_holder_whose_session_ended_is_replaced_at_once_not_at_its_expiry(runtime, cluster_settings, unique):
    # Issue 15 item 5: a holder that dies (kill -9: its session ends) is replaced at once; only a
    # frozen one, whose session lives on, is waited for until its lease expires.
    connect = session_connector(cluster_settings)
    db = runtime.db("visits")
    name = f"relay:test-{unique}"
    active, standby = Lease(db, name, 60.0, connect=connect), Lease(db, name, 60.0, connect=connect)
    assert active.try_acquire()
    freeze(active)
    assert not standby.try_acquire(), "a frozen holder's session lives: its lease is waited for"
    active._close_session()  # the process died: PostgreSQL ends its session and releases its lock
    started = time.monotonic()
    wait_for(standby.try_acquire, timeout=5, what="the standby to take a dead holder's lease")
    assert time.monotonic() - started < 5 and standby.token == active.token + 1
    assert standby.renew() and standby._locked, "the new holder holds the session lock"
    standby.release()


def test_a_holder_of_the_release_before_leases_keeps_the_new_ones_waiting(runtime, cluster_settings, unique):
    # Issue 15 item 5, the rolling update to leases: the old relay holds only the session advisory
    # lock of the same name; the new pods take no lease until it has exited (never two active).
    import psycopg

    from services.backbone.singleton import lock_key

    connect = session_connector(cluster_settings)
    name = f"relay:test-{unique}"
    old = psycopg.connect(cluster_settings.database_url, autocommit=True)
    assert old.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()[0]
    new = Lease(runtime.db("visits"), name, LEASE, connect=connect)
    try:
        assert not new.try_acquire()
        old.close()  # the old pod exits
        wait_for(new.try_acquire, timeout=5, what="the new relay to take the first lease")
        assert new.token == 1 and new.held()
    finally:
        old.close()
        new.release()
