"""Read models fed by events (exactly once, via tracking records).

One read model per report family; ``ServiceTimeProjection`` stays first (the
projection runner's tests address it by position).
"""

from services.reporting.projections.audit_trail import AuditTrailProjection
from services.reporting.projections.chain_heads import ChainHeadsProjection
from services.reporting.projections.consultations import ConsultationsProjection
from services.reporting.projections.opinions import OpinionsProjection
from services.reporting.projections.organisation import OrganisationProjection
from services.reporting.projections.paperwork import PaperworkProjection
from services.reporting.projections.progress import ProgressProjection
from services.reporting.projections.recommendations import RecommendationsProjection
from services.reporting.projections.service_time import ServiceTimeProjection
from services.reporting.projections.settlements import SettlementsProjection

PROJECTIONS = [
    ServiceTimeProjection,
    ChainHeadsProjection,
    OrganisationProjection,
    SettlementsProjection,
    OpinionsProjection,
    RecommendationsProjection,
    ConsultationsProjection,
    PaperworkProjection,
    ProgressProjection,
    AuditTrailProjection,
]
