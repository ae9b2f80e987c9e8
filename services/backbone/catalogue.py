"""The event catalogue, read off the aggregates, and the AsyncAPI 3 document
generated from it (``docs/asyncapi.yaml``; a test keeps the file in step)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any

import yaml

from services.backbone.domain import Aggregate
from services.backbone.envelope import TYPE_PREFIX
from services.backbone.settings import PUBLISHERS

_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "meta"}
_DOMAIN_MODULES = {
    "contracts": ("services.contracts.domain",),
    "visits": ("services.visits.domain", "services.visits.settlement"),
    "feedback": ("services.feedback.domain",),
}
_SCALARS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _schema(annotation: Any) -> dict[str, Any]:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    parts = [p.strip() for p in text.replace("Optional[", "").rstrip("]").split("|")]
    nullable = "None" in parts
    parts = [p for p in parts if p != "None"]
    head = parts[0].split("[", 1)[0] if parts else "Any"
    if head in _SCALARS:
        schema: dict[str, Any] = {"type": _SCALARS[head]}
    elif head in ("list", "tuple", "List", "Sequence"):
        schema = {"type": "array"}
    elif head in ("dict", "Dict", "Mapping"):
        schema = {"type": "object"}
    else:
        schema = {}
    if nullable and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def event_classes(service: str) -> list[type]:
    found: dict[str, type] = {}
    for module_name in _DOMAIN_MODULES.get(service, ()):
        module = importlib.import_module(module_name)
        for obj in vars(module).values():
            if not (inspect.isclass(obj) and issubclass(obj, Aggregate) and obj is not Aggregate):
                continue
            for attr, candidate in vars(obj).items():
                if (
                    inspect.isclass(candidate)
                    and issubclass(candidate, Aggregate.Event)
                    and attr not in ("Event", "Created")
                    and dataclasses.is_dataclass(candidate)
                ):
                    found[getattr(candidate, "event_type", None) or candidate.__qualname__.replace(".", "")] = candidate
    return [found[name] for name in sorted(found)]


def catalogue() -> dict[str, dict[str, dict[str, Any]]]:
    """service -> event type -> {"version", "fields": {name: schema}}."""
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for service in PUBLISHERS:
        for cls in event_classes(service):
            name = getattr(cls, "event_type", None) or cls.__qualname__.replace(".", "")
            fields = {f.name: _schema(f.type) for f in dataclasses.fields(cls) if f.name not in _BASE_FIELDS}
            result.setdefault(service, {})[name] = {"version": getattr(cls, "class_version", 1), "fields": fields}
    return result


ENVELOPE = {
    "type": "object",
    "required": ["specversion", "id", "source", "type", "time", "subject", "data", "sequence", "position"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "description": "unique, stable across re-publication"},
        "source": {"type": "string", "description": "rps/{service}"},
        "type": {"type": "string", "description": f"{TYPE_PREFIX}.{{service}}.{{EventType}}.v{{N}}"},
        "time": {"type": "string", "format": "date-time"},
        "subject": {"type": "string", "description": "the aggregate id"},
        "datacontenttype": {"const": "application/json"},
        "data": {"type": "object"},
        "sequence": {"type": "integer", "description": "the aggregate version"},
        "position": {"type": "integer", "description": "the notification id in the service's log; consumers track it"},
        "actor": {"type": ["string", "null"]},
        "actorrole": {"type": ["string", "null"]},
        "correlationid": {"type": ["string", "null"]},
        "causationid": {"type": ["string", "null"]},
        "chainhash": {"type": ["string", "null"], "description": "the tamper-evident chain link of this event (R-RPT-5)"},
    },
}


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for service, events in catalogue().items():
        channel = f"{service}.events"
        channel_messages = {}
        for name, spec in events.items():
            key = f"{service}.{name}.v{spec['version']}"
            messages[key] = {
                "name": name,
                "title": f"{TYPE_PREFIX}.{service}.{name}.v{spec['version']}",
                "contentType": "application/json",
                "bindings": {"amqp": {"deliveryMode": 2}},
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {"type": "object", "properties": {"data": {"type": "object", "properties": spec["fields"]}}},
                    ]
                },
            }
            channel_messages[name] = {"$ref": f"#/components/messages/{key}"}
        channels[channel] = {
            "address": channel,
            "description": f"Durable topic exchange; routing key = event type. Queue per consumer: evt-{service}--{{consumer}} bound with #.",
            "bindings": {"amqp": {"is": "routingKey", "exchange": {"name": channel, "type": "topic", "durable": True, "autoDelete": False}}},
            "messages": channel_messages,
        }
        operations[f"{service}.publish"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in channel_messages],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "责任规划师制度管理系统 events",
            "version": "1",
            "description": (
                "Events other departments may subscribe to. Bodies are CloudEvents 1.0 JSON; they never carry "
                "residents' personal data (R-OPN-3). A new version of an event is published beside the old one "
                "(type suffix .v2 next to .v1) for at least six months before the old one stops. A late subscriber "
                "catches up from GET /api/v1/events/{service}?after=N."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": {"Envelope": ENVELOPE}, "messages": messages},
    }


def asyncapi_yaml() -> str:
    header = "# Generated by `rps asyncapi` from the aggregates' events; do not edit by hand.\n"
    return header + yaml.safe_dump(asyncapi_document(), allow_unicode=True, sort_keys=False, width=120)
