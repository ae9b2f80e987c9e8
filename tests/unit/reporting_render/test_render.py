"""The interface other code calls, and reports that leave things out (R-RPT-6)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from services.reporting.render import FORMATS, Rendered, render
from services.reporting.render.values import (
    cell_value,
    format_fraction,
    format_money,
    period_label,
    period_span,
    safe_text,
    to_fraction,
)
from tests.unit.reporting_render import samples
from tests.unit.reporting_render.conftest import KINDS


@pytest.mark.parametrize("fmt", ["json", "HTML", "docx", "", None, ".pdf"])
def test_unknown_format_is_refused(fmt):
    with pytest.raises(ValueError):
        render(samples.monthly(), fmt)


def test_rendered_is_frozen():
    result = render(samples.annual(), "html")
    assert isinstance(result, Rendered) and FORMATS == ("html", "xlsx", "pdf")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.body = b""  # type: ignore[misc]


def test_filenames_are_ascii():
    assert render(samples.monthly(), "html").filename == "monthly-2022-03.html"
    assert render(samples.annual(), "xlsx").filename == "annual-2021-no1.xlsx"  # issued, unchanged
    assert render({"kind": "quarterly", "period": "../../etc"}, "html").filename == "quarterly-etc.html"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["html", "xlsx"])
def test_every_optional_key_may_be_missing(kind, fmt):
    # Only kind and period: nothing crashes, the renderer names the report itself.
    body = render(samples.minimal(kind), fmt).body
    assert body
    if fmt == "html":
        assert "责任规划师" in body.decode("utf-8")


def test_minimal_pdf():
    assert render({}, "pdf").body.startswith(b"%PDF-")


def test_odd_shapes_do_not_crash():
    report = samples.monthly()
    report["groups"].append({"group": "g-odd", "days_in_service_year": "n/a", "opinions": None, "visits": None})
    report["groups"].append("not an object")
    report["findings"].append({"message": "无规则的发现"})
    report["findings"].append("一条文字")
    report["governments"] = None
    report["totals"] = {"visits": None, "extra": {"a": [1, 2]}}
    report["notes"] = ["一", {"note": "二"}, None]
    report["weird"] = {"rows": [{"x": "\x07控制字符"}], "value": 3}
    report["as_of"] = "2022-03-31"
    for fmt in ("html", "xlsx"):
        assert render(report, fmt).body


def test_many_groups_skip_the_chart():
    report = samples.monthly()
    report["groups"] = [dict(report["groups"][0], group=f"g-{i}", district=f"d{i}") for i in range(80)]
    html = render(report, "html").body.decode("utf-8")
    assert "服务天数图从略" in html and "<img" not in html


def test_value_formats():
    # Money fen -> yuan with two decimals (R-FEE-1), exact shares, periods.
    assert format_money(4_000_000) == "¥ 40,000.00"
    assert format_money(5) == "¥ 0.05" and format_money(None) == "—"
    assert format_fraction("4/15") == "4/15（26.67%）" and format_fraction("0") == "0"
    assert to_fraction("1/4") == Fraction(1, 4) and to_fraction(0.625) == Fraction(5, 8)
    assert to_fraction("75%") == Fraction(3, 4) and to_fraction("n/a") is None
    assert period_label("quarterly", "2022-Q1") == "2022年第一季度"
    assert period_label("half-yearly", "2022-H2") == "2022年下半年"
    assert period_label("annual", "2021") == "2021服务年度"
    assert period_span("2022-02") == "2022年2月1日至2月28日"
    assert period_span("2022-Q4") == "2022年10月1日至12月31日"
    assert period_span("2021") is None


def test_safe_text():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1"):
        assert safe_text(text) == "'" + text
    assert safe_text("正常文字") == "正常文字" and safe_text("") == ""
    assert cell_value(-3, "int") == (-3, "#,##0")
    assert cell_value("=cmd", "text") == ("'=cmd", None)


def test_same_report_same_page():
    # R-RPT-7: an issued report rendered again reads the same (charts included).
    report = samples.quarterly()
    assert render(report, "html").body == render(samples.quarterly(), "html").body


def test_templates_ship_with_the_package():
    # The image installs a wheel: the templates must be package data, not only files in the tree.
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["services.reporting.render"]
    templates = root / "services" / "reporting" / "render" / "templates"
    for path in templates.iterdir():
        assert any(path.match(pattern.split("/")[-1]) for pattern in patterns), path.name
