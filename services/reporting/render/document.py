"""The report as a document people read: header, sections, tables, charts.

`build(report)` turns the report JSON (API.md "Report JSON", R-RPT-1..4)
into one presentation model that every format writes out, so the HTML, the
PDF and the XLSX always show the same tables with the same labels. Known
sections get a fixed layout; any other list of objects becomes a table of
its keys. Missing optional keys are skipped, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from services.reporting.render import labels as L
from services.reporting.render.values import (
    EMPTY,
    chinese_date,
    format_datetime,
    format_value,
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
    "opinions": ("received", "acknowledged", "answered", "escalated", "overdue"),
    "recommendations": ("raised", "forwarded", "accepted", "declined", "completed", "verified", "overdue"),
    "consultations": ("requested", "answered", "overdue"),
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
        return self.key in ALERT_WHEN_FALSE and self.get(row) is False and row.get("duty_month") is not False

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

    @property
    def grouped(self) -> bool:
        return any(c.group for c in self.columns)

    def header_groups(self) -> list[tuple[str, int, bool]]:
        """(label, span, is_group) for a two-row header."""
        spans: list[tuple[str, int, bool]] = []
        for column in self.columns:
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


def _display_name(row: dict, key: str) -> str:
    code = row.get(key)
    name = row.get(NAME_KEYS.get(key, "")) or (row.get("name") if key == "government" else None)
    if name and code and name != code:
        return f"{name}（{code}）"
    return str(name or code or EMPTY)


def _short_name(row: dict, key: str) -> str:
    """The name alone where the report gives one (chart labels are short)."""
    name = row.get(NAME_KEYS.get(key, "")) or (row.get("name") if key == "government" else None)
    return str(name or row.get(key) or EMPTY)


def _label(key: str, kind: str) -> str:
    if kind != "monthly" and key in PERIOD_LABELS:
        return PERIOD_LABELS[key]
    return L.field_label(key)


def _identity_columns(rows: list[dict], keys: tuple[str, ...]) -> list[Column]:
    return [Column(key, L.field_label(key), "text") for key in keys if _present(rows, key)]


def _with_names(rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Rows whose codes read "name (code)" where the report gives a name."""
    shown = []
    for row in rows:
        copy = dict(row)
        for key in keys:
            if key in row:
                copy[key] = _display_name(row, key)
        shown.append(copy)
    return shown


def _scalar_keys(rows: list[dict], skip: set[str]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key in skip or key in keys or isinstance(value, dict):
                continue
            keys.append(key)
    return keys


def _nested_columns(rows: list[dict], skip: set[str]) -> list[Column]:
    """Columns for the counters objects ({received, answered, ...}) of the rows."""
    parents: list[str] = [p for p in COUNTER_CHILDREN if any(isinstance(r.get(p), dict) for r in rows)]
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dict) and key not in parents and key not in skip:
                parents.append(key)
    columns = []
    for parent in parents:
        children: list[str] = []
        for row in rows:
            value = row.get(parent)
            for child in value if isinstance(value, dict) else ():
                if child not in children:
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
                    group=L.field_label(parent),
                    short=L.field_label(child),
                )
            )
    return columns


def _scalar_column(rows: list[dict], key: str, kind: str) -> Column:
    sample = next((row[key] for row in rows if row.get(key) is not None), None)
    return Column(key, _label(key, kind), L.guess_kind(key, sample))


def _findings_column(rows: list[dict]) -> list[Column]:
    if not any(row.get("findings") for row in rows):
        return []
    return [Column("findings_rules", "发现问题（规则）", "text")]


def _group_rows(rows: list[dict]) -> list[dict]:
    shown = _with_names(rows, ("group", "district"))
    for row in shown:
        findings = row.get("findings")
        if isinstance(findings, list) and findings:
            row["findings_rules"] = "、".join(
                str(f.get("rule") or f.get("message") or EMPTY) if isinstance(f, dict) else str(f) for f in findings
            )
        elif findings:
            row["findings_rules"] = str(findings)
    return shown


def _groups_section(report: dict, kind: str) -> Section | None:
    rows = _dicts(report.get("groups"))
    if not rows and "groups" not in report:
        return None
    section = Section("groups", L.section_title("groups"), empty="本期无小组数据。")
    if not rows:
        return section
    ids = _identity_columns(rows, ("group", "district"))
    skip = {"group", "district", "group_name", "district_name", "findings"}
    time_keys = [k for k in TIME_COLUMNS if _present(rows, k)]
    other_keys = [k for k in _scalar_keys(rows, skip | set(time_keys)) if k not in time_keys]
    columns = ids + [_scalar_column(rows, k, kind) for k in time_keys + other_keys] + _findings_column(rows)
    shown = _group_rows(rows)
    section.tables.append(Table("groups", L.section_title("groups"), columns, shown, sheet=SHEET_NAMES["groups"]))
    nested = _nested_columns(rows, skip)
    if nested:
        section.tables.append(
            Table("groups_feedback", L.section_title("groups_feedback"), ids + nested, shown,
                  sheet=SHEET_NAMES["groups_feedback"])
        )
    if len(rows) <= MAX_CHART_ROWS:
        section.chart = _days_chart(rows, shown, kind)
    else:
        section.paragraphs.append(f"小组共 {len(rows)} 个，服务天数图从略，详见下表。")
    return section


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
    categories = [_short_name(row, "district") if row.get("district") else _short_name(row, "group") for row in rows]
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


def _governments_section(report: dict, kind: str) -> Section | None:
    if "governments" not in report:
        return None
    rows = _dicts(report.get("governments"))
    section = Section("governments", L.section_title("governments"), empty="本期无到期的函告建议。")
    if not rows:
        return section
    shown = _with_names(rows, ("government",))
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
        + _nested_columns(rows, skip)
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
        names = [_short_name(row, "government") for row in rows]
        unranked = [names[i] for i, row in enumerate(rows) if "rank" in row and row.get("rank") is None]
        section.chart = Chart(
            "rates",
            "各区政府（管委会）建议落实率",
            "柱形为各区政府（管委会）的落实率与按期落实率（百分比）。"
            + (f"本期无到期事项、不参与排名：{'、'.join(unranked)}。" if unranked else ""),
            "governments",
            names,
            series,
            percent=True,
            value_label="%",
        )
    return section


def _share(value: Any) -> float | None:
    share = to_fraction(value)
    return float(share) if share is not None else None


def _items_table(key: str, title: str, items: list[dict]) -> Table:
    """Findings and warnings: rule id first, then where, then what."""
    rows = []
    for number, item in enumerate(items, 1):
        row = _with_names([item], ("group", "district"))[0]
        row["no"] = number
        row["rule"] = L.rule_label(item.get("rule"))
        rows.append(row)
    columns = [Column("no", "序号", "int"), Column("rule", "规则", "text")]
    columns += [Column(k, L.field_label(k), "text") for k in ("group", "district", "ref") if _present(items, k)]
    columns.append(Column("message", L.field_label("message"), "text"))
    skip = {"no", "rule", "group", "district", "ref", "message", "group_name", "district_name"}
    columns += [_scalar_column(items, k, "") for k in _scalar_keys(items, skip)]
    return Table(key, title, columns, rows, row_header=False, sheet=SHEET_NAMES.get(key, title))


def _items_section(report: dict, key: str, empty: str) -> Section:
    items = _dicts(report.get(key))
    section = Section(key, L.section_title(key), empty=empty)
    if items:
        section.tables.append(_items_table(key, section.title, items))
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


def _key_value_table(key: str, title: str, data: dict) -> Table:
    rows = []
    for path, label, value in _flatten(data):
        name = path.rsplit(".", 1)[-1]
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


def _generic_table(key: str, title: str, items: list[dict]) -> Table:
    scalar = _scalar_keys(items, set())
    columns = [_scalar_column(items, k, "") for k in scalar] + _nested_columns(items, set())
    rows = _with_names(items, tuple(k for k in IDENTITY_KEYS if k in scalar))
    row_header = bool(columns) and columns[0].key in ROW_HEADER_KEYS
    return Table(key, title, columns, rows, row_header=row_header, sheet=title)


def _extra_section(key: str, value: Any) -> Section | None:
    title = L.section_title(key)
    section = Section(key, title, empty="无。")
    if isinstance(value, list):
        items = _dicts(value)
        if items:
            section.tables.append(_generic_table(key, title, items))
        section.paragraphs.extend(str(v) for v in value if not isinstance(v, dict) and v not in (None, ""))
    elif isinstance(value, dict):
        lists = {k: v for k, v in value.items() if _dicts(v)}
        for sub_key, items in lists.items():
            sub_title = f"{title}：{L.section_title(sub_key)}"
            section.tables.append(_generic_table(f"{key}.{sub_key}", sub_title, _dicts(items)))
        rest = {k: v for k, v in value.items() if k not in lists}
        if rest:
            section.tables.append(_key_value_table(key, title, rest))
    elif isinstance(value, str):
        section.paragraphs.extend(line.strip() for line in value.splitlines() if line.strip())
    else:
        return None
    return section


def _issue(report: dict) -> tuple[str | None, str | None, bool, str | None]:
    issue = report.get("issue")
    if not isinstance(issue, dict):
        return None, None, False, None
    number = issue.get("number")
    number_text = f"第 {number} 号" if number not in (None, "") else None
    issued_at = chinese_date(issue["issued_at"]) if issue.get("issued_at") else None
    changed = bool(issue.get("changed_since_issue"))
    notice = None
    if changed:
        # R-RPT-7: the live report says that the issued copy no longer matches.
        which = f"{number_text}" if number_text else "签发文本"
        when = f"于{issued_at}" if issued_at else ""
        notice = (
            f"注意：本期报告已{when}签发（{which}），签发后相关数据已发生变化"
            f"（changed since issue No. {number if number is not None else '—'}）。"
            "以下为实时数据，与签发文本不一致，如需正式文本请重新签发。"
        )
    return number_text, issued_at, changed, notice


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

    span = period_span(period)
    meta = [("发文机关", issuer), ("报告类别", kind_label), ("报告期间", f"{label}（{span}）" if span else label)]
    meta.append(("生成时间", format_datetime(report.get("generated_at"))))
    meta.append(("签发号", number_text or "未签发（实时数据）"))
    if issued_at:
        meta.append(("签发日期", issued_at))
    extras: list[tuple[str, Any]] = []
    for key, value in report.items():
        if key in CORE_KEYS:
            continue
        short_text = isinstance(value, str) and "\n" not in value and len(value) <= 80 and key not in L.SECTIONS
        if value is None or isinstance(value, (bool, int, float)) or short_text:
            meta.append((L.field_label(key), format_value(value, L.guess_kind(key, value), key)))
        else:
            extras.append((key, value))

    sections: list[Section] = []
    summary = Section("summary", L.section_title("summary"), paragraphs=_summary(report, kind))
    totals = report.get("totals")
    if isinstance(totals, dict) and totals:
        summary.tables.append(_key_value_table("totals", L.section_title("totals"), totals))
    sections.append(summary)
    for builder in (_governments_section, _groups_section):
        section = builder(report, kind)
        if section:
            sections.append(section)
    sections.append(_items_section(report, "findings", "本期未发现问题。"))
    warnings = _items_section(report, "warnings", "无。")
    if warnings.tables:
        # R-RPT-1: the month in progress shows warnings, not findings.
        warnings.paragraphs.insert(0, "以下事项所在期间尚未结束或属提醒性质，暂不作为问题。")
    sections.append(warnings)
    for key, value in extras:
        section = _extra_section(key, value)
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
