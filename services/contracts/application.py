"""The contracts Application: commands and queries, no transport code.

Its domain arrives with its own issue; the store, relay and routes are live.
"""

from __future__ import annotations

from services.backbone.application import ServiceApplication


class ContractsApplication(ServiceApplication):
    name = "Contracts"
    service = "contracts"
