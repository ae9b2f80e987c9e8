"""Read models fed by events (exactly once, via tracking records)."""

from services.reporting.projections.service_time import ServiceTimeProjection

PROJECTIONS = [ServiceTimeProjection]
