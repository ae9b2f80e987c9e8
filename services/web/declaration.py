"""The web pages' service as the core sees it (services/backbone/declaration.py)."""

from services.backbone.declaration import ServiceDeclaration

SERVICE = ServiceDeclaration(
    name="web",
    service="services.web.service:WebService",
    settings="services.web.settings:WebSettings",
)
