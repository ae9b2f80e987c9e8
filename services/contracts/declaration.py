"""The contracts service as the core sees it (services/backbone/declaration.py)."""

from services.backbone.declaration import ServiceDeclaration

SERVICE = ServiceDeclaration(
    name="contracts",
    service="services.contracts.service:ContractsService",
    policy="services.contracts.policy:POLICY",
    scope="services.contracts.policy:SCOPE",
    application="services.contracts.application:ContractsApplication",
    projections="services.contracts.projections:PROJECTIONS",
    event_modules=("services.contracts.domain",),
    owns_organisation=True,
    seed="services.contracts.seed:seed_liaocheng",
    commands="services.contracts.commands:COMMANDS",
)
