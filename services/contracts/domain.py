"""Organisation and contracts: the aggregates and their rules (DOMAIN.md §2, R-EVA-1).

Governments, districts, contracts, planners and groups are aggregates with
deterministic ids derived from their business codes (``uuid5``), so the
application loads them by code. Commands check with small ``check_...``
functions and then trigger one event; event bodies only assign state, since
they are replayed on every load. Dates travel as ISO strings.

Date conventions (all inclusive, Asia/Shanghai business dates):
- a contract runs ``start_date .. end_date`` (start + term years − 1 day),
  or to the date it was ended;
- a group serves ``from_date .. end_date`` (``GroupAssignmentEnded.date`` is
  its last day);
- in a replacement the incoming planner serves from ``date``, the outgoing
  planner's last day is ``date − 1``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Iterable, Mapping

from eventsourcing.domain import event

from services.backbone.domain import Aggregate, Conflict, RuleViolated
from services.programme.assignment import DEDUCTION_RULES, DEFAULT_LATE_AFTER_DAYS  # visits reads them too
from services.programme.calendar import contract_months, term_end, year_dates  # R-VIS-2, R-CON-2: one calendar
from services.programme.terms import TERM_FIELDS, policy_terms  # R-CON-1: reporting reads them too

# Ids are uuid5 of "kind:code" in this namespace (never change it: stored ids depend on it).
NAMESPACE = uuid.UUID("3c1f5a4e-2b7d-4d61-9f0a-6c8e1d2b7a90")

GOVERNMENT_KINDS = ("district_government", "admin_committee")
DISTRICT_TYPES = ("historic", "built", "new")
ORIGINS = ("tier1", "local")
QUALIFICATIONS = ("senior_title", "registered_architect_class1", "registered_planner")
SERVICE_YEAR_BASES = ("contract", "calendar")
CONTACT_ENTITIES = ("government", "district")

DEFAULT_TERM_YEARS = 3
MAX_TERM_YEARS = 20
DEFAULT_PASS_MARK = 60
# R-CON-2: a renewal may be dated at most this many days before the term's end (a setting).
DEFAULT_RENEWAL_WINDOW_DAYS = 90
TERM_TEXT_MAX = 20000
MAX_LATE_AFTER_DAYS = 365
MAX_SCORE = 100

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{2,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def government_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"government:{code}")


def district_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"district:{code}")


def contract_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"contract:{code}")


def planner_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"planner:{code}")


def group_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"group:{code}")


# -- dates -------------------------------------------------------------------


def day(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def service_years(start: dt.date, end: dt.date, basis: str) -> list[dict[str, Any]]:
    """R-VIS-4: service years from the contract start (or calendar years), each with the
    dates it holds: those of the months belonging to it (R-VIS-2, the programme's
    one definition), within the contract."""
    years = []
    for year in sorted({y for _, y in contract_months(start, end, basis)}):
        first, last = year_dates(start, end, basis, year)  # type: ignore[misc]
        years.append({"year": year, "start": first.isoformat(), "end": last.isoformat()})
    return years


# -- checks ------------------------------------------------------------------


def check_code(value: str, field: str) -> None:
    """Codes name things in URLs and ids: letters, digits, ``-``, ``_``, ``.``; at most 64."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise RuleViolated(
            f"{field}：编码只能由字母、数字、“-”“_”“.”组成，以字母或数字开头，最长 64 个字符",
            field=field,
            rule="R-SEC-3",
        )


def check_text(value: str | None, field: str, *, required: bool = True) -> str | None:
    if value is None or not value.strip():
        if required:
            raise RuleViolated(f"{field}：不能为空", field=field, rule="R-SEC-3")
        return None
    return value.strip()


def check_terms(terms: Mapping[str, Any] | None) -> dict[str, str | None]:
    """R-CON-1 (amended): the policy's terms, each an optional text (None: not given)."""
    terms = dict(terms or {})
    unknown = sorted(set(terms) - set(TERM_FIELDS))
    if unknown:
        raise RuleViolated(f"terms.{unknown[0]}：不认识的合同条款", field=f"terms.{unknown[0]}", rule="R-CON-1")
    out = {}
    for name in TERM_FIELDS:
        value = terms.get(name)
        if value is not None and len(value) > TERM_TEXT_MAX:
            raise RuleViolated(f"terms.{name}：不能超过 {TERM_TEXT_MAX} 字", field=f"terms.{name}", rule="R-CON-1")
        out[name] = check_text(value, f"terms.{name}", required=False)
    return out


def check_not_future(date: dt.date, today: dt.date, field: str = "date") -> None:
    """API.md business dates: what happened is never dated after today."""
    if date > today:
        raise RuleViolated(f"{field}：日期不能晚于今天（{today.isoformat()}）", field=field, rule="R-SEC-3")


def check_phone(value: str | None) -> None:
    if value is not None and not _PHONE.match(value):
        raise RuleViolated("phone：电话号码格式不正确", field="phone", rule="R-SEC-3")


def check_email(value: str | None) -> None:
    if value is not None and not _EMAIL.match(value):
        raise RuleViolated("email：电子邮箱格式不正确", field="email", rule="R-SEC-3")


def check_government_kind(kind: str) -> None:
    """R-ORG-2/R-ORG-6: a district government or a development zone's administrative committee."""
    if kind not in GOVERNMENT_KINDS:
        raise RuleViolated(
            f"kind：政府类型应为 {' 或 '.join(GOVERNMENT_KINDS)}", field="kind", rule="R-ORG-6"
        )


def check_types(types: Iterable[str]) -> list[str]:
    """R-ORG-3: one or more of historic, built, new (order kept, repeats dropped)."""
    out: list[str] = []
    for t in types:
        if t not in DISTRICT_TYPES:
            raise RuleViolated(
                f"types：镇街类型 {t!r} 不存在，应为 {'、'.join(DISTRICT_TYPES)}", field="types", rule="R-ORG-3"
            )
        if t not in out:
            out.append(t)
    if not out:
        raise RuleViolated("types：至少要有一个镇街类型", field="types", rule="R-ORG-3")
    return out


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _bad_boundary(message: str) -> RuleViolated:
    return RuleViolated(f"boundary：{message}", field="boundary", rule="R-ORG-2")


def _check_ring(ring: Any) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise _bad_boundary("每个环至少要有 4 个坐标点")
    points: list[list[float]] = []
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) not in (2, 3)
            or not all(_number(c) for c in position)
        ):
            raise _bad_boundary("坐标点应为 [经度, 纬度]")
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _bad_boundary("经度应在 -180..180、纬度应在 -90..90 之间")
        points.append([lon, lat])
    if points[0] != points[-1]:
        raise _bad_boundary("多边形的环必须闭合（首尾坐标相同）")
    if len({tuple(p) for p in points}) < 3:
        raise _bad_boundary("多边形的环至少要有 3 个不同的坐标点")
    doubled_area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(points, points[1:]))
    if doubled_area == 0:
        raise _bad_boundary("多边形的面积不能为零")
    return points


def _check_polygon(rings: Any) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise _bad_boundary("Polygon 的 coordinates 应为至少一个环的数组")
    return [_check_ring(ring) for ring in rings]


def check_boundary(boundary: Any) -> dict[str, Any] | None:
    """A GeoJSON Polygon or MultiPolygon (a Feature is unwrapped); returns it as [lon, lat] rings."""
    if boundary is None:
        return None
    if not isinstance(boundary, dict):
        raise _bad_boundary("应为 GeoJSON 对象")
    if boundary.get("type") == "Feature":
        if boundary.get("geometry") is None:
            raise _bad_boundary("Feature 缺少 geometry")
        return check_boundary(boundary["geometry"])
    kind = boundary.get("type")
    coordinates = boundary.get("coordinates")
    if kind == "Polygon":
        return {"type": kind, "coordinates": _check_polygon(coordinates)}
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise _bad_boundary("MultiPolygon 的 coordinates 应为至少一个多边形的数组")
        return {"type": kind, "coordinates": [_check_polygon(p) for p in coordinates]}
    raise _bad_boundary("几何类型应为 Polygon 或 MultiPolygon")


def check_term_years(term_years: int, field: str = "term_years") -> None:
    """R-CON-1: a term of whole years (default 3)."""
    if isinstance(term_years, bool) or not isinstance(term_years, int) or not 1 <= term_years <= MAX_TERM_YEARS:
        raise RuleViolated(
            f"{field}：合同期限应为 1 到 {MAX_TERM_YEARS} 年的整数", field=field, rule="R-CON-1"
        )


def check_fee(annual_fee_fen: int) -> None:
    """R-CON-1: the annual service fee per group, in integer fen, not negative."""
    if isinstance(annual_fee_fen, bool) or not isinstance(annual_fee_fen, int) or annual_fee_fen < 0:
        raise RuleViolated(
            "annual_fee_fen：年度服务费应为不小于 0 的整数（单位：分）", field="annual_fee_fen", rule="R-CON-1"
        )


def check_deduction_rule(rule: str) -> None:
    """R-FEE-1: shortfalls combine by ``max`` (default) or ``sum`` (capped at 1)."""
    if rule not in DEDUCTION_RULES:
        raise RuleViolated(
            "deduction_rule：扣减规则应为 max 或 sum", field="deduction_rule", rule="R-FEE-1"
        )


def check_service_year_basis(basis: str) -> None:
    """R-VIS-4: service years run from the contract start, or are calendar years."""
    if basis not in SERVICE_YEAR_BASES:
        raise RuleViolated(
            "service_year_basis：服务年度口径应为 contract（自合同起始日）或 calendar（自然年）",
            field="service_year_basis",
            rule="R-VIS-4",
        )


def check_late_after_days(days: int) -> None:
    """R-VIS-7: a visit logged more than this many days after its date is late."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_LATE_AFTER_DAYS:
        raise RuleViolated(
            f"late_after_days：补录期限应为 0 到 {MAX_LATE_AFTER_DAYS} 天的整数", field="late_after_days", rule="R-VIS-7"
        )


def check_pass_mark(pass_mark: Any) -> None:
    """R-EVA-1: pass when the total reaches the pass mark (default 60), a score 0..100."""
    if not _number(pass_mark) or not 0 <= pass_mark <= MAX_SCORE:
        raise RuleViolated("pass_mark：合格分数线应在 0 到 100 之间", field="pass_mark", rule="R-EVA-1")


def _exact(value: Any) -> Fraction:
    return Fraction(str(value))


def _plain(value: Any) -> int | float:
    """A JSON number that stays an integer when it is one (90, not 90.0)."""
    exact = _exact(value)
    return int(exact) if exact.denominator == 1 else float(value)


def check_weights(weights: Mapping[str, Any] | None) -> dict[str, int | float]:
    """R-EVA-1: item weights of the weighted mean; positive numbers; none means equal weights."""
    if not weights:
        return {}
    out: dict[str, int | float] = {}
    for item, weight in weights.items():
        if not isinstance(item, str) or not item.strip() or len(item) > 64:
            raise RuleViolated(
                "evaluation_weights：考评项目名称不能为空，最长 64 个字符", field="evaluation_weights", rule="R-EVA-1"
            )
        if not _number(weight) or weight <= 0:
            raise RuleViolated(
                f"evaluation_weights：考评项目 {item} 的权重应为正数", field="evaluation_weights", rule="R-EVA-1"
            )
        out[item] = _plain(weight)
    return out


def check_scores(scores: Mapping[str, Any], weights: Mapping[str, Any]) -> dict[str, int | float]:
    """R-EVA-1: a score 0..100 per item; with contract weights, exactly the weighted items."""
    if not scores:
        raise RuleViolated("scores：至少要有一个考评项目的分数", field="scores", rule="R-EVA-1")
    out: dict[str, int | float] = {}
    for item, score in scores.items():
        if not isinstance(item, str) or not item.strip() or len(item) > 64:
            raise RuleViolated("scores：考评项目名称不能为空，最长 64 个字符", field="scores", rule="R-EVA-1")
        if not _number(score) or not 0 <= score <= MAX_SCORE:
            raise RuleViolated(
                f"scores.{item}：考评项目 {item} 的分数应在 0 到 100 之间", field=f"scores.{item}", rule="R-EVA-1"
            )
        out[item] = _plain(score)
    if weights:
        missing = sorted(set(weights) - set(out))
        extra = sorted(set(out) - set(weights))
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"缺少 {'、'.join(missing)}")
            if extra:
                parts.append(f"合同未设 {'、'.join(extra)}")
            raise RuleViolated(
                f"scores：考评项目应与合同约定的权重项目一致（{'；'.join(parts)}）", field="scores", rule="R-EVA-1"
            )
    return out


def weighted_total(scores: Mapping[str, Any], weights: Mapping[str, Any]) -> Decimal:
    """R-EVA-1: the weighted mean of the item scores (equal weights unless the contract sets them),
    exact until rounded half up to 0.01; pass compares this total with the pass mark."""
    w = {item: _exact(weights[item]) if weights else Fraction(1) for item in scores}
    mean = sum((_exact(scores[item]) * w[item] for item in scores), Fraction(0)) / sum(w.values())
    return (Decimal(mean.numerator) / Decimal(mean.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def keyworded_init(self: Any, **fields: Any) -> None:
    """``__init__`` for events whose catalogue field names Python or eventsourcing reserve.

    ``id`` is eventsourcing's own argument for the aggregate id and ``in`` is a
    keyword, so those values arrive as ``id_`` / ``in_`` and are stored under
    the catalogue's names (the envelope's ``data`` is the event's ``__dict__``).
    Declared inside each class body: the event metaclass replaces an inherited one.
    """
    for name, value in fields.items():
        object.__setattr__(self, _RESERVED.get(name, name), value)


_RESERVED = {"id_": "id", "in_": "in"}


# -- governments and districts (R-ORG-2, -3, -6, -7) -------------------------


class Government(Aggregate):
    """A district government or a development zone's administrative committee."""

    class Event(Aggregate.Event):
        pass

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return government_id(code)

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        kind: str,
        leader: str | None = None,
        department: str | None = None,
        contact: str | None = None,
    ) -> "Government":
        check_code(code, "code")
        name = check_text(name, "name")  # type: ignore[assignment]
        check_government_kind(kind)
        return cls(
            code=code,
            name=name,
            kind=kind,
            leader=check_text(leader, "leader", required=False),
            department=check_text(department, "department", required=False),
            contact=check_text(contact, "contact", required=False),
        )

    @event("Registered")
    def __init__(
        self, code: str, name: str, kind: str, leader: str | None, department: str | None, contact: str | None
    ) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.leader = leader
        self.department = department
        self.contact = contact

    class ContactsChanged(Event):
        """R-ORG-7: the responsible leader, department and contact person."""

        event_type = "ContactsChanged"
        entity: str
        code: str
        leader: str | None
        department: str | None
        contact: str | None

        def apply(self, government: "Government") -> None:
            government.leader = self.leader
            government.department = self.department
            government.contact = self.contact

    def change_contacts(self, *, leader: str | None, department: str | None, contact: str | None) -> bool:
        """Replace the three contacts; False (no event) when nothing changes."""
        new = (
            check_text(leader, "leader", required=False),
            check_text(department, "department", required=False),
            check_text(contact, "contact", required=False),
        )
        if new == (self.leader, self.department, self.contact):
            return False
        self.trigger_event(
            self.ContactsChanged, entity="government", code=self.code, leader=new[0], department=new[1], contact=new[2]
        )
        return True

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "leader": self.leader,
            "department": self.department,
            "contact": self.contact,
            "version": self.version,
        }


class District(Aggregate):
    """A sub-district (镇街/园区) under a government: the unit a group serves."""

    class Event(Aggregate.Event):
        pass

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return district_id(code)

    @classmethod
    def register(
        cls,
        *,
        code: str,
        name: str,
        types: Iterable[str],
        government: "Government",
        leader: str | None = None,
        contact: str | None = None,
        boundary: Any = None,
    ) -> "District":
        check_code(code, "code")
        name = check_text(name, "name")  # type: ignore[assignment]
        return cls(
            code=code,
            name=name,
            types=check_types(types),
            government=government.code,
            leader=check_text(leader, "leader", required=False),
            contact=check_text(contact, "contact", required=False),
            boundary=check_boundary(boundary),
        )

    @event("Registered")
    def __init__(
        self,
        code: str,
        name: str,
        types: list[str],
        government: str,
        leader: str | None,
        contact: str | None,
        boundary: dict[str, Any] | None,
    ) -> None:
        self.code = code
        self.name = name
        self.types = types
        self.government = government
        self.leader = leader
        self.department: str | None = None
        self.contact = contact
        self.boundary = boundary

    def change_types(self, types: Iterable[str]) -> bool:
        """R-ORG-3; False (no event) when the types are already these."""
        new = check_types(types)
        if new == self.types:
            return False
        self._types_changed(code=self.code, types=new)
        return True

    @event("TypesChanged")
    def _types_changed(self, code: str, types: list[str]) -> None:
        self.types = types

    def set_boundary(self, boundary: Any) -> None:
        checked = check_boundary(boundary)
        if checked is None:
            raise _bad_boundary("应为 GeoJSON 多边形")
        self._boundary_set(code=self.code, boundary=checked)

    @event("BoundarySet")
    def _boundary_set(self, code: str, boundary: dict[str, Any]) -> None:
        self.boundary = boundary

    class ContactsChanged(Event):
        """R-ORG-7: the district's responsible leader and contact person (department optional)."""

        event_type = "ContactsChanged"
        entity: str
        code: str
        leader: str | None
        department: str | None
        contact: str | None

        def apply(self, district: "District") -> None:
            district.leader = self.leader
            district.department = self.department
            district.contact = self.contact

    def change_contacts(self, *, leader: str | None, contact: str | None, department: str | None = None) -> bool:
        new = (
            check_text(leader, "leader", required=False),
            check_text(department, "department", required=False),
            check_text(contact, "contact", required=False),
        )
        if new == (self.leader, self.department, self.contact):
            return False
        self.trigger_event(
            self.ContactsChanged, entity="district", code=self.code, leader=new[0], department=new[1], contact=new[2]
        )
        return True

    def as_dict(self, *, with_boundary: bool = True) -> dict[str, Any]:
        out = {
            "code": self.code,
            "name": self.name,
            "types": list(self.types),
            "government": self.government,
            "leader": self.leader,
            "department": self.department,
            "contact": self.contact,
            "has_boundary": self.boundary is not None,
            "version": self.version,
        }
        if with_boundary:
            out["boundary"] = self.boundary
        return out


# -- contracts (R-CON-1..3, R-EVA-1 for the team) ----------------------------


class Contract(Aggregate):
    """The service contract the bureau signs with a team; its terms are the settings of R-FEE-1 etc."""

    class Event(Aggregate.Event):
        pass

    class Signed(Event, Aggregate.Created):
        __init__ = keyworded_init

        def apply(self, contract: "Contract") -> None:  # type: ignore[override]
            data = self.__dict__
            contract.code = data["id"]
            contract.team = data["team"]
            contract.institution = data["institution"]
            contract.start_date = data["start_date"]
            contract.term_years = data["term_years"]
            contract.end_date = data["end_date"]
            contract.annual_fee_fen = data["annual_fee_fen"]
            contract.deduction_rule = data["deduction_rule"]
            contract.service_year_basis = data["service_year_basis"]
            contract.settle_confirmed_only = data["settle_confirmed_only"]
            contract.late_after_days = data["late_after_days"]
            # R-VIS-3 amended; contracts signed before the setting existed do not count meetings.
            contract.leader_meeting_counts_for_visit = bool(data.get("leader_meeting_counts_for_visit", False))
            contract.work_content = data["work_content"]
            contract.evaluation_weights = data["evaluation_weights"]
            contract.pass_mark = data["pass_mark"]
            # R-CON-1 (amended); contracts signed before these existed have neither.
            contract.signed_on = data.get("signed_on")
            contract.contract_terms = dict(data.get("terms") or {})
            contract.term = 1
            contract.term_start = data["start_date"]
            contract.renewals = []
            contract.evaluations = []
            contract.ended_on = None
            contract.end_reason = None

    @classmethod
    def sign(
        cls,
        *,
        code: str,
        team: str,
        institution: str | None,
        start_date: dt.date,
        term_years: int,
        annual_fee_fen: int,
        deduction_rule: str,
        service_year_basis: str,
        settle_confirmed_only: bool,
        late_after_days: int,
        leader_meeting_counts_for_visit: bool = False,
        work_content: str | None,
        evaluation_weights: Mapping[str, Any] | None,
        pass_mark: Any,
        signed_on: dt.date | None = None,
        terms: Mapping[str, Any] | None = None,
        today: dt.date | None = None,
    ) -> "Contract":
        check_code(code, "id")
        if signed_on is not None and today is not None:
            check_not_future(signed_on, today, "signed_on")
        team = check_text(team, "team")  # type: ignore[assignment]
        check_term_years(term_years)
        check_fee(annual_fee_fen)
        check_deduction_rule(deduction_rule)
        check_service_year_basis(service_year_basis)
        check_late_after_days(late_after_days)
        check_pass_mark(pass_mark)
        weights = check_weights(evaluation_weights)
        return cls._create(
            cls.Signed,
            id=contract_id(code),
            id_=code,
            team=team,
            institution=check_text(institution, "institution", required=False),
            start_date=start_date.isoformat(),
            term_years=term_years,
            end_date=term_end(start_date, term_years).isoformat(),
            annual_fee_fen=annual_fee_fen,
            deduction_rule=deduction_rule,
            service_year_basis=service_year_basis,
            settle_confirmed_only=bool(settle_confirmed_only),
            late_after_days=late_after_days,
            leader_meeting_counts_for_visit=bool(leader_meeting_counts_for_visit),
            work_content=check_text(work_content, "work_content", required=False),
            evaluation_weights=weights,
            pass_mark=_plain(pass_mark),
            signed_on=signed_on.isoformat() if signed_on else None,
            terms=check_terms(terms),
        )

    # -- reading ---------------------------------------------------------

    def policy_terms(self) -> dict[str, str | None]:
        """R-CON-1: the policy's terms, one text each (工作内容 falls back to ``work_content``)."""
        return policy_terms(getattr(self, "contract_terms", None), self.work_content)  # older snapshots: none

    @property
    def effective_end(self) -> dt.date:
        end = day(self.end_date)
        return min(end, day(self.ended_on)) if self.ended_on else end

    def covers(self, date: dt.date) -> bool:
        return day(self.start_date) <= date <= self.effective_end

    def score(self, scores: Mapping[str, Any]) -> dict[str, Any]:
        """R-EVA-1 under this contract's weights and pass mark (for the team or a planner)."""
        checked = check_scores(scores, self.evaluation_weights)
        total = weighted_total(checked, self.evaluation_weights)
        return {
            "scores": checked,
            "total": str(total),
            "passed": total >= _exact_decimal(self.pass_mark),
            "pass_mark": self.pass_mark,
        }

    def latest_team_evaluation(self, term: int | None = None) -> dict[str, Any] | None:
        term = self.term if term is None else term
        found = [e for e in self.evaluations if e["term"] == term]
        return found[-1] if found else None

    def check_evaluation_date(self, date: dt.date, today: dt.date) -> None:
        check_not_future(date, today)
        if date < day(self.term_start):
            raise RuleViolated(
                f"date：考评日期应在本期合同（自 {self.term_start} 起）之内", field="date", rule="R-EVA-1"
            )

    # -- commands --------------------------------------------------------

    class TeamEvaluated(Event):
        """R-EVA-1: the bureau's evaluation of the team in a term."""

        event_type = "TeamEvaluated"
        contract: str
        date: str
        term: int
        scores: dict
        total: str
        passed: bool
        pass_mark: Any

        def apply(self, contract: "Contract") -> None:
            contract.evaluations.append(
                {
                    "date": self.date,
                    "term": self.term,
                    "scores": self.scores,
                    "total": self.total,
                    "passed": self.passed,
                    "pass_mark": self.pass_mark,
                }
            )

    def evaluate_team(self, *, date: dt.date, scores: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
        self.check_evaluation_date(date, today)
        result = self.score(scores)
        self.trigger_event(self.TeamEvaluated, contract=self.code, date=date.isoformat(), term=self.term, **result)
        return self.evaluations[-1]

    def renew(
        self,
        *,
        date: dt.date,
        term_years: int | None,
        today: dt.date,
        failed_members: Iterable[tuple[str, str]] = (),
        window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
    ) -> None:
        """R-CON-2: at the end of the term (dated at most ``window_days`` before it), only
        after a passing team evaluation of this term, and without a planner who failed this
        term's evaluation still in one of the contract's groups (``failed_members``:
        (group, planner) pairs the application found)."""
        self.check_not_ended()
        check_not_future(date, today)
        failed_members = list(failed_members)
        if date < day(self.term_start):
            raise Conflict(f"date：续约日期早于本期合同起始日 {self.term_start}", field="date")
        opens = day(self.end_date) - dt.timedelta(days=window_days)
        if date < opens:
            raise RuleViolated(
                f"date：续约日期 {date} 距本期合同期满（{self.end_date}）超过 {window_days} 天，"
                f"最早可于 {opens} 续约",
                field="date",
                rule="R-CON-2",
            )
        years = self.term_years if term_years is None else term_years
        check_term_years(years)
        evaluation = self.latest_team_evaluation()
        if evaluation is None or not evaluation["passed"]:
            raise RuleViolated(
                f"id：合同 {self.code} 第 {self.term} 期的团队任期考评未通过（或尚未考评），不能续约",
                field="id",
                rule="R-CON-2",
            )
        if failed_members:
            names = "、".join(f"{planner}（小组 {group}）" for group, planner in failed_members)
            raise RuleViolated(
                f"planners：规划师 {names} 本期考评未通过，不能留在续约后的小组，请先替换",
                field="planners",
                rule="R-CON-2",
            )
        new_start = day(self.end_date) + dt.timedelta(days=1)
        self._renewed(
            id=self.code,
            date=date.isoformat(),
            term_years=years,
            end_date=term_end(new_start, years).isoformat(),
            term=self.term + 1,
            term_start=new_start.isoformat(),
        )

    @event("Renewed")
    def _renewed(self, id: str, date: str, term_years: int, end_date: str, term: int, term_start: str) -> None:  # noqa: A002
        self.renewals.append({"date": date, "term_years": term_years, "term": term, "term_start": term_start})
        self.end_date = end_date
        self.term = term
        self.term_start = term_start

    def check_not_ended(self, field: str = "id") -> None:
        if self.ended_on is not None:
            raise Conflict(f"{field}：合同 {self.code} 已于 {self.ended_on} 终止", field=field)

    def end(self, *, date: dt.date, reason: str | None, today: dt.date) -> None:
        self.check_not_ended()
        check_not_future(date, today)
        if date < day(self.start_date):
            raise Conflict(f"date：终止日期早于合同起始日 {self.start_date}", field="date")
        self._ended(id=self.code, date=date.isoformat(), reason=check_text(reason, "reason", required=False))

    @event("Ended")
    def _ended(self, id: str, date: str, reason: str | None) -> None:  # noqa: A002
        self.ended_on = date
        self.end_reason = reason

    def terms(self) -> dict[str, Any]:
        """What other services need of a contract: dates, fee, rules and service years."""
        end = self.effective_end
        return {
            "contract": self.code,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "ended_on": self.ended_on,
            "effective_end": end.isoformat(),
            "term": self.term,
            "term_start": self.term_start,
            "term_years": self.term_years,
            "annual_fee_fen": self.annual_fee_fen,
            "deduction_rule": self.deduction_rule,
            "service_year_basis": self.service_year_basis,
            "settle_confirmed_only": self.settle_confirmed_only,
            "late_after_days": self.late_after_days,
            "leader_meeting_counts_for_visit": getattr(self, "leader_meeting_counts_for_visit", False),  # older snapshots
            "service_years": service_years(day(self.start_date), end, self.service_year_basis),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "team": self.team,
            "institution": self.institution,
            "work_content": self.work_content,
            "evaluation_weights": dict(self.evaluation_weights),
            "pass_mark": self.pass_mark,
            "status": "ended" if self.ended_on else "active",
            "end_reason": self.end_reason,
            "renewals": list(self.renewals),
            "evaluations": list(self.evaluations),
            "signed_on": getattr(self, "signed_on", None),  # older snapshots have none
            "terms": self.policy_terms(),
            **{k: v for k, v in self.terms().items() if k != "contract"},
            "version": self.version,
        }


def _exact_decimal(value: Any) -> Decimal:
    return Decimal(str(value))


# -- planners (R-ORG-4, R-ORG-5, R-EVA-1 per planner) ------------------------


def check_origin(origin: str) -> None:
    """R-ORG-4: from the first-tier-city institution or a local one."""
    if origin not in ORIGINS:
        raise RuleViolated("origin：来源应为 tier1（一线城市机构）或 local（本地机构）", field="origin", rule="R-ORG-4")


def check_qualifications(qualifications: Iterable[str]) -> list[str]:
    """R-ORG-5: at least one of senior title, Class-1 registered architect, registered planner."""
    out: list[str] = []
    for q in qualifications:
        if q not in QUALIFICATIONS:
            raise RuleViolated(
                f"qualifications：资格 {q!r} 不在认可范围内，应为 {'、'.join(QUALIFICATIONS)}",
                field="qualifications",
                rule="R-ORG-5",
            )
        if q not in out:
            out.append(q)
    if not out:
        raise RuleViolated(
            "qualifications：责任规划师应具有高级职称、一级注册建筑师、注册规划师资格之一",
            field="qualifications",
            rule="R-ORG-5",
        )
    return out


def check_experience(years: int) -> None:
    if isinstance(years, bool) or not isinstance(years, int) or not 0 <= years <= 80:
        raise RuleViolated("experience_years：从业年限应为 0 到 80 的整数", field="experience_years", rule="R-ORG-5")


class Planner(Aggregate):
    """A responsible planner. Contact data (phone, e-mail) is kept outside the events."""

    class Event(Aggregate.Event):
        pass

    class Appointed(Event, Aggregate.Created):
        __init__ = keyworded_init

        def apply(self, planner: "Planner") -> None:  # type: ignore[override]
            data = self.__dict__
            planner.code = data["id"]
            planner.name = data["name"]
            planner.origin = data["origin"]
            planner.qualifications = data["qualifications"]
            planner.experience_years = data["experience_years"]
            planner.community_renewal = data["community_renewal"]
            planner.institution = data.get("institution")
            planner.appointed_on = data.get("date")
            planner.dismissed_on = None
            planner.dismissal_reason = None
            planner.group = None
            planner.group_contract = None
            planner.last_day_in_group = None
            planner.assignments = []
            planner.evaluations = []

    @classmethod
    def appoint(
        cls,
        *,
        code: str,
        name: str,
        origin: str,
        qualifications: Iterable[str],
        experience_years: int,
        community_renewal: bool,
        institution: str | None,
        date: dt.date | None,
        today: dt.date,
    ) -> "Planner":
        """``date`` (the appointment date) is optional: when recorded, the planner joins no group before it."""
        check_code(code, "id")
        name = check_text(name, "name")  # type: ignore[assignment]
        check_origin(origin)
        quals = check_qualifications(qualifications)
        check_experience(experience_years)
        if date is not None:
            check_not_future(date, today)
        return cls._create(
            cls.Appointed,
            id=planner_id(code),
            id_=code,
            name=name,
            origin=origin,
            qualifications=quals,
            experience_years=experience_years,
            community_renewal=bool(community_renewal),
            institution=check_text(institution, "institution", required=False),
            date=None if date is None else date.isoformat(),
        )

    @property
    def active(self) -> bool:
        return self.dismissed_on is None

    def latest_evaluation(self, contract: str) -> dict[str, Any] | None:
        found = [e for e in self.evaluations if e["contract"] == contract]
        return found[-1] if found else None

    def failed_term(self, contract: "Contract") -> bool:
        """R-CON-2: the latest evaluation under this contract, in the current term, failed."""
        evaluation = self.latest_evaluation(contract.code)
        return evaluation is not None and evaluation["term"] == contract.term and not evaluation["passed"]

    def check_may_join(self, contract: "Contract", date: dt.date, field: str) -> None:
        """R-ORG-4 (active, in no other group) and R-CON-2 (no failed term before a renewal)."""
        if not self.active:
            raise RuleViolated(f"{field}：规划师 {self.code} 已于 {self.dismissed_on} 解聘", field=field, rule="R-ORG-4")
        if self.group is not None:
            raise RuleViolated(
                f"{field}：规划师 {self.code} 已在小组 {self.group} 中，一名规划师只能属于一个在岗小组",
                field=field,
                rule="R-ORG-4",
            )
        if self.last_day_in_group is not None and date <= day(self.last_day_in_group):
            raise RuleViolated(
                f"{field}：规划师 {self.code} 在 {self.last_day_in_group} 前仍属于其他小组",
                field=field,
                rule="R-ORG-4",
            )
        if self.appointed_on and date < day(self.appointed_on):
            raise RuleViolated(
                f"{field}：规划师 {self.code} 于 {self.appointed_on} 才受聘", field=field, rule="R-ORG-4"
            )
        evaluation = self.latest_evaluation(contract.code)
        if evaluation is not None and evaluation["term"] < contract.term and not evaluation["passed"]:
            raise RuleViolated(
                f"{field}：规划师 {self.code} 第 {evaluation['term']} 期考评未通过，不能加入续约后合同的小组",
                field=field,
                rule="R-CON-2",
            )

    # Membership is recorded on the planner too, so that saving the group and
    # its planners together makes "at most one active group" (R-ORG-4) hold
    # under concurrent commands (optimistic concurrency on each planner).
    def join(self, *, group: str, contract: "Contract", date: dt.date, field: str) -> None:
        self.check_may_join(contract, date, field)
        self._assigned(id=self.code, group=group, contract=contract.code, date=date.isoformat())

    def leave(self, *, group: str, last_day: dt.date, reason: str | None) -> None:
        if self.group != group:
            raise Conflict(f"id：规划师 {self.code} 不在小组 {group} 中", field="id")
        self._released(id=self.code, group=group, date=last_day.isoformat(), reason=reason)

    @event("Assigned")
    def _assigned(self, id: str, group: str, contract: str, date: str) -> None:  # noqa: A002
        self.group = group
        self.group_contract = contract
        self.assignments.append({"group": group, "contract": contract, "from": date, "to": None})

    @event("Released")
    def _released(self, id: str, group: str, date: str, reason: str | None) -> None:  # noqa: A002
        self.group = None
        self.group_contract = None
        self.last_day_in_group = date
        self.assignments[-1]["to"] = date

    def evaluate(self, *, contract: "Contract", date: dt.date, scores: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
        """R-EVA-1: the planner's term evaluation under a contract's weights and pass mark."""
        contract.check_evaluation_date(date, today)
        result = contract.score(scores)
        self._evaluated(planner=self.code, contract=contract.code, date=date.isoformat(), term=contract.term, **result)
        return self.evaluations[-1]

    @event("Evaluated")
    def _evaluated(
        self, planner: str, contract: str, date: str, term: int, scores: dict, total: str, passed: bool, pass_mark: Any
    ) -> None:
        self.evaluations.append(
            {
                "contract": contract,
                "date": date,
                "term": term,
                "scores": scores,
                "total": total,
                "passed": passed,
                "pass_mark": pass_mark,
            }
        )

    def dismiss(self, *, date: dt.date, reason: str | None, today: dt.date) -> None:
        if not self.active:
            raise Conflict(f"id：规划师 {self.code} 已于 {self.dismissed_on} 解聘", field="id")
        check_not_future(date, today)
        if self.group is not None:
            raise RuleViolated(
                f"id：规划师 {self.code} 仍在小组 {self.group} 中，请先替换（每组须有两名规划师）",
                field="id",
                rule="R-ORG-4",
            )
        if self.appointed_on and date < day(self.appointed_on):
            raise Conflict(f"date：解聘日期早于受聘日期 {self.appointed_on}", field="date")
        self._dismissed(id=self.code, date=date.isoformat(), reason=check_text(reason, "reason", required=False))

    @event("Dismissed")
    def _dismissed(self, id: str, date: str, reason: str | None) -> None:  # noqa: A002
        self.dismissed_on = date
        self.dismissal_reason = reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "name": self.name,
            "origin": self.origin,
            "qualifications": list(self.qualifications),
            "experience_years": self.experience_years,
            "community_renewal": self.community_renewal,
            "institution": self.institution,
            "appointed_on": self.appointed_on,
            "status": "active" if self.active else "dismissed",
            "dismissed_on": self.dismissed_on,
            "dismissal_reason": self.dismissal_reason,
            "group": self.group,
            "assignments": [dict(a) for a in self.assignments],
            "evaluations": list(self.evaluations),
            "version": self.version,
        }


# -- groups (R-ORG-1, R-ORG-4, R-CON-4) --------------------------------------


def check_pair(planners: list[Planner]) -> tuple[Planner, Planner]:
    """R-ORG-4: exactly two planners, one tier1 and one local."""
    if len(planners) != 2 or planners[0].code == planners[1].code:
        raise RuleViolated("planners：每个小组须有两名不同的规划师", field="planners", rule="R-ORG-4")
    by_origin = {p.origin: p for p in planners}
    if set(by_origin) != set(ORIGINS):
        raise RuleViolated(
            "planners：每个小组须有一名一线城市机构（tier1）和一名本地机构（local）的规划师",
            field="planners",
            rule="R-ORG-4",
        )
    return by_origin["tier1"], by_origin["local"]


class Group(Aggregate):
    """A group of two planners serving one district under one contract."""

    class Event(Aggregate.Event):
        pass

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return group_id(code)

    @classmethod
    def form(
        cls,
        *,
        code: str,
        district: District,
        contract: Contract,
        planners: list[Planner],
        from_date: dt.date,
        today: dt.date,
        district_groups: Iterable["Group"] = (),
    ) -> "Group":
        """R-ORG-1, R-ORG-4, R-CON-1: forms the group and records the membership on both planners."""
        check_code(code, "code")
        check_not_future(from_date, today, "from_date")
        contract.check_not_ended("contract")
        if not contract.covers(from_date):
            raise RuleViolated(
                f"from_date：应在合同 {contract.code} 的期限 {contract.start_date}..{contract.effective_end} 之内",
                field="from_date",
                rule="R-CON-1",
            )
        for other in district_groups:
            if other.code != code and other.overlaps(from_date):
                raise RuleViolated(
                    f"district：镇街 {district.code} 自 {from_date} 已由小组 {other.code} 服务，每个镇街同时只由一个小组服务",
                    field="district",
                    rule="R-ORG-1",
                )
        tier1, local = check_pair(planners)
        for planner in (tier1, local):
            planner.check_may_join(contract, from_date, "planners")
        group = cls(
            code=code,
            district=district.code,
            contract=contract.code,
            tier1=tier1.code,
            local=local.code,
            from_date=from_date.isoformat(),
        )
        for planner in (tier1, local):
            planner.join(group=code, contract=contract, date=from_date, field="planners")
        return group

    @event("Formed")
    def __init__(self, code: str, district: str, contract: str, tier1: str, local: str, from_date: str) -> None:
        self.code = code
        self.district = district
        self.contract = contract
        self.tier1 = tier1
        self.local = local
        self.from_date = from_date
        self.end_date: str | None = None
        self.end_reason: str | None = None
        self.members = [
            {"planner": tier1, "origin": "tier1", "from": from_date, "to": None},
            {"planner": local, "origin": "local", "from": from_date, "to": None},
        ]
        self.replacements: list[dict[str, Any]] = []

    @property
    def active(self) -> bool:
        return self.end_date is None

    def overlaps(self, from_date: dt.date) -> bool:
        """Whether this assignment is still running on or after ``from_date``."""
        return self.end_date is None or day(self.end_date) >= from_date

    def serves_on(self, date: dt.date) -> bool:
        return day(self.from_date) <= date and (self.end_date is None or date <= day(self.end_date))

    def planners_on(self, date: dt.date) -> list[dict[str, Any]]:
        present = [
            {"planner": m["planner"], "origin": m["origin"]}
            for m in self.members
            if day(m["from"]) <= date and (m["to"] is None or date <= day(m["to"]))
        ]
        return sorted(present, key=lambda m: ORIGINS.index(m["origin"]))

    @property
    def last_change(self) -> str:
        return max([self.from_date, *(r["date"] for r in self.replacements)])

    def check_active(self) -> None:
        if not self.active:
            raise Conflict(f"code：小组 {self.code} 已于 {self.end_date} 结束服务", field="code")

    class PlannerReplaced(Event):
        """R-CON-4: who left, who came, when and why; the group (and its obligations) stays."""

        event_type = "PlannerReplaced"
        __init__ = keyworded_init

        def apply(self, group: "Group") -> None:
            data = self.__dict__
            out, incoming, date = data["out"], data["in"], data["date"]
            last_day = (day(date) - dt.timedelta(days=1)).isoformat()
            for member in group.members:
                if member["planner"] == out and member["to"] is None:
                    member["to"] = last_day
                    origin = member["origin"]
            group.members.append({"planner": incoming, "origin": origin, "from": date, "to": None})
            if origin == "tier1":
                group.tier1 = incoming
            else:
                group.local = incoming
            group.replacements.append({"out": out, "in": incoming, "date": date, "reason": data["reason"]})

    def replace(
        self,
        *,
        out: Planner,
        incoming: Planner,
        contract: Contract,
        date: dt.date,
        reason: str,
        today: dt.date,
    ) -> None:
        self.check_active()
        check_not_future(date, today)
        reason = check_text(reason, "reason")  # type: ignore[assignment]
        if out.code not in (self.tier1, self.local):
            raise RuleViolated(f"out：规划师 {out.code} 不在小组 {self.code} 中", field="out", rule="R-CON-4")
        if incoming.code in (self.tier1, self.local):
            raise RuleViolated(f"in：规划师 {incoming.code} 已在小组 {self.code} 中", field="in", rule="R-CON-4")
        if date < day(self.last_change):
            raise Conflict(f"date：替换日期早于小组最近一次变更（{self.last_change}）", field="date")
        if not contract.covers(date):
            raise RuleViolated(
                f"date：应在合同 {contract.code} 的期限 {contract.start_date}..{contract.effective_end} 之内",
                field="date",
                rule="R-CON-1",
            )
        if incoming.origin != out.origin:
            raise RuleViolated(
                f"in：接替者应与被替换者同为 {out.origin} 来源（每组一名 tier1、一名 local）", field="in", rule="R-ORG-4"
            )
        incoming.check_may_join(contract, date, "in")
        self.trigger_event(
            self.PlannerReplaced, group=self.code, out=out.code, in_=incoming.code, date=date.isoformat(), reason=reason
        )
        out.leave(group=self.code, last_day=date - dt.timedelta(days=1), reason=reason)
        incoming.join(group=self.code, contract=contract, date=date, field="in")

    def end(self, *, date: dt.date, reason: str | None, planners: list[Planner], today: dt.date) -> None:
        """Ends the assignment on its last day ``date`` and releases both planners."""
        self.check_active()
        check_not_future(date, today)
        if date < day(self.last_change):
            raise Conflict(f"date：结束日期早于小组最近一次变更（{self.last_change}）", field="date")
        reason = check_text(reason, "reason", required=False)
        self._assignment_ended(group=self.code, date=date.isoformat(), reason=reason)
        for planner in planners:
            if planner.group == self.code:
                planner.leave(group=self.code, last_day=date, reason=reason)

    @event("AssignmentEnded")
    def _assignment_ended(self, group: str, date: str, reason: str | None) -> None:
        self.end_date = date
        self.end_reason = reason
        for member in self.members:
            if member["to"] is None:
                member["to"] = date

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "district": self.district,
            "contract": self.contract,
            "tier1": self.tier1,
            "local": self.local,
            "planners": [self.tier1, self.local],
            "from_date": self.from_date,
            "end_date": self.end_date,
            "end_reason": self.end_reason,
            "status": "active" if self.active else "ended",
            "members": [dict(m) for m in self.members],
            "replacements": [dict(r) for r in self.replacements],
            "version": self.version,
        }
