"""The event catalogue, read off the aggregates, and the AsyncAPI 3 document
generated from it (``docs/asyncapi.yaml``; a test keeps the file in step)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import yaml

from services.backbone.domain import Aggregate
from services.backbone.envelope import CONTENT_TYPE, SEQUENCE_DIGITS, TYPE_PREFIX, event_type_name
from services.backbone.declaration import declaration_of, publisher_names

_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "meta"}
# The signed checkpoint `rps migrate` publishes in every stream (R-RPT-5).
_EVERY_STREAM = ("services.backbone.chain_checkpoint",)
_SCALARS = {
    "str": "string", "int": "integer", "float": "number", "bool": "boolean",
    "Decimal": "string", "UUID": "string",  # as envelope.jsonable writes them
}
_ARRAYS = ("list", "tuple", "List", "Tuple", "Sequence", "Iterable", "frozenset", "set")
_OBJECTS = ("dict", "Dict", "Mapping")

# Events whose field names Python or eventsourcing reserve (``id``, ``in``) take
# keyword arguments instead of dataclass fields (``keyworded_init`` in
# services/contracts/domain/checks.py), so their fields cannot be read off the class.
# They are declared here, and tests/unit/test_catalogues.py checks every
# declaration against what a real scenario's events carry.
_DECLARED_FIELDS: dict[str, dict[str, str]] = {
    "ContractSigned": {
        "id": "str", "team": "str", "institution": "str | None", "start_date": "str", "term_years": "int",
        "end_date": "str", "annual_fee_fen": "int", "deduction_rule": "str", "service_year_basis": "str",
        "settle_confirmed_only": "bool", "late_after_days": "int", "leader_meeting_counts_for_visit": "bool",
        "work_content": "str | None",
        "evaluation_weights": "dict[str, int | float]", "pass_mark": "int | float",
        "signed_on": "str | None", "terms": "dict[str, str | None]",  # R-CON-1 (absent from older events)
        "team_code": "str | None", "targets": "dict[str, int]",  # R-TEAM-1, R-TEAM-2 (absent from older events)
    },
    "PlannerAppointed": {
        "id": "str", "name": "str", "origin": "str", "qualifications": "list[str]", "experience_years": "int",
        "community_renewal": "bool", "institution": "str | None", "date": "str | None",
        "institution_code": "str | None", "serves_locally": "bool | None",  # R-TEAM-1, R-TEAM-2
    },
    "PlannerReplaced": {"group": "str", "out": "str", "in": "str", "date": "str", "reason": "str"},
}


def _split_top(text: str, sep: str) -> list[str]:
    """``"dict[str, int] | None"`` split on ``sep`` outside brackets."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == sep and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return [p for p in parts if p]


def _type_schema(text: str) -> dict[str, Any]:
    """JSON Schema of a type annotation written as text (the modules use ``from __future__ import annotations``)."""
    text = text.strip()
    if text.startswith("Optional[") and text.endswith("]"):
        text = f"{text[len('Optional['):-1]} | None"
    alternatives = _split_top(text, "|")
    nullable = "None" in alternatives
    schemas = [_single_schema(a) for a in alternatives if a != "None"]
    if not schemas or any(not s for s in schemas):
        return {}  # Any (or something without a JSON shape we can name): any value
    if len(schemas) == 1:
        schema = dict(schemas[0])
    elif all(set(s) == {"type"} for s in schemas):
        types = list(dict.fromkeys(t for s in schemas for t in _types(s)))
        if "integer" in types and "number" in types:
            types.remove("integer")  # every integer is a number
        schema = {"type": types[0] if len(types) == 1 else types}
    else:
        schema = {"anyOf": schemas}
    if nullable:
        if "type" in schema:
            schema["type"] = [*_types(schema), "null"]
        else:
            schema = {"anyOf": [*schema.get("anyOf", [schema]), {"type": "null"}]}
    return schema


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    return list(kind) if isinstance(kind, list) else [kind] if kind else []


def _single_schema(text: str) -> dict[str, Any]:
    head, _, rest = text.partition("[")
    head = head.strip().rsplit(".", 1)[-1]
    args = _split_top(rest[:-1], ",") if rest.endswith("]") else []
    if head in _SCALARS and not args:
        return {"type": _SCALARS[head]}
    if head in _ARRAYS:
        schema: dict[str, Any] = {"type": "array"}
        item = args[0] if args else "Any"
        if item != "Any" and (len(args) == 1 or (len(args) == 2 and args[1] == "...")):
            items = _type_schema(item)
            if items:
                schema["items"] = items
        return schema
    if head in _OBJECTS:
        schema = {"type": "object"}
        if len(args) == 2 and args[1] != "Any":
            values = _type_schema(args[1])
            if values:
                schema["additionalProperties"] = values
        return schema
    return {}


def _is_date(name: str) -> bool:
    """Business dates travel as ISO dates (``2022-03-03``): ``date``, ``*_date``, ``*_on`` and ``term_start``."""
    return name in ("date", "term_start") or name.endswith(("_date", "_on"))


def _field_schema(name: str, annotation: Any) -> dict[str, Any]:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    schema = _type_schema(text)
    if _is_date(name) and "string" in _types(schema):
        schema["format"] = "date"
    return schema


def _modules(service: str) -> list[Any]:
    """The service's declared event modules and, for a package, every module in it."""
    modules = []
    for name in (*declaration_of(service).event_modules, *_EVERY_STREAM):
        module = importlib.import_module(name)
        modules.append(module)
        for info in pkgutil.walk_packages(getattr(module, "__path__", ()), prefix=f"{name}."):
            modules.append(importlib.import_module(info.name))
    return modules


def event_classes(service: str) -> list[type]:
    found: dict[str, type] = {}
    for module in _modules(service):
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
                    found[event_type_name(candidate)] = candidate
    return [found[name] for name in sorted(found)]


def _description(cls: type) -> str | None:
    """The event class's own docstring (dataclasses make one of the signature where there is none)."""
    doc = cls.__dict__.get("__doc__")
    if not doc or doc.startswith(f"{cls.__name__}("):
        return None
    return inspect.cleandoc(doc)


def catalogue() -> dict[str, dict[str, dict[str, Any]]]:
    """service -> event type -> {"version", "fields": {name: schema}, "description"}.

    Every field is always present in an event's ``data`` (``null`` where its
    schema allows it).
    """
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for service in publisher_names():
        for cls in event_classes(service):
            name = event_type_name(cls)
            annotations = {f.name: f.type for f in dataclasses.fields(cls) if f.name not in _BASE_FIELDS}
            if name in _DECLARED_FIELDS:
                if annotations:
                    raise ValueError(f"{name} has dataclass fields now: drop its entry from _DECLARED_FIELDS")
                annotations = dict(_DECLARED_FIELDS[name])
            if not annotations:
                raise ValueError(f"{name}: its fields cannot be read off the class; declare them in _DECLARED_FIELDS")
            fields = {field: _field_schema(field, annotation) for field, annotation in annotations.items()}
            result.setdefault(service, {})[name] = {
                "version": getattr(cls, "class_version", 1),
                "fields": fields,
                "description": _description(cls),
            }
    return result


def data_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of an event's ``data``: every field present. Fields may be
    added within a version, so the schema does not forbid others; consumers
    ignore what they do not know."""
    return {"type": "object", "required": list(spec["fields"]), "properties": spec["fields"]}


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
        "sequence": {"type": "string", "pattern": f"^[0-9]{{{SEQUENCE_DIGITS}}}$",
                     "description": f"the aggregate version, zero-padded to {SEQUENCE_DIGITS} digits so it sorts as a string "
                                    "(CloudEvents' sequence extension); consumers read an integer there too, which "
                                    "messages published before it carry"},
        "position": {"type": "integer", "description": "the notification id in the service's log; consumers track it"},
        "actor": {"type": ["string", "null"]},
        "actorrole": {"type": ["string", "null"]},
        "correlationid": {"type": ["string", "null"]},
        "causationid": {"type": ["string", "null"]},
        "chainhash": {"type": ["string", "null"], "description": "the tamper-evident chain link of this event (R-RPT-5)"},
        "chainkey": {"type": ["string", "null"], "description": "the id of the chain key that signed chainsig (R-RPT-5)"},
        "chainsig": {"type": ["string", "null"],
                     "description": "HMAC-SHA256 of (service, position, chainhash) with the chain key: a signed checkpoint"},
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
            event_type = f"{TYPE_PREFIX}.{service}.{name}.v{spec['version']}"
            messages[key] = {
                "name": name,
                "title": event_type,
                **({"description": spec["description"]} if spec["description"] else {}),
                "contentType": CONTENT_TYPE,  # CloudEvents' AMQP structured mode
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {
                            "type": "object",
                            "properties": {
                                "source": {"const": f"rps/{service}"},
                                "type": {"const": event_type},
                                "data": data_schema(spec),
                            },
                        },
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
            # AMQP binding 0.3.0 allows deliveryMode on operations only (2 = persistent), not on messages.
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in channel_messages],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "责任规划师制度管理系统 events",
            "version": "1",
            "description": (
                "Events other departments may subscribe to. Messages are CloudEvents 1.0 in the AMQP structured mode "
                f"(content type {CONTENT_TYPE}: the body is the event as JSON); they never carry "
                "residents' personal data (R-OPN-3). Versions and deprecation: within a version fields are only "
                "added, never renamed, removed or retyped, so a consumer must ignore fields it does not know; any "
                "other change is a new version of the event, published beside the old one (type suffix .v2 next to "
                ".v1, the same routing key) for at least six months before the old one stops, with the date "
                "announced here. Subscribing: bind your own durable queue to {service}.events with the event types "
                "as routing keys, then catch up from GET /api/v1/events/{service}?after=N (`rps subscribe` does "
                "both); deduplicate on (source, position), since an event may be delivered more than once."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"schemas": {"Envelope": ENVELOPE}, "messages": messages},
    }


def asyncapi_yaml() -> str:
    header = "# Generated by `rps asyncapi` from the aggregates' events; do not edit by hand.\n"
    return header + yaml.safe_dump(asyncapi_document(), allow_unicode=True, sort_keys=False, width=120)
