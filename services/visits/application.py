"""The visits Application: commands and queries, no transport code."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.backbone import clock
from services.backbone.application import ServiceApplication, command
from services.backbone.domain import NotFound
from services.visits.domain import Visit


class VisitsApplication(ServiceApplication):
    name = "Visits"
    service = "visits"

    @command
    def log_visit(self, *, group: str, date: dt.date | None, days: float, **fields: Any) -> Visit:
        today = clock.today()
        visit = Visit.log(today=today, date=date or today, days=days, group=group, district=None, **fields)
        self.save(visit)
        return visit

    def get_visit(self, visit_id: str) -> Visit:
        try:
            key = uuid.UUID(visit_id)
        except ValueError:
            raise NotFound("没有这条服务记录", field="id") from None
        try:
            return self.repository.get(key)
        except Exception as exc:
            if type(exc).__name__ == "AggregateNotFoundError":
                raise NotFound("没有这条服务记录", field="id") from None
            raise
