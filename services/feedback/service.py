"""Feedback entrypoints: decode, call the application, encode.

Opinions, recommendations, letters, consultations, publicity, summaries and
ratings under ``/api/v1`` (API.md), and Open311 GeoReport v2 under
``/api/v1/open311/v2``. Roles and scopes (R-SEC-1) arrive with the auth
issue; ``GET /opinions/{ref}`` and the Open311 calls stay open to residents.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from services.backbone import clock
from services.backbone.hosting import ApplicationProvider, RuntimeProvider
from services.backbone.domain import NotFound
from services.backbone.http import json_response, parse_body, route
from services.backbone.operations import OperationsRoutes
from services.feedback import answers, open311, presenters, queries
from services.feedback.application import FeedbackApplication
from services.feedback.schemas import (
    AcknowledgeOpinion,
    AssignDistrict,
    AnswerOpinion,
    Completion,
    ConsultationOpinion,
    Dated,
    EscalateOpinion,
    ForwardRecommendation,
    IssueReminders,
    OptionalText,
    Open311Request,
    Progress,
    RaiseRecommendation,
    Reason,
    RecordPublicity,
    RelayOpinion,
    RequestConsultation,
    SendLetter,
    SubmitAnnualSummary,
    SubmitOpinion,
    SubmitRating,
    SubmitWorkSummary,
)

API = "/api/v1"
OPEN311 = f"{API}/open311/v2"
# GeoReport v2 GET requests filters, as open311.find_requests reads them (issue 16: documented in /openapi.json).
_OPEN311_FIND = {
    "service_request_id": {"type": "string", "description": "一个或逗号分隔的多个编号"},
    "service_code": {"type": "string", "description": "一个或逗号分隔的多个类别"},
    "start_date": {"type": "string", "format": "date-time"},
    "end_date": {"type": "string", "format": "date-time"},
    "status": {"type": "string", "description": "open、closed 或 open,closed"},
}


def _shown_fields(payload: dict[str, Any], details: Any) -> tuple[str, ...]:
    """The personal fields staff were shown of one opinion (R-SEC-4): its details, its masked contact."""
    return (*(details.fields if details is not None else ()),
            *(("contact_phone_masked",) if payload.get("contact_phone_masked") else ()))


def _fields(model: Any) -> dict[str, Any]:
    """The body's fields as keyword arguments (nested models as plain dicts)."""
    return model.model_dump()


class FeedbackService(OperationsRoutes):
    name = "feedback"
    app = ApplicationProvider("feedback")
    runtime = RuntimeProvider()

    @property
    def feedback(self) -> FeedbackApplication:
        return self.app  # wired once, when the runtime built it

    def _created(self, payload: dict[str, Any], location: str) -> Response:
        return json_response(payload, 201, headers={"Location": location})

    def _staff_view(self, opinion: Any) -> dict[str, Any]:
        """An opinion as staff see it; showing its masked contact is a recorded access (R-SEC-4)."""
        details = self.feedback.vault.details([opinion.ref]).get(opinion.ref)
        payload = presenters.opinion(opinion, clock.today(), details)
        self.feedback.vault.viewed({opinion.ref: _shown_fields(payload, details)})
        return payload

    # -- opinions ----------------------------------------------------------------

    @route("POST", f"{API}/opinions", response=answers.Opinion, body=SubmitOpinion, status=201)
    def submit_opinion(self, request: Request) -> Response:
        body = parse_body(request, SubmitOpinion)
        opinion = self.feedback.submit_opinion(**_fields(body))
        return self._created(presenters.opinion(opinion, clock.today()), f"{API}/opinions/{opinion.ref}")

    @route("GET", f"{API}/opinions", response=answers.OpinionPage, query=queries.list_query(queries.OPINION_FILTERS))
    def list_opinions(self, request: Request) -> Response:
        page = queries.list_opinions(self.runtime.db("feedback"), request.args, clock.today())
        # R-SEC-4: staff see the personal details from the vault; each opinion shown is one recorded access
        held = self.feedback.vault.details(item["ref"] for item in page["items"])
        for item in page["items"]:
            item.update({"address": None, "media_url": None,
                         **(held[item["ref"]].shown() if item["ref"] in held else {})})
        self.feedback.vault.viewed({item["ref"]: _shown_fields(item, held.get(item["ref"])) for item in page["items"]})
        return json_response(page)

    @route("GET", f"{API}/opinions/<ref>", response=answers.PublicOpinion)
    def follow_opinion(self, request: Request, ref: str) -> Response:
        # R-OPN-4: no token; status, reply and the linked recommendation's progress only.
        return json_response(self.feedback.public_view(ref))

    @route("POST", f"{API}/opinions/<ref>/district", response=answers.Opinion, body=AssignDistrict)
    def assign_district(self, request: Request, ref: str) -> Response:
        # R-OPN-1: the bureau's triage list: an address-only opinion gets its district
        body = parse_body(request, AssignDistrict)
        return json_response(self._staff_view(self.feedback.assign_district(ref, **_fields(body))))

    @route("POST", f"{API}/opinions/<ref>/acknowledge", response=answers.Opinion, body=AcknowledgeOpinion)
    def acknowledge_opinion(self, request: Request, ref: str) -> Response:
        body = parse_body(request, AcknowledgeOpinion)
        return json_response(self._staff_view(self.feedback.acknowledge_opinion(ref, **_fields(body))))

    @route("POST", f"{API}/opinions/<ref>/relay", response=answers.Opinion, body=RelayOpinion)
    def relay_opinion(self, request: Request, ref: str) -> Response:
        body = parse_body(request, RelayOpinion)
        return json_response(self._staff_view(self.feedback.relay_opinion(ref, **_fields(body))))

    @route("POST", f"{API}/opinions/<ref>/answer", response=answers.Opinion, body=AnswerOpinion)
    def answer_opinion(self, request: Request, ref: str) -> Response:
        body = parse_body(request, AnswerOpinion)
        return json_response(self._staff_view(self.feedback.answer_opinion(ref, **_fields(body))))

    @route("POST", f"{API}/opinions/<ref>/escalate",
           response=answers.EscalatedOpinion, body=EscalateOpinion, status=201)
    def escalate_opinion(self, request: Request, ref: str) -> Response:
        body = parse_body(request, EscalateOpinion)
        opinion, recommendation = self.feedback.escalate_opinion(ref, **_fields(body))
        payload = {**self._staff_view(opinion),
                   "recommendation": presenters.recommendation(recommendation, clock.today())}
        return json_response(payload, 201, headers={"Location": f"{API}/recommendations/{recommendation.id}"})

    @route("POST", f"{API}/opinions/<ref>/close", response=answers.Opinion, body=Dated)
    def close_opinion(self, request: Request, ref: str) -> Response:
        body = parse_body(request, Dated)
        return json_response(self._staff_view(self.feedback.close_opinion(ref, **_fields(body))))

    @route("DELETE", f"{API}/opinions/<ref>/personal-data")
    def erase_personal_data(self, request: Request, ref: str) -> Response:
        # R-OPN-3, R-SEC-4: idempotent; the opinion stays.
        self.feedback.erase_personal_data(ref)
        return Response(status=204)

    # -- recommendations ----------------------------------------------------------------

    @route("POST", f"{API}/recommendations", response=answers.Recommendation, body=RaiseRecommendation, status=201)
    def raise_recommendation(self, request: Request) -> Response:
        body = parse_body(request, RaiseRecommendation)
        rec = self.feedback.raise_recommendation(**_fields(body))
        return self._created(presenters.recommendation(rec, clock.today()), f"{API}/recommendations/{rec.id}")

    @route("GET", f"{API}/recommendations",
           response=answers.RecommendationPage, query=queries.list_query(queries.RECOMMENDATION_FILTERS))
    def list_recommendations(self, request: Request) -> Response:
        return json_response(queries.list_recommendations(self.runtime.db("feedback"), request.args, clock.today()))

    @route("GET", f"{API}/recommendations/<rec_id>", response=answers.Recommendation)
    def get_recommendation(self, request: Request, rec_id: str) -> Response:
        return json_response(presenters.recommendation(self.feedback.get_recommendation(rec_id), clock.today()))

    def _step(self, request: Request, schema: type, command: str, rec_id: str) -> Response:
        body = parse_body(request, schema)
        rec = getattr(self.feedback, command)(rec_id, **_fields(body))
        return json_response(presenters.recommendation(rec, clock.today()))

    @route("POST", f"{API}/recommendations/<rec_id>/forward",
           response=answers.Recommendation, body=ForwardRecommendation)
    def forward_recommendation(self, request: Request, rec_id: str) -> Response:
        return self._step(request, ForwardRecommendation, "forward_recommendation", rec_id)

    @route("POST", f"{API}/recommendations/<rec_id>/accept", response=answers.Recommendation, body=OptionalText)
    def accept_recommendation(self, request: Request, rec_id: str) -> Response:
        return self._step(request, OptionalText, "accept_recommendation", rec_id)

    @route("POST", f"{API}/recommendations/<rec_id>/decline", response=answers.Recommendation, body=Reason)
    def decline_recommendation(self, request: Request, rec_id: str) -> Response:
        return self._step(request, Reason, "decline_recommendation", rec_id)

    @route("POST", f"{API}/recommendations/<rec_id>/progress", response=answers.Recommendation, body=Progress)
    def report_progress(self, request: Request, rec_id: str) -> Response:
        return self._step(request, Progress, "report_progress", rec_id)

    @route("POST", f"{API}/recommendations/<rec_id>/complete", response=answers.Recommendation, body=Completion)
    def complete_recommendation(self, request: Request, rec_id: str) -> Response:
        return self._step(request, Completion, "complete_recommendation", rec_id)

    @route("POST", f"{API}/recommendations/<rec_id>/verify", response=answers.Recommendation, body=OptionalText)
    def verify_recommendation(self, request: Request, rec_id: str) -> Response:
        return self._step(request, OptionalText, "verify_recommendation", rec_id)

    @route("POST", f"{API}/recommendations/<rec_id>/reopen", response=answers.Recommendation, body=Reason)
    def reopen_recommendation(self, request: Request, rec_id: str) -> Response:
        return self._step(request, Reason, "reopen_recommendation", rec_id)

    @route("POST", f"{API}/recommendations/<rec_id>/withdraw", response=answers.Recommendation, body=Reason)
    def withdraw_recommendation(self, request: Request, rec_id: str) -> Response:
        return self._step(request, Reason, "withdraw_recommendation", rec_id)

    # -- letters --------------------------------------------------------------------

    @route("POST", f"{API}/letters", response=answers.Letter, body=SendLetter, status=201)
    def send_letter(self, request: Request) -> Response:
        body = parse_body(request, SendLetter)
        letter, items = self.feedback.send_letter(**_fields(body))
        return self._created(presenters.letter(letter, items, clock.today()), f"{API}/letters/{letter.id}")

    @route("GET", f"{API}/letters", response=answers.LetterPage, query=queries.list_query(queries.LETTER_FILTERS))
    def list_letters(self, request: Request) -> Response:
        return json_response(queries.list_letters(self.runtime.db("feedback"), request.args, clock.today()))

    @route("GET", f"{API}/letters/<letter_id>", response=answers.Letter)
    def get_letter(self, request: Request, letter_id: str) -> Response:
        letter = self.feedback.get_letter(letter_id)
        items = [self.feedback.get_recommendation(r) for r in letter.recommendations]
        return json_response(presenters.letter(letter, items, clock.today()))

    # -- consultations -------------------------------------------------------------------

    @route("POST", f"{API}/consultations", response=answers.Consultation, body=RequestConsultation, status=201)
    def request_consultation(self, request: Request) -> Response:
        body = parse_body(request, RequestConsultation)
        consultation = self.feedback.request_consultation(**_fields(body))
        return self._created(presenters.consultation(consultation, clock.today()),
                             f"{API}/consultations/{consultation.id}")

    @route("GET", f"{API}/consultations",
           response=answers.ConsultationPage, query=queries.list_query(queries.CONSULTATION_FILTERS))
    def list_consultations(self, request: Request) -> Response:
        return json_response(queries.list_consultations(self.runtime.db("feedback"), request.args, clock.today()))

    @route("GET", f"{API}/consultations/<consultation_id>", response=answers.Consultation)
    def get_consultation(self, request: Request, consultation_id: str) -> Response:
        return json_response(presenters.consultation(self.feedback.get_consultation(consultation_id), clock.today()))

    @route("POST", f"{API}/consultations/<consultation_id>/opinion",
           response=answers.Consultation, body=ConsultationOpinion)
    def answer_consultation(self, request: Request, consultation_id: str) -> Response:
        body = parse_body(request, ConsultationOpinion)
        consultation = self.feedback.answer_consultation(consultation_id, **_fields(body))
        return json_response(presenters.consultation(consultation, clock.today()))

    @route("POST", f"{API}/consultations/<consultation_id>/close", response=answers.Consultation, body=OptionalText)
    def close_consultation(self, request: Request, consultation_id: str) -> Response:
        body = parse_body(request, OptionalText)
        consultation = self.feedback.close_consultation(consultation_id, **_fields(body))
        return json_response(presenters.consultation(consultation, clock.today()))

    # -- publicity, summaries, ratings -----------------------------------------------------

    @route("POST", f"{API}/publicity", response=answers.Publicity, body=RecordPublicity, status=201)
    def record_publicity(self, request: Request) -> Response:
        body = parse_body(request, RecordPublicity)
        return json_response(presenters.publicity(self.feedback.record_publicity(**_fields(body))), 201)

    @route("POST", f"{API}/work-summaries", response=answers.WorkSummary, body=SubmitWorkSummary, status=201)
    def submit_work_summary(self, request: Request) -> Response:
        body = parse_body(request, SubmitWorkSummary)
        return json_response(presenters.work_summary(self.feedback.submit_work_summary(**_fields(body))), 201)

    @route("POST", f"{API}/ratings", response=answers.Rating, body=SubmitRating, status=201)
    def submit_rating(self, request: Request) -> Response:
        body = parse_body(request, SubmitRating)
        return json_response(presenters.rating(self.feedback.submit_rating(**_fields(body))), 201)

    @route("POST", f"{API}/annual-summaries", response=answers.AnnualSummary, body=SubmitAnnualSummary, status=201)
    def submit_annual_summary(self, request: Request) -> Response:
        body = parse_body(request, SubmitAnnualSummary)
        return json_response(presenters.annual_summary(self.feedback.submit_annual_summary(**_fields(body))), 201)

    # -- reminders (R-RPT-8) ----------------------------------------------------------------------

    @route("POST", f"{API}/daily-reminders", response=answers.IssuedReminders, body=IssueReminders, status=(201, 200))
    def issue_reminders(self, request: Request) -> Response:
        """A date's reminders from reporting's daily job, recorded once and handed to the notifier;
        201 the first time, 200 (``issued: false``) when the date was issued before."""
        body = parse_body(request, IssueReminders)
        reminders = [r.model_dump(mode="json") for r in body.reminders]
        issued, created = self.feedback.issue_reminders(date=body.date, reminders=reminders)
        return json_response(presenters.reminders(issued, created), 201 if created else 200)

    # -- Open311 GeoReport v2 -----------------------------------------------------------------
    # Errors keep the status the one mapping decides, in the standard's list shape: the route's
    # ``errors`` renders the gate's refusals (401, 429, 400 ...) and the handler's alike.

    # XML is the standard's base format; every call answers in the format of its extension.

    @route("GET", f"{OPEN311}/discovery.json", response=answers.Open311Discovery, errors=open311.JSON_ERRORS)
    def open311_discovery(self, request: Request) -> Response:
        return self._open311_discovery(request, "json")

    @route("GET", f"{OPEN311}/discovery.xml", response=answers.Open311Discovery, errors=open311.XML_ERRORS)
    def open311_discovery_xml(self, request: Request) -> Response:
        return self._open311_discovery(request, "xml")

    def _open311_discovery(self, request: Request, fmt: str) -> Response:
        return open311.answer("discovery", open311.discovery(request.host_url.rstrip("/") + OPEN311), fmt)

    @route("GET", f"{OPEN311}/services.json", response=answers.Open311Services, errors=open311.JSON_ERRORS)
    def open311_services(self, request: Request) -> Response:
        return open311.answer("services", open311.services(), "json")

    @route("GET", f"{OPEN311}/services.xml", response=answers.Open311Services, errors=open311.XML_ERRORS)
    def open311_services_xml(self, request: Request) -> Response:
        return open311.answer("services", open311.services(), "xml")

    @route("GET", f"{OPEN311}/services/<code>.json", response=answers.Open311ServiceDefinition,
           errors=open311.JSON_ERRORS)
    def open311_service(self, request: Request, code: str) -> Response:
        return open311.answer("service_definition", open311.service_definition(code), "json")

    @route("GET", f"{OPEN311}/services/<code>.xml", response=answers.Open311ServiceDefinition,
           errors=open311.XML_ERRORS)
    def open311_service_xml(self, request: Request, code: str) -> Response:
        return open311.answer("service_definition", open311.service_definition(code), "xml")

    @route("POST", f"{OPEN311}/requests.json", forms=True, body=Open311Request, status=201,
           response=answers.Open311Receipts, errors=open311.JSON_ERRORS)
    def open311_post_request(self, request: Request) -> Response:
        return open311.answer("requests", self._open311_submit(request), "json", 201)

    @route("POST", f"{OPEN311}/requests.xml", forms=True, body=Open311Request, status=201,
           response=answers.Open311Receipts, errors=open311.XML_ERRORS)
    def open311_post_request_xml(self, request: Request) -> Response:
        return open311.answer("requests", self._open311_submit(request), "xml", 201)

    def _open311_submit(self, request: Request) -> list[dict[str, Any]]:
        opinion = self.feedback.submit_opinion(**open311.opinion_from_form(open311.form_fields(request)))
        notice = f"已收到，请凭编号 {opinion.ref} 查询办理情况"
        return [{"service_request_id": opinion.ref, "service_notice": notice, "account_id": None}]

    @route("GET", f"{OPEN311}/requests.json", query=_OPEN311_FIND, response=answers.Open311ServiceRequests,
           errors=open311.JSON_ERRORS)
    def open311_requests(self, request: Request) -> Response:
        return open311.answer("requests", self._open311_find(request), "json")

    @route("GET", f"{OPEN311}/requests.xml", query=_OPEN311_FIND, response=answers.Open311ServiceRequests,
           errors=open311.XML_ERRORS)
    def open311_requests_xml(self, request: Request) -> Response:
        return open311.answer("requests", self._open311_find(request), "xml")

    def _open311_find(self, request: Request) -> list[dict[str, Any]]:
        return open311.find_requests(self.runtime.db("feedback"), request.args)

    @route("GET", f"{OPEN311}/requests/<ref>.json", response=answers.Open311ServiceRequests,
           errors=open311.JSON_ERRORS)
    def open311_request(self, request: Request, ref: str) -> Response:
        return open311.answer("requests", self._open311_one(ref), "json")

    @route("GET", f"{OPEN311}/requests/<ref>.xml", response=answers.Open311ServiceRequests,
           errors=open311.XML_ERRORS)
    def open311_request_xml(self, request: Request, ref: str) -> Response:
        return open311.answer("requests", self._open311_one(ref), "xml")

    def _open311_one(self, ref: str) -> list[dict[str, Any]]:
        feedback = self.feedback
        try:
            opinion = feedback.get_opinion(ref)
        except NotFound:
            raise NotFound("service_request_id：没有这个服务请求", field="service_request_id") from None
        rec = feedback.get_recommendation(opinion.recommendation) if opinion.recommendation else None
        return [open311.request_from_opinion(opinion, feedback.directory, rec)]
