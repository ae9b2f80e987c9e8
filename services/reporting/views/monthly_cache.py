"""The monthly dispatch (R-RPT-1) kept in parts, so a report asked for again
computes only the groups whose rows changed since (projections/versions.py).

An entry holds what ``monthly.build`` returns, per group: its row and its
share of the top-level findings and warnings; the notes of the items no group
serves; and the versions read *before* the rows it was computed from. A call
reads the versions, then the rows of the groups whose version moved (all of
them when the organisation did): a change committed in between is either in
those rows or bumps a version past the entry's, so the next call computes it.
Either way the report equals ``monthly.build``'s over the same rows and day
(tests/unit/reporting/test_monthly_cache.py).

The rows and notes are shared by the reports a cache hands out: nothing
downstream changes them (``live_report`` adds its R-RPT-7 warning to the
report's own top-level list; the renderers copy what they decorate). Each
report gets its own top-level lists and totals.

Whether the live report changed since its issue (R-RPT-7) is a hash of all
its figures, as JSON: written out whole, that is 13 MB for a thousand groups
with their overdue items, longer than the rest of a cached call. Each part
keeps its JSON instead, written once, and the hash reads the parts.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable

from services.backbone.persistence import Database
from services.reporting.periods import Period
from services.reporting.projections import versions as keys
from services.reporting.readmodels import Organisation, ReadModels, Scope
from services.reporting.settings import ReportSettings
from services.reporting.views.common import ISSUE_RULE, figure_sections, figures_json, period_warnings, top_level
from services.reporting.views.facts import Facts, load, sort_key
from services.reporting.views.groups import groups_in, loose_notes, monthly_row, takes_part
from services.reporting.views.monthly import assemble, totals
from services.reporting.views.recruitment import recruitment_warnings

# This month, last month and one more per database: an entry of a month with
# tens of thousands of overdue items holds each of their notes twice and, once
# its digest was asked for, as JSON (about 30 MB and 14 MB for 2023-10 of the
# benchmark's history).
ENTRIES_PER_DATABASE = 3
# Past this share of the report's groups a whole computation is cheaper than
# reading that many groups' rows under a condition on each.
WHOLE_ABOVE_SHARE = 0.5
# And past this many: a read of the recommendations names each group and its
# district in four parts, and SQLite takes 32,766 parameters a statement.
WHOLE_ABOVE_GROUPS = 2000


@dataclass(frozen=True)
class GroupPart:
    """One group's part of the report: its row and its notes as the top level lists them."""

    row: dict[str, Any]
    findings: list[dict[str, Any]]
    warnings: list[dict[str, Any]]

    # Their JSON as ``figures_json`` writes list items, made when a digest first needs it.
    @functools.cached_property
    def row_json(self) -> bytes:
        return figures_json(self.row).encode()

    @functools.cached_property
    def findings_json(self) -> bytes:
        return _items_json(self.findings)

    @functools.cached_property
    def warnings_json(self) -> bytes:
        return _items_json(self.warnings)


@dataclass(frozen=True)
class Entry:
    versions: dict[str, int]
    org: Organisation  # unchanged while ``*`` and ``org`` are: the subset reads use it as it is
    parts: dict[str, GroupPart]  # the groups with a row in the report
    loose: list[dict[str, Any]]  # the notes of items no group serves ("group": None)
    # Assembled once per entry, in the report's order.
    ordered: list[GroupPart] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def loose_json(self) -> bytes:
        return _items_json(self.loose)


@dataclass(frozen=True)
class Outcome:
    """What the last call computed: ``whole`` report, some ``groups``, or ``nothing``."""

    computed: str
    groups: int


class _Cache:
    """A database's entries, least recently used first. Entries are never
    changed, only replaced: two calls at once each hand out a consistent report."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.last = Outcome("nothing", 0)

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[Any, ...], entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > ENTRIES_PER_DATABASE:
                self._entries.popitem(last=False)


# Per Database object (a process may open many: tests, the benchmark); an
# entry goes with its database.
_caches: "weakref.WeakKeyDictionary[Database, _Cache]" = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_of(db: Database) -> _Cache:
    with _caches_lock:
        cache = _caches.get(db)
        if cache is None:
            cache = _caches[db] = _Cache()
        return cache


def last_outcome(db: Database) -> Outcome:
    """What the last monthly report on ``db`` computed (the benchmark counts it)."""
    return _cache_of(db).last


def monthly_report(
    db: Database, p: Period, today: dt.date, settings: ReportSettings
) -> tuple[dict[str, Any], Callable[..., str]]:
    """The report, and what gives ``common.figures_digest`` of it (until anything is added to it)."""
    # A group's part depends on the day only through the day items are overdue
    # as of and whether the month has ended (findings, else warnings); the
    # settings and the day's own warnings are in the header, made every call.
    key = (p.label, p.as_of(today), p.last < today)
    cache = _cache_of(db)
    versions = keys.read_versions(db)  # before any row: see the module's docstring
    entry = cache.get(key)
    if entry is None or versions.get(keys.EVERYTHING) != entry.versions.get(keys.EVERYTHING):
        entry = _whole(db, p, today, versions)
        cache.last = Outcome("whole", len(entry.parts))
    else:
        changed = {k for k in versions.keys() | entry.versions.keys() if versions.get(k) != entry.versions.get(k)}
        if changed:
            entry, cache.last = _changed(db, p, today, versions, entry, changed)
        else:
            cache.last = Outcome("nothing", 0)
    cache.put(key, entry)
    return _report(entry, p, settings, today)


def _whole(db: Database, p: Period, today: dt.date, versions: dict[str, int]) -> Entry:
    facts = load(db, p.first, p.last, today, bounded=True)
    parts = _parts(facts, p, groups_in(facts, p.first, p.last))
    return _entry(versions, facts.org, parts, loose_notes(facts, p.as_of(facts.today)))


def _changed(
    db: Database, p: Period, today: dt.date, versions: dict[str, int], entry: Entry, changed: set[str]
) -> tuple[Entry, Outcome]:
    """The entry with the groups under the changed keys computed again: a group's
    own key, or the key of a district it serves (rows with no group there may be
    its); and the notes no group serves when any district's rows changed."""
    # A group's assignment changed: the organisation read again; the district's rows
    # with no group are the groups' that serve it now or served it before.
    org = ReadModels(db).organisation() if keys.ORGANISATION in changed else entry.org
    groups = {k[len(keys.GROUP_PREFIX) :] for k in changed if k.startswith(keys.GROUP_PREFIX)}
    districts = {k[len(keys.DISTRICT_PREFIX) :] for k in changed if k.startswith(keys.DISTRICT_PREFIX)}
    for known in {id(entry.org): entry.org, id(org): org}.values():
        groups |= {code for code, info in known.groups.items() if info.district in districts}
    if len(groups) > min(WHOLE_ABOVE_SHARE * max(len(entry.parts), 1), WHOLE_ABOVE_GROUPS):
        whole = _whole(db, p, today, versions)
        return whole, Outcome("whole", len(whole.parts))
    served = frozenset(info.district for g in groups if (info := org.groups.get(g)) is not None)
    scope = Scope(groups=frozenset(groups), districts=served, ungrouped=bool(districts))
    facts = load(db, p.first, p.last, today, bounded=True, scope=scope, org=org)
    parts = {g: part for g, part in entry.parts.items() if g not in groups}
    # Membership too: a group off duty enters with a visit dated in the month, leaves when it is moved out.
    parts.update(_parts(facts, p, [g for g in groups if takes_part(facts, g, p.first, p.last)]))
    loose = loose_notes(facts, p.as_of(facts.today)) if districts else entry.loose
    return _entry(versions, org, parts, loose), Outcome("groups", len(groups))


def _parts(facts: Facts, p: Period, groups: Iterable[str]) -> dict[str, GroupPart]:
    month = (p.first.year, p.first.month)
    parts = {}
    for group in groups:
        row = monthly_row(facts, group, month)
        if row is not None:
            parts[group] = GroupPart(row, top_level([row], "findings"), top_level([row], "warnings"))
    return parts


def _entry(
    versions: dict[str, int], org: Organisation, parts: dict[str, GroupPart], loose: list[dict[str, Any]]
) -> Entry:
    ordered = sorted(parts.values(), key=lambda part: sort_key(part.row))
    rows = [part.row for part in ordered]
    return Entry(
        versions=versions,
        org=org,
        parts=parts,
        loose=loose,
        ordered=ordered,
        rows=rows,
        findings=[note for part in ordered for note in part.findings],
        warnings=[note for part in ordered for note in part.warnings],
        totals=totals(rows),
    )


def _report(
    entry: Entry, p: Period, settings: ReportSettings, today: dt.date
) -> tuple[dict[str, Any], Callable[..., str]]:
    """``monthly.build``'s report from an entry: new top-level lists and totals, shared rows and notes."""
    # R-TEAM-2's warnings read the entry's organisation, current whenever a planner or group changed.
    warnings = period_warnings(p, settings, today) + recruitment_warnings(entry.org, p, settings, today)
    report = assemble(
        p, settings, today, warnings,
        rows=list(entry.rows), findings=entry.findings, warnings=entry.warnings, loose=entry.loose,
        totals={k: dict(v) if isinstance(v, dict) else v for k, v in entry.totals.items()},
    )
    return report, functools.partial(_figures_digest, entry, report, warnings, p.last < today)


def _figures_digest(
    entry: Entry, report: dict[str, Any], warnings: list[dict[str, Any]], ended: bool,
    sections: Collection[str] | None = None,
) -> str:
    """``common.figures_digest(report, sections)`` from the parts' JSON: the same bytes as
    ``figures_json`` of the whole, written piece by piece (a dict's keys sorted,
    ``", "`` between items, ``": "`` after keys)."""
    core = figure_sections(report, sections)
    lists = {
        "groups": [part.row_json for part in entry.ordered],
        "findings": [part.findings_json for part in entry.ordered] + [entry.loose_json if ended else b""],
        # Left out like figures_digest does; the groups' notes are under other rules.
        "warnings": [_items_json([w for w in warnings if w.get("rule") != ISSUE_RULE])]
        + [part.warnings_json for part in entry.ordered]
        + [b"" if ended else entry.loose_json],
    }
    digest = hashlib.sha256(b"{")
    for number, key in enumerate(sorted(core)):
        digest.update(b"%s%s: " % (b", " if number else b"", figures_json(key).encode()))
        if key in lists:
            digest.update(b"[" + b", ".join(piece for piece in lists[key] if piece) + b"]")
        else:
            digest.update(figures_json(core[key]).encode())
    digest.update(b"}")
    return digest.hexdigest()


def _items_json(items: list[dict[str, Any]]) -> bytes:
    """The items of a JSON list, without its brackets (empty for none)."""
    return ", ".join(figures_json(item) for item in items).encode()
