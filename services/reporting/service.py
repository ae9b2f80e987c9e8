"""Reporting entrypoints: reports read from the projections' database."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.backbone.dependencies import RuntimeProvider
from services.backbone.http import BadRequest, json_response, route
from services.backbone.operations import OperationsRoutes
from services.reporting.audit import verify_all
from services.reporting.views.monthly import monthly_report


class ReportingService(OperationsRoutes):
    name = "reporting"
    runtime = RuntimeProvider()

    @route("GET", "/api/v1/reports/monthly/<period>")
    def monthly(self, request: Request, period: str) -> Response:
        fmt = request.args.get("format", "json")
        if fmt != "json":
            raise BadRequest("format：目前只提供 json", field="format", code="unknown_code")
        try:
            report = monthly_report(self.runtime.db("reporting"), period)
        except ValueError:
            raise BadRequest("period：月份格式应为 YYYY-MM", field="period", code="invalid_value") from None
        return json_response(report)

    @route("GET", "/api/v1/audit/verify")
    def audit_verify(self, request: Request) -> Response:
        return json_response(verify_all(self.runtime))
