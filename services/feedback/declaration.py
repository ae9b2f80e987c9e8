"""The feedback service as the core sees it (services/backbone/declaration.py)."""

from services.backbone.declaration import ServiceDeclaration, Worker

SERVICE = ServiceDeclaration(
    name="feedback",
    service="services.feedback.service:FeedbackService",
    policy="services.feedback.policy:POLICY",
    scope="services.feedback.policy:SCOPE",
    application="services.feedback.application:FeedbackApplication",
    projections="services.feedback.projections:PROJECTIONS",
    event_modules=("services.feedback.domain",),
    settings="services.feedback.settings:FeedbackSettings",
    workers=(Worker("notifier", "services.feedback.notifications:dispatcher_loop", role="notify"),),
    commands="services.feedback.commands:COMMANDS",
)
