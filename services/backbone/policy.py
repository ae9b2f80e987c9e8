"""Who may call what, on which objects (R-SEC-1): the one policy table.

``route`` (services/backbone/http.py) looks every request up here before the
handler runs, so a denial stores nothing. The table is keyed by the method
and the route's path exactly as declared in ``@route``; a route without an
entry is denied. An entry names:

- ``roles``: who may call it at all (anyone else: 403; no token: 401);
- ``scope``: where the target's group / district / government come from
  (path values, fields of the JSON body, or the object the path names,
  loaded through the runtime); a planner must own the group (or, for things
  without a group, the district), a sub-district the district, a government
  the government. The bureau, the committee and the operator are not scoped;
- ``narrow``: for lists, the filter a scoped role is held to (missing: set to
  its own; another's: 403);
- ``held``: for lists, per role, filters held to one value (missing: set;
  another value: 403);
- ``hide``: out of scope answers exactly as a missing object would (404), where
  even existence must not leak;
- ``deny_fields``: body fields a role may not set (field-level rules);
- ``only``: per role, the values a path variable may take (``kind``: the
  report kinds a role may read; anything else: 403); ``derive`` looks such a
  value up when the path does not carry it (an issued copy's kind);
- ``intake``: the anonymous intake, rate-limited per address and phone (R-SEC-5).

Reference data (governments, districts, groups, contracts, the organisation)
is the published organisation chart: every staff role and the committee read
it unscoped; only the bureau changes it (a government or sub-district its own
contacts).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Request

from services.backbone import context, metrics
from services.backbone.auth import ANONYMOUS, ROLES, Unauthenticated
from services.backbone.context import Actor
from services.backbone.domain import DomainError, NotFound
from services.backbone.logsafe import safe_log

log = logging.getLogger(__name__)

API = "/api/v1"
OPEN311 = f"{API}/open311/v2"


class AccessDenied(DomainError):
    """Role or scope forbids the call (403); nothing was done."""

    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class Target:
    """Whose the thing a call touches is."""

    group: str | None = None
    district: str | None = None
    government: str | None = None


@dataclass
class Call:
    """One request as the policy sees it."""

    service: Any  # the service object: ``name`` and ``runtime``
    method: str
    route: str  # the path as declared in @route
    request: Request
    values: dict[str, Any]
    actor: Actor
    body: Callable[[], Any]  # the JSON body, parsed strictly; {} when there is none

    @property
    def runtime(self) -> Any:
        return self.service.runtime

    @property
    def service_name(self) -> str:
        return getattr(self.service, "name", type(self.service).__name__)


Resolver = Callable[[Call], "Target | None"]


@dataclass(frozen=True)
class Intake:
    """An anonymous intake route: rate-limited per client address and per phone (R-SEC-5)."""

    phone_field: str  # the JSON body's (or form's) field carrying the phone number


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: tuple[Resolver, ...] = ()
    narrow: Mapping[str, str] = field(default_factory=dict)
    hide: bool = False
    deny_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    only: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    derive: Mapping[str, Callable[["Call"], Any]] = field(default_factory=dict)  # values ``only`` checks, looked up
    intake: Intake | None = None
    # per role, list filters held to one value (a government's opinions: relayed ones only, R-OPN-2)
    held: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


# -- where a target's scope comes from ------------------------------------------------------


def path(**dims: str) -> Resolver:
    """``path(group="code")``: the path value ``code`` is a group code."""

    def resolve(call: Call) -> Target:
        return Target(**{dim: _text(call.values.get(param)) for dim, param in dims.items()})

    return resolve


def body(*, optional: bool = False, **dims: str) -> Resolver:
    """``body(group="group")``: the JSON body's field ``group`` is a group code.

    Absent fields leave the target unknown, which no scoped role owns;
    ``optional`` skips the check when none of the fields is sent.
    """

    def resolve(call: Call) -> Target | None:
        data = call.body()
        data = data if isinstance(data, dict) else {}
        if optional and all(data.get(name) is None for name in dims.values()):
            return None
        return Target(**{dim: _text(data.get(name)) for dim, name in dims.items()})

    return resolve


def loaded(load: Callable[[Any, str], Any], param: str) -> Resolver:
    """The object the path names, loaded through the runtime (unknown: 404, as the handler would say)."""

    def resolve(call: Call) -> Target:
        obj = load(call.runtime, str(call.values.get(param, "")))
        return Target(
            group=_text(getattr(obj, "group", None)),
            district=_text(getattr(obj, "district", None)),
            government=_text(getattr(obj, "government", None)),
        )

    def absent(call: Call) -> DomainError:
        """The very answer a missing object gets, so a hidden one looks the same."""
        try:
            load(call.runtime, str(uuid.uuid4()))
        except NotFound as exc:
            return exc
        return NotFound("没有这条记录")

    resolve.absent = absent  # type: ignore[attr-defined]
    return resolve


def _issued_kind(call: Call) -> str | None:
    """The kind of the issued copy the path names (None: no such copy, refused like any other kind)."""
    from services.reporting.state import IssuedReports

    return IssuedReports(call.runtime.db("reporting")).kind_of(int(call.values.get("number", 0)))


def _visit(runtime: Any, key: str) -> Any:
    return runtime.app("visits").get_visit(key)


def _opinion(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_opinion(key)


def _recommendation(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_recommendation(key)


def _consultation(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_consultation(key)


def _letter(runtime: Any, key: str) -> Any:
    return runtime.app("feedback").get_letter(key)


def _planner(runtime: Any, key: str) -> Any:
    return runtime.app("contracts").get_planner(key)


visit = loaded(_visit, "visit_id")
opinion = loaded(_opinion, "ref")
recommendation = loaded(_recommendation, "rec_id")
consultation = loaded(_consultation, "consultation_id")
letter = loaded(_letter, "letter_id")


def consultation_asker(call: Call) -> None:
    """R-CSL-1: only the asker (or the bureau) closes a consultation; in scope but not the asker is 403.

    Listed after ``consultation``, which has already hidden one out of scope."""
    found = _consultation(call.runtime, str(call.values.get("consultation_id", "")))
    if not found.may_be_closed_by(call.actor.role):
        raise _deny(call, "asked_by：只有提出该技术咨询的一方（或市局）可以关闭", field="asked_by")
    return None
planner = loaded(_planner, "code")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- the organisation chart each service knows (its own records or read models) -------------

# Services that learn of groups and districts from contracts' events keep them here.
_ORG_TABLES = {"visits": ("vis_groups", "vis_districts"), "feedback": ("fb_dir_groups", "fb_dir_districts")}


def _district_of_group(call: Call, group: str) -> str | None:
    if call.service_name == "contracts":
        return _quiet(lambda: call.runtime.app("contracts").get_group(group).district)
    tables = _ORG_TABLES.get(call.service_name)
    if tables is None:
        return None
    rows = call.runtime.db(call.service_name).query(f"SELECT district FROM {tables[0]} WHERE code = %s", (group,))
    return rows[0]["district"] if rows else None


def _government_of_district(call: Call, district: str) -> str | None:
    if call.service_name == "contracts":
        return _quiet(lambda: call.runtime.app("contracts").get_district(district).government)
    tables = _ORG_TABLES.get(call.service_name)
    if tables is None:
        return None
    rows = call.runtime.db(call.service_name).query(f"SELECT government FROM {tables[1]} WHERE code = %s", (district,))
    return rows[0]["government"] if rows else None


def _quiet(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except NotFound:
        return None


def complete(call: Call, target: Target, role: str | None = None) -> Target:
    """Fill in the district of a group and the government of a district.

    With ``role``, only what ``owns`` looks at for that role is looked up: a
    planner's group, a sub-district's district, a government's government
    (each a read per request otherwise)."""
    if role == "planner" and target.group is not None:
        return target  # decided on the group alone
    need_district = role != "government" or target.government is None
    district = target.district
    if district is None and need_district and target.group:
        district = _district_of_group(call, target.group)
    government = target.government
    if government is None and role in (None, "government") and district:
        government = _government_of_district(call, district)
    return Target(group=target.group, district=district, government=government)


def owns(actor: Actor, target: Target) -> bool:
    """Whether the target lies in the actor's scope."""
    if actor.role == "planner":
        if target.group is not None:
            return target.group == actor.group
        return target.district is not None and target.district == actor.district
    if actor.role == "subdistrict":
        return target.district is not None and target.district == actor.district
    if actor.role == "government":
        return target.government is not None and target.government == actor.government
    return True


SCOPED = ("planner", "subdistrict", "government")


# -- the table ---------------------------------------------------------------------------------

PUBLIC = frozenset(ROLES)
READERS = frozenset({"planner", "subdistrict", "government", "bureau", "committee"})
BUREAU = frozenset({"bureau"})
OPERATORS = frozenset({"operator", "bureau"})
REPORT_READERS = frozenset({"bureau", "committee"})
# R-RPT-2: the quarterly summary with the governments' ranking is circulated (通报)
# to every government and sub-district, unscoped; the other reports are not.
CIRCULATED_TO = frozenset({"government", "subdistrict"})
CIRCULATED_REPORTS = frozenset({"quarterly"})


def allow(*roles: str | frozenset[str], scope: Resolver | tuple[Resolver, ...] = (), **options: Any) -> Rule:
    names: set[str] = set()
    for role in roles:
        names.update({role} if isinstance(role, str) else role)
    unknown = names - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return Rule(roles=frozenset(names), scope=scope if isinstance(scope, tuple) else (scope,), **options)


# A resident submits and follows; the lifecycle and the record's dates are the staff's.
RESIDENT_MAY_NOT_SET = frozenset({"status", "date", "group", "government", "recommendation", "reply", "relays"})
# R-REC-2: only the bureau confirms (verifies) a completed recommendation.
GOVERNMENT_MAY_NOT_SET = frozenset({"status", "verified", "verified_on", "verification"})
_GOV_FIELDS = {"government": GOVERNMENT_MAY_NOT_SET, "subdistrict": GOVERNMENT_MAY_NOT_SET}
_NARROW_ALL = {"planner": "group", "subdistrict": "district", "government": "government"}

POLICY: dict[tuple[str, str], Rule] = {
    # -- operations (every service) ------------------------------------------------------------
    ("GET", "/health/live"): allow(PUBLIC),
    ("GET", "/health/ready"): allow(PUBLIC),
    ("GET", "/metrics"): allow(PUBLIC),
    ("GET", "/openapi.json"): allow(PUBLIC),
    ("GET", f"{API}/events/<service>"): allow(OPERATORS),
    ("GET", f"{API}/events/<service>/chain"): allow(OPERATORS),
    # -- contracts: the organisation ------------------------------------------------------------
    ("POST", f"{API}/governments"): allow(BUREAU),
    ("GET", f"{API}/governments"): allow(READERS),
    ("GET", f"{API}/governments/<code>"): allow(READERS),
    ("PUT", f"{API}/governments/<code>/contacts"): allow("bureau", "government", scope=path(government="code")),
    ("POST", f"{API}/districts"): allow(BUREAU),
    ("GET", f"{API}/districts"): allow(READERS),
    ("GET", f"{API}/districts/<code>"): allow(READERS),
    ("POST", f"{API}/districts/<code>/types"): allow(BUREAU),
    ("PUT", f"{API}/districts/<code>/boundary"): allow(BUREAU),
    ("PUT", f"{API}/districts/<code>/contacts"): allow(
        "bureau", "government", "subdistrict", scope=path(district="code")
    ),
    ("GET", f"{API}/districts/<code>/serving"): allow(READERS),
    ("POST", f"{API}/contracts"): allow(BUREAU),
    ("GET", f"{API}/contracts"): allow(READERS),
    ("GET", f"{API}/contracts/<code>"): allow(READERS),
    ("POST", f"{API}/contracts/<code>/evaluations"): allow(BUREAU),
    ("POST", f"{API}/contracts/<code>/renewals"): allow(BUREAU),
    ("POST", f"{API}/contracts/<code>/end"): allow(BUREAU),
    ("POST", f"{API}/planners"): allow(BUREAU),
    ("GET", f"{API}/planners"): allow(READERS),
    # A planner's record carries their contacts: the bureau and the planner's own group.
    ("GET", f"{API}/planners/<code>"): allow("bureau", "planner", scope=planner),
    ("POST", f"{API}/planners/<code>/evaluations"): allow(BUREAU),
    ("POST", f"{API}/planners/<code>/dismissal"): allow(BUREAU),
    ("POST", f"{API}/groups"): allow(BUREAU),
    ("GET", f"{API}/groups"): allow(READERS),
    ("GET", f"{API}/groups/<code>"): allow(READERS),
    ("GET", f"{API}/groups/<code>/terms"): allow(READERS),
    ("POST", f"{API}/groups/<code>/replacements"): allow(BUREAU),
    ("POST", f"{API}/groups/<code>/end"): allow(BUREAU),
    ("GET", f"{API}/organisation"): allow(READERS),
    # -- visits (R-VIS-*) ------------------------------------------------------------------------
    ("POST", f"{API}/visits"): allow("bureau", "planner", scope=body(group="group")),
    ("GET", f"{API}/visits"): allow(
        "bureau", "planner", "subdistrict", "government",
        narrow={"planner": "group", "subdistrict": "district", "government": "district"},
    ),
    ("GET", f"{API}/visits/<visit_id>"): allow(
        "bureau", "planner", "subdistrict", "government", scope=visit, hide=True
    ),
    ("POST", f"{API}/visits/<visit_id>/corrections"): allow("bureau", "planner", scope=visit, hide=True),
    ("POST", f"{API}/visits/<visit_id>/void"): allow("bureau", "planner", scope=visit, hide=True),
    # R-VIS-7: the sub-district confirms or disputes.
    ("POST", f"{API}/visits/<visit_id>/confirmation"): allow("bureau", "subdistrict", scope=visit, hide=True),
    ("GET", f"{API}/duty-calendar/<group>/<int:service_year>"): allow(
        "bureau", "committee", "planner", "subdistrict", "government", scope=path(group="group")
    ),
    ("GET", f"{API}/compliance/<group>/<period>"): allow(
        "bureau", "committee", "planner", "subdistrict", "government", scope=path(group="group")
    ),
    # R-FEE-1: the bureau settles fees.
    ("POST", f"{API}/settlements"): allow(BUREAU),
    ("GET", f"{API}/settlements/<group>/<int:service_year>"): allow(
        "bureau", "committee", "planner", scope=path(group="group")
    ),
    # -- feedback: opinions (R-OPN-*) --------------------------------------------------------------
    ("POST", f"{API}/opinions"): allow(
        "resident", "planner", "subdistrict", "government", "bureau",
        deny_fields={"resident": RESIDENT_MAY_NOT_SET}, intake=Intake(phone_field="contact_phone"),
    ),
    # R-OPN-2: a government's list holds only the relayed opinions of its districts.
    ("GET", f"{API}/opinions"): allow(
        "bureau", "planner", "subdistrict", "government",
        narrow={"planner": "district", "subdistrict": "district", "government": "government"},
        held={"government": {"relayed": "true"}},
    ),
    # R-OPN-4: followed by reference number without logging in.
    ("GET", f"{API}/opinions/<ref>"): allow(PUBLIC),
    # R-OPN-1: the bureau assigns the district of an address-only opinion (its triage list).
    ("POST", f"{API}/opinions/<ref>/district"): allow(BUREAU),
    ("POST", f"{API}/opinions/<ref>/acknowledge"): allow(
        "bureau", "planner", scope=(opinion, body(optional=True, group="group")), hide=True
    ),
    ("POST", f"{API}/opinions/<ref>/relay"): allow("bureau", "planner", scope=opinion, hide=True),
    ("POST", f"{API}/opinions/<ref>/answer"): allow("bureau", "planner", scope=opinion, hide=True),
    ("POST", f"{API}/opinions/<ref>/escalate"): allow("bureau", "planner", scope=opinion, hide=True),
    ("POST", f"{API}/opinions/<ref>/close"): allow("bureau", "planner", scope=opinion, hide=True),
    ("DELETE", f"{API}/opinions/<ref>/personal-data"): allow(BUREAU),
    # -- feedback: recommendations (R-REC-*) -------------------------------------------------------
    ("POST", f"{API}/recommendations"): allow("bureau", "planner", scope=body(group="group")),
    ("GET", f"{API}/recommendations"): allow("bureau", "planner", "subdistrict", "government", narrow=_NARROW_ALL),
    ("GET", f"{API}/recommendations/<rec_id>"): allow(
        "bureau", "planner", "subdistrict", "government", scope=recommendation, hide=True
    ),
    ("POST", f"{API}/recommendations/<rec_id>/forward"): allow(BUREAU),
    ("POST", f"{API}/recommendations/<rec_id>/accept"): allow(
        "bureau", "government", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/decline"): allow(
        "bureau", "government", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/progress"): allow(
        "bureau", "government", "subdistrict", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/complete"): allow(
        "bureau", "government", "subdistrict", scope=recommendation, hide=True, deny_fields=_GOV_FIELDS
    ),
    ("POST", f"{API}/recommendations/<rec_id>/verify"): allow(BUREAU),
    ("POST", f"{API}/recommendations/<rec_id>/reopen"): allow(BUREAU),
    ("POST", f"{API}/recommendations/<rec_id>/withdraw"): allow(BUREAU),
    # -- feedback: letters, consultations, paperwork ----------------------------------------------
    ("POST", f"{API}/letters"): allow(BUREAU),
    ("GET", f"{API}/letters"): allow("bureau", "government", narrow={"government": "government"}),
    ("GET", f"{API}/letters/<letter_id>"): allow("bureau", "government", scope=letter, hide=True),
    # R-CSL-1: a government or sub-district asks the group; the group answers; the asker closes.
    ("POST", f"{API}/consultations"): allow("bureau", "government", "subdistrict", scope=body(group="group")),
    ("GET", f"{API}/consultations"): allow("bureau", "planner", "subdistrict", "government", narrow=_NARROW_ALL),
    ("GET", f"{API}/consultations/<consultation_id>"): allow(
        "bureau", "planner", "subdistrict", "government", scope=consultation, hide=True
    ),
    ("POST", f"{API}/consultations/<consultation_id>/opinion"): allow(
        "bureau", "planner", scope=consultation, hide=True
    ),
    ("POST", f"{API}/consultations/<consultation_id>/close"): allow(
        "bureau", "government", "subdistrict", scope=(consultation, consultation_asker), hide=True
    ),
    ("POST", f"{API}/publicity"): allow("bureau", "planner", scope=body(group="group")),
    ("POST", f"{API}/work-summaries"): allow("bureau", "planner", scope=body(group="group")),
    ("POST", f"{API}/ratings"): allow("bureau", "planner", scope=body(group="group")),
    # R-EVA-3: a government's annual summary (not for a group), or a group's planning evaluation.
    ("POST", f"{API}/annual-summaries"): allow(
        "bureau", "planner", "government", scope=body(group="group", government="government"),
        deny_fields={"planner": frozenset({"government"}), "government": frozenset({"group"})},
    ),
    # -- Open311 GeoReport v2: the residents' public interface ------------------------------------
    **{("GET", f"{OPEN311}/{path}.{fmt}"): allow(PUBLIC) for fmt in ("json", "xml")
       for path in ("discovery", "services", "services/<code>", "requests", "requests/<ref>")},
    **{("POST", f"{OPEN311}/requests.{fmt}"): allow(PUBLIC, intake=Intake(phone_field="phone"))
       for fmt in ("json", "xml")},
    # -- reporting (R-RPT-*): to the bureau and the committee; the quarterly ranking circulated ----
    ("GET", f"{API}/reports/<kind>/<period>"): allow(
        REPORT_READERS, CIRCULATED_TO, only={role: {"kind": CIRCULATED_REPORTS} for role in CIRCULATED_TO}
    ),
    ("POST", f"{API}/reports/<kind>/<period>/issue"): allow(BUREAU),
    ("GET", f"{API}/reports/issued/<int:number>"): allow(
        REPORT_READERS, CIRCULATED_TO, only={role: {"kind": CIRCULATED_REPORTS} for role in CIRCULATED_TO},
        derive={"kind": _issued_kind},
    ),
    ("POST", f"{API}/reports/<kind>/<period>/notes"): allow(BUREAU),
    # R-RPT-5: the audit trail names actors; the bureau reads it, operators check the chains.
    ("GET", f"{API}/audit/<entity>/<key>"): allow(BUREAU),
    ("GET", f"{API}/audit/verify"): allow(OPERATORS),
    ("GET", f"{API}/reminders"): allow(BUREAU),
    # R-RPT-8: reporting's daily job hands a date's reminders to feedback's notifier (the
    # service token is an operator's); the bureau may issue a missed day by hand.
    ("POST", f"{API}/daily-reminders"): allow(OPERATORS),
    # -- web pages: static files, their configuration, development sign-in (404 in production) -----
    ("GET", "/"): allow(PUBLIC),
    ("GET", "/web/<path:path>"): allow(PUBLIC),
    ("GET", "/web/config.json"): allow(PUBLIC),
    ("POST", "/web/dev-token"): allow(PUBLIC),
}


def shape(path: str) -> str:
    """A route's path with its variables blanked: ``/visits/<visit_id>`` -> ``/visits/<>``."""
    return re.sub(r"<[^>]*>", "<>", path)


_BY_SHAPE: dict[tuple[str, str], Rule] = {(method, shape(p)): rule for (method, p), rule in POLICY.items()}


def rule_for(method: str, route: str) -> Rule | None:
    """The entry of a declared route (variables may be named differently than in the table)."""
    return POLICY.get((method, route)) or _BY_SHAPE.get((method, shape(route)))


# -- deciding ----------------------------------------------------------------------------------


def authorize(call: Call) -> Rule:
    """Allow the call or raise (401, 403, or the 404 of a hidden object); returns the route's rule."""
    rule = rule_for(call.method, call.route)
    actor = call.actor
    if rule is None:
        raise _deny(call, "该接口没有授权规则")
    if actor.role not in rule.roles:
        if actor == ANONYMOUS:
            raise Unauthenticated("需要登录：请提供 Bearer 令牌")
        raise _deny(call, f"角色 {actor.role} 无权调用此接口")
    for param, allowed in rule.only.get(actor.role, {}).items():
        value = rule.derive[param](call) if param in rule.derive else call.values.get(param)
        if value not in allowed:
            raise _deny(call, f"{param}：角色 {actor.role} 只能访问 {'、'.join(sorted(allowed))}", field=param)
    denied = rule.deny_fields.get(actor.role)
    if denied:
        data = call.body()
        for name in sorted(denied & set(data if isinstance(data, dict) else ())):
            raise _deny(call, f"{name}：角色 {actor.role} 无权设置该字段", field=name)
    if actor.role in SCOPED:
        for resolve in rule.scope:
            target = resolve(call)
            if target is not None and not owns(actor, complete(call, target, actor.role)):
                absent = getattr(resolve, "absent", None)
                if rule.hide and absent is not None:
                    _record(call, "hidden: out of scope")
                    raise absent(call)
                raise _deny(call, "不在本人职责范围内")
        param = rule.narrow.get(actor.role)
        if param:
            _narrow(call, param)
    for param, value in rule.held.get(actor.role, {}).items():
        _hold(call, param, value)
    return rule


def _hold(call: Call, param: str, value: str) -> None:
    """Hold a list's filter ``param`` to ``value`` for the actor's role (absent: set; another: 403)."""
    request = call.request
    given = request.args.get(param)
    if given is None:
        args = request.args.copy()
        args[param] = value
        request.args = ImmutableMultiDict(args)  # type: ignore[misc]  # werkzeug caches it per request
    elif _SAME.get(given.strip().lower(), given.strip().lower()) != value:
        raise _deny(call, f"{param}：角色 {call.actor.role} 只能查看 {param}={value} 的记录", field=param)


# The spellings of a boolean filter the lists accept (services/feedback/queries.py).
_SAME = {"1": "true", "yes": "true", "0": "false", "no": "false"}


def _narrow(call: Call, param: str) -> None:
    """Hold a list to the actor's scope through its filter ``param``."""
    request = call.request
    actor = call.actor
    if actor.role == "planner" and param == "district" and not actor.district and actor.group:
        # A planner's token names the group (issue 15 item 10); its district is the organisation's.
        actor = replace(actor, district=_district_of_group(call, actor.group))
    value = request.args.get(param)
    if value is None:
        own = getattr(actor, param, None)
        if not own:
            raise _deny(call, f"{param}：请指定本人职责范围内的筛选条件", field=param)
        args = request.args.copy()
        args[param] = own
        request.args = ImmutableMultiDict(args)  # type: ignore[misc]  # werkzeug caches it per request
        return
    if not owns(actor, complete(call, Target(**{param: value}), actor.role)):
        raise _deny(call, f"{param}：不在本人职责范围内", field=param)


def _deny(call: Call, message: str, *, field: str | None = None) -> AccessDenied:
    _record(call, message)
    return AccessDenied(message, field=field)


def _record(call: Call, reason: str) -> None:
    """Log and count a denial: who (subject, role), which route; never the body or personal data."""
    actor = call.actor
    metrics.ACCESS_DENIED.labels(call.service_name, call.route, actor.role).inc()
    log.warning(
        "access denied: service=%s method=%s route=%s role=%s subject=%s correlation=%s reason=%s",
        call.service_name, call.method, call.route, actor.role, actor.subject,
        context.current().correlation_id, safe_log(reason),
    )
