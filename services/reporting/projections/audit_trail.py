"""The audit trail (R-RPT-5, R-SEC-2): every event of every service, filed
under the business entities it belongs to, with who did it (actor, role), in
which request (correlation, causation) and what it changed.

An event is filed under its own aggregate's entity (a visit by its id, an
opinion by its public reference, a group by its code, ...) and under the
entities it also concerns (a settlement under its group, a forwarding under
its letter). ``changes`` compares the event's data with what earlier events
of the same aggregate said; aggregates live in one service, so this is a
deterministic function of that service's history and rebuilds give the same
trail. Residents' personal data never travels in events (R-OPN-3); the masked
phone and the vault key an opinion carries are not copied here either.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, Iterable, Sequence

import orjson

from services.backbone.envelope import sequence_number, short_type, source_service
from services.backbone.persistence import Cursor
from services.backbone.declaration import publisher_names
from services.backbone.tracking import Covers, Projection

ENTITIES = (
    "government",
    "district",
    "contract",
    "planner",
    "group",
    "visit",
    "opinion",
    "recommendation",
    "letter",
    "consultation",
    "settlement",
    "publicity",
    "work-summary",
    "rating",
    "annual-summary",
    "team",  # R-TEAM-1
    "institution",
)
# Kept out of the trail: the opinion's link to the resident (R-OPN-3, R-SEC-4).
REDACTED = frozenset({"contact_phone_masked", "person_key", "contact_phone", "contact_name", "contact_email"})

# Event type -> (entity, data field holding its business id) for contracts' events.
_BY_FIELD = {
    "GovernmentRegistered": ("government", "code"),
    "DistrictRegistered": ("district", "code"),
    "DistrictTypesChanged": ("district", "code"),
    "DistrictBoundarySet": ("district", "code"),
    "ContractSigned": ("contract", "id"),
    "ContractRenewed": ("contract", "id"),
    "ContractEnded": ("contract", "id"),
    "TeamEvaluated": ("contract", "contract"),
    "PlannerAppointed": ("planner", "id"),
    "PlannerAssigned": ("planner", "id"),
    "PlannerReleased": ("planner", "id"),
    "PlannerDismissed": ("planner", "id"),
    "PlannerEvaluated": ("planner", "planner"),
    "GroupFormed": ("group", "code"),
    "PlannerReplaced": ("group", "group"),
    "GroupAssignmentEnded": ("group", "group"),
    "TeamRegistered": ("team", "code"),  # R-TEAM-1
    "TeamQualificationRecorded": ("team", "code"),
    "InstitutionRegistered": ("institution", "code"),
}
# Aggregate name (the event type's prefix) -> entity, for aggregates known by their id.
_BY_PREFIX = (
    ("Visit", "visit"),
    ("FeeSettle", "settlement"),  # FeeSettled, FeeSettlementSuperseded
    ("Recommendation", "recommendation"),
    ("ImplementationProgress", "recommendation"),
    ("Letter", "letter"),
    ("Consultation", "consultation"),
    ("Publicity", "publicity"),
    ("WorkSummary", "work-summary"),
    ("Rating", "rating"),
    ("AnnualSummary", "annual-summary"),
)


def primary_entity(event_type: str, envelope: dict[str, Any]) -> tuple[str, str] | None:
    """The entity an aggregate's first event names, or None for an unknown kind."""
    data = envelope["data"]
    if event_type in _BY_FIELD:
        entity, field = _BY_FIELD[event_type]
        return (entity, str(data[field])) if data.get(field) is not None else None
    if event_type == "ContactsChanged" and data.get("entity") in ("government", "district"):
        return data["entity"], str(data["code"])
    if event_type.startswith(("Opinion", "PersonalDataErased")) and data.get("ref"):
        return "opinion", str(data["ref"])
    for prefix, entity in _BY_PREFIX:
        if event_type.startswith(prefix):
            return entity, envelope["subject"]
    return None


def related_entities(event_type: str, data: dict[str, Any], state: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """Other entities an event concerns (``state``: what earlier events of its aggregate said)."""
    merged = {**state, **data}
    if event_type.startswith(("FeeSettle", "Publicity", "WorkSummary", "Rating")) and merged.get("group"):
        yield "group", str(merged["group"])
    if event_type.startswith("AnnualSummary"):
        if merged.get("group"):
            yield "group", str(merged["group"])
        elif merged.get("government"):
            yield "government", str(merged["government"])
    if event_type == "LetterIssued" and data.get("letter_no"):
        yield "letter", str(data["letter_no"])
    if event_type == "RecommendationForwarded":
        for key in ("letter", "letter_no"):
            if data.get(key):
                yield "letter", str(data[key])
    if event_type == "RecommendationRaised":
        for ref in data.get("opinions") or ():
            yield "opinion", str(ref)
    if event_type == "OpinionEscalated" and data.get("recommendation"):
        yield "recommendation", str(data["recommendation"])


def earlier_values(state: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The changed fields' earlier values: all a change needs beside the event's data."""
    return {k: state.get(k) for k, v in data.items() if state.get(k) != v}


def changes_from(earlier: dict[str, Any], data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"from": earlier[k], "to": data[k]} for k in sorted(earlier)}


def _dump(value: Any) -> str:
    # orjson: a rebuild dumps two values per event, a million events and more;
    # compact, keys in the event's own order, the same live and rebuilt.
    return orjson.dumps(value).decode()


# Subjects whose state stays in memory between runs: a bounded cache (memory
# stays flat however long the history); a miss reads the subject's own rows.
STATES_KEPT = 20_000

# How a subject's state is read back (``_states_of``); a rebuild makes it on its first need.
SUBJECT_INDEX = "CREATE INDEX IF NOT EXISTS rpt_audit_subject ON rpt_audit (subject, position)"

State = tuple[tuple[str, str], dict[str, Any]]  # (own entity, what the aggregate's events said so far)


class AuditTrailProjection(Projection):
    name = "reporting.audit"
    consumer = "reporting"
    sources = publisher_names()
    table_names = ("rpt_audit", "rpt_audit_subjects")  # the latter an older release's, dropped on a rebuild
    tables = (
        "CREATE TABLE IF NOT EXISTS rpt_audit ("
        " entity TEXT NOT NULL, entity_id TEXT NOT NULL, source TEXT NOT NULL, position BIGINT NOT NULL,"
        " own INTEGER NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, event_time TEXT NOT NULL,"
        " subject TEXT NOT NULL, sequence BIGINT, actor TEXT, actorrole TEXT, correlationid TEXT, causationid TEXT,"
        " data TEXT NOT NULL, earlier TEXT NOT NULL)",
        "CREATE UNIQUE INDEX IF NOT EXISTS rpt_audit_entity ON rpt_audit (entity, entity_id, source, position)",
        SUBJECT_INDEX,
    )
    # Both keyed by random ids: kept row by row, at a million events every batch
    # rewrites pages all over them; a rebuild sorts them once at the end.
    defer_indexes = True
    # Every event of every service: the biggest read model by far; rebuilt beside the others.
    own_file = "reporting-audit"

    def __init__(self, db: Any):
        super().__init__(db)
        self._states: OrderedDict[str, State] = OrderedDict()
        self._lock = threading.Lock()
        self._subject_index = False  # made sure of in this process

    def handle_run(self, envelopes: Sequence[dict[str, Any]], covers: Covers | None = None) -> int:
        try:
            return super().handle_run(envelopes, covers)
        except BaseException:
            with self._lock:
                self._states.clear()  # the failed run's states were rolled back with it
            raise

    def reset(self) -> None:
        self.forget()
        super().reset()

    def forget(self) -> None:
        super().forget()
        with self._lock:
            self._states.clear()
        self._subject_index = False

    def apply(self, cur: Cursor, envelopes: Sequence[dict[str, Any]]) -> None:
        # An aggregate's first event (version 1) has no state to look up.
        born = {e["subject"] for e in envelopes if sequence_number(e) == 1}
        known = self._states_of(cur, {e["subject"] for e in envelopes} - born)
        rows: list[tuple[Any, ...]] = []
        for envelope in envelopes:
            rows.extend(self._file(envelope, known))
        cur.executemany(
            "INSERT INTO rpt_audit (entity, entity_id, source, position, own, event_id, event_type, event_time,"
            " subject, sequence, actor, actorrole, correlationid, causationid, data, earlier)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",  # no target: during a rebuild the unique index comes at the end
            rows,
        )
        with self._lock:
            for subject, state in known.items():
                self._states[subject] = state
                self._states.move_to_end(subject)
            while len(self._states) > STATES_KEPT:
                self._states.popitem(last=False)

    def _states_of(self, cur: Cursor, subjects: set[str]) -> dict[str, State]:
        """Each subject's state: from memory, else from the subject's own rows (absent: a new aggregate)."""
        with self._lock:
            known = {s: self._states[s] for s in subjects if s in self._states}
        missing = sorted(subjects - known.keys())
        if missing and not self._subject_index:
            cur.execute(SUBJECT_INDEX)  # a no-op but while a rebuild defers it
            self._subject_index = True
        for i in range(0, len(missing), 400):  # under SQLite's bound on parameters
            chunk = missing[i : i + 400]
            marks = ", ".join(["%s"] * len(chunk))
            for row in cur.execute(
                f"SELECT subject, entity, entity_id, data FROM rpt_audit WHERE subject IN ({marks}) AND own = 1"
                " ORDER BY subject, position",
                chunk,
            ).fetchall():
                _, state = known.get(row["subject"], (None, {}))
                known[row["subject"]] = ((row["entity"], row["entity_id"]), {**state, **json.loads(row["data"])})
        return known

    @staticmethod
    def _file(envelope: dict[str, Any], known: dict[str, tuple[tuple[str, str], dict[str, Any]]]) -> list[tuple[Any, ...]]:
        """The event's rows in the trail; ``known`` carries its aggregate's state on."""
        event_type = short_type(envelope)
        subject = envelope["subject"]
        data = envelope.get("data") or {}
        if not REDACTED.isdisjoint(data):
            data = {k: v for k, v in data.items() if k not in REDACTED}
        if subject in known:
            own, state = known[subject]
        else:
            own, state = primary_entity(event_type, envelope) or ("aggregate", subject), {}
        filed = [(own, 1)] + [(e, 0) for e in related_entities(event_type, data, state) if e != own]
        common = (source_service(envelope), int(envelope["position"]))
        details = (
            envelope["id"],
            event_type,
            envelope["time"],
            subject,
            sequence_number(envelope),
            envelope.get("actor"),
            envelope.get("actorrole"),
            envelope.get("correlationid"),
            envelope.get("causationid"),
            _dump(data),
            _dump(earlier_values(state, data)),
        )
        known[subject] = (own, {**state, **data})
        return [(entity, key, *common, is_own, *details) for (entity, key), is_own in _unique(filed)]

    def history(self, entity: str, key: str) -> list[dict[str, Any]]:
        """Every event filed under the entity, oldest first (R-RPT-5)."""
        rows = self.db.query(
            "SELECT source, position, own, event_id, event_type, event_time, subject, sequence, actor, actorrole,"
            " correlationid, causationid, data, earlier FROM rpt_audit WHERE entity = %s AND entity_id = %s"
            " ORDER BY event_time, source, position",
            (entity, key),
        )
        out = []
        for r in rows:
            data = json.loads(r["data"])
            out.append(
                {
                    "time": r["event_time"],
                    "date": data.get("date") if isinstance(data.get("date"), str) else None,
                    "service": r["source"],
                    "type": r["event_type"],
                    "event_id": r["event_id"],
                    "position": int(r["position"]),
                    "subject": r["subject"],
                    "sequence": None if r["sequence"] is None else int(r["sequence"]),
                    "own": bool(r["own"]),
                    "actor": r["actor"],
                    "role": r["actorrole"],
                    "correlation": r["correlationid"],
                    "causation": r["causationid"],
                    "changes": changes_from(json.loads(r["earlier"]), data),
                    "data": data,
                }
            )
        return out


def _unique(filed: list[tuple[tuple[str, str], int]]) -> list[tuple[tuple[str, str], int]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for entity, own in filed:
        if entity not in seen:
            seen.add(entity)
            out.append((entity, own))
    return out
