"""Reports fit to file (issue 14 "Documents", R-RPT-6, R-RPT-7): every family in every format, for
the contract shapes the issue names (a contract from the 16th of a month, R-VIS-2 as amended) and
for the hand-written samples.

Every label is Chinese by construction: rendering runs under `labels.strict()`, so a key of the
report JSON without a Chinese label fails here with its name; the text people see (HTML without
tags, XLSX cells and sheet names, PDF glyphs) holds no snake_case key, UUID, raw enumerated value
or organisation code. The PDF is read back glyph by glyph: nothing outside the printable area,
no header one character a line. The demo year's page counts are in tests/e2e/test_demo_documents.py.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest

from services.reporting.render import labels, render
from services.reporting.render.document import build
from tests.unit.reporting.world import API, World
from tests.unit.reporting_render import samples
from tests.unit.reporting_render import visible as V

FORMATS = ("html", "xlsx", "pdf")
TEXT = {"html": V.html_text, "xlsx": V.xlsx_text, "pdf": V.pdf_text}
ENUMERATED = {key: set(values) for key, values in labels.VALUE_LABELS.items()}
# The shapes: a contract from 2023-03-16 (DOMAIN.md R-VIS-2's example), its first duty month split
# from the month of its first anniversary, a quarter and a half-year across its start, its first service year.
PERIODS = (("monthly", "2023-03"), ("monthly", "2024-03"), ("quarterly", "2023-Q1"), ("quarterly", "2024-Q1"),
           ("half-yearly", "2023-H1"), ("annual", "2023"))


def render_strict(report: dict[str, Any], fmt: str) -> bytes:
    """The report in `fmt`; a field, section, rule or value without its Chinese label raises."""
    with labels.strict():
        return render(report, fmt).body


def problems(report: dict[str, Any], fmt: str, body: bytes) -> list[str]:
    found = [f"{fmt}: internal identifier {w!r} shown" for w in V.internal_identifiers(TEXT[fmt](body), report, ENUMERATED)]
    if fmt == "pdf":
        pages = V.pdf_pages(body)
        found += V.outside_printable_area(pages)[:5] + V.one_character_stacks(pages) + V.lone_header_characters(pages)
        found += V.headings_at_page_foot(pages)
    return found


@pytest.fixture(scope="module")
def sixteenth(tmp_path_factory):
    """A government, a sub-district and a group whose contract starts on 2023-03-16, with visits on both
    sides of its first anniversary, a consultation, an opinion and a recommendation; the monthly report of
    2023-04 issued and then changed by a late visit (R-RPT-7)."""
    from services.backbone.settings import Settings
    from services.bootstrap import Runtime
    from tests.conftest import Api

    runtime = Runtime.embedded(Settings(data_dir=tmp_path_factory.mktemp("documents") / "var", relay_idle_seconds=0.05))
    runtime.start_embedded_bus()
    try:
        api = Api(runtime)
        world = World(api, "doc16")
        government = world.government("gov", "参照区人民政府")
        district = world.district("d", government)
        world.sign(start="2023-03-16")
        group = world.group("g", district, from_date="2023-03-16")
        world.visit(group, "2023-03-20", 1.5, leader_met=True)
        world.visit(group, "2023-04-10", 2.0)
        world.visit(group, "2024-03-10", 1.0, leader_met=True)
        world.visit(group, "2024-03-20", 2.5, leader_met=True)
        ref = world.opinion(district, "2023-04-03")
        world.acknowledge(ref, "2023-04-04")
        rec = world.recommendation(group, "2023-04-12")
        world.letter(government, "函", "2023-04-20", "2023-05-20", [rec])
        world.consultation_answer(world.consultation(group, "2023-04-05", "2023-04-25"), "2023-04-20")
        api.settle()
        issued = api.post(f"{API}/reports/monthly/2023-04/issue")
        assert issued.status_code == 201, issued.json_body
        world.visit(group, "2023-04-25", 1.0)  # after issue: the live copy changes
        reports = {(kind, period): world.report(kind, period) for kind, period in PERIODS}
        reports["monthly", "2023-04"] = world.report("monthly", "2023-04")
        live_html = api.get(f"{API}/reports/monthly/2023-04?format=html")
        yield {"reports": reports, "number": issued.json_body["number"], "live_html": live_html.get_data()}
    finally:
        runtime.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_shapes_show_no_internal_identifier_and_fit_the_page(sixteenth, fmt):
    # R-RPT-6, R-VIS-2 (amended): a contract from the 16th, every family, every format: Chinese labels only,
    # names instead of codes, no UUID; the PDF inside A4's printable area, no header one character a line.
    found = []
    for (kind, period), report in sixteenth["reports"].items():
        assert report["groups"], (kind, period)  # the group is in every report of its duty months
        found += [f"{kind} {period} {p}" for p in problems(report, fmt, render_strict(report, fmt))]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("kind", ("monthly", "quarterly", "half-yearly", "annual"))
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_samples_show_no_internal_identifier(kind, fmt):
    # R-RPT-6: the hand-written reports of every family, optional sections included.
    report = samples.all_kinds()[kind]
    report.pop("inspections", None)  # the samples' deliberately unknown section (test_an_unlabelled_key_fails_loudly)
    assert not problems(report, fmt, render_strict(report, fmt))


def test_an_unlabelled_key_fails_loudly():
    # R-RPT-6: a key added to the report JSON without a Chinese label is named, never shown raw.
    report = samples.quarterly()
    report["groups"][0]["brand_new_figure"] = 3
    with pytest.raises(labels.Unlabelled, match="brand_new_figure"):
        render_strict(report, "html")
    report = samples.annual()
    report["groups"][0]["deduction_rule"] = "median"  # an enumerated value without its word
    with pytest.raises(labels.Unlabelled, match="median"):
        render_strict(report, "html")


def test_every_rule_of_domain_has_a_short_chinese_name():
    # R-RPT-6: a rule id is followed by its short name ("R-VIS-2 每月至少服务1次").
    from pathlib import Path
    import re

    domain = Path(__file__).resolve().parents[4] / "shared" / "spec" / "DOMAIN.md"
    ids = set(re.findall(r"\*\*(R-[A-Z]+-\d+)", domain.read_text(encoding="utf-8")))
    assert ids and not ids - set(labels.RULES), sorted(ids - set(labels.RULES))
    assert labels.rule_label("R-VIS-2") == "R-VIS-2 每月至少服务1次"


def test_months_per_group_are_a_table_not_a_dict(sixteenth):
    # R-RPT-2, R-RPT-3: the months of each group are columns of their own, not a dictionary in a cell.
    report = sixteenth["reports"]["quarterly", "2023-Q1"]
    html = render_strict(report, "html").decode("utf-8")
    assert 'id="t-months"' in html and "2023年3月" in html and "month：" not in html
    workbook = openpyxl.load_workbook(io.BytesIO(render_strict(report, "xlsx")))
    sheet = workbook["逐月服务情况"]
    headers = [c.value for c in sheet[1]]
    assert "2023年3月·到访次数" in headers and "2023年3月·服务天数" in headers


def test_names_rates_money_and_dates_as_people_read_them(sixteenth):
    # R-RPT-6: the government's and the sub-district's names, not their codes; money in yuan with two
    # decimals; rates as percentages; dates as dates in XLSX.
    annual = sixteenth["reports"]["annual", "2023"]
    html = V.html_text(render_strict(annual, "html"))
    assert "参照区人民政府" in html and "d街道" in html
    assert "¥ 60,000.00" in html
    workbook = openpyxl.load_workbook(io.BytesIO(render_strict(annual, "xlsx")))
    dates = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.is_date]
    assert dates and all(c.number_format.startswith("yyyy-mm-dd") for c in dates)
    money = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if "¥" in str(c.number_format)]
    assert money and all(c.number_format.endswith("0.00") for c in money)
    half = sixteenth["reports"]["half-yearly", "2023-H1"]
    assert any(g.get("completion_rate") is not None for g in half["governments"]), half["governments"]
    assert "%" in V.html_text(render_strict(half, "html"))


def test_a_changed_live_copy_does_not_look_issued(sixteenth):
    # R-RPT-7: the live copy of an issued report that has changed shows no issue number in its header,
    # and says that it is live data changed since issue.
    report = sixteenth["reports"]["monthly", "2023-04"]
    assert report["issue"]["changed_since_issue"] is True
    doc = build(report)
    assert doc.issue_number is None and "签发号" not in [label for label, _ in doc.meta]
    for body in (sixteenth["live_html"], render_strict(report, "html")):
        page = body.decode("utf-8")
        header = page[page.index('<header class="masthead">'):page.index("</header>")]
        assert "签发号" not in header and f"第 {sixteenth['number']} 号" not in header
        assert "实时数据，签发后已变更" in V.html_text(body)
    pdf = V.pdf_text(render_strict(report, "pdf"))
    assert "实时数据，签发后已变更" in pdf and "签发号" not in pdf


def test_findings_name_the_business_reference_never_a_uuid():
    # R-RPT-6, R-REC-3: a finding reads as the letter's number and title, never the recommendation's UUID.
    report = samples.quarterly()
    report["findings"].append({"rule": "R-REC-3", "group": "g-gulou", "district": "gulou",
                               "ref": "98a24405-7eed-4042-b94c-b8d21856540c",
                               "message": "意见建议“增设口袋公园”（聊自然资规函〔2022〕3号）超过办理期限 9 天仍未落实"})
    report["findings"].append({"rule": "R-CSL-1", "group": "g-gulou",
                               "message": "技术咨询 f4a7022b-6a71-4366-b5a7-80004e8b2a76 超过答复期限（2022-04-25）5 天仍未答复"})
    for fmt in FORMATS:
        text = TEXT[fmt](render_strict(report, fmt))
        assert "98a24405" not in text and "f4a7022b" not in text and "聊自然资规函〔2022〕3号" in text.replace("\n", "")
        assert "R-REC-3 意见建议逾期未落实" in text.replace("\n", "")


def test_dates_in_xlsx_are_dates():
    # R-RPT-6: a date is a date cell (sortable), shown as yyyy-mm-dd.
    report = samples.annual()
    report["groups"][0]["first_date"] = "2021-06-16"
    workbook = openpyxl.load_workbook(io.BytesIO(render_strict(report, "xlsx")))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, dt.datetime) and c.value.date() == dt.date(2021, 6, 16)]
    assert cells and cells[0].number_format == "yyyy-mm-dd"


def test_the_web_viewer_names_the_rules_as_the_documents_do():
    # R-RPT-6: the report viewer (services/web/static/js/labels.js) shows the same short rule names.
    from pathlib import Path
    import re

    script = (Path(__file__).resolve().parents[3] / "services" / "web" / "static" / "js" / "labels.js").read_text(
        encoding="utf-8")
    block = script[script.index("  rule: {"):]
    block = block[:block.index("\n  },")]
    assert dict(re.findall(r'"(R-[A-Z]+-\d+)": "([^"]*)"', block)) == labels.RULES
