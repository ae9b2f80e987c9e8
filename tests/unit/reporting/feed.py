"""Reporting's read models fed straight from envelopes, as the bus would hand them over.

Only the read models the monthly report reads (R-RPT-1), in a bare
database (the unit tests' SQLite file): the tests choose every event, its
source position and how events arrive (one at a time, in runs, again),
including what the services would not send today (an item with no group in
a district no group serves).
Envelopes are built by ``tests.unit.visits.feed.envelope``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from services.backbone.envelope import source_service
from services.backbone.persistence import Database, create_tables
from services.backbone.tracking import Projection
from services.reporting.projections import (
    ConsultationsProjection,
    OpinionsProjection,
    OrganisationProjection,
    PaperworkProjection,
    RecommendationsProjection,
    ServiceTimeProjection,
)
from tests.unit.visits.feed import envelope

MONTHLY_READ_MODELS = (
    ServiceTimeProjection,
    OrganisationProjection,
    OpinionsProjection,
    RecommendationsProjection,
    ConsultationsProjection,
    PaperworkProjection,
)
SOURCES = {
    "contracts": ("GovernmentRegistered", "DistrictRegistered", "ContractSigned", "PlannerAppointed", "GroupFormed",
                  "PlannerReplaced", "GroupAssignmentEnded", "DistrictTypesChanged"),
    "visits": ("VisitLogged", "VisitCorrected", "VisitVoided", "VisitConfirmed", "VisitDisputed"),
}


class ReportingFeed:
    def __init__(self, db: Database):
        self.db = db
        create_tables(self.db, ())
        self.projections: list[Projection] = [cls(self.db) for cls in MONTHLY_READ_MODELS]
        for projection in self.projections:
            projection.create_tables()
        self.sent: list[dict[str, Any]] = []  # each envelope once, in the order first delivered
        self._sent_ids: set[str] = set()
        self._positions: dict[str, int] = defaultdict(int)
        self._sequences: dict[str, int] = defaultdict(int)

    def event(self, event_type: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        """The next envelope of the service that publishes ``event_type`` (not delivered)."""
        source = next((s for s, types in SOURCES.items() if event_type in types), "feedback")
        self._positions[source] += 1
        self._sequences[subject] += 1
        return envelope(event_type, subject, data, sequence=self._sequences[subject],
                        position=self._positions[source], source=source)

    def emit(self, event_type: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        env = self.event(event_type, subject, data)
        self.deliver([env])
        return env

    def deliver(self, envelopes: Sequence[dict[str, Any]]) -> None:
        """A run of one source's events, to each read model of that source, as the consumer does."""
        for projection in self.projections:
            if source_service(envelopes[0]) in projection.sources:
                projection.handle_run(envelopes)
        for env in envelopes:
            if env["id"] not in self._sent_ids:
                self._sent_ids.add(env["id"])
                self.sent.append(env)

    def projection(self, cls: type[Projection]) -> Projection:
        return next(p for p in self.projections if isinstance(p, cls))

    def versions(self) -> dict[str, int]:
        return {r["key"]: int(r["version"]) for r in self.db.query("SELECT key, version FROM rpt_group_versions")}

