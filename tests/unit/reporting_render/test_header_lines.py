"""Table headers break between whole pieces (issue 14, R-RPT-6: headers never wrap one character
per line): the pieces the printed header keeps on a line each."""

from __future__ import annotations

from services.reporting.render.document import CELL_PADDING_EM, header_lines, text_width


def test_a_long_header_is_balanced_and_leaves_no_character_alone():
    # R-RPT-6: the monthly dispatch's narrow columns (3.2 em of text) printed "是否面见主要负责" over "人"
    for label in ("是否面见主要负责人", "累计应服务天数", "发现问题（条）", "本月是否为履职月", "已转为建议"):
        lines = header_lines(label, 3.2 + CELL_PADDING_EM)
        assert "".join(lines) == label and len(lines) > 1, lines
        assert all(len(line) > 1 for line in lines), lines
        assert all(text_width(line) <= 3.2 for line in lines), lines
    assert header_lines("发现问题（条）", 3.2 + CELL_PADDING_EM)[-1] == "（条）"  # a bracketed note kept whole


def test_a_header_that_fits_is_one_piece():
    assert header_lines("收到", 3.9) == ["收到"]
    assert header_lines("责任规划师小组（服务镇街）", 20) == ["责任规划师小组（服务镇街）"]
