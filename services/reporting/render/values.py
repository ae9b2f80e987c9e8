"""How one value is shown: to people (text) and to spreadsheets (typed cell).

The report JSON keeps money as integer fen, service days as numbers in 0.5
steps and shares as exact fractions ("4/15"); these functions never change
a figure, only how it is written. Anything unexpected (a string where a
number was due, a missing key) is shown as it is rather than refused.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from services.backbone.clock import TZ
from services.reporting.render import labels as L

EMPTY = "—"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# XLSX number formats per value kind.
NUMBER_FORMATS = {
    "money": '"¥ "#,##0.00',
    "days": "0.0",
    "number": "0.##",
    "int": "#,##0",
    "rank": "0",
    "rate": "0.0%",
    "fraction": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def to_fraction(value: Any) -> Fraction | None:
    """A share as an exact fraction: 0.75, "3/4", "75%", Fraction, Decimal."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, (float, Decimal)):
        try:
            return Fraction(value).limit_denominator(10**6)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                return Fraction(text[:-1].strip()) / 100
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def to_number(value: Any) -> int | float | Decimal | None:
    """A plain number for a spreadsheet cell, or None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return int(number) if number == number.to_integral_value() else number
    return None


def yuan(fen: Any) -> Decimal | None:
    """Integer fen as exact yuan (Decimal), None when not a number."""
    number = to_number(fen)
    if number is None:
        return None
    return (Decimal(str(number)) / 100).quantize(Decimal("0.01"))


def format_money(fen: Any) -> str:
    amount = yuan(fen)
    if amount is None:
        return EMPTY if fen is None else str(fen)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥ {abs(amount):,.2f}"


def format_days(value: Any) -> str:
    number = to_number(value)
    if number is None:
        return EMPTY if value is None else str(value)
    text = f"{float(number):.1f}"
    return text[:-2] if text.endswith(".0") else text


def format_percent(share: Fraction | None, digits: int = 1) -> str:
    if share is None:
        return EMPTY
    return f"{float(share) * 100:.{digits}f}%"


def format_fraction(value: Any) -> str:
    """An exact share as given, with its percentage: "4/15（26.67%）"."""
    share = to_fraction(value)
    if share is None:
        return EMPTY if value is None else str(value)
    if share == 0:
        return "0"
    exact = str(value) if isinstance(value, str) else str(share)
    return f"{exact}（{format_percent(share, 2)}）"


def parse_datetime(value: Any) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def local(moment: dt.datetime) -> dt.datetime:
    """In Asia/Shanghai (naive times are taken to be local already)."""
    return moment.astimezone(TZ) if moment.tzinfo else moment


def format_datetime(value: Any) -> str:
    moment = parse_datetime(value)
    if moment is None:
        return EMPTY if value in (None, "") else str(value)
    if isinstance(moment, dt.datetime):
        return local(moment).strftime("%Y-%m-%d %H:%M")
    return moment.isoformat()


def chinese_date(value: Any) -> str:
    """"2022-04-01T08:00:00+08:00" -> 2022年4月1日 (the date an official writes)."""
    moment = parse_datetime(value)
    if moment is None:
        return EMPTY if value in (None, "") else str(value)
    day = local(moment).date() if isinstance(moment, dt.datetime) else moment
    return f"{day.year}年{day.month}月{day.day}日"


def format_int(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    number = to_number(value)
    if number is None:
        return EMPTY if value is None else str(value)
    return format_days(number)


def format_scalar(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_days(value)
    if isinstance(value, dict):
        # Never a key people cannot read: each part under its Chinese label.
        return "；".join(f"{L.field_label(k)}：{format_scalar(v)}" for k, v in value.items()) or EMPTY
    if isinstance(value, (list, tuple)):
        return format_list(value)
    return str(value)


def month_label(value: Any) -> str:
    """"2022-03" -> 2022年3月."""
    m = _MONTH.match(str(value or ""))
    return f"{m[1]}年{int(m[2])}月" if m else format_scalar(value)


def month_ranges(months: Any) -> str:
    """["2021-06", "2021-07", "2021-09"] -> 2021年6月至7月、2021年9月 (runs of consecutive months)."""
    if not isinstance(months, (list, tuple)) or not months:
        return format_scalar(months) if months else EMPTY
    parsed = [(int(m[1]), int(m[2])) for m in (_MONTH.match(str(v)) for v in months) if m]
    if len(parsed) != len(months):
        return format_list(months)
    runs: list[list[tuple[int, int]]] = []
    for year, month in sorted(parsed):
        last = runs[-1][-1] if runs else None
        if last and (last[0] * 12 + last[1]) + 1 == year * 12 + month:
            runs[-1].append((year, month))
        else:
            runs.append([(year, month)])
    parts = []
    for run in runs:
        (y1, m1), (y2, m2) = run[0], run[-1]
        first = f"{y1}年{m1}月"
        parts.append(first if len(run) == 1 else f"{first}至{'' if y1 == y2 else f'{y2}年'}{m2}月")
    return f"{'、'.join(parts)}（共{len(parsed)}个月）"


def format_list(items: Any) -> str:
    if not items:
        return EMPTY
    if not isinstance(items, (list, tuple)):
        return format_scalar(items)
    parts = []
    for item in items:
        if isinstance(item, dict) and ("rule" in item or "message" in item):
            rule = L.rule_label(item["rule"]) if item.get("rule") else ""
            parts.append(" ".join(p for p in (rule, str(item.get("message") or "")) if p))
        else:
            parts.append(format_scalar(item))
    return "、".join(parts)


def format_value(value: Any, kind: str, key: str = "") -> str:
    """The text people read for a value of the given kind (field `key`)."""
    if isinstance(value, str) and key:
        named = L.value_label(key, value)
        if named:
            return named
    if kind == "month":
        return month_label(value)
    if kind == "period":
        return period_label(None, value) if value not in (None, "") else EMPTY
    if kind == "months":
        return month_ranges(value)
    if kind == "money":
        return format_money(value)
    if kind in ("days", "number"):
        return format_days(value)
    if kind == "int":
        return format_int(value)
    if kind == "bool":
        if isinstance(value, bool):
            return "是" if value else "否"
        return format_scalar(value)
    if kind == "rate":
        share = to_fraction(value)
        return format_percent(share) if share is not None else format_scalar(value)
    if kind == "fraction":
        return format_fraction(value)
    if kind == "rank":
        return "不参与排名" if value is None else format_scalar(value)
    if kind == "datetime":
        return format_datetime(value)
    if kind == "date":
        moment = parse_datetime(value)
        if isinstance(moment, dt.datetime):
            return local(moment).date().isoformat()
        return format_scalar(value)
    if kind == "list":
        return format_list(value)
    return format_scalar(value)


def safe_text(text: str) -> str:
    """Text that a spreadsheet never takes for a formula (CSV/formula injection).

    A leading apostrophe is the spreadsheet convention for "this is text";
    the cell is also written as a string cell, never as a formula.
    """
    if text and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def cell_value(value: Any, kind: str, key: str = "") -> tuple[Any, str | None]:
    """(value, number format) for an XLSX cell: numbers stay numbers."""
    if kind == "money":
        amount = yuan(value)
        if amount is not None:
            return amount, NUMBER_FORMATS["money"]
    elif kind in ("rate", "fraction"):
        share = to_fraction(value)
        if share is not None:
            return float(share), NUMBER_FORMATS[kind]
    elif kind in ("days", "number", "int", "rank"):
        number = to_number(value)
        if number is not None:
            if kind == "int" and isinstance(number, float) and not number.is_integer():
                kind = "days"
            return number, NUMBER_FORMATS[kind]
    elif kind in ("date", "datetime"):
        moment = parse_datetime(value)
        if isinstance(moment, dt.datetime):
            # A real date in the sheet (local time, as shown everywhere else).
            local_moment = local(moment).replace(tzinfo=None)
            if kind == "date":
                return local_moment.date(), NUMBER_FORMATS["date"]
            return local_moment, NUMBER_FORMATS["datetime"]
        if isinstance(moment, dt.date):
            return moment, NUMBER_FORMATS["date"]
    elif kind == "text" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value, None
    if value is None:
        return (format_value(None, kind) if kind == "rank" else None), None
    return safe_text(format_value(value, kind, key)), None


_PERIOD_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_PERIOD_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_PERIOD_HALF = re.compile(r"^(\d{4})-?H([12])$", re.IGNORECASE)
_PERIOD_YEAR = re.compile(r"^(\d{4})$")
NUMERALS = "零一二三四"


def period_label(kind: str | None, period: Any) -> str:
    """"2022-Q1" -> 2022年第一季度; unknown shapes are shown as given."""
    text = "" if period is None else str(period).strip()
    if m := _PERIOD_MONTH.match(text):
        return f"{m[1]}年{int(m[2])}月"
    if m := _PERIOD_QUARTER.match(text):
        return f"{m[1]}年第{NUMERALS[int(m[2])]}季度"
    if m := _PERIOD_HALF.match(text):
        return f"{m[1]}年上半年" if m[2] == "1" else f"{m[1]}年下半年"
    if m := _PERIOD_YEAR.match(text):
        return f"{m[1]}服务年度" if kind in (None, "annual") else f"{m[1]}年"
    return text or EMPTY


def period_span(period: Any) -> str | None:
    """The calendar dates of a month, quarter or half-year (Asia/Shanghai business dates).

    None for a service year, whose first day is the contract's (R-VIS-4).
    """
    text = "" if period is None else str(period).strip()
    if m := _PERIOD_MONTH.match(text):
        first_month = last_month = int(m[2])
    elif m := _PERIOD_QUARTER.match(text):
        first_month, last_month = 3 * int(m[2]) - 2, 3 * int(m[2])
    elif m := _PERIOD_HALF.match(text):
        first_month, last_month = (1, 6) if m[2] == "1" else (7, 12)
    else:
        return None
    year = int(m[1])
    if not 1 <= first_month <= 12:
        return None
    following = dt.date(year + (last_month == 12), last_month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    return f"{year}年{first_month}月1日至{last.month}月{last.day}日"
