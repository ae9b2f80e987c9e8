"""The visits service as the core sees it (services/backbone/declaration.py)."""

from services.backbone.declaration import ServiceDeclaration

SERVICE = ServiceDeclaration(
    name="visits",
    service="services.visits.service:VisitsService",
    policy="services.visits.policy:POLICY",
    scope="services.visits.policy:SCOPE",
    application="services.visits.application:VisitsApplication",
    projections="services.visits.projections:PROJECTIONS",
    event_modules=("services.visits.domain", "services.visits.settlement"),
)
