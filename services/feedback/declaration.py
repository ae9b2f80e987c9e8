"""The feedback service as the core sees it (services/backbone/declaration.py)."""

from typing import Any, Callable

from services.backbone.declaration import ServiceDeclaration, Worker, resolve


def _notifier(runtime: Any) -> Callable[..., None]:
    return resolve("services.feedback.notifications:dispatcher_for")(runtime).run


SERVICE = ServiceDeclaration(
    name="feedback",
    service="services.feedback.service:FeedbackService",
    policy="services.feedback.policy:POLICY",
    scope="services.feedback.policy:SCOPE",
    application="services.feedback.application:FeedbackApplication",
    projections="services.feedback.projections:PROJECTIONS",
    event_modules=("services.feedback.domain",),
    settings="services.feedback.settings:FeedbackSettings",
    workers=(Worker("notifier", _notifier),),
    commands="services.feedback.commands:COMMANDS",
)
