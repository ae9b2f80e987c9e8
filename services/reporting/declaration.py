"""The reporting service as the core sees it (services/backbone/declaration.py)."""

from services.backbone.declaration import ServiceDeclaration, Worker

SERVICE = ServiceDeclaration(
    name="reporting",
    service="services.reporting.service:ReportingService",
    policy="services.reporting.policy:POLICY",
    projections="services.reporting.projections:PROJECTIONS",
    tables="services.reporting.state:TABLES",
    default_consumer=True,
    settings="services.reporting.settings:ReportSettings",
    metrics="services.reporting.metrics:refresh",
    migrations="services.reporting.audit:migrate_chains",
    workers=(Worker("reminders", "services.reporting.daily_reminders:embedded_worker", daily=True),),
    commands="services.reporting.commands:COMMANDS",
)
