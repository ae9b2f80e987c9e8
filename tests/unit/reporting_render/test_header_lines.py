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


def test_short_texts_and_names_print_on_one_line():
    # Issue 14 "Documents" (R-RPT-6, R-CON-1): the annual report's contract terms printed "工作内" over
    # "容" and the findings' group names "柳园街" over "道"; a text that fits its column's estimated
    # width is printed whole, and a column of longer texts keeps that width.
    import copy

    from services.reporting.render import render
    from tests.unit.reporting_render import samples
    from tests.unit.reporting_render import visible as V

    report = samples.annual()
    clauses = ("工作内容", "工作标准", "工作深度", "工作周期", "权利义务")
    report["contracts"] = [{"contract": "c2021", "team": "聊城市责任规划师团队", "signed_on": "2021-05-20",
                            "start_date": "2021-06-01", "end_date": "2024-05-31"}]
    report["contract_terms"] = [{"contract": "c2021", "clause": c, "text": "驻点服务、收集群众意见、提出意见建议、"
                                 "项目技术审查和咨询、宣传和社区营造、半年和年度工作总结。" * 2} for c in clauses]
    names = {"g-liuyuan": "柳园街道", "g-gulou": "高铁新区（含侯营镇区）"}
    for row in report["groups"]:
        row["district_name"] = names.get(row["group"], row.get("district_name"))
    finding = report["findings"][0]
    report["findings"] = [{**copy.deepcopy(finding), "group": group, "rule": "R-VIS-3", "month": "2021-10",
                           "message": "履职月没有与镇街（园区）主要负责同志当面交流" * 2} for group in names] * 3
    pages = V.pdf_pages(render(report, "pdf").body)
    lines = ["".join(c["text"] for c in run) for page in pages for run in V._lines(page.chars)]
    for word in (*clauses, "柳园街道"):
        assert any(word in line for line in lines), (word, [line for line in lines if word[:2] in line][:5])
