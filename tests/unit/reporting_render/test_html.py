"""The HTML report, parsed back (R-RPT-6, R-RPT-7)."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from tests.unit.reporting_render import samples
from tests.unit.reporting_render.conftest import KINDS


class Page(HTMLParser):
    """Just enough of the DOM: tags with attributes, text per element, text of the whole page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[tuple[str, dict, list[str]]] = []
        self.texts: dict[str, list[str]] = {}
        self.by_id: dict[str, str] = {}
        self.chunks: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in ("meta", "img", "br", "col", "link"):
            self.stack.append((tag, attributes, []))

    def handle_endtag(self, tag):
        while self.stack:
            name, attributes, parts = self.stack.pop()
            text = "".join(parts).strip()
            self.texts.setdefault(name, []).append(text)
            if "id" in attributes:
                self.by_id[attributes["id"]] = text
            if self.stack:
                self.stack[-1][2].append(text + " ")
            if name == tag:
                break

    def handle_data(self, data):
        self.chunks.append(data)
        if self.stack:
            self.stack[-1][2].append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="module")
def pages(rendered):
    return {kind: Page(rendered(kind, "html").body.decode("utf-8")) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_title_issuer_period_and_content_type(rendered, pages, kind):
    # R-RPT-6: laid out as handed on: title, issuing body, period, generated date.
    result, page = rendered(kind, "html"), pages[kind]
    assert result.content_type == "text/html; charset=utf-8"
    assert result.filename.endswith(".html") and result.filename.startswith(kind)
    title = samples.all_kinds()[kind].get("title")
    if title:
        assert page.texts["title"] == [title]
        assert page.texts["h1"] == [title]
    assert "聊城市自然资源和规划局" in page.texts["footer"][0]
    assert "发文机关" in page.text and "生成时间" in page.text
    assert page.all("html")[0]["lang"] == "zh-CN"


def test_monthly_labels_and_figures(pages):
    # R-RPT-1 figures under their Chinese labels.
    page = pages["monthly"]
    for label in ("本月服务天数", "累计应服务天数", "本月是否到访", "是否面见主要负责人", "未确认到访次数",
                  "公众意见", "意见建议", "技术咨询", "发现问题"):
        assert label in page.text, label
    assert "2022年3月" in page.text and "2022年3月1日至3月31日" in page.text
    cells = page.texts["td"]
    assert "27.5" in cells and "9.5" in cells and "否" in cells
    assert "R-VIS-3 每月面见镇街主要负责人" in cells and "REC-2022-0007" in cells


def test_unmet_duties_stand_out(pages):
    # R-VIS-3: the month without a leader meeting is marked; a group off duty that month is not.
    marked = [attrs for attrs in pages["monthly"].all("td") if "neg" in attrs.get("class", "")]
    assert len(marked) == 1


def test_changed_since_issue_notice(pages):
    # R-RPT-7: the live report says it changed since issue No. N, and its header shows no issue number.
    notice = pages["monthly"].by_id["changed-since-issue"]
    assert "第 3 号" in notice and "实时数据，签发后已变更" in notice and "已发生变化" in notice
    assert "签发号" not in pages["monthly"].texts.get("th", [])
    for kind in ("quarterly", "half-yearly", "annual"):
        assert "changed-since-issue" not in pages[kind].by_id


def test_issue_number_or_unissued(pages):
    # R-RPT-7: an issued report shows its number; a live one says it is not issued.
    assert "第 12 号" in pages["half-yearly"].text and "2022年7月4日" in pages["half-yearly"].text
    assert "第 1 号" in pages["annual"].text
    assert "未签发" in pages["quarterly"].text


def test_script_in_text_is_escaped(rendered, pages):
    # R-SEC-3 spirit: text from the report never becomes markup.
    for kind in ("monthly", "half-yearly"):
        assert not pages[kind].all("script")
        assert samples.SCRIPT in pages[kind].text
        assert "&lt;script&gt;" in rendered(kind, "html").body.decode("utf-8")


@pytest.mark.parametrize("kind", KINDS)
def test_accessible_tables(pages, kind):
    # R-RPT-6: every table has a caption and header cells with a scope.
    page = pages[kind]
    tables = page.all("table")
    data_tables = [t for t in tables if "data" in t.get("class", "")]
    assert data_tables
    assert len(page.texts["caption"]) == len(data_tables)
    assert all(th.get("scope") in ("col", "row", "colgroup") for th in page.all("th"))


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_fetched_at_run_time(rendered, pages, kind):
    # Inline CSS and data: URIs only; no scripts, links or remote sources.
    page, html = pages[kind], rendered(kind, "html").body.decode("utf-8")
    assert not page.all("link") and not page.all("script")
    for attrs in page.all("img"):
        assert attrs["src"].startswith("data:image/svg+xml;base64,")
    for _, attrs in page.tags:
        for name in ("src", "href"):
            assert not attrs.get(name, "").startswith(("http:", "https:", "//", "file:"))
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "@page" in style and "@media print" in style
    assert "url(" not in style and "@import" not in style


def test_charts_embedded_as_svg(pages):
    # R-RPT-6: service days against the requirement, implementation rates per government.
    images = {attrs["alt"].split("。")[0]: attrs for attrs in pages["quarterly"].all("img")}
    assert set(images) == {"各小组服务年度累计服务天数与累计应服务天数", "各区政府（管委会）建议落实率"}
    for attrs in images.values():
        svg = base64.b64decode(attrs["src"].split(",", 1)[1]).decode("utf-8")
        assert "<svg" in svg and "</svg>" in svg
        assert "<script" not in svg and "href=\"http" not in svg
    assert "低于要求的小组：jiuzhou、beicheng" in pages["quarterly"].text  # no names in the sample
    assert "不参与排名：江北水城旅游度假区管委会" in pages["quarterly"].text
    assert len(pages["annual"].all("img")) == 1  # no governments in the annual sample


def test_governments_table(pages):
    # R-RPT-2: rates as percentages, the unranked government named as such.
    page = pages["quarterly"]
    assert "东昌府区人民政府" in page.texts["th"] and "dongchangfu" not in page.text
    cells = page.texts["td"]
    assert "75.0%" in cells and "62.5%" in cells and "25.0%" in cells and "不参与排名" in cells
    assert "按期落实率" in page.text and "排名" in page.text


def test_annual_money_and_shortfalls(pages):
    # R-FEE-1: money in yuan with two decimals, shortfalls as exact fractions.
    cells = pages["annual"].texts["td"]
    assert "¥ 40,000.00" in cells and "¥ 16,000.00" in cells and "¥ 44,000.00" in cells
    assert "4/15（26.67%）" in cells and "1/8（12.50%）" in cells
    assert "年度服务费" in pages["annual"].text and "应付金额" in pages["annual"].text


def test_optional_and_unknown_sections(pages):
    # R-RPT-3: work summaries, open items, notes; an unknown section becomes a table of its keys.
    page = pages["half-yearly"]
    for heading in ("各小组半年工作述职（团队汇总）", "未办结及逾期事项", "市自然资源和规划局意见", "inspections"):
        assert any(heading in h for h in page.texts["h2"]), heading
    assert "九州街道小组应加强到访频次。" in page.texts["p"]
    assert "inspector" in page.texts["th"] and "REC-2022-0003" in page.texts["td"]
    assert "意见建议" in page.texts["td"]  # kind: recommendation, in Chinese
    ratings = pages["annual"]
    assert "评分" in ratings.text and "配合程度" in ratings.text and "区政府（管委会）" in ratings.texts["td"]
