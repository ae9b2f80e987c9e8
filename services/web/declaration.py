"""The web pages' service as the core sees it (services/backbone/declaration.py)."""

from services.backbone.declaration import ServiceDeclaration

SERVICE = ServiceDeclaration(
    name="web",
    service="services.web.service:WebService",
    policy="services.web.policy:POLICY",
    settings="services.web.settings:WebSettings",
)
