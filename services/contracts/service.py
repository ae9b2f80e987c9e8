"""Contracts entrypoints: decode, call the application, encode.

HTTP routes per API.md (plus the reads other services and the bureau need:
``/districts/{code}/serving``, ``/groups/{code}/terms``, ``/organisation``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from werkzeug.wrappers import Request, Response

from services.backbone.hosting import ApplicationProvider, RuntimeProvider
from services.backbone.http import (
    DATE_QUERY,
    TEXT_QUERY,
    BadRequest,
    choice_query,
    json_response,
    page_query,
    parse_body,
    route,
)
from services.backbone.operations import OperationsRoutes
from services.contracts import answers, views
from services.contracts.contacts import PlannerContacts
from services.contracts.domain import (
    DISTRICT_TYPES,
    GOVERNMENT_KINDS,
    ORIGINS,
    QUALIFICATIONS,
    check_email,
    check_phone,
)
from services.contracts.schemas import (
    AppointPlanner,
    Boundary,
    DistrictContacts,
    DistrictTypes,
    Ending,
    Evaluation,
    FormGroup,
    GovernmentContacts,
    PlannerEvaluation,
    RegisterDistrict,
    RegisterGovernment,
    RegisterInstitution,
    RegisterTeam,
    Renewal,
    Replacement,
    SignContract,
    TeamQualification,
)

API = "/api/v1"


_PAGE = page_query(views.MAX_LIMIT)


def _created(payload: dict[str, Any], location: str) -> Response:
    return json_response(payload, 201, headers={"Location": location})


def _page(request: Request) -> views.Page:
    raw = request.args.get("limit")
    limit = views.DEFAULT_LIMIT
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise BadRequest("limit：应为整数", field="limit", code="wrong_type") from None
        if not 1 <= limit <= views.MAX_LIMIT:
            raise BadRequest(f"limit：取值应在 1..{views.MAX_LIMIT}", field="limit", code="invalid_value")
    cursor = request.args.get("cursor")
    try:
        after = views.decode_cursor(cursor) if cursor else None
        rank = views.decode_rank(cursor) if cursor else None
    except views.BadCursor:
        raise BadRequest("cursor：无效的分页游标", field="cursor", code="invalid_value") from None
    return views.Page(limit=limit, after=after, rank=rank)


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in allowed:
        raise BadRequest(f"{name}：取值应为 {'、'.join(allowed)}", field=name, code="unknown_code")
    return value


def _date(request: Request, name: str) -> dt.date | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}：日期格式错误，应为 YYYY-MM-DD", field=name, code="wrong_type") from None


class ContractsService(OperationsRoutes):
    name = "contracts"
    app = ApplicationProvider("contracts")
    runtime = RuntimeProvider()

    def _db(self) -> Any:
        return self.runtime.db("contracts")

    # -- governments -----------------------------------------------------

    @route("POST", f"{API}/governments", response=answers.Government, body=RegisterGovernment, status=201)
    def register_government(self, request: Request) -> Response:
        body = parse_body(request, RegisterGovernment)
        government = self.app.register_government(**body.model_dump())
        return _created(government.as_dict(), f"{API}/governments/{government.code}")

    @route("GET", f"{API}/governments",
           response=answers.GovernmentPage, query={**_PAGE, "kind": choice_query(*GOVERNMENT_KINDS)})
    def list_governments(self, request: Request) -> Response:
        return json_response(
            views.list_governments(self._db(), _page(request), kind=_choice(request, "kind", GOVERNMENT_KINDS))
        )

    @route("GET", f"{API}/governments/<code>", response=answers.Government)
    def get_government(self, request: Request, code: str) -> Response:
        return json_response(self.app.get_government(code).as_dict())

    @route("PUT", f"{API}/governments/<code>/contacts", response=answers.Government, body=GovernmentContacts)
    def change_government_contacts(self, request: Request, code: str) -> Response:
        body = parse_body(request, GovernmentContacts)
        return json_response(self.app.change_government_contacts(code, **body.model_dump()).as_dict())

    # -- districts -------------------------------------------------------

    @route("POST", f"{API}/districts", response=answers.District, body=RegisterDistrict, status=201)
    def register_district(self, request: Request) -> Response:
        body = parse_body(request, RegisterDistrict)
        district = self.app.register_district(**body.model_dump())
        return _created(district.as_dict(), f"{API}/districts/{district.code}")

    @route("GET", f"{API}/districts",
           response=answers.DistrictPage, query={**_PAGE, "government": TEXT_QUERY, "type": choice_query(*DISTRICT_TYPES)})
    def list_districts(self, request: Request) -> Response:
        return json_response(
            views.list_districts(
                self._db(),
                _page(request),
                government=request.args.get("government"),
                type=_choice(request, "type", DISTRICT_TYPES),
            )
        )

    # Issue 16: the resident's form lists the districts; code and name only, no token needed.
    @route("GET", f"{API}/districts/names", response=answers.DistrictNames)
    def district_names(self, request: Request) -> Response:
        return json_response(views.district_names(self._db()))

    @route("GET", f"{API}/districts/<code>", response=answers.District)
    def get_district(self, request: Request, code: str) -> Response:
        return json_response(self.app.get_district(code).as_dict())

    @route("POST", f"{API}/districts/<code>/types", response=answers.District, body=DistrictTypes)
    def change_district_types(self, request: Request, code: str) -> Response:
        body = parse_body(request, DistrictTypes)
        return json_response(self.app.change_district_types(code, types=body.types).as_dict())

    @route("PUT", f"{API}/districts/<code>/boundary", response=answers.District, body=Boundary)
    def set_district_boundary(self, request: Request, code: str) -> Response:
        body = parse_body(request, Boundary)
        return json_response(self.app.set_district_boundary(code, boundary=body.root).as_dict())

    @route("PUT", f"{API}/districts/<code>/contacts", response=answers.District, body=DistrictContacts)
    def change_district_contacts(self, request: Request, code: str) -> Response:
        body = parse_body(request, DistrictContacts)
        return json_response(self.app.change_district_contacts(code, **body.model_dump()).as_dict())

    @route("GET", f"{API}/districts/<code>/serving", response=answers.Serving, query={"date": DATE_QUERY})
    def serving_http(self, request: Request, code: str) -> Response:
        return json_response(self.app.serving(code, _date(request, "date")))

    # -- teams and local institutions (R-TEAM-1) ---------------------------

    @route("POST", f"{API}/teams", response=answers.Team, body=RegisterTeam, status=201)
    def register_team(self, request: Request) -> Response:
        body = parse_body(request, RegisterTeam)
        team = self.app.register_team(**body.model_dump())
        return _created(team.as_dict(), f"{API}/teams/{team.code}")

    @route("GET", f"{API}/teams", response=answers.TeamPage, query={**_PAGE, "valid_on": DATE_QUERY})
    def list_teams(self, request: Request) -> Response:
        return json_response(views.list_teams(self._db(), _page(request), valid_on=_date(request, "valid_on")))

    @route("GET", f"{API}/teams/<code>", response=answers.Team)
    def get_team(self, request: Request, code: str) -> Response:
        return json_response(self.app.get_team(code).as_dict())

    @route("PUT", f"{API}/teams/<code>/qualification", response=answers.Team, body=TeamQualification)
    def record_team_qualification(self, request: Request, code: str) -> Response:
        body = parse_body(request, TeamQualification)
        return json_response(self.app.record_team_qualification(code, **body.model_dump()).as_dict())

    @route("POST", f"{API}/institutions", response=answers.Institution, body=RegisterInstitution, status=201)
    def register_institution(self, request: Request) -> Response:
        body = parse_body(request, RegisterInstitution)
        institution = self.app.register_institution(**body.model_dump())
        return _created(institution.as_dict(), f"{API}/institutions/{institution.code}")

    @route("GET", f"{API}/institutions", response=answers.InstitutionPage, query={**_PAGE, "valid_on": DATE_QUERY})
    def list_institutions(self, request: Request) -> Response:
        return json_response(
            views.list_institutions(self._db(), _page(request), valid_on=_date(request, "valid_on"))
        )

    @route("GET", f"{API}/institutions/<code>", response=answers.Institution)
    def get_institution(self, request: Request, code: str) -> Response:
        return json_response(self.app.get_institution(code).as_dict())

    # -- contracts -------------------------------------------------------

    @route("POST", f"{API}/contracts", response=answers.Contract, body=SignContract, status=201)
    def sign_contract(self, request: Request) -> Response:
        body = parse_body(request, SignContract)
        contract = self.app.sign_contract(**body.model_dump())
        return _created(contract.as_dict(), f"{API}/contracts/{contract.code}")

    @route("GET", f"{API}/contracts",
           response=answers.ContractPage, query={**_PAGE, "status": choice_query("active", "ended")})
    def list_contracts(self, request: Request) -> Response:
        return json_response(
            views.list_contracts(self._db(), _page(request), status=_choice(request, "status", ("active", "ended")))
        )

    @route("GET", f"{API}/contracts/<code>", response=answers.Contract)
    def get_contract(self, request: Request, code: str) -> Response:
        return json_response(self.app.get_contract(code).as_dict())

    @route("POST", f"{API}/contracts/<code>/evaluations",
           response=answers.ContractEvaluation, body=Evaluation, status=201)
    def evaluate_team(self, request: Request, code: str) -> Response:
        body = parse_body(request, Evaluation)
        evaluation = self.app.evaluate_team(code, **body.model_dump())
        return _created(evaluation, f"{API}/contracts/{code}")

    @route("POST", f"{API}/contracts/<code>/renewals", response=answers.Contract, body=Renewal, status=201)
    def renew_contract(self, request: Request, code: str) -> Response:
        body = parse_body(request, Renewal)
        contract = self.app.renew_contract(code, **body.model_dump())
        return _created(contract.as_dict(), f"{API}/contracts/{code}")

    @route("POST", f"{API}/contracts/<code>/end", response=answers.Contract, body=Ending)
    def end_contract(self, request: Request, code: str) -> Response:
        body = parse_body(request, Ending)
        return json_response(self.app.end_contract(code, **body.model_dump()).as_dict())

    # -- planners --------------------------------------------------------

    @route("POST", f"{API}/planners", response=answers.Planner, body=AppointPlanner, status=201)
    def appoint_planner(self, request: Request) -> Response:
        body = parse_body(request, AppointPlanner)
        fields = body.model_dump()
        phone, email = fields.pop("phone"), fields.pop("email")
        check_phone(phone)
        check_email(email)
        planner = self.app.appoint_planner(**fields)
        contacts = {"phone": phone, "email": email}
        if phone or email:
            PlannerContacts(self._db()).put(planner.code, **contacts)
        return _created({**planner.as_dict(), **contacts}, f"{API}/planners/{planner.code}")

    @route("GET", f"{API}/planners", response=answers.PlannerPage, query={
        **_PAGE, "origin": choice_query(*ORIGINS), "status": choice_query("active", "dismissed"), "group": TEXT_QUERY,
        "qualification": choice_query(*QUALIFICATIONS), "available": choice_query("true", "false"),
        "institution": TEXT_QUERY,
    })
    def list_planners(self, request: Request) -> Response:
        return json_response(
            views.list_planners(
                self._db(),
                _page(request),
                origin=_choice(request, "origin", ORIGINS),
                status=_choice(request, "status", ("active", "dismissed")),
                group=request.args.get("group"),
                qualification=_choice(request, "qualification", QUALIFICATIONS),
                available=_choice(request, "available", ("true", "false")) == "true",
                institution=request.args.get("institution"),
            )
        )

    @route("GET", f"{API}/planners/<code>", response=answers.Planner)
    def get_planner(self, request: Request, code: str) -> Response:
        planner = self.app.get_planner(code)
        return json_response({**planner.as_dict(), **PlannerContacts(self._db()).get(planner.code)})

    @route("POST", f"{API}/planners/<code>/evaluations",
           response=answers.PlannerEvaluation, body=PlannerEvaluation, status=201)
    def evaluate_planner(self, request: Request, code: str) -> Response:
        body = parse_body(request, PlannerEvaluation)
        evaluation = self.app.evaluate_planner(code, **body.model_dump())
        return _created(evaluation, f"{API}/planners/{code}")

    @route("POST", f"{API}/planners/<code>/dismissal", response=answers.PlannerRow, body=Ending)
    def dismiss_planner(self, request: Request, code: str) -> Response:
        body = parse_body(request, Ending)
        return json_response(self.app.dismiss_planner(code, **body.model_dump()).as_dict())

    # -- groups ----------------------------------------------------------

    @route("POST", f"{API}/groups", response=answers.Group, body=FormGroup, status=201)
    def form_group(self, request: Request) -> Response:
        body = parse_body(request, FormGroup)
        group = self.app.form_group(**body.model_dump())
        return _created(group.as_dict(), f"{API}/groups/{group.code}")

    @route("GET", f"{API}/groups", response=answers.GroupPage, query={
        **_PAGE, "district": TEXT_QUERY, "contract": TEXT_QUERY, "government": TEXT_QUERY, "planner": TEXT_QUERY,
        "status": choice_query("active", "ended"), "from": DATE_QUERY, "to": DATE_QUERY,
    })
    def list_groups(self, request: Request) -> Response:
        return json_response(
            views.list_groups(
                self._db(),
                _page(request),
                district=request.args.get("district"),
                contract=request.args.get("contract"),
                government=request.args.get("government"),
                planner=request.args.get("planner"),
                status=_choice(request, "status", ("active", "ended")),
                date_from=_date(request, "from"),
                date_to=_date(request, "to"),
            )
        )

    @route("GET", f"{API}/groups/<code>", response=answers.Group)
    def get_group(self, request: Request, code: str) -> Response:
        return json_response(self.app.get_group(code).as_dict())

    @route("GET", f"{API}/groups/<code>/terms", response=answers.GroupTerms)
    def group_terms_http(self, request: Request, code: str) -> Response:
        return json_response(self.app.group_terms(code))

    @route("POST", f"{API}/groups/<code>/replacements", response=answers.Group, body=Replacement, status=201)
    def replace_planner(self, request: Request, code: str) -> Response:
        body = parse_body(request, Replacement)
        group = self.app.replace_planner(
            code, out=body.out, incoming=body.incoming, date=body.date, reason=body.reason
        )
        return _created(group.as_dict(), f"{API}/groups/{code}")

    @route("POST", f"{API}/groups/<code>/end", response=answers.Group, body=Ending)
    def end_group(self, request: Request, code: str) -> Response:
        body = parse_body(request, Ending)
        return json_response(self.app.end_group(code, **body.model_dump()).as_dict())

    # -- the organisation ------------------------------------------------

    @route("GET", f"{API}/organisation", response=answers.Organisation, query={"date": DATE_QUERY})
    def organisation_http(self, request: Request) -> Response:
        return json_response(self.app.organisation(_date(request, "date")))
