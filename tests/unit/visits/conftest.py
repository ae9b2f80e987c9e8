"""Fixtures of the visits tests: a contracts stand-in, the actor's role, the clock."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest

from tests.unit.visits.feed import ContractsFeed, Setup


@pytest.fixture
def feed(runtime) -> ContractsFeed:
    return ContractsFeed(runtime)


@pytest.fixture
def setup(feed, unique) -> Setup:
    """Contract from 2021-06-01 (6,000,000 fen, rule max), group assigned from then."""
    return feed.setup(unique)


@pytest.fixture
def act_as(api, setup) -> Callable[..., None]:
    """From now on the ``api`` calls with a real token of ``role``, scoped to the setup's group,
    district and government (R-SEC-1)."""

    def set_role(role: str, subject: str = "tester") -> None:
        api.use_role(role, subject, group=setup.group, district=setup.district, government="dongchangfu")

    return set_role


@pytest.fixture
def set_now(runtime) -> Callable[[dt.datetime], None]:
    """Set the visits service's clock (an aware datetime, any time zone)."""

    def set_clock(moment: dt.datetime) -> None:
        runtime.app("visits").now = lambda: moment

    return set_clock


@pytest.fixture
def stored(runtime) -> Callable[[], int]:
    """How many events the visits service has stored: 'nothing stored' checks compare it."""
    return lambda: runtime.app("visits").last_position()
