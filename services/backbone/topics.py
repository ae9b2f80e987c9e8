"""Topics an event store holds for classes that have moved or been renamed since.

eventsourcing stores each event's class as a topic (``module:Qualname``), and each
aggregate's in the events' ``originator_topic`` and in snapshots. A class keeps
loading from what an earlier release stored once its old topics are registered;
each service registers the ones its previous release stored, generated from that
release (``tests/fixtures/previous-release``).
"""

from __future__ import annotations

from typing import Mapping

from eventsourcing.utils import get_topic, register_topic, resolve_topic

_previous: dict[type, list[str]] = {}


def register_previous(topics: Mapping[str, str]) -> None:
    """``{old topic: current topic}``: each old topic resolves to the current class from now on."""
    for old, current in topics.items():
        cls = resolve_topic(current)
        register_topic(old, cls)
        if old not in _previous.setdefault(cls, []):
            _previous[cls].append(old)


def stored_topics(cls: type) -> list[str]:
    """Every topic ``cls`` may be stored under (for queries that filter stored events by topic)."""
    return [get_topic(cls), *_previous.get(cls, ())]


def previous_topics() -> dict[str, type]:
    """Every registered old topic and its class now (tests)."""
    return {old: cls for cls, olds in _previous.items() for old in olds}
