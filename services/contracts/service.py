"""Contracts entrypoints: decode, call the application, encode."""

from __future__ import annotations

from services.backbone.dependencies import ApplicationProvider, RuntimeProvider
from services.backbone.operations import OperationsRoutes


class ContractsService(OperationsRoutes):
    name = "contracts"
    app = ApplicationProvider("contracts")
    runtime = RuntimeProvider()
