"""The PDF report: text extracted back, A4, CJK font embedded, charts as tagged figures (R-RPT-6)."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.unit.reporting_render import samples
from tests.unit.reporting_render.conftest import KINDS

A4 = (595.28, 841.89)


@pytest.fixture(scope="module")
def pdfs(rendered):
    return {kind: pypdf.PdfReader(io.BytesIO(rendered(kind, "pdf").body)) for kind in KINDS}


def text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def figures(reader: pypdf.PdfReader) -> list[str]:
    """The /Alt texts of the tagged /Figure elements (the charts)."""
    found: list[str] = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            for child in node:
                walk(child)
        elif isinstance(node, pypdf.generic.DictionaryObject):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                found.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_title_and_a4(rendered, pdfs, kind):
    # R-RPT-6: the Chinese title and issuer as text, on A4.
    result, reader = rendered(kind, "pdf"), pdfs[kind]
    assert result.content_type == "application/pdf" and result.body.startswith(b"%PDF-")
    content = text(reader)
    title = samples.all_kinds()[kind].get("title")
    if title:
        assert title in content
        assert reader.metadata.title == title
    assert "聊城市自然资源和规划局" in content
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (width, height) == pytest.approx(A4, abs=0.5)


@pytest.mark.parametrize("kind", KINDS)
def test_cjk_font_embedded(pdfs, kind):
    embedded = set()
    for page in pdfs[kind].pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if any(key.startswith("/FontFile") for key in descriptor):
                    embedded.add(str(font["/BaseFont"]))
    assert embedded
    assert any("CJK" in name or "Hei" in name or "Han" in name for name in embedded), embedded


def test_figures_and_notice(pdfs):
    # R-RPT-1, R-RPT-7: figures and the changed-since-issue notice as text.
    monthly = text(pdfs["monthly"])
    assert "27.5" in monthly and "本月服务天数" in monthly
    assert "实时数据，签发后已变更" in monthly.replace("\n", "")
    annual = text(pdfs["annual"])
    assert "¥ 40,000.00" in annual and "4/15（26.67%）" in annual


def test_charts_are_tagged_figures(pdfs):
    # R-RPT-6: both charts are in the PDF as figures with their alternative text.
    alts = figures(pdfs["quarterly"])
    assert any(alt.startswith("各小组服务年度累计服务天数与累计应服务天数") for alt in alts)
    assert any(alt.startswith("各区政府（管委会）建议落实率") for alt in alts)
    assert len(figures(pdfs["annual"])) == 1
