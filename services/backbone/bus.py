"""The in-process bus of embedded mode, behind the relay's Publisher interface.

It hands each published envelope to the subscribed projections in the
relay's thread, in notification order; if one raises, publish() raises and
the relay keeps its position and tries again (the others ignore the repeat).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

Subscriber = Callable[[dict[str, Any]], Any]


class InProcessBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)

    def subscribe(self, source: str, subscriber: Subscriber) -> None:
        self._subscribers[source].append(subscriber)

    def publish(self, service: str, envelopes: list[dict[str, Any]]) -> None:
        for envelope in envelopes:
            for subscriber in self._subscribers.get(service, ()):
                subscriber(envelope)
