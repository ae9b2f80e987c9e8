"""Hand-written report dicts in the shape of API.md "Report JSON" (R-RPT-1..4).

Written by hand, not produced by the reporting code, so the renderer is
tested against the published shape, including optional parts left out,
unknown sections and hostile text.
"""

from __future__ import annotations

import copy

ISSUER = "聊城市自然资源和规划局"
SCRIPT = "<script>alert('x')</script>"
FORMULA = "=HYPERLINK(\"http://example.invalid\",\"点击\")"


def _counters(received=0, answered=0, overdue=0, raised=0, forwarded=0, completed=0, rec_overdue=0,
              requested=0, c_answered=0, c_overdue=0) -> dict:
    return {
        "opinions": {"received": received, "answered": answered, "overdue": overdue},
        "recommendations": {"raised": raised, "forwarded": forwarded, "completed": completed,
                            "overdue": rec_overdue},
        "consultations": {"requested": requested, "answered": c_answered, "overdue": c_overdue},
    }


def _group(code, district, *, visits, month, year, required, has_visit, leader_met, unconfirmed=0,
           findings=(), **counters) -> dict:
    return {
        "group": f"g-{code}",
        "district": district,
        "duty_month": True,
        "visits": visits,
        "days_in_month": month,
        "days_in_service_year": year,
        "required_days_to_date": required,
        "has_visit": has_visit,
        "leader_met": leader_met,
        "unconfirmed_visits": unconfirmed,
        **_counters(**counters),
        "findings": list(findings),
    }


def monthly() -> dict:
    """2022-03, issued as No. 3 and changed since (a visit voided later)."""
    return {
        "kind": "monthly",
        "period": "2022-03",
        "title": "2022年3月责任规划师工作调度通报",
        "issuer": ISSUER,
        "generated_at": "2022-04-02T09:30:00+08:00",
        "issue": {"number": 3, "issued_at": "2022-04-01T10:00:00+08:00", "changed_since_issue": True},
        "warnings": [
            {"rule": "R-CON-3", "message": "报告期间在政策有效期内（提示示例）"},
            {"rule": "R-VIS-2", "message": FORMULA},
        ],
        "findings": [
            {"rule": "R-VIS-3", "message": "本月未面见镇街主要负责人", "group": "g-liuyuan",
             "district": "liuyuan"},
            {"rule": "R-VIS-4", "message": "服务年度累计服务天数 9.5 低于累计应服务天数 25", "group": "g-xinqu",
             "district": "xinqu"},
            {"rule": "R-REC-3", "message": f"建议逾期未落实 {SCRIPT}", "group": "g-gulou", "district": "gulou",
             "ref": "REC-2022-0007"},
            {"rule": "R-OPN-2", "message": "-1 天前到期的公众意见未答复", "district": "xinqu", "ref": "@op-42"},
        ],
        "groups": [
            _group("gulou", "gulou", visits=3, month=2.5, year=27.5, required=25.0, has_visit=True,
                   leader_met=True, received=4, answered=3, raised=2, forwarded=1, completed=1, rec_overdue=1,
                   requested=1, c_answered=1,
                   findings=[{"rule": "R-REC-3", "message": "建议逾期未落实"}]),
            _group("liuyuan", "liuyuan", visits=1, month=1.0, year=26.0, required=25.0, has_visit=True,
                   leader_met=False, unconfirmed=1, received=2, answered=2,
                   findings=[{"rule": "R-VIS-3", "message": "本月未面见镇街主要负责人"}]),
            _group("xinqu", "xinqu", visits=2, month=1.5, year=9.5, required=25.0, has_visit=True,
                   leader_met=True, received=1, overdue=1,
                   findings=[{"rule": "R-VIS-4", "message": "累计服务天数不足"}]),
            # A group without the optional counters and findings: must not break anything.
            {"group": "g-huxi", "district": "huxi", "duty_month": False, "visits": 0, "days_in_month": 0,
             "days_in_service_year": 30.0, "required_days_to_date": 25.0, "has_visit": False,
             "leader_met": False},
        ],
        "totals": {
            "visits": 6, "days_in_month": 5.0, "unconfirmed_visits": 1,
            **_counters(received=7, answered=5, overdue=1, raised=2, forwarded=1, completed=1, rec_overdue=1,
                        requested=1, c_answered=1),
        },
    }


def _governments() -> list[dict]:
    return [
        {"government": "dongchangfu", "name": "东昌府区人民政府", "forwarded": 8, "completed": 6,
         "on_time_rate": 0.625, "median_days_to_complete": 41.5, "rank": 1},
        {"government": "jingkai", "name": "聊城经济技术开发区管委会", "forwarded": 4, "completed": 2,
         "on_time_rate": "1/4", "median_days_to_complete": 55, "rank": 2},
        {"government": "gaoxin", "name": "聊城高新技术产业开发区管委会", "forwarded": 2, "completed": 1,
         "on_time_rate": 0.5, "median_days_to_complete": 30, "rank": 3},
        {"government": "dujiaqu", "name": "江北水城旅游度假区管委会", "forwarded": 0, "completed": 0,
         "on_time_rate": None, "median_days_to_complete": None, "rank": None},
    ]


def _period_group(code, district, *, visits, days, required, year, required_year, months, duty) -> dict:
    return {
        "group": f"g-{code}",
        "district": district,
        "duty_months": duty,
        "months_with_visit": months,
        "visits": visits,
        "days": days,
        "required_days": required,
        "days_in_service_year": year,
        "required_days_to_date": required_year,
        "unconfirmed_visits": 0,
        **_counters(received=3, answered=3, raised=1, forwarded=1),
        "findings": [],
    }


def quarterly() -> dict:
    """2022-Q1 without an issue and without a title (the renderer names it)."""
    return {
        "kind": "quarterly",
        "period": "2022-Q1",
        "issuer": ISSUER,
        "generated_at": "2022-04-05T08:00:00+08:00",
        "issue": None,
        "warnings": [],
        "findings": [{"rule": "R-VIS-2", "message": "2022-02 无到访", "group": "g-jiuzhou", "district": "jiuzhou"}],
        "groups": [
            _period_group("gulou", "gulou", visits=7, days=9.0, required=7.5, year=27.5, required_year=25.0,
                          months=3, duty=3),
            _period_group("jiuzhou", "jiuzhou", visits=2, days=3.0, required=7.5, year=15.0,
                          required_year=25.0, months=2, duty=3),
            _period_group("beicheng", "beicheng", visits=4, days=8.0, required=7.5, year=24.5,
                          required_year=25.0, months=3, duty=3),
        ],
        "totals": {"visits": 13, "days": 20.0, "required_days": 22.5},
        "governments": _governments(),
    }


def half_yearly() -> dict:
    """2022-H1 with the sections R-RPT-3 adds and one the renderer has never heard of."""
    report = quarterly()
    report.update(
        kind="half-yearly",
        period="2022-H1",
        title="2022年上半年责任规划师工作报告（报市规委会）",
        generated_at="2022-07-03T10:00:00+08:00",
        issue={"number": 12, "issued_at": "2022-07-04", "changed_since_issue": False},
    )
    report["warnings"] = [{"rule": "R-CON-3", "message": "部分期间不在政策有效期内"}]
    report["work_summaries"] = [
        {"group": "g-gulou", "district": "gulou", "author": "团队", "summary": "开展社区营造 4 次，历史街区调研 2 次。"},
        {"group": "g-jiuzhou", "district": "jiuzhou", "author": "团队", "summary": "+完成规划评估一项"},
    ]
    report["open_items"] = [
        {"kind": "recommendation", "ref": "REC-2022-0003", "district": "jiuzhou", "due_date": "2022-05-30",
         "age_days": 95, "overdue_days": 31},
        {"kind": "consultation", "ref": "CSL-2022-0011", "district": "gulou", "due_date": "2022-06-20",
         "age_days": 20, "overdue_days": 10},
    ]
    report["notes"] = "上半年各小组到访总体正常。\n九州街道小组应加强到访频次。"
    report["inspections"] = [  # unknown section: shown as a table of its keys
        {"inspector": "市局规划科", "place": "古楼街道", "result": SCRIPT, "nested": {"score": 4}},
    ]
    return report


def annual() -> dict:
    """Service year 2021 (2021-06-01..2022-05-31): DOMAIN.md's worked examples 1 and 2 (R-FEE-1)."""
    return {
        "kind": "annual",
        "period": "2021",
        "title": "2021服务年度责任规划师工作年度报告",
        "issuer": ISSUER,
        "generated_at": "2022-06-10T09:00:00+08:00",
        "issue": {"number": 1, "issued_at": "2022-06-12T09:00:00+08:00", "changed_since_issue": False},
        "warnings": [],
        "findings": [
            {"rule": "R-RPT-4", "message": "结算后到访记录有更正，实时数据与结算不一致", "group": "g-gulou",
             "district": "gulou"},
        ],
        "groups": [
            {"group": "g-gulou", "district": "gulou", "duty_months": 12, "months_with_visit": 10,
             "days": 22.0, "required_days": 30.0, "day_shortfall": "4/15", "visit_shortfall": "1/6",
             "fee_fen": 6_000_000, "deduction_fen": 1_600_000, "payable_fen": 4_400_000},
            {"group": "g-liuyuan", "district": "liuyuan", "duty_months": 8, "months_with_visit": 7,
             "days": 22.0, "required_days": 20.0, "day_shortfall": "0", "visit_shortfall": "1/8",
             "fee_fen": 4_000_000, "deduction_fen": 500_000, "payable_fen": 3_500_000},
        ],
        "totals": {"fee_fen": 10_000_000, "deduction_fen": 2_100_000, "payable_fen": 7_900_000},
        "ratings": [
            {"group": "g-gulou", "target": "government", "year": 2021,
             "scores": {"cooperation": 4, "workplace": 5, "implementation": 3}, "text": "配合较好"},
        ],
        "summaries": [{"government": "dongchangfu", "year": 2021, "summary": "全年落实建议 6 项。"}],
        "evaluations": {"pass_mark": 60, "items": [{"item": "服务天数达标", "score": 80}]},
    }


def all_kinds() -> dict[str, dict]:
    return {"monthly": monthly(), "quarterly": quarterly(), "half-yearly": half_yearly(), "annual": annual()}


def minimal(kind: str) -> dict:
    """Only kind and period: every optional key missing."""
    return {"kind": kind, "period": copy.deepcopy(all_kinds()[kind]["period"])}
