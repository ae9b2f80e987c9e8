"""The report as a document people read: header, sections, tables, charts.

`build(report)` turns the report JSON (API.md "Report JSON", R-RPT-1..4)
into one presentation model that every format writes out, so the HTML, the
PDF and the XLSX always show the same tables with the same labels. Known
sections get a fixed layout; any other list of objects becomes a table of
its keys. Missing optional keys are skipped, never an error.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from services.reporting.render import labels as L
from services.reporting.render.values import (
    EMPTY,
    chinese_date,
    format_datetime,
    format_value,
    month_label,
    period_label,
    period_span,
    to_fraction,
)

# Top-level keys with a place of their own in the layout.
CORE_KEYS = {
    "kind", "period", "title", "issuer", "generated_at", "warnings", "findings",
    "groups", "totals", "governments", "issue",
}
IDENTITY_KEYS = ("group", "district", "government")
NAME_KEYS = {"group": "group_name", "district": "district_name", "government": "government_name"}
# Service-time columns of a group, in reading order (R-RPT-1/2, R-FEE-1).
TIME_COLUMNS = (
    "duty_month", "duty_months", "visits", "days_in_month", "days_in_period", "days_in_quarter",
    "days_in_half_year", "required_days_in_period", "required_days_in_quarter", "days",
    "required_days", "days_in_service_year", "days_to_date", "required_days_to_date", "has_visit",
    "months_with_visit", "leader_met", "months_with_leader_met", "unconfirmed_visits",
    "disputed_visits", "late_visits", "day_shortfall", "visit_shortfall", "fee_fen",
    "deduction_fen", "payable_fen",
)
COUNTER_CHILDREN = {
    "opinions": ("received", "acknowledged", "answered", "escalated", "overdue", "open"),
    "recommendations": ("raised", "forwarded", "accepted", "declined", "completed", "verified", "overdue", "open"),
    "consultations": ("requested", "answered", "answered_on_time", "overdue", "open"),
    "publicity": ("actions", "audience"),
}
GOVERNMENT_COLUMNS = (
    "forwarded", "completed", "rate", "completion_rate", "implementation_rate", "on_time_rate",
    "median_days_to_complete", "rank",
)
# (days, required) pairs a service-days chart may plot, most telling first.
DAY_PAIRS = {
    "annual": (("days", "required_days"), ("days_in_service_year", "required_days_to_date")),
    "default": (
        ("days_in_service_year", "required_days_to_date"),
        ("days_to_date", "required_days_to_date"),
        ("days", "required_days"),
        ("days_in_period", "required_days_in_period"),
    ),
}
# Wording that fits a period longer than a month.
PERIOD_LABELS = {"has_visit": "是否到访", "duty_month": "是否为履职期"}
SHEET_NAMES = {
    "summary": "概况", "totals": "合计", "governments": "区政府落实情况", "groups": "小组服务时间",
    "groups_feedback": "小组意见建议咨询", "findings": "发现问题", "warnings": "提示",
}
ROW_HEADER_KEYS = {"group", "government", "district", "name", "id", "title", "item"}
ALERT_WHEN_FALSE = {"has_visit", "leader_met", "passed"}
# Beyond this many bars a chart is unreadable; the table says it all.
MAX_CHART_ROWS = 60
REPEATED_KEYS = {"title"}
# Width of a portrait A4 page's printable area (178 mm) in ems of the tables' 8 pt type, less a margin.
PRINT_WIDTH_EM = 61.0
NOWRAP_KINDS = {"int", "days", "money", "rate", "fraction", "rank", "number", "date", "month", "rule"}
HEADER_MIN_EM = 3.2   # report.css: a header is at least this wide
CELL_PADDING_EM = 0.7
TEXT_MAX_EM = 6.0     # text wraps: a text column is given at most this much (more where a word is longer)


def text_width(text: str) -> float:
    """The printed width of text in ems: CJK characters one em, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56 for ch in text)


def column_width(column: "Column", rows: list[dict]) -> float:
    widest = max((text_width(column.text(row)) for row in rows), default=0.0)
    if column.kind_of(rows[0] if rows else {}) not in NOWRAP_KINDS:
        # Chinese text breaks anywhere; a Latin word or a number does not.
        word = max((text_width(w) for row in rows for w in re.findall(r"[!-~]+", column.text(row))), default=0.0)
        widest = max(min(widest, TEXT_MAX_EM), word)
    return max(widest, HEADER_MIN_EM) + CELL_PADDING_EM


# What a header keeps on one line: a bracketed note (（条）) or a Latin word, else one character.
HEADER_UNIT = re.compile(r"（[^（）]*）|\([^()]*\)|[!-~]+|.", re.DOTALL)


def header_lines(label: str, width_em: float) -> list[str]:
    """A header's label as the pieces printed whole, broken only between them (R-RPT-6, issue 14):
    as few as the column's estimated width holds, about equally long, and never one character
    alone ("是否面见" / "主要负责人", not "是否面见主要负责" / "人"). A browser may still set two
    pieces on one line where the column is wider; a piece is never wider than the estimate."""
    room = max(width_em - CELL_PADDING_EM, 2.0)
    units = [u for u in HEADER_UNIT.findall(label)]
    # A bracketed note wider than the column breaks like any other text; a Latin word never does.
    units = [piece for u in units for piece in ([u] if text_width(u) <= room or u.isascii() else list(u))]
    if text_width(label) <= room or len(units) < 2:
        return [label]
    widths = [text_width(u) for u in units]
    fewest = math.ceil(sum(widths) / room)
    best: tuple[Any, ...] | None = None
    for count in range(fewest, min(fewest + 2, len(units)) + 1):
        for cuts in itertools.combinations(range(1, len(units)), count - 1):
            bounds = (0, *cuts, len(units))
            lines = ["".join(units[a:b]) for a, b in zip(bounds, bounds[1:])]
            sizes = [sum(widths[a:b]) for a, b in zip(bounds, bounds[1:])]
            # Fits first, then no lone character, fewer lines, the narrowest, fuller lines first.
            cost = (max(max(sizes) - room, 0), sum(len(line) == 1 for line in lines), count, max(sizes),
                    [-s for s in sizes])
            if best is None or cost < best[0]:
                best = (cost, lines)
        if best is not None and best[0][0] == 0 and best[0][1] == 0:
            break
    assert best is not None
    return best[1]


@dataclass(frozen=True)
class Column:
    key: str                # a path into the row: "visits" or "opinions.received"
    label: str              # the whole label: 公众意见·收到
    kind: str
    group: str | None = None  # header over several columns: 公众意见
    short: str | None = None  # label under that header: 收到

    def get(self, row: dict) -> Any:
        value: Any = row
        for part in self.key.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def text(self, row: dict) -> str:
        return format_value(self.get(row), self.kind_of(row), self.field_of(row))

    def kind_of(self, row: dict) -> str:
        return self.kind

    def alert(self, row: dict) -> bool:
        """A duty unmet in a duty period (R-VIS-2, R-VIS-3; a failed evaluation): shown in red."""
        field_name = self.key.rsplit(".", 1)[-1]
        return field_name in ALERT_WHEN_FALSE and self.get(row) is False and row.get("duty_month") is not False

    def field_of(self, row: dict) -> str:
        """The field name whose enumerated values have Chinese labels."""
        return self.key.rsplit(".", 1)[-1]


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    row_header: bool = True   # the first column names the row (<th scope="row">)
    sheet: str = ""
    compact: bool = False     # a key/value table: as wide as its content
    band: str | None = None   # key of a column shown as a heading row over its rows (print), a column (XLSX)

    @property
    def grouped(self) -> bool:
        return any(c.group for c in self.columns)

    def printed_columns(self) -> list[Column]:
        return [c for c in self.columns if c.key != self.band]

    def grid(self, pairs: int = 3) -> list[list[dict]]:
        """A key/value table's rows, `pairs` items to a printed row (compact on paper)."""
        return [self.rows[i:i + pairs] for i in range(0, len(self.rows), pairs)]

    def bands(self) -> list[tuple[str | None, list[dict]]]:
        """The rows under their band headings, bands in order of first appearance."""
        if not self.band:
            return [(None, self.rows)]
        column = next(c for c in self.columns if c.key == self.band)
        order: dict[str, list[dict]] = {}
        for row in self.rows:
            order.setdefault(column.text(row), []).append(row)
        return list(order.items())

    def parts(self, room: float = PRINT_WIDTH_EM) -> list["Table"]:
        """The table split into column groups that fit a portrait A4 page, the row header repeated.

        Widths are estimated from the text (numbers never wrap, text wraps); columns under one
        group header stay together and the parts are about equally wide.
        """
        columns = self.printed_columns()
        widths = {c.key: column_width(c, self.rows) for c in columns}
        if self.compact or sum(widths.values()) <= room:
            return [self]
        # The row's name, and its title where it has one, start every part.
        head = (columns[:1] if self.row_header else []) + [c for c in columns[1:] if c.key in REPEATED_KEYS]
        blocks: list[list[Column]] = []
        for column in [c for c in columns if c not in head]:
            if blocks and column.group and blocks[-1][-1].group == column.group:
                blocks[-1].append(column)
            else:
                blocks.append([column])
        room -= sum(widths[c.key] for c in head)
        # A group too wide for one page is split too (its header repeats over each part).
        blocks = [part for b in blocks for part in ([b] if sum(widths[c.key] for c in b) <= room else [[c] for c in b])]
        total = sum(widths[c.key] for b in blocks for c in b)
        target = total / math.ceil(total / room)
        chunks: list[list[Column]] = [[]]
        for block in blocks:
            used = sum(widths[c.key] for c in chunks[-1])
            wide = sum(widths[c.key] for c in block)
            if chunks[-1] and (used + wide > room or used + wide / 2 > target):
                chunks.append([])
            chunks[-1].extend(block)
        out = []
        band = [c for c in self.columns if c.key == self.band]
        for number, chunk in enumerate(chunks, 1):
            labels = list(dict.fromkeys(c.group for c in chunk if c.group))
            suffix = "、".join(labels) if labels and len(labels) < 4 and all(c.group for c in chunk) else f"{number}/{len(chunks)}"
            out.append(Table(f"{self.key}-{number}", f"{self.title}（{suffix}）", head + band + chunk, self.rows,
                             row_header=self.row_header, sheet=self.sheet, band=self.band))
        return out

    def kept_whole(self) -> list[bool]:
        """Per printed column: a text column whose longest text is given its whole width
        (``column_width``) prints each on one line ("工作内容", not "工作内" over "容")."""
        return [c.kind_of(self.rows[0] if self.rows else {}) not in NOWRAP_KINDS
                and max((text_width(c.text(r)) for r in self.rows), default=0.0) <= TEXT_MAX_EM
                for c in self.printed_columns()]

    def wraps_at_least(self, label: str) -> bool:
        """The column of ``label`` holds text longer than TEXT_MAX_EM: it is given that width
        (``column_width``'s estimate), not squeezed to a character or two a line ("柳园街" over "道")."""
        columns = self.printed_columns()
        whole = self.kept_whole()
        return any(c.label == label and not whole[i] and c.kind_of(self.rows[0] if self.rows else {}) not in NOWRAP_KINDS
                   and c.kind != "message" for i, c in enumerate(columns))

    def header_lines(self, label: str, column: Column | None = None) -> list[str]:
        """``header_lines`` of a header: ``column``'s (its short label under a group), else the
        column of that label or the group of that name over the columns it spans."""
        columns = self.printed_columns()
        spanned = [column] if column else [c for c in columns if label in (c.label, c.group)] or columns[:1]
        return header_lines(label, sum(column_width(c, self.rows) for c in spanned))

    def header_groups(self) -> list[tuple[str, int, bool]]:
        """(label, span, is_group) for a two-row header."""
        spans: list[tuple[str, int, bool]] = []
        for column in self.printed_columns():
            if column.group and spans and spans[-1][2] and spans[-1][0] == column.group:
                label, span, _ = spans[-1]
                spans[-1] = (label, span + 1, True)
            elif column.group:
                spans.append((column.group, 1, True))
            else:
                spans.append((column.label, 1, False))
        return spans


@dataclass
class Series:
    label: str
    column: str           # the table column the values come from
    values: list[float | None]
    style: str            # "bar" or "marker"


@dataclass
class Chart:
    key: str
    title: str
    description: str      # alt text: what the chart shows, in words
    table: str            # key of the table holding the figures (XLSX refers to it)
    categories: list[str]
    series: list[Series]
    percent: bool = False
    value_label: str = ""


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None
    paragraphs: list[str] = field(default_factory=list)
    empty: str = ""


@dataclass
class Document:
    kind: str
    kind_label: str
    title: str
    period: str
    period_label: str
    issuer: str
    generated_at: str
    generated_date: str
    issue_number: str | None
    issued_at: str | None
    changed_since_issue: bool
    notice: str | None
    meta: list[tuple[str, str]]
    summary: list[str]
    sections: list[Section]

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def charts(self) -> list[Chart]:
        return [section.chart for section in self.sections if section.chart]


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, (list, tuple)) else []


def _present(rows: list[dict], key: str) -> bool:
    return any(key in row for row in rows)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_UUID_IN_TEXT = re.compile(r"\s?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s?", re.IGNORECASE)


def internal_id(value: Any) -> bool:
    """A technical id (UUID) that means nothing to a reader; the business reference is shown instead."""
    return isinstance(value, str) and bool(_UUID.match(value))


class Names:
    """Organisation names by code, gathered from every part of the report (R-RPT-6: names, not codes).

    A group is named after the sub-district it serves; a code the report names nowhere is shown as it is.
    """

    def __init__(self, report: dict):
        self.by_code: dict[str, str] = {}
        self._pattern: re.Pattern | None = None
        self._gather(report)

    def _gather(self, value: Any) -> None:
        if isinstance(value, dict):
            for key, name_key in NAME_KEYS.items():
                code, name = value.get(key), value.get(name_key)
                if isinstance(code, str) and isinstance(name, str) and name:
                    self.by_code.setdefault(code, name)
            if isinstance(value.get("government"), str) and isinstance(value.get("name"), str) and value["name"]:
                self.by_code.setdefault(value["government"], value["name"])  # a government's row names it "name"
            group, district_name = value.get("group"), value.get("district_name")
            if isinstance(group, str) and isinstance(district_name, str) and district_name:
                self.by_code.setdefault(group, district_name)
            for child in value.values():
                self._gather(child)
        elif isinstance(value, list):
            for child in value:
                self._gather(child)

    def name(self, row: dict, key: str) -> str:
        code = row.get(key)
        if key == "group" and row.get("district_name"):
            return str(row["district_name"])
        name = row.get(NAME_KEYS.get(key, "")) or (self.by_code.get(code) if isinstance(code, str) else None)
        if not name and key == "group" and isinstance(row.get("district"), str):
            # A group without a name of its own reads as the sub-district it serves.
            name = self.by_code.get(row["district"], row["district"])
        return str(name or (code if code not in (None, "") else EMPTY))

    def text(self, message: Any) -> Any:
        """A message with each organisation code it quotes replaced by the name ("小组 g-gulou" -> 古楼街道小组)."""
        if not isinstance(message, str):
            return message
        if not self.by_code:
            return _UUID_IN_TEXT.sub("", message)
        if self._pattern is None:
            codes = sorted(self.by_code, key=len, reverse=True)
            self._pattern = re.compile(
                r"(小组\s*)?(?<![A-Za-z0-9_-])(" + "|".join(re.escape(c) for c in codes) + r")(?![A-Za-z0-9_-])\s?")

        def named(m: re.Match) -> str:
            name = self.by_code[m.group(2)]
            return f"{name}小组" if m.group(1) else name

        # A technical id quoted in a message means nothing to a reader (R-RPT-6).
        return _UUID_IN_TEXT.sub("", self._pattern.sub(named, message))

    def names(self, codes: Any) -> Any:
        if isinstance(codes, list):
            return [self.by_code.get(c, c) if isinstance(c, str) else c for c in codes]
        return codes


# Columns people see instead of the codes: one name per row, the government as a band over its rows.
IDENTITY_LABELS = {"group": "责任规划师小组（服务镇街）", "district": "服务镇街（园区）", "government": "区政府（管委会）"}
# Name columns and technical columns never shown as columns of their own.
HIDDEN_KEYS = {"group_name", "district_name", "government_name", "warnings"}


def _with_names(rows: list[dict], names: Names, keys: tuple[str, ...]) -> list[dict]:
    """Rows whose codes read as names."""
    shown = []
    for row in rows:
        # A technical id (UUID) means nothing to a reader: the row's business reference says it.
        copy = {k: (None if internal_id(v) else v) for k, v in row.items()}
        for key in keys:
            if key in row:
                copy[key] = names.name(row, key)
        if "target_code" in row:
            copy["target_code"] = names.by_code.get(row["target_code"], row["target_code"])
        if isinstance(row.get("missing"), list):
            copy["missing"] = names.names(row["missing"])
        shown.append(copy)
    return shown


def _identity(rows: list[dict]) -> tuple[list[Column], str | None]:
    """The row's name column (group, else district) and the government band, when present."""
    columns: list[Column] = []
    main = next((k for k in ("group", "district", "government") if _present(rows, k)), None)
    if main:
        columns.append(Column(main, IDENTITY_LABELS[main], "text"))
    band = None
    if _present(rows, "government") and main != "government":
        columns.append(Column("government", IDENTITY_LABELS["government"], "text"))
        band = "government"
    return columns, band


def _identity_keys() -> set[str]:
    return {"group", "district", "government"} | HIDDEN_KEYS


def _scalar_keys(rows: list[dict], skip: set[str]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key in skip or key in keys or isinstance(value, dict) or _dicts(value):
                continue
            if all(internal_id(r.get(key)) or r.get(key) is None for r in rows):
                continue  # a technical id column: the business reference is in another column
            keys.append(key)
    return keys


def _label(key: str, kind: str) -> str:
    if kind != "monthly" and key in PERIOD_LABELS:
        return PERIOD_LABELS[key]
    return L.field_label(key)


def _nested_columns(rows: list[dict], parents: list[str]) -> list[Column]:
    """Columns for the counters objects ({received, answered, ...}) of the rows, under their parent's label."""
    columns = []
    for parent in parents:
        children: list[str] = []
        for row in rows:
            value = row.get(parent)
            for child in value if isinstance(value, dict) else ():
                if child not in children and not internal_id(value[child]):
                    children.append(child)
        order = COUNTER_CHILDREN.get(parent, ())
        children.sort(key=lambda k: (order.index(k) if k in order else len(order)))
        for child in children:
            sample = next((r[parent][child] for r in rows if isinstance(r.get(parent), dict) and child in r[parent]), None)
            columns.append(
                Column(
                    f"{parent}.{child}",
                    L.counter_label(parent, child),
                    L.guess_kind(child, sample),
                    group=L.counter_parent(parent),
                    short=L.counter_child(parent, child),
                )
            )
    return columns


def _dict_keys(rows: list[dict], skip: set[str]) -> list[str]:
    keys: list[str] = [p for p in COUNTER_CHILDREN if any(isinstance(r.get(p), dict) for r in rows)]
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dict) and key not in keys and key not in skip:
                keys.append(key)
    return [k for k in keys if k not in skip]


def _scalar_column(rows: list[dict], key: str, kind: str) -> Column:
    sample = next((row[key] for row in rows if row.get(key) is not None), None)
    return Column(key, _label(key, kind), L.guess_kind(key, sample))


# Per-group keys of the annual report that make its settlement and contract tables (R-RPT-4, R-FEE-1).
SETTLEMENT_KEYS = (
    "annual_fee_fen", "fee_fen", "day_shortfall", "visit_shortfall", "shortfall", "deduction_rule",
    "deduction_fen", "payable_fen", "figures_from", "settlement_differs",
)
SERVICE_KEYS = ("contract", "signed_on", "first_date", "last_date", "duty_month_list", "months_with_visit_list")
# Dicts of a group row that are tables of their own, not counters.
OWN_TABLE_DICTS = {"settlement", "live", "terms"}


def _uniform(rows: list[dict], key: str) -> Any:
    values = {repr(row.get(key)) for row in rows}
    return rows[0].get(key) if len(values) == 1 and rows else None


def _groups_section(report: dict, kind: str, names: Names) -> list[Section]:
    rows = _dicts(report.get("groups"))
    if not rows and "groups" not in report:
        return []
    section = Section("groups", L.section_title("groups"), empty="本期无小组数据。")
    if not rows:
        return [section]
    shown = _with_names(rows, names, ("group", "district", "government"))
    ids, band = _identity(rows)
    skip = _identity_keys() | {"findings", "months"}
    service_year = _uniform(rows, "service_year")
    if service_year is not None:
        section.paragraphs.append(f"服务年度：{period_label('annual', str(service_year))}。")
        skip.add("service_year")
    own = set(SETTLEMENT_KEYS) | set(SERVICE_KEYS)
    time_keys = [k for k in TIME_COLUMNS if _present(rows, k) and k not in own]
    other_keys = [k for k in _scalar_keys(rows, skip | own | set(time_keys))]
    columns = ids + [_scalar_column(rows, k, kind) for k in time_keys + other_keys] + _findings_column(rows)
    for row, copy in zip(rows, shown):
        if isinstance(row.get("findings"), list):
            copy["findings_count"] = len(row["findings"])
    section.tables.append(Table("groups", "各小组服务时间", columns, shown, sheet=SHEET_NAMES["groups"], band=band))
    sections = [section]

    months = _months_table(rows, shown, ids, band)
    if months:
        sections.append(Section("months", L.section_title("months"), tables=[months],
                                paragraphs=["“面见”指与镇街（园区）主要负责同志当面交流（R-VIS-3）；非履职月不作要求。"]))
    counters = _nested_columns(rows, _dict_keys(rows, skip | OWN_TABLE_DICTS))
    if counters:
        sections.append(Section("groups_feedback", L.section_title("groups_feedback"), tables=[
            Table("groups_feedback", L.section_title("groups_feedback"), ids + counters, shown,
                  sheet=SHEET_NAMES["groups_feedback"], band=band)]))
    settlement_keys = [k for k in SETTLEMENT_KEYS if _present(rows, k)]
    if settlement_keys or _present(rows, "settlement"):
        fee = Section("settlement_table", L.section_title("settlement_table"))
        cols = ids + [_scalar_column(rows, k, kind) for k in settlement_keys] + _nested_columns(rows, ["settlement"])
        fee.tables.append(Table("settlement_table", fee.title, cols, shown, sheet="服务费结算", band=band))
        if _present(rows, "live"):
            live = _nested_columns(rows, ["live"])
            fee.tables.append(Table("live_table", L.section_title("live_table"), ids + live, shown,
                                    sheet="实时数据对照", band=band))
        sections.append(fee)
    service_keys = [k for k in SERVICE_KEYS if _present(rows, k)] + [k for k in OWN_TABLE_DICTS - {"settlement", "live"}
                                                                      if _present(rows, k)]
    if service_keys:
        cols = ids + [_scalar_column(rows, k, kind) for k in service_keys if k not in OWN_TABLE_DICTS]
        cols += _nested_columns(rows, [k for k in service_keys if k in OWN_TABLE_DICTS])
        sections.append(Section("month_lists", L.section_title("month_lists"), tables=[
            Table("month_lists", L.section_title("month_lists"), cols, shown, sheet="履职月份", band=band)]))
    # Any other list of objects per group (added by later sections) as a table of its own.
    for key in _nested_lists(rows, skip={"findings", "warnings", "months"}):
        table = _child_table(key, rows, names)
        if table:
            sections.append(Section(f"groups-{key}", table.title, tables=[table]))
    if len(rows) <= MAX_CHART_ROWS:
        section.chart = _days_chart(rows, shown, kind)
    else:
        section.paragraphs.append(f"小组共 {len(rows)} 个，服务天数图从略，详见下表。")
    return sections


def _findings_column(rows: list[dict]) -> list[Column]:
    if not any(isinstance(row.get("findings"), list) for row in rows):
        return []
    return [Column("findings_count", "发现问题（条）", "int")]


def _nested_lists(rows: list[dict], skip: set[str]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in skip and key not in keys and _dicts(value):
                keys.append(key)
    return keys


def _child_table(key: str, rows: list[dict], names: Names) -> Table | None:
    """A list of objects inside each group row as one table: the group's name, then the objects' fields."""
    children = []
    for row in rows:
        for item in _dicts(row.get(key)):
            child = dict(item)
            for identity in ("group", "district", "government"):
                child.setdefault(identity, row.get(identity))
            child.setdefault("district_name", row.get("district_name"))
            children.append(child)
    if not children:
        return None
    return _generic_table(f"groups-{key}", f"各小组{L.section_title(key)}", children, names)


def _months_table(rows: list[dict], shown: list[dict], ids: list[Column], band: str | None) -> Table | None:
    """The months of each group as columns (R-RPT-2, R-RPT-3): visits, days and the leader met, per month."""
    months: list[str] = []
    for row in rows:
        for item in _dicts(row.get("months")):
            if item.get("month") not in months:
                months.append(item.get("month"))
    if not months:
        return None
    months.sort(key=str)
    columns = list(ids)
    for index, month in enumerate(months):
        title = month_label(month)
        columns += [
            Column(f"m{index}.visits", f"{title}·到访次数", "int", group=title, short="到访"),
            Column(f"m{index}.days", f"{title}·服务天数", "days", group=title, short="天数"),
            Column(f"m{index}.leader_met", f"{title}·面见负责人", "bool", group=title, short="面见"),
        ]
    for row, copy in zip(rows, shown):
        by_month = {item.get("month"): item for item in _dicts(row.get("months"))}
        for index, month in enumerate(months):
            item = by_month.get(month)
            if item is None:
                copy[f"m{index}"] = {"visits": None, "days": None, "leader_met": None}
                continue
            cell = {"visits": item.get("visits"), "days": item.get("days"), "leader_met": item.get("leader_met")}
            if item.get("duty_month") is False:
                cell["leader_met"] = "非履职月"
            copy[f"m{index}"] = cell
    return Table("months", L.section_title("months"), columns, shown, sheet="逐月服务情况", band=band)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    share = to_fraction(value)
    return float(share) if share is not None else None


def _days_chart(rows: list[dict], shown: list[dict], kind: str) -> Chart | None:
    """Service days against the requirement per group (R-VIS-4, R-RPT-6)."""
    pairs = DAY_PAIRS["annual"] if kind == "annual" else DAY_PAIRS["default"]
    for days_key, required_key in pairs:
        days = [_number(row.get(days_key)) for row in rows]
        required = [_number(row.get(required_key)) for row in rows]
        if any(v is not None for v in days) and any(v is not None for v in required):
            break
    else:
        return None
    categories = [str(row.get("group") or EMPTY) for row in shown]
    days_label, required_label = L.field_label(days_key), L.field_label(required_key)
    below = [
        categories[i] for i, (d, r) in enumerate(zip(days, required)) if d is not None and r is not None and d < r
    ]
    description = (
        f"柱形为各小组{days_label}，标记为{required_label}。"
        + (f"低于要求的小组：{'、'.join(below)}。" if below else "各小组均达到要求。")
    )
    return Chart(
        "service_days",
        f"各小组{days_label}与{required_label}",
        description,
        "groups",
        categories,
        [Series(days_label, days_key, days, "bar"), Series(required_label, required_key, required, "marker")],
        value_label="天",
    )


def _rate(row: dict) -> Fraction | None:
    for key in ("rate", "completion_rate", "implementation_rate"):
        if row.get(key) is not None:
            return to_fraction(row[key])
    forwarded, completed = row.get("forwarded"), row.get("completed")
    if isinstance(forwarded, int) and isinstance(completed, int) and forwarded > 0:
        return Fraction(completed, forwarded)
    return None


def _governments_section(report: dict, kind: str, names: Names) -> list[Section]:
    if "governments" not in report:
        return []
    rows = _dicts(report.get("governments"))
    section = Section("governments", L.section_title("governments"), empty="本期无到期的函告建议。")
    if not rows:
        return [section]
    shown = _with_names(rows, names, ("government",))
    has_rate = any(k in row for row in rows for k in ("rate", "completion_rate", "implementation_rate"))
    if not has_rate:
        # R-RPT-2 ranks by completed ÷ forwarded first: shown beside the on-time rate.
        for row, copy in zip(rows, shown):
            copy["rate"] = _rate(row)
    keys = [k for k in GOVERNMENT_COLUMNS if _present(shown, k)]
    skip = {"government", "government_name", "name"} | set(keys)
    other = _scalar_keys(rows, skip)
    columns = (
        [Column("government", L.field_label("government"), "text")]
        + [_scalar_column(shown, k, kind) for k in keys + other]
        + _nested_columns(rows, _dict_keys(rows, skip))
    )
    columns = [
        Column(c.key, L.GOVERNMENT_FIELDS[c.key], c.kind) if c.key in L.GOVERNMENT_FIELDS else c for c in columns
    ]
    section.tables.append(Table("governments", section.title, columns, shown, sheet=SHEET_NAMES["governments"]))
    rate_key = next((k for k in ("rate", "completion_rate", "implementation_rate") if _present(shown, k)), None)
    series = []
    if rate_key:
        series.append(Series("落实率", rate_key, [_share(row.get(rate_key)) for row in shown], "bar"))
    if _present(shown, "on_time_rate"):
        series.append(Series("按期落实率", "on_time_rate", [_share(row.get("on_time_rate")) for row in shown], "bar"))
    if series and len(rows) <= MAX_CHART_ROWS and any(v is not None for s in series for v in s.values):
        chart_names = [str(row.get("government") or EMPTY) for row in shown]
        unranked = [chart_names[i] for i, row in enumerate(rows) if "rank" in row and row.get("rank") is None]
        section.chart = Chart(
            "rates",
            "各区政府（管委会）建议落实率",
            "柱形为各区政府（管委会）的落实率与按期落实率（百分比）。"
            + (f"本期无到期事项、不参与排名：{'、'.join(unranked)}。" if unranked else ""),
            "governments",
            chart_names,
            series,
            percent=True,
            value_label="%",
        )
    return [section]


def _share(value: Any) -> float | None:
    share = to_fraction(value)
    return float(share) if share is not None else None


def _items_table(key: str, title: str, items: list[dict], names: Names) -> Table:
    """Findings and warnings: rule id and its name, where, when, then what in plain words."""
    rows = []
    shown_items = _with_names(items, names, ("group", "district", "government"))
    for number, (item, row) in enumerate(zip(items, shown_items), 1):
        row["no"] = number
        row["rule"] = L.rule_label(item.get("rule"))
        row["message"] = names.text(item.get("message"))
        rows.append(row)
    columns = [Column("no", "序号", "int"), Column("rule", "规则", "rule")]
    where = next((k for k in ("group", "district", "government") if _present(items, k)), None)
    if where:
        # Short: the findings' words need the width.
        columns.append(Column(where, {"group": "小组"}.get(where, IDENTITY_LABELS[where]), "text"))
    if _present(items, "month"):
        columns.append(Column("month", L.field_label("month"), "month"))
    columns.append(Column("message", L.field_label("message"), "message"))
    skip = {"no", "rule", "group", "district", "government", "month", "message", "kind"} | HIDDEN_KEYS
    columns += [_scalar_column(items, k, "") for k in _scalar_keys(items, skip)]
    return Table(key, title, columns, rows, row_header=False, sheet=SHEET_NAMES.get(key, title))


def _items_section(report: dict, key: str, empty: str, names: Names) -> Section:
    items = _dicts(report.get(key))
    section = Section(key, L.section_title(key), empty=empty)
    if items:
        section.tables.append(_items_table(key, section.title, items, names))
    raw = report.get(key)
    if isinstance(raw, list):
        # Items that are not objects are still shown, as lines of text.
        section.paragraphs.extend(str(item) for item in raw if not isinstance(item, dict) and item not in (None, ""))
    return section


def _flatten(data: dict) -> list[tuple[str, str, Any]]:
    """(path, label, value) for a dict, nested dicts one level down."""
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            for child_key, child in value.items():
                out.append((f"{key}.{child_key}", L.counter_label(key, child_key), child))
        else:
            out.append((key, L.field_label(key), value))
    return out


def _key_value_table(key: str, title: str, data: dict, names: Names | None = None) -> Table:
    rows = []
    for path, label, value in _flatten(data):
        name = path.rsplit(".", 1)[-1]
        if names is not None and isinstance(value, list):
            value = names.names(value)
        rows.append({"item": label, "value": value, "kind": L.guess_kind(name, value), "field": name})
    return Table(key, title, [Column("item", "项目", "text"), KeyValueColumn("value", "数值", "text")], rows,
                 sheet=SHEET_NAMES.get(key, title), compact=True)


@dataclass(frozen=True)
class KeyValueColumn(Column):
    """The value column of a key/value table: each row carries its own kind."""

    def kind_of(self, row: dict) -> str:
        return row.get("kind", "text")

    def field_of(self, row: dict) -> str:
        return row.get("field", "")


def _generic_table(key: str, title: str, items: list[dict], names: Names) -> Table:
    ids, band = _identity(items)
    skip = _identity_keys() | {"target"} if "target_code" in _scalar_keys(items, set()) else _identity_keys()
    scalar = _scalar_keys(items, skip)
    columns = ids + [_scalar_column(items, k, "") for k in scalar] + _nested_columns(items, _dict_keys(items, skip))
    rows = _with_names(items, names, ("group", "district", "government"))
    for row in rows:
        for list_key, value in list(row.items()):
            if isinstance(value, list) and all(isinstance(v, str) for v in value) and list_key != "missing":
                row[list_key] = "；".join(value) or EMPTY
    row_header = bool(columns) and columns[0].key in ROW_HEADER_KEYS
    return Table(key, title, columns, rows, row_header=row_header, sheet=title, band=band)


def _extra_section(key: str, value: Any, names: Names) -> Section | None:
    title = L.section_title(key)
    section = Section(key, title, empty="无。")
    if isinstance(value, list):
        items = _dicts(value)
        if items:
            section.tables.append(_generic_table(key, title, items, names))
        section.paragraphs.extend(str(v) for v in value if not isinstance(v, dict) and v not in (None, ""))
    elif isinstance(value, dict):
        lists = {k: v for k, v in value.items() if _dicts(v)}
        for sub_key, items in lists.items():
            sub_title = f"{title}：{L.section_title(sub_key)}"
            section.tables.append(_generic_table(f"{key}.{sub_key}", sub_title, _dicts(items), names))
        rest = {k: v for k, v in value.items() if k not in lists}
        if rest:
            section.tables.append(_key_value_table(key, title, rest, names))
    elif isinstance(value, str):
        section.paragraphs.extend(line.strip() for line in value.splitlines() if line.strip())
    else:
        return None
    return section


def _issue(report: dict) -> tuple[str | None, str | None, bool, str | None]:
    """(number shown in the header, issue date, changed since issue, notice) (R-RPT-7).

    A live copy that changed since issue shows no number in its header: it is not the issued text.
    """
    issue = report.get("issue")
    if not isinstance(issue, dict):
        return None, None, False, None
    number = issue.get("number")
    number_text = f"第 {number} 号" if number not in (None, "") else None
    issued_at = chinese_date(issue["issued_at"]) if issue.get("issued_at") else None
    changed = bool(issue.get("changed_since_issue"))
    if not changed:
        return number_text, issued_at, False, None
    when = f"{issued_at}签发的" if issued_at else "签发的"
    which = f"{number_text}文本" if number_text else "文本"
    notice = (
        f"实时数据，签发后已变更：本期报告{when}{which}之后，相关数据已发生变化。"
        "以下为实时数据，不是签发文本，与签发文本不一致；如需正式文本请重新签发。"
    )
    return None, issued_at, True, notice


def _summary(report: dict, kind: str) -> list[str]:
    groups = _dicts(report.get("groups"))
    findings = _dicts(report.get("findings"))
    warnings = report.get("warnings") if isinstance(report.get("warnings"), list) else []
    lines = []
    if groups:
        line = f"本期纳入统计的责任规划师小组 {len(groups)} 个"
        if kind == "monthly" and _present(groups, "has_visit"):
            duty = [g for g in groups if g.get("duty_month", True)]
            visited = sum(1 for g in duty if g.get("has_visit") is True)
            met = sum(1 for g in duty if g.get("leader_met") is True)
            line += f"，其中履职小组 {len(duty)} 个，本月已到访 {visited} 个，已面见主要负责人 {met} 个"
        lines.append(line + "。")
    governments = _dicts(report.get("governments"))
    if governments:
        ranked = sum(1 for g in governments if g.get("rank") is not None)
        lines.append(f"参与建议落实排名的区政府（管委会）{ranked} 个，共 {len(governments)} 个。")
    lines.append(f"发现问题 {len(findings)} 条，提示 {len(warnings)} 条。")
    return lines


def build(report: dict) -> Document:
    """The document every format writes out (R-RPT-6)."""
    if not isinstance(report, dict):
        raise TypeError("report 应为报告 JSON 对象（dict）")
    kind = str(report.get("kind") or "")
    period = str(report.get("period") or "")
    kind_label = L.KIND_TITLES.get(kind, kind or "报告")
    label = period_label(kind or None, period)
    title = str(report.get("title") or f"{label}{L.KIND_FULL_TITLES.get(kind, '责任规划师工作报告')}")
    issuer = str(report.get("issuer") or L.DEFAULT_ISSUER)
    number_text, issued_at, changed, notice = _issue(report)
    names = Names(report)

    span = period_span(period)
    meta = [("发文机关", issuer), ("报告类别", kind_label), ("报告期间", f"{label}（{span}）" if span else label)]
    meta.append(("生成时间", format_datetime(report.get("generated_at"))))
    if changed:
        meta.append(("文本性质", "实时数据，签发后已变更（非签发文本）"))
    else:
        meta.append(("签发号", number_text or "未签发（实时数据）"))
    if issued_at:
        meta.append(("原签发日期" if changed else "签发日期", issued_at))
    extras: list[tuple[str, Any]] = []
    for key, value in report.items():
        if key in CORE_KEYS:
            continue
        short_text = isinstance(value, str) and "\n" not in value and len(value) <= 80 and key not in L.SECTIONS
        if value is None or isinstance(value, (bool, int, float)) or short_text:
            if key == "service_year" and value is not None:
                meta.append((L.field_label(key), period_label("annual", str(value))))
                continue
            meta.append((L.field_label(key), format_value(value, L.guess_kind(key, value), key)))
        else:
            extras.append((key, value))

    sections: list[Section] = []
    summary = Section("summary", L.section_title("summary"), paragraphs=_summary(report, kind))
    totals = report.get("totals")
    if isinstance(totals, dict) and totals:
        summary.tables.append(_key_value_table("totals", L.section_title("totals"), totals, names))
    sections.append(summary)
    sections.extend(_governments_section(report, kind, names))
    sections.extend(_groups_section(report, kind, names))
    sections.append(_items_section(report, "findings", "本期未发现问题。", names))
    warnings = _items_section(report, "warnings", "无。", names)
    if warnings.tables:
        # R-RPT-1: the month in progress shows warnings, not findings.
        warnings.paragraphs.insert(0, "以下事项所在期间尚未结束或属提醒性质，暂不作为问题。")
    sections.append(warnings)
    for key, value in extras:
        section = _extra_section(key, value, names)
        if section:
            sections.append(section)

    return Document(
        kind=kind,
        kind_label=kind_label,
        title=title,
        period=period,
        period_label=label,
        issuer=issuer,
        generated_at=format_datetime(report.get("generated_at")),
        generated_date=chinese_date(report.get("generated_at")),
        issue_number=number_text,
        issued_at=issued_at,
        changed_since_issue=changed,
        notice=notice,
        meta=meta,
        summary=summary.paragraphs,
        sections=sections,
    )
