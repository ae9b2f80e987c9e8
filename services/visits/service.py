"""Visits entrypoints: decode, call the application, encode."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.backbone.dependencies import ApplicationProvider, RuntimeProvider
from services.backbone.http import json_response, parse_body, route
from services.backbone.operations import OperationsRoutes
from services.visits.schemas import LogVisit


class VisitsService(OperationsRoutes):
    name = "visits"
    app = ApplicationProvider("visits")
    runtime = RuntimeProvider()

    @route("POST", "/api/v1/visits")
    def log_visit(self, request: Request) -> Response:
        body = parse_body(request, LogVisit)
        fields = body.model_dump()
        visit = self.app.log_visit(**fields)
        return json_response(visit.as_dict(), 201, headers={"Location": f"/api/v1/visits/{visit.id}"})

    @route("GET", "/api/v1/visits/<visit_id>")
    def get_visit(self, request: Request, visit_id: str) -> Response:
        return json_response(self.app.get_visit(visit_id).as_dict())
