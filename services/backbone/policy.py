"""Who may call what, on which objects (R-SEC-1): the one policy table.

``route`` (services/backbone/http.py) looks every request up here before the
handler runs, so a denial stores nothing. The table is keyed by the method
and the route's path exactly as declared in ``@route``; a route without an
entry is denied. Each service brings the rows of its routes (its
declaration's ``policy``, ``services/<name>/policy.py``) and a scope loader
for the organisation it knows; the rows every service shares are here. An
entry names:

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
from typing import Any, Callable, Iterator, Mapping, Protocol

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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- the organisation chart each service knows (its own records or read models) -------------


class ScopeLoader(Protocol):
    """Where a service finds a group's district and a district's government: its declaration's
    ``scope`` (the service that keeps the tables or records knows them)."""

    def district_of_group(self, runtime: Any, group: str) -> str | None: ...

    def government_of_district(self, runtime: Any, district: str) -> str | None: ...


@dataclass(frozen=True)
class OrganisationTables:
    """A scope loader over a service's read model of the organisation (learnt from events)."""

    service: str
    groups: str  # table: code, district
    districts: str  # table: code, government

    def district_of_group(self, runtime: Any, group: str) -> str | None:
        rows = runtime.db(self.service).query(f"SELECT district FROM {self.groups} WHERE code = %s", (group,))
        return rows[0]["district"] if rows else None

    def government_of_district(self, runtime: Any, district: str) -> str | None:
        rows = runtime.db(self.service).query(f"SELECT government FROM {self.districts} WHERE code = %s", (district,))
        return rows[0]["government"] if rows else None


def _scope_of(call: Call) -> ScopeLoader | None:
    from services.backbone.declaration import declaration_of

    return declaration_of(call.service_name).scope_loader()


def _district_of_group(call: Call, group: str) -> str | None:
    scope = _scope_of(call)
    return scope.district_of_group(call.runtime, group) if scope is not None else None


def _government_of_district(call: Call, district: str) -> str | None:
    scope = _scope_of(call)
    return scope.government_of_district(call.runtime, district) if scope is not None else None


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


def allow(*roles: str | frozenset[str], scope: Resolver | tuple[Resolver, ...] = (), **options: Any) -> Rule:
    names: set[str] = set()
    for role in roles:
        names.update({role} if isinstance(role, str) else role)
    unknown = names - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return Rule(roles=frozenset(names), scope=scope if isinstance(scope, tuple) else (scope,), **options)


# The rows every service shares (services/backbone/operations.py); each service's own rows are its
# declaration's ``policy``.
OPERATIONS: dict[tuple[str, str], Rule] = {
    ("GET", "/health/live"): allow(PUBLIC),
    ("GET", "/health/ready"): allow(PUBLIC),
    ("GET", "/metrics"): allow(PUBLIC),
    ("GET", "/openapi.json"): allow(PUBLIC),
    ("GET", f"{API}/events/<service>"): allow(OPERATORS),
    ("GET", f"{API}/events/<service>/chain"): allow(OPERATORS),
}


class PolicyTable(Mapping[tuple[str, str], Rule]):
    """The one table: the shared rows and every installed service's, gathered on first use (the
    services' policy modules import this one)."""

    def __init__(self, shared: Mapping[tuple[str, str], Rule]):
        self._shared = shared
        self._rules: dict[tuple[str, str], Rule] | None = None
        self._by_shape: dict[tuple[str, str], Rule] = {}

    def _gathered(self) -> dict[tuple[str, str], Rule]:
        if self._rules is None:
            from services.backbone.declaration import installed_services

            rules = dict(self._shared)
            for declaration in installed_services():
                for key, rule in declaration.policy_rules().items():
                    if key in rules:
                        raise ValueError(f"{declaration.name}: {key} has a policy entry already")
                    rules[key] = rule
            self._by_shape = {(method, shape(p)): rule for (method, p), rule in rules.items()}
            self._rules = rules
        return self._rules

    def __getitem__(self, key: tuple[str, str]) -> Rule:
        return self._gathered()[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._gathered())

    def __len__(self) -> int:
        return len(self._gathered())

    def by_shape(self, method: str, route: str) -> Rule | None:
        self._gathered()
        return self._by_shape.get((method, shape(route)))


POLICY = PolicyTable(OPERATIONS)


def shape(path: str) -> str:
    """A route's path with its variables blanked: ``/visits/<visit_id>`` -> ``/visits/<>``."""
    return re.sub(r"<[^>]*>", "<>", path)


def rule_for(method: str, route: str) -> Rule | None:
    """The entry of a declared route (variables may be named differently than in the table)."""
    return POLICY.get((method, route)) or POLICY.by_shape(method, route)


# -- deciding ----------------------------------------------------------------------------------


def authorize(call: Call) -> Rule:
    """Allow the call or raise (401, 403, or the 404 of a hidden object); returns the route's rule."""
    rule = rule_for(call.method, call.route)
    actor = call.actor
    if rule is None:
        raise deny(call, "该接口没有授权规则")
    if actor.role not in rule.roles:
        if actor == ANONYMOUS:
            raise Unauthenticated("需要登录：请提供 Bearer 令牌")
        raise deny(call, f"角色 {actor.role} 无权调用此接口")
    for param, allowed in rule.only.get(actor.role, {}).items():
        value = rule.derive[param](call) if param in rule.derive else call.values.get(param)
        if value not in allowed:
            raise deny(call, f"{param}：角色 {actor.role} 只能访问 {'、'.join(sorted(allowed))}", field=param)
    denied = rule.deny_fields.get(actor.role)
    if denied:
        data = call.body()
        for name in sorted(denied & set(data if isinstance(data, dict) else ())):
            raise deny(call, f"{name}：角色 {actor.role} 无权设置该字段", field=name)
    if actor.role in SCOPED:
        for resolve in rule.scope:
            target = resolve(call)
            if target is not None and not owns(actor, complete(call, target, actor.role)):
                absent = getattr(resolve, "absent", None)
                if rule.hide and absent is not None:
                    _record(call, "hidden: out of scope")
                    raise absent(call)
                raise deny(call, "不在本人职责范围内")
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
        raise deny(call, f"{param}：角色 {call.actor.role} 只能查看 {param}={value} 的记录", field=param)


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
            raise deny(call, f"{param}：请指定本人职责范围内的筛选条件", field=param)
        args = request.args.copy()
        args[param] = own
        request.args = ImmutableMultiDict(args)  # type: ignore[misc]  # werkzeug caches it per request
        return
    if not owns(actor, complete(call, Target(**{param: value}), actor.role)):
        raise deny(call, f"{param}：不在本人职责范围内", field=param)


def deny(call: Call, message: str, *, field: str | None = None) -> AccessDenied:
    """The refusal to raise, logged and counted (a service's own checks raise it too)."""
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
