"""The XLSX report, opened with openpyxl (R-RPT-6)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from tests.unit.reporting_render import samples
from tests.unit.reporting_render.conftest import KINDS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def books(rendered):
    return {kind: openpyxl.load_workbook(io.BytesIO(rendered(kind, "xlsx").body)) for kind in KINDS}


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def column(ws, label: str) -> list:
    header = [c.value for c in ws[1]]
    index = header.index(label)
    return [row[index] for row in rows(ws)[1:]]


@pytest.mark.parametrize("kind", KINDS)
def test_cover_sheet_and_properties(rendered, books, kind):
    # R-RPT-6: the cover names the report, its issuer and period.
    result, wb = rendered(kind, "xlsx"), books[kind]
    assert result.content_type == XLSX and result.filename.endswith(".xlsx")
    cover = wb.worksheets[0]
    assert cover.title == "概况"
    title = samples.all_kinds()[kind].get("title")
    if title:
        assert cover["A1"].value == title and wb.properties.title == title
    assert "聊城市自然资源和规划局" in cover["A2"].value
    labels = [row[0] for row in rows(cover)]
    assert "发文机关" in labels and "报告期间" in labels
    # R-RPT-7: a live copy changed since issue has no issue number, it says what it is instead.
    assert ("文本性质" if kind == "monthly" else "签发号") in labels
    assert wb.properties.creator == "聊城市自然资源和规划局"


@pytest.mark.parametrize("kind", KINDS)
def test_one_sheet_per_section_with_frozen_header(books, kind):
    # Every table sheet: bold header row frozen, widths set.
    wb = books[kind]
    assert {"合计", "小组服务时间", "发现问题", "提示"} <= set(wb.sheetnames)
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes in ("A2", "B2"), ws.title
        assert ws["A1"].font.bold, ws.title
        assert ws.column_dimensions["A"].width and ws.column_dimensions["A"].width >= 6


def test_monthly_figures_are_numbers(books):
    # R-RPT-1: figures stay numeric cells, labels are Chinese.
    ws = books["monthly"]["小组服务时间"]
    assert column(ws, "服务年度累计服务天数") == [27.5, 26, 9.5, 30]
    assert column(ws, "累计应服务天数") == [25, 25, 25, 25]
    assert column(ws, "本月是否到访") == ["是", "是", "是", "否"]
    assert column(ws, "是否面见主要负责人") == ["是", "否", "是", "否"]
    assert ws["F2"].number_format == "0.0"
    feedback = books["monthly"]["小组意见建议咨询"]
    assert column(feedback, "公众意见·收到") == [4, 2, 1, None]
    totals = dict(rows(books["monthly"]["合计"])[1:])
    assert totals["到访次数"] == 6 and totals["公众意见·收到"] == 7


def test_changed_since_issue_on_cover(books):
    # R-RPT-7
    cover = books["monthly"]["概况"]
    assert "实时数据，签发后已变更" in cover["A3"].value and "第 3 号" in cover["A3"].value
    assert "签发号" not in dict(rows(cover)[4:])


def test_annual_money_and_shares_keep_number_formats(books):
    # R-FEE-1: yuan as numbers with a ¥ format; shortfalls as percentages.
    ws = books["annual"]["服务费结算"]
    assert column(ws, "年度服务费") == [60000, 40000]
    assert column(ws, "应付金额") == [44000, 35000]
    money = ws.cell(row=2, column=[c.value for c in ws[1]].index("扣减金额") + 1)
    assert money.value == 16000 and money.data_type == "n" and "¥" in money.number_format
    assert "#,##0.00" in money.number_format
    shortfall = ws.cell(row=2, column=[c.value for c in ws[1]].index("服务天数不足比例") + 1)
    assert shortfall.value == pytest.approx(4 / 15) and shortfall.number_format.endswith("%")


def test_governments_rates(books):
    # R-RPT-2: rates as fractions of one with a percent format, unranked said in words.
    ws = books["quarterly"]["区政府落实情况"]
    assert column(ws, "按期落实率") == [0.625, 0.25, 0.5, None]
    assert column(ws, "落实率") == [0.75, 0.5, 0.5, None]
    assert column(ws, "排名") == [1, 2, 3, "不参与排名"]


def _chart_xml(body: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return [archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("xl/charts/chart")]


def test_native_charts(rendered, books):
    # R-RPT-6: service days (bars) against the requirement (markers); rates per government (bars).
    assert len(books["quarterly"]["小组服务时间"]._charts) == 1
    assert len(books["quarterly"]["区政府落实情况"]._charts) == 1
    charts = _chart_xml(rendered("quarterly", "xlsx").body)
    assert len(charts) == 2
    days = next(c for c in charts if "lineChart" in c)
    assert "barChart" in days and "'小组服务时间'!$" in days and 'symbol val="dash"' in days
    rates = next(c for c in charts if "lineChart" not in c)
    assert "'区政府落实情况'!$" in rates
    assert len(_chart_xml(rendered("annual", "xlsx").body)) == 1


def test_formula_injection_is_neutralised(rendered, books):
    # Text starting with = + - @ is stored as text with a leading apostrophe, never as a formula.
    warnings = books["monthly"]["提示"]
    cell = next(c for row in warnings.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.value == "'" + samples.FORMULA and cell.data_type == "s"
    findings = rows(books["monthly"]["发现问题"])
    assert "'@op-42" in findings[4] and any(str(v).startswith("'-1 天") for v in findings[4])
    summaries = column(books["half-yearly"]["各小组半年工作述职（团队汇总）"], "摘要")
    assert summaries[1] == "'+完成规划评估一项"
    for kind in KINDS:
        with zipfile.ZipFile(io.BytesIO(rendered(kind, "xlsx").body)) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    assert "<f>" not in archive.read(name).decode("utf-8"), (kind, name)


def test_unknown_section_sheet(books):
    # Any list of objects becomes a sheet with its keys as headers.
    ws = books["half-yearly"]["inspections"]
    assert [c.value for c in ws[1]] == ["inspector", "place", "result", "nested·得分"]
    assert rows(ws)[1] == ("市局规划科", "古楼街道", samples.SCRIPT, 4)
