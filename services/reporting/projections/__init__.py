"""Read models fed by events (exactly once, via tracking records)."""

from services.reporting.projections.chain_heads import ChainHeadsProjection
from services.reporting.projections.service_time import ServiceTimeProjection

PROJECTIONS = [ServiceTimeProjection, ChainHeadsProjection]
