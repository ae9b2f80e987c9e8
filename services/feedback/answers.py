"""The feedback service's success answers (presenters.py, queries.py, application.public_view),
for the OpenAPI document; dates are ISO strings, absent facts null."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, RootModel

from services.backbone.answers import Answer, page_of

Day = str | None  # an ISO date, null until it happens


class Stored(Answer):
    """What every stored object's answer starts with (presenters._common)."""

    id: str
    version: int
    updated_at: str


class OpinionRow(Answer):
    """An opinion in a list (queries.py); staff also see its address and photo."""

    ref: str
    status: str
    district: str | None
    government: str | None
    group: str | None
    category: str
    channel: str
    public: bool
    text: str | None
    date: str
    due_date: Day
    overdue: bool
    updated_at: str


class Opinion(Stored, OpinionRow):
    """An opinion as staff see it (R-SEC-4: personal details only from the vault)."""

    point: Any
    address: str | None
    media_url: str | None
    attributes: dict[str, Any] | None
    acknowledge_due_date: Day
    acknowledged_on: Day
    answered_on: Day
    closed_on: Day
    reply: str | None
    recommendation: Any
    relays: list[Any]
    contact_phone_masked: str | None
    has_personal_data: bool


class RecommendationRow(Answer):
    """A recommendation in a list (queries.py)."""

    id: str
    status: str
    district: str | None
    government: str | None
    group: str | None
    title: str
    date: str
    percent: int
    overdue: bool
    overdue_days: int
    updated_at: str


class Recommendation(Stored, RecommendationRow):
    text: str | None
    category: str
    source: str
    opinions: list[str]
    visits: list[str]
    letter: str | None
    letter_no: str | None
    forwarded_on: Day
    due_date: Day
    decided_on: Day
    decline_reason: str | None
    progress: list[Any]
    completed_on: Day
    verified_on: Day
    reopened: list[Any]
    withdrawn_on: Day


class EscalatedOpinion(Opinion):
    """An escalated opinion with the recommendation it became (R-OPN-5)."""

    recommendation: Recommendation  # type: ignore[assignment]


class PublicOpinion(Answer):
    """R-OPN-4: what anyone holding the reference sees; never personal data."""

    ref: str
    status: str
    category: str
    district: str | None
    district_name: str | None
    date: str
    acknowledged_on: Day
    answered_on: Day
    closed_on: Day
    due_date: Day
    reply: str | None
    public: bool
    text: str | None
    updated_at: str
    recommendation: dict[str, Any] | None


class LetteredRecommendation(Answer):
    id: str
    title: str
    district: str | None
    status: str
    percent: int
    overdue_days: int


class Letter(Stored):
    letter_no: str
    government: str
    date: str
    due_date: Day
    districts: list[str]
    groups: list[str]
    recommendations: list[LetteredRecommendation]


class LetterRow(Answer):
    id: str
    letter_no: str
    government: str
    date: str
    due_date: Day
    items: int
    districts: list[str]
    groups: list[str]


class ConsultationRow(Answer):
    """A consultation in a list (queries.py)."""

    id: str
    status: str
    group: str | None
    district: str | None
    government: str | None
    kind: str
    date: str
    due_date: Day
    overdue: bool
    overdue_days: int


class Consultation(Stored, ConsultationRow):
    subject: str | None
    stage: str | None
    documents: list[Any]
    question: str | None
    asked_by: str | None
    verdict: str | None
    opinion: str | None
    answered_on: Day
    closed_on: Day


class Publicity(Stored):
    group: str | None
    district: str | None
    government: str | None
    date: str
    mode: str
    title: str | None
    audience: int | None
    platform: str | None
    text: str | None


class WorkSummary(Stored):
    group: str | None
    district: str | None
    government: str | None
    kind: str
    period: str
    date: str
    text: str | None
    highlights: list[Any]
    revision: int


class Rating(Stored):
    group: str | None
    district: str | None
    government: str | None
    year: int
    target: str
    target_code: str | None
    scores: dict[str, Any]
    text: str | None
    date: str
    revision: int


class AnnualSummary(Stored):
    kind: str
    author: str | None
    government: str | None
    district: str | None
    group: str | None
    year: int
    text: str | None
    date: str
    revision: int


class IssuedReminders(Stored):
    """A date's reminders; ``issued`` false when the date had been issued before (R-RPT-8)."""

    date: str
    issued: bool
    count: int
    counts: dict[str, int]


OpinionPage = page_of(OpinionRow)
RecommendationPage = page_of(RecommendationRow)
LetterPage = page_of(LetterRow)
ConsultationPage = page_of(ConsultationRow)


# -- Open311 GeoReport v2 (open311.py): the standard's fields as its handlers answer them; the XML's
# element names (open311.xml_document) are the schemas' ``xml`` names, lists wrapped in their root.

def _xml(name: str, **more: Any) -> ConfigDict:
    return ConfigDict(extra="allow", json_schema_extra={"xml": {"name": name, **more}})


def _wrapped(name: str, *, optional: bool = False, **items: Any) -> Any:
    """A list property whose XML wraps its items in ``<name>`` (``<endpoints><endpoint>…``);
    ``optional``: absent where there is none."""
    extra: dict[str, Any] = {"xml": {"name": name, "wrapped": True}}
    if items:
        extra["items"] = items
    if optional:
        return Field(default_factory=list, json_schema_extra=extra)
    return Field(json_schema_extra=extra)


class Open311Service(Answer):
    """One service (an opinion category): ``<service>`` in ``<services>``."""

    model_config = _xml("service")
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class Open311Services(RootModel[list[Open311Service]]):
    """GET services: every service, ``<services><service>…``."""

    model_config = ConfigDict(json_schema_extra={"xml": {"name": "services", "wrapped": True}})


class Open311AttributeValue(Answer):
    model_config = _xml("value")
    key: str
    name: str


class Open311Attribute(Answer):
    """One attribute a request of the service may carry (``attribute[code]`` in its POST)."""

    model_config = _xml("attribute")
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[Open311AttributeValue] = _wrapped("values", optional=True)  # a singlevaluelist's


class Open311ServiceDefinition(Answer):
    """GET services/{code}: ``<service_definition>`` with its ``<attributes><attribute>…``."""

    model_config = _xml("service_definition")
    service_code: str
    attributes: list[Open311Attribute] = _wrapped("attributes")


class Open311Endpoint(Answer):
    model_config = _xml("endpoint")
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str] = _wrapped("formats", type="string", xml={"name": "format"})


class Open311Discovery(Answer):
    """GET discovery: where the endpoint is and what it speaks, ``<discovery>``."""

    model_config = _xml("discovery")
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint] = _wrapped("endpoints")


class Open311ServiceRequest(Answer):
    """One service request (an opinion, public fields only): ``<request>`` in ``<service_requests>``."""

    model_config = _xml("request")
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class Open311ServiceRequests(RootModel[list[Open311ServiceRequest]]):
    """GET requests, requests/{id}: ``<service_requests><request>…``."""

    model_config = ConfigDict(json_schema_extra={"xml": {"name": "service_requests", "wrapped": True}})


class Open311Receipt(Answer):
    """A POSTed request, accepted: its id at once (the standard's ``token`` is for endpoints that
    give the id later; this one never answers it)."""

    model_config = _xml("request")
    service_request_id: str
    service_notice: str
    account_id: str | None
    token: str | None = None


class Open311Receipts(RootModel[list[Open311Receipt]]):
    """POST requests: ``<service_requests><request>…`` with the new request's id."""

    model_config = ConfigDict(json_schema_extra={"xml": {"name": "service_requests", "wrapped": True}})
