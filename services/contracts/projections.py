"""The directory: the organisation as flat rows for the paged, filtered lists.

Fed by the service's own events (after the relay, so lists are eventually
consistent with the commands). Single resources and the "who serves"
queries read the aggregates instead.
"""

from __future__ import annotations

from services.programme.organisation import OrganisationProjection


class DirectoryProjection(OrganisationProjection):
    """The organisation (the programme's one projection of it) under ``ctr_``."""

    name = "contracts.directory"
    consumer = "contracts"
    prefix = "ctr_"


PROJECTIONS = [DirectoryProjection]
