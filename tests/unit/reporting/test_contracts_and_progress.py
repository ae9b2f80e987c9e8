"""The annual report's contracts with their terms (R-CON-1 amended) and the periodic
reports' implementation progress of open recommendations (R-REC-2; issue 14)."""

from __future__ import annotations

import datetime as dt
import re

from services.contracts.domain import Contract, contract_id, term_end

API = "/api/v1"
TERMS = {"content": "驻点服务、意见建议、技术咨询", "standards": "每月至少服务一次", "depth": "达到详细规划深度",
         "period": "三年", "hours": "每年不少于30天", "funding": "每组每年6万元", "rights_obligations": "双方权利义务见合同"}


def test_the_annual_report_shows_each_contracts_terms_and_signing_date(world, api, runtime):
    # R-CON-1 (amended), R-RPT-4: shown in the annual report, also for a contract signed before the fields existed
    w = world
    gov = w.government("gov")
    d1, d2 = w.district("d1", gov), w.district("d2", gov)
    w.contract = w.code("c")
    w.post("/contracts", {"id": w.contract, "team": "责任规划师团队", "start_date": "2021-06-01", "term_years": 3,
                          "annual_fee_fen": 6_000_000, "deduction_rule": "max", "signed_on": "2021-05-20",
                          "terms": TERMS})
    g1 = w.group("g1", d1)
    old = w.code("old")
    start = dt.date(2021, 6, 1)
    runtime.app("contracts").save(Contract._create(  # as stored before signed_on and terms existed
        Contract.ContractSigned, id=contract_id(old), id_=old, team="老团队", institution=None, start_date=start.isoformat(),
        term_years=3, end_date=term_end(start, 3).isoformat(), annual_fee_fen=6_000_000, deduction_rule="max",
        service_year_basis="contract", settle_confirmed_only=False, late_after_days=7, work_content="驻点服务",
        evaluation_weights={}, pass_mark=60,
    ))
    w.contract = old
    w.group("g2", d2)
    report = w.report("annual", "2021")
    mine = {c["contract"]: c for c in report["contracts"] if c["contract"] in (w.code("c"), old)}
    assert mine[w.code("c")] == {"contract": w.code("c"), "team": "责任规划师团队", "signed_on": "2021-05-20",
                                 "start_date": "2021-06-01", "end_date": "2024-05-31"}
    assert mine[old]["signed_on"] is None
    clauses = {(t["contract"], t["clause"]): t["text"] for t in report["contract_terms"]}
    names = ("工作内容", "工作标准", "工作深度", "工作周期", "工作时间", "工作经费", "权利义务")
    assert [clauses[(w.code("c"), n)] for n in names] == list(TERMS.values())
    assert clauses[(old, "工作内容")] == "驻点服务" and clauses[(old, "工作经费")] == "未约定"
    assert any(r["group"] == g1 for r in report["groups"])
    html = api.get(f"{API}/reports/annual/2021?format=html").get_data(as_text=True)
    for text in ("服务合同条款", "签订日期", "工作标准", "每月至少服务一次", "权利义务"):
        assert text in html, text
    visible = re.sub(r"<[^>]+>", " ", html)
    assert "signed_on" not in visible and "contract_terms" not in visible and "clause" not in visible


def test_periodic_reports_show_the_latest_progress_of_every_open_recommendation(world, api):
    # R-REC-2, R-RPT-2, R-RPT-3: the percentages governments report reach the quarterly and half-yearly reports
    w = world
    gov = w.government("gov", "东昌府区人民政府")
    d1 = w.district("d1", gov)
    w.sign()
    g1 = w.group("g1", d1)
    r1 = w.recommendation(g1, "2022-01-05", "修缮古楼周边步道")
    r2 = w.recommendation(g1, "2022-01-06", "增设口袋公园")
    r3 = w.recommendation(g1, "2022-01-07", "完善路灯")
    w.letter(gov, "L1", "2022-01-10", "2022-09-30", [r1, r2, r3])
    as_gov = api.as_role("government", "gov-user", government=gov)
    for rec in (r1, r2, r3):
        w.step(rec, "accept", "2022-01-15")
    for rec, date, percent, text in ((r1, "2022-02-10", 30, "完成设计"), (r1, "2022-03-20", 50, "开工"),
                                     (r1, "2022-04-20", 80, "主体完工"), (r3, "2022-02-01", 10, "立项")):
        answer = as_gov.post(f"{API}/recommendations/{rec}/progress", {"date": date, "percent": percent, "text": text})
        assert answer.status_code == 200, answer.json_body
    w.step(r3, "complete", "2022-03-01")
    r4 = w.recommendation(g1, "2022-03-10", "增设休憩座椅")
    w.letter(gov, "L2", "2022-04-05", "2022-06-30", [r4])  # forwarded after the quarter
    quarter = {p["ref"]: p for p in w.report("quarterly", "2022-Q1")["progress"]}
    assert set(quarter) == {r1, r2, r4}  # r3 completed in the quarter: no longer open
    assert (quarter[r4]["status"], quarter[r4]["letter_no"], quarter[r4]["due_date"]) == ("raised", None, None)
    assert (quarter[r1]["percent"], quarter[r1]["progress_date"], quarter[r1]["progress_text"]) == (50, "2022-03-20", "开工")
    assert quarter[r1]["reporter"] == "东昌府区人民政府" and quarter[r1]["status"] == "accepted"
    assert quarter[r2]["percent"] is None and quarter[r2]["reporter"] is None  # nothing reported yet
    half = {p["ref"]: p for p in w.report("half-yearly", "2022-H1")["progress"]}
    assert (half[r1]["percent"], half[r1]["progress_date"]) == (80, "2022-04-20")
    html = api.get(f"{API}/reports/quarterly/2022-Q1?format=html").get_data(as_text=True)
    html = re.sub(r"<[^>]+>", "", html)  # the text as read: a header is printed in pieces (<span>s)
    for text in ("未办结意见建议的落实进度", "落实进度（%）", "开工", "东昌府区人民政府"):
        assert text in html, text
