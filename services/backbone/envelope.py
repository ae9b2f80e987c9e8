"""The CloudEvents 1.0 envelope every service publishes (API.md "Events").

Built from a stored notification, so re-publishing the same notification
gives the same envelope (same ``id``): consumers deduplicate on
(source service, ``position``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

SPECVERSION = "1.0"
TYPE_PREFIX = "cn.liaocheng.rps"
# CloudEvents' AMQP structured mode: the whole event is the JSON body, marked by this content type.
MEDIA_TYPE = "application/cloudevents+json"
CONTENT_TYPE = f"{MEDIA_TYPE}; charset=utf-8"
# The content types consumers take off a queue: the structured mode's, and the plain JSON the
# releases before it published (a queue drained after an upgrade still holds those).
ACCEPTED_CONTENT_TYPES = [CONTENT_TYPE, MEDIA_TYPE, "application/json"]
SEQUENCE_DIGITS = 10
_ID_NAMESPACE = uuid.UUID("8d4b8a9e-4a0c-4f7e-9a43-6f1f0c3a2b11")
_NOT_DATA = {"originator_id", "originator_version", "timestamp", "originator_topic", "meta"}


def event_type_name(event: Any) -> str:
    """An event's (or event class's) type on the bus, the routing key: its class's name, as
    ``@event("VisitLogged")`` made it. A resubmission publishes as the submission it repeats
    (``Aggregate.republished_as``)."""
    cls = event if isinstance(event, type) else type(event)
    return getattr(cls, "published_as", None) or cls.__name__


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def sequence_text(version: int) -> str:
    """The CloudEvents ``sequence`` extension: a string that sorts as the versions do."""
    return f"{int(version):0{SEQUENCE_DIGITS}d}"


def sequence_number(envelope: dict[str, Any]) -> int | None:
    """The aggregate version an envelope carries, for comparing in order. Envelopes published
    before the amended contract carry it as an integer, and a broker may still hold them:
    both forms are read."""
    value = envelope.get("sequence")
    return None if value is None else int(value)


def envelope_from_event(service: str, event: Any, position: int, *, chainhash: str | None = None,
                        chainkey: str | None = None, chainsig: str | None = None) -> dict[str, Any]:
    meta = getattr(event, "meta", None) or {}
    name = event_type_name(event)
    version = getattr(type(event), "class_version", 1)
    data = {k: jsonable(v) for k, v in event.__dict__.items() if k not in _NOT_DATA}
    return {
        "specversion": SPECVERSION,
        "id": str(uuid.uuid5(_ID_NAMESPACE, f"{event.originator_id}:{event.originator_version}")),
        "source": f"rps/{service}",
        "type": f"{TYPE_PREFIX}.{service}.{name}.v{version}",
        "time": event.timestamp.astimezone(dt.timezone.utc).isoformat(),
        "subject": str(event.originator_id),
        "datacontenttype": "application/json",
        "data": data,
        "sequence": sequence_text(event.originator_version),
        "position": position,
        "actor": meta.get("actor"),
        "actorrole": meta.get("actorrole"),
        "correlationid": meta.get("correlationid"),
        "causationid": meta.get("causationid"),
        "chainhash": chainhash,
        "chainkey": chainkey,
        "chainsig": chainsig,
    }


def short_type(envelope: dict[str, Any]) -> str:
    """``cn.liaocheng.rps.visits.VisitLogged.v1`` -> ``VisitLogged`` (the routing key)."""
    return envelope["type"].split(".")[-2]


def source_service(envelope: dict[str, Any]) -> str:
    return envelope["source"].split("/", 1)[1]


def encode(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


REQUIRED = ("specversion", "id", "source", "type", "time", "subject", "data", "sequence", "position")


class MalformedEnvelope(ValueError):
    pass


def decode(body: bytes | str | dict) -> dict[str, Any]:
    envelope = body if isinstance(body, dict) else json.loads(body)
    missing = [k for k in REQUIRED if k not in envelope]
    if missing:
        raise MalformedEnvelope(f"envelope lacks {', '.join(missing)}")
    if envelope["specversion"] != SPECVERSION:
        raise MalformedEnvelope(f"unsupported specversion {envelope['specversion']!r}")
    if isinstance(envelope["sequence"], int) and not isinstance(envelope["sequence"], bool):
        # Published before the amended contract (an integer); handed on in today's form.
        envelope = {**envelope, "sequence": sequence_text(envelope["sequence"])}
    elif not (isinstance(envelope["sequence"], str) and envelope["sequence"].isascii()
                 and envelope["sequence"].isdigit()):
        raise MalformedEnvelope(f"sequence {envelope['sequence']!r} is not an aggregate version")
    return envelope
