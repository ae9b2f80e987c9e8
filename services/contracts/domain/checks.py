"""What the contracts aggregates share: ids from business codes, dates, and the checks
(each raising ``RuleViolated`` with its rule id) with the values they allow.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Iterable, Mapping

from services.backbone.domain import RuleViolated
from services.programme.assignment import DEDUCTION_RULES  # visits reads them too
from services.programme.calendar import contract_months, year_dates  # R-VIS-2: one calendar
from services.programme.terms import TERM_FIELDS  # R-CON-1: reporting reads them too


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


def team_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"team:{code}")


def institution_id(code: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"institution:{code}")


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


def check_contacts(
    leader: str | None, department: str | None, contact: str | None
) -> tuple[str | None, str | None, str | None]:
    """R-ORG-7: the responsible leader, department and contact person, each optional."""
    return (
        check_text(leader, "leader", required=False),
        check_text(department, "department", required=False),
        check_text(contact, "contact", required=False),
    )


class HasContacts:
    """R-ORG-7 for a government and a district: replacing their three contacts. Each declares
    its own ``_contacts_changed`` event (the ContactsChanged its stored topic names it by)."""

    code: str
    leader: str | None
    department: str | None
    contact: str | None

    def _replace_contacts(
        self, entity: str, leader: str | None, department: str | None, contact: str | None
    ) -> bool:
        """False (no event) when the checked contacts are the ones it has."""
        new = check_contacts(leader, department, contact)
        if new == (self.leader, self.department, self.contact):
            return False
        self._contacts_changed(  # type: ignore[attr-defined]
            entity=entity, code=self.code, leader=new[0], department=new[1], contact=new[2]
        )
        return True


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


def bad_boundary(message: str) -> RuleViolated:
    return RuleViolated(f"boundary：{message}", field="boundary", rule="R-ORG-2")


def _check_ring(ring: Any) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise bad_boundary("每个环至少要有 4 个坐标点")
    points: list[list[float]] = []
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) not in (2, 3)
            or not all(_number(c) for c in position)
        ):
            raise bad_boundary("坐标点应为 [经度, 纬度]")
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise bad_boundary("经度应在 -180..180、纬度应在 -90..90 之间")
        points.append([lon, lat])
    if points[0] != points[-1]:
        raise bad_boundary("多边形的环必须闭合（首尾坐标相同）")
    if len({tuple(p) for p in points}) < 3:
        raise bad_boundary("多边形的环至少要有 3 个不同的坐标点")
    doubled_area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(points, points[1:]))
    if doubled_area == 0:
        raise bad_boundary("多边形的面积不能为零")
    return points


def _check_polygon(rings: Any) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise bad_boundary("Polygon 的 coordinates 应为至少一个环的数组")
    return [_check_ring(ring) for ring in rings]


def check_boundary(boundary: Any) -> dict[str, Any] | None:
    """A GeoJSON Polygon or MultiPolygon (a Feature is unwrapped); returns it as [lon, lat] rings."""
    if boundary is None:
        return None
    if not isinstance(boundary, dict):
        raise bad_boundary("应为 GeoJSON 对象")
    if boundary.get("type") == "Feature":
        if boundary.get("geometry") is None:
            raise bad_boundary("Feature 缺少 geometry")
        return check_boundary(boundary["geometry"])
    kind = boundary.get("type")
    coordinates = boundary.get("coordinates")
    if kind == "Polygon":
        return {"type": kind, "coordinates": _check_polygon(coordinates)}
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise bad_boundary("MultiPolygon 的 coordinates 应为至少一个多边形的数组")
        return {"type": kind, "coordinates": [_check_polygon(p) for p in coordinates]}
    raise bad_boundary("几何类型应为 Polygon 或 MultiPolygon")


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


def plain_number(value: Any) -> int | float:
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
        out[item] = plain_number(weight)
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
        out[item] = plain_number(score)
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
