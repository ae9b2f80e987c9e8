"""The contracts service's events as the visits service keeps them (R-CON-1, R-CON-4, R-ORG-4)."""

from __future__ import annotations

import datetime as dt

from services.programme.assignment import Membership
from services.visits.readmodel import ReadModels
from tests.unit.visits.feed import envelope

D = dt.date.fromisoformat


def reads(runtime) -> ReadModels:
    return ReadModels(runtime.db("visits"))


def test_a_formed_group_has_its_district_contract_members_and_terms(runtime, feed, setup):
    # R-CON-1, R-ORG-4
    group = reads(runtime).assignment(setup.group)
    assert group.district == setup.district
    assert group.periods == ((D("2021-06-01"), None),)
    assert group.members_on(D("2021-06-01")) == sorted([setup.tier1, setup.local])
    terms = group.contract
    assert (terms.id, terms.start_date, terms.end_date) == (setup.contract, D("2021-06-01"), D("2024-05-31"))
    assert (terms.annual_fee_fen, terms.deduction_rule, terms.service_year_basis) == (6_000_000, "max", "contract")
    assert (terms.settle_confirmed_only, terms.late_after_days) == (False, 7)
    assert reads(runtime).assignment("g-nobody") is None


def test_replacement_changes_membership_only(runtime, feed, setup, unique):
    # R-CON-4: the outgoing planner's last day is the day before; the group's assignment goes on
    p3 = feed.planner(f"p3-{unique}")
    feed.replace(setup.group, setup.tier1, p3, "2022-01-10")
    group = reads(runtime).assignment(setup.group)
    assert Membership(setup.tier1, D("2021-06-01"), D("2022-01-09")) in group.members
    assert Membership(p3, D("2022-01-10"), None) in group.members
    assert group.periods == ((D("2021-06-01"), None),)
    assert group.on_duty() == [(D("2021-06-01"), D("2024-05-31"))]


def test_end_events_close_on_their_date_inclusive(runtime, feed, setup, unique):
    # An end event's date is the last day covered; renewal extends the contract (R-CON-2)
    feed.dismiss(setup.local, "2022-02-15")
    feed.end_group(setup.group, "2022-03-10")
    group = reads(runtime).assignment(setup.group)
    assert group.member_on(setup.local, D("2022-02-15")) and not group.member_on(setup.local, D("2022-02-16"))
    assert group.member_on(setup.tier1, D("2022-03-10")) and not group.member_on(setup.tier1, D("2022-03-11"))
    assert group.on_duty() == [(D("2021-06-01"), D("2022-03-10"))]
    feed.renew(setup.contract, "2024-05-31", term_years=3, end_date="2027-05-31")
    assert reads(runtime).contract(setup.contract).end_date == D("2027-05-31")
    feed.end_contract(setup.contract, "2025-12-31")
    assert reads(runtime).contract(setup.contract).end_date == D("2025-12-31")


def test_a_redelivered_event_changes_nothing(runtime, feed, unique):
    # Exactly once: the tracking record of (source, position)
    projection = next(p for p in runtime.projections["visits"] if "contracts" in p.sources)
    formed = feed.setup(unique)
    event = envelope("PlannerReplaced", f"group:{formed.group}",
                     {"group": formed.group, "out": formed.tier1, "in": "p-new", "date": "2022-01-10", "reason": "x"},
                     sequence=2, position=99_000_000)
    assert projection.handle(event) is True
    assert projection.handle(event) is False
    members = reads(runtime).assignment(formed.group).members
    assert sum(1 for m in members if m.planner == "p-new") == 1


def test_a_group_formed_again_after_its_end_serves_both_periods(runtime, feed, setup):
    # R-VIS-2: duty months come from every period of the group's assignment
    feed.end_group(setup.group, "2021-09-30")
    feed.group(setup.group, district=setup.district, contract=setup.contract, tier1=setup.tier1,
               local=setup.local, from_date="2022-01-01")
    group = reads(runtime).assignment(setup.group)
    assert group.on_duty() == [(D("2021-06-01"), D("2021-09-30")), (D("2022-01-01"), D("2024-05-31"))]
    assert not group.assigned_on(D("2021-12-01")) and group.member_on(setup.tier1, D("2022-01-01"))


def test_the_assignment_commands_keep_follows_every_contracts_event(runtime, feed, setup, unique):
    # The application keeps a group's assignment between commands; each contracts
    # event gives the facts a new stamp, so the next read sees the change.
    kept = runtime.app("visits").reads
    first = kept.assignment(setup.group)
    assert kept.assignment(setup.group) is first  # kept, not read again
    p3 = feed.planner(f"p3-{unique}")
    feed.replace(setup.group, setup.tier1, p3, "2022-01-10")
    assert Membership(p3, D("2022-01-10"), None) in kept.assignment(setup.group).members
    feed.end_group(setup.group, "2022-03-10")
    assert kept.assignment(setup.group).on_duty() == [(D("2021-06-01"), D("2022-03-10"))]
    feed.end_contract(setup.contract, "2022-02-28")
    assert kept.assignment(setup.group).contract.end_date == D("2022-02-28")
    # An unknown group is kept as unknown only until contracts forms it.
    assert kept.assignment(f"g-later-{unique}") is None
    feed.group(f"g-later-{unique}", district=setup.district, contract=setup.contract, tier1=p3,
               local=setup.local, from_date="2022-01-01")
    assert kept.assignment(f"g-later-{unique}").members_on(D("2022-01-01")) == sorted([p3, setup.local])


def test_a_rebuild_of_the_contracts_facts_is_seen_too(runtime, feed, setup):
    kept = runtime.app("visits").reads
    assert kept.assignment(setup.group) is not None
    projection = next(p for p in runtime.projections["visits"] if "contracts" in p.sources)
    projection.reset()  # dropped, to be applied again from contracts' history
    assert kept.assignment(setup.group) is None
