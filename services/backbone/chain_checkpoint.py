"""The signed checkpoint ``rps migrate`` publishes over the links it keyed again (R-RPT-5 amended).

Links made before keying are covered by this checkpoint. It is an event of the
service's own stream (``ChainKeyed``), stored in the transaction that keys the
links again, so it travels as the heads do: the relay publishes it from the
notification log (the outbox), and reporting's consumer keeps it, its
signature checked, where the database's users cannot rewrite it
(services/reporting/projections/chain_heads.py). No dual write: nothing is
written to reporting's store by ``rps migrate``.
"""

from __future__ import annotations

import uuid

from eventsourcing.domain import event

from services.backbone.domain import Aggregate
from services.backbone.topics import register_previous

_NAMESPACE = uuid.UUID("5b0c7e2a-93d4-4c51-8f36-2a9e7d41c0b8")
CHECKPOINT_KIND = "migrate"
CHECKPOINT_EVENT = "ChainKeyed"  # Chain.ChainKeyed's type (routing key)


def checkpoint_id(service: str, position: int) -> uuid.UUID:
    """One aggregate per checkpoint (a chain is keyed again at most once per head)."""
    return uuid.uuid5(_NAMESPACE, f"chain:{service}:{position}")


class Chain(Aggregate):
    """A signed checkpoint of a service's tamper-evident chain, published by ``rps migrate``."""

    @event("ChainKeyed")
    def __init__(self, service: str, position: int, hash: str, key_id: str, signature: str, relinked: int,
                 redacted: int) -> None:
        """`rps migrate` keyed the publishing service's chain again up to `position` (R-RPT-5): `hash` is
        the link there, `signature` the chain key's (id `key_id`) over it as a `migrate` checkpoint;
        `relinked` links were made again after `redacted` events were redacted (R-SEC-4). Reporting
        keeps it once the signature holds."""
        self.service, self.position, self.hash = service, position, hash

    @classmethod
    def checkpoint(cls, service: str, position: int, **fields: object) -> "Chain":
        return cls._create(cls.ChainKeyed, id=checkpoint_id(service, position), service=service, position=position,
                           **fields)


register_previous({  # the topics stored before the event was named as its type (previous-release fixture)
    "services.backbone.chain_checkpoint:Chain.Keyed": "services.backbone.chain_checkpoint:Chain.ChainKeyed",
})
