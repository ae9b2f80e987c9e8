"""The report as an XLSX workbook (openpyxl): one sheet per section.

Figures stay numbers (money in yuan with a ¥ number format, shares as
percentages, days with one decimal) so that a reader can sum and sort them;
text that a spreadsheet could take for a formula is neutralised
(`values.safe_text`). The two charts are native Excel charts over the
sheets' own cells, so they follow any correction the reader makes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.reporting.render.document import SHEET_NAMES, Chart, Document, Section, Table
from services.reporting.render.values import cell_value, parse_datetime, safe_text

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E9EEF5")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
TITLE_FONT = Font(bold=True, size=16)
NOTICE_FONT = Font(bold=True, color="B3261E")
FALSE_FONT = Font(bold=True, color="B3261E")
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60
MIN_WIDTH = 6


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _put(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None = None):
    """Write one cell; text is never stored as a formula."""
    if isinstance(value, str):
        value = safe_text(_clean(value))
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    return cell


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


class Sheets:
    """Unique, valid sheet names (at most 31 characters, no []:*?/\\)."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.used: set[str] = set()

    def new(self, title: str) -> Worksheet:
        base = SHEET_FORBIDDEN.sub("_", title).strip("'") or "表"
        name, n = base[:31], 2
        while name.lower() in self.used:
            suffix = f"({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        self.used.add(name.lower())
        return self.workbook.create_sheet(name)


def _cover(ws: Worksheet, doc: Document, summary: Section) -> None:
    _put(ws, 1, 1, doc.title).font = TITLE_FONT
    _put(ws, 2, 1, f"{doc.issuer}　{doc.period_label}")
    row = 3
    if doc.notice:
        _put(ws, row, 1, doc.notice).font = NOTICE_FONT
        row += 1
    row += 1
    header = row
    for column, label in enumerate(("项目", "内容"), 1):
        cell = _put(ws, header, column, label)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    for label, value in doc.meta:
        row += 1
        _put(ws, row, 1, label)
        day = parse_datetime(value) if len(value) == 10 else None
        if isinstance(day, dt.date) and not isinstance(day, dt.datetime):
            # A date is a date cell (R-RPT-6), left-aligned like the text beside it.
            _put(ws, row, 2, day, "yyyy-mm-dd").alignment = Alignment(horizontal="left")
        else:
            _put(ws, row, 2, value)
    for paragraph in summary.paragraphs:
        row += 1
        _put(ws, row, 1, "总体情况")
        _put(ws, row, 2, paragraph).alignment = WRAP
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 90
    ws.freeze_panes = ws.cell(row=header + 1, column=1)


def _table(ws: Worksheet, table: Table) -> dict[str, int]:
    """The table from A1 with its header row frozen; returns column index by key."""
    widths = []
    for index, column in enumerate(table.columns, 1):
        cell = _put(ws, 1, index, column.label)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        widths.append(min(_display_width(column.label), 18))
    for r, row in enumerate(table.rows, 2):
        for index, column in enumerate(table.columns, 1):
            kind = column.kind_of(row)
            raw = column.get(row)
            value, number_format = cell_value(raw, kind, column.field_of(row))
            cell = _put(ws, r, index, value, number_format)
            if column.alert(row):
                cell.font = FALSE_FONT
            if index == 1 and table.row_header:
                cell.font = HEADER_FONT
            shown = column.text(row)
            widths[index - 1] = max(widths[index - 1], min(_display_width(shown), MAX_WIDTH))
            if _display_width(shown) > MAX_WIDTH:
                cell.alignment = WRAP
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, width + 2)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "B2" if table.row_header and len(table.columns) > 1 else "A2"
    if table.rows and table.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    return {column.key: index for index, column in enumerate(table.columns, 1)}


def _paragraphs(ws: Worksheet, lines: list[str], start: int) -> None:
    if start == 1:
        cell = _put(ws, 1, 1, "内容")
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        ws.freeze_panes = "A2"
        ws.column_dimensions["A"].width = 100
        start = 2
    for offset, line in enumerate(lines):
        _put(ws, start + offset, 1, line).alignment = WRAP


def _category_column(columns: dict[str, int]) -> int:
    return next((columns[k] for k in ("district", "government", "group") if k in columns), 1)


def _native_chart(ws: Worksheet, chart: Chart, columns: dict[str, int], rows: int) -> None:
    """An Excel chart over the sheet's own cells, right of the table."""
    keys = [s.column for s in chart.series if s.column in columns]
    if not keys or rows == 0:
        return
    categories = Reference(ws, min_col=_category_column(columns), min_row=2, max_row=rows + 1)
    bars = BarChart()
    bars.type = "col" if chart.key == "service_days" else "bar"
    bars.grouping = "clustered"
    bars.title = chart.title
    bars.style = 10
    bar_keys = [s.column for s in chart.series if s.style == "bar" and s.column in columns]
    for key in bar_keys:
        bars.add_data(Reference(ws, min_col=columns[key], min_row=1, max_row=rows + 1), titles_from_data=True)
    bars.set_categories(categories)
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    if chart.percent:
        bars.y_axis.number_format = "0%"
        bars.y_axis.scaling.min = 0
        bars.y_axis.scaling.max = 1
        bars.y_axis.title = "落实率"
    else:
        bars.y_axis.title = "服务天数（天）"
        bars.y_axis.scaling.min = 0
    marker_keys = [s.column for s in chart.series if s.style == "marker" and s.column in columns]
    if marker_keys:
        line = LineChart()
        for key in marker_keys:
            line.add_data(Reference(ws, min_col=columns[key], min_row=1, max_row=rows + 1), titles_from_data=True)
        for series in line.series:
            # The requirement as a marker per group, no connecting line.
            series.marker.symbol = "dash"
            series.marker.size = 14
            series.graphicalProperties.line.noFill = True
        line.set_categories(categories)
        bars += line
    bars.legend.position = "b"
    bars.width = min(32, 8 + 1.6 * rows)
    bars.height = 9 if chart.key == "service_days" else max(7, 2 + rows * 1.2)
    ws.add_chart(bars, f"{get_column_letter(len(columns) + 2)}2")


def _properties(workbook: Workbook, doc: Document, report: dict) -> None:
    workbook.properties.title = doc.title
    workbook.properties.creator = doc.issuer
    workbook.properties.subject = f"{doc.kind_label} {doc.period_label}"
    moment = parse_datetime(report.get("generated_at"))
    if isinstance(moment, dt.datetime):
        utc = moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
        workbook.properties.created = workbook.properties.modified = utc


def render_xlsx(doc: Document, report: dict) -> bytes:
    workbook = Workbook()
    sheets = Sheets(workbook)
    workbook.remove(workbook.active)
    charts = {chart.table: chart for chart in doc.charts()}
    for section in doc.sections:
        if section.key == "summary":
            sheets.used.add("概况")
            _cover(workbook.create_sheet("概况", 0), doc, section)
            for table in section.tables:
                _table(sheets.new(table.sheet or table.title), table)
            continue
        if not section.tables:
            name = SHEET_NAMES.get(section.key, section.title)
            _paragraphs(sheets.new(name), section.paragraphs or [section.empty or "无。"], 1)
            continue
        for table in section.tables:
            ws = sheets.new(table.sheet or table.title)
            columns = _table(ws, table)
            if table.key in charts:
                _native_chart(ws, charts[table.key], columns, len(table.rows))
            if section.paragraphs and table is section.tables[-1]:
                _paragraphs(ws, section.paragraphs, len(table.rows) + 3)
    _properties(workbook, doc, report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
