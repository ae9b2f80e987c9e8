"""Simplified Chinese labels for the report JSON's field names (R-RPT-6).

Each field has a label and a value kind; the kind decides how a value is
shown to people (money fen as yuan, booleans as 是/否, rates as percent) and
which number format its XLSX cell gets. A field not listed here is shown
under its own name with a kind guessed from its name and value (`guess_kind`).
"""

from __future__ import annotations

from typing import Any

# Value kinds: text, int, days, money (integer fen), bool, rate (0..1, or an
# exact fraction string), fraction (an exact fraction string such as "4/15",
# a share of a whole), rank (int or null), date, datetime, list.

KIND_TITLES = {
    "monthly": "每月一调度",
    "quarterly": "每季一小结",
    "half-yearly": "每半年报告",
    "annual": "年度报告",
}

KIND_FULL_TITLES = {
    "monthly": "责任规划师工作月度调度",
    "quarterly": "责任规划师工作季度小结",
    "half-yearly": "责任规划师工作半年报告",
    "annual": "责任规划师工作年度报告（服务费结算）",
}

DEFAULT_ISSUER = "聊城市自然资源和规划局"

# Field -> (label, kind). Top-level counters of groups and totals share it.
FIELDS: dict[str, tuple[str, str]] = {
    # identity
    "group": ("责任规划师小组", "text"),
    "group_name": ("小组名称", "text"),
    "district": ("服务镇街（园区）", "text"),
    "district_name": ("镇街（园区）名称", "text"),
    "government": ("区政府（管委会）", "text"),
    "government_name": ("区政府（管委会）名称", "text"),
    "name": ("名称", "text"),
    "code": ("代码", "text"),
    "planner": ("责任规划师", "text"),
    "planners": ("责任规划师", "list"),
    "contract": ("服务合同", "text"),
    # service time (R-RPT-1, R-VIS-*)
    "duty_month": ("本月是否为履职月", "bool"),
    "duty_months": ("履职月数", "int"),
    "months_with_visit": ("有到访的履职月数", "int"),
    "visits": ("到访次数", "int"),
    "days_in_month": ("本月服务天数", "days"),
    "days_in_period": ("本期服务天数", "days"),
    "days_in_quarter": ("本季度服务天数", "days"),
    "days_in_half_year": ("本半年服务天数", "days"),
    "days_in_service_year": ("服务年度累计服务天数", "days"),
    "days": ("服务天数", "days"),
    "days_to_date": ("累计服务天数", "days"),
    "required_days": ("应服务天数", "days"),
    "required_days_in_period": ("本期应服务天数", "days"),
    "required_days_in_quarter": ("本季度应服务天数", "days"),
    "required_days_to_date": ("累计应服务天数", "days"),
    "has_visit": ("本月是否到访", "bool"),
    "leader_met": ("是否面见主要负责人", "bool"),
    "months_with_leader_met": ("面见主要负责人的月数", "int"),
    "unconfirmed_visits": ("未确认到访次数", "int"),
    "disputed_visits": ("有异议到访次数", "int"),
    "late_visits": ("迟报到访次数", "int"),
    "groups": ("小组数", "int"),
    # counters
    "opinions": ("公众意见", "text"),
    "recommendations": ("意见建议", "text"),
    "consultations": ("技术咨询", "text"),
    "received": ("收到", "int"),
    "acknowledged": ("已受理", "int"),
    "answered": ("已答复", "int"),
    "escalated": ("已转为建议", "int"),
    "raised": ("提出", "int"),
    "forwarded": ("已函告", "int"),
    "accepted": ("已采纳", "int"),
    "declined": ("未采纳", "int"),
    "completed": ("已落实", "int"),
    "verified": ("已核实", "int"),
    "requested": ("收到请求", "int"),
    "overdue": ("逾期", "int"),
    "open": ("未办结", "int"),
    # fee settlement (R-FEE-1)
    "day_shortfall": ("服务天数不足比例", "fraction"),
    "visit_shortfall": ("到访月份不足比例", "fraction"),
    "fee_fen": ("年度服务费", "money"),
    "deduction_fen": ("扣减金额", "money"),
    "payable_fen": ("应付金额", "money"),
    "annual_fee_fen": ("年度服务费标准", "money"),
    "combining_rule": ("扣减合并规则", "text"),
    "settled_at": ("结算时间", "datetime"),
    "settlement": ("结算编号", "text"),
    "settlement_id": ("结算编号", "text"),
    # governments (R-RPT-2)
    "rate": ("落实率", "rate"),
    "completion_rate": ("落实率", "rate"),
    "implementation_rate": ("落实率", "rate"),
    "on_time_rate": ("按期落实率", "rate"),
    "median_days_to_complete": ("落实用时中位数（天）", "days"),
    "rank": ("排名", "rank"),
    # findings, warnings, items
    "rule": ("规则", "text"),
    "message": ("说明", "text"),
    "ref": ("编号", "text"),
    "findings": ("发现问题", "list"),
    "warnings": ("提示", "list"),
    "kind": ("类别", "text"),
    "type": ("类型", "text"),
    "id": ("编号", "text"),
    "title": ("标题", "text"),
    "text": ("内容", "text"),
    "summary": ("摘要", "text"),
    "status": ("状态", "text"),
    "category": ("类别", "text"),
    "subject": ("事项", "text"),
    "date": ("日期", "date"),
    "due_date": ("到期日", "date"),
    "letter_date": ("函告日期", "date"),
    "letter": ("函告文号", "text"),
    "age_days": ("已历天数", "int"),
    "age": ("已历天数", "int"),
    "overdue_days": ("逾期天数", "int"),
    "author": ("撰写人", "text"),
    "by": ("提出人", "text"),
    "note": ("意见", "text"),
    "notes": ("市局意见", "text"),
    "year": ("年度", "text"),
    "half": ("半年", "text"),
    "target": ("评价对象", "text"),
    "scores": ("评分", "text"),
    "cooperation": ("配合程度", "int"),
    "workplace": ("办公场所提供", "int"),
    "implementation": ("建议落实", "int"),
    "score": ("得分", "int"),
    "total": ("总分", "int"),
    "passed": ("是否合格", "bool"),
    "pass_mark": ("合格线", "int"),
    "item": ("考评项目", "text"),
    "items": ("考评项目", "text"),
    "weight": ("权重", "int"),
    "value": ("数值", "text"),
    "generated_at": ("生成时间", "datetime"),
    "issued_at": ("签发时间", "datetime"),
    "number": ("签发号", "text"),
    "period": ("期间", "text"),
    "from": ("起始日期", "date"),
    "to": ("截止日期", "date"),
    "start": ("起始日期", "date"),
    "end": ("截止日期", "date"),
    "as_of": ("统计截至", "date"),
    "service_year": ("服务年度", "text"),
}

# Nested counters whose children are labelled under the parent's label.
COUNTER_GROUPS = ("opinions", "recommendations", "consultations")

# Section headings of the report's known and optional parts.
SECTIONS = {
    "summary": "总体情况",
    "governments": "各区政府（管委会）建议落实情况",
    "groups": "各小组服务情况",
    "groups_feedback": "各小组意见建议与技术咨询",
    "findings": "发现问题",
    "warnings": "提示",
    "totals": "合计",
    # optional sections (R-RPT-3, R-RPT-4)
    "work_summaries": "各小组半年工作述职（团队汇总）",
    "open_items": "未办结及逾期事项",
    "notes": "市自然资源和规划局意见",
    "ratings": "年度评价（小组对区政府、镇街）",
    "summaries": "年度总结与规划评估小结",
    "government_summaries": "区政府（管委会）年度落实总结",
    "planning_evaluations": "各小组规划评估小结",
    "evaluations": "考评输入",
    "evaluation_inputs": "考评输入",
    "assessment": "区政府（管委会）落实情况考核",
    "assessments": "区政府（管委会）落实情况考核",
    "settlements": "服务费结算",
    "review": "制度年度评估",
}

# Short Chinese names of the rules findings and warnings cite.
RULES = {
    "R-CON-3": "政策有效期",
    "R-VIS-2": "每月到访",
    "R-VIS-3": "面见主要负责人",
    "R-VIS-4": "年度服务天数",
    "R-VIS-7": "到访确认",
    "R-FEE-1": "服务费结算",
    "R-OPN-2": "公众意见办理时限",
    "R-REC-3": "建议落实逾期",
    "R-CSL-1": "技术咨询时限",
    "R-RPT-4": "结算与实时数据不一致",
    "R-RPT-7": "签发后数据变化",
}

# Enumerated values of the domain (DOMAIN.md) shown in Chinese, per field.
_ITEM_KINDS = {
    "opinion": "公众意见",
    "recommendation": "意见建议",
    "consultation": "技术咨询",
    "visit": "到访",
    "letter": "函告",
    "project_review": "项目审查",
    "advice": "疑难问题咨询",
}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "kind": _ITEM_KINDS,
    "type": _ITEM_KINDS,
    "target": {"government": "区政府（管委会）", "subdistrict": "镇街（园区）", "district": "镇街（园区）"},
    "status": {
        "received": "已收到", "acknowledged": "已受理", "answered": "已答复", "escalated": "已转为建议",
        "closed": "已办结", "raised": "已提出", "withdrawn": "已撤回", "forwarded": "已函告",
        "accepted": "已采纳", "declined": "未采纳", "completed": "已落实", "verified": "已核实",
        "reopened": "重新办理", "requested": "已申请", "overdue": "逾期", "open": "未办结",
    },
    "verdict": {"agree": "同意", "agree_with_changes": "修改后同意", "disagree": "不同意"},
    "channel": {"app": "我的聊城", "planner": "责任规划师", "open311": "Open311", "hotline": "热线", "other": "其他"},
    "category": {
        "heritage": "历史文化保护", "public_space": "公共空间", "public_service": "公共服务设施",
        "transport": "交通设施", "utilities": "市政设施", "greening": "绿化", "land_use": "用地",
        "project_design": "项目设计", "governance": "治理", "other": "其他",
    },
    "combining_rule": {"max": "取较大者", "sum": "相加（上限 100%）"},
    "origin": {"tier1": "一线城市机构", "local": "本地机构"},
}
# Labels that read differently in the governments' table (R-RPT-2).
GOVERNMENT_FIELDS = {
    "forwarded": "本期到期的函告建议",
    "completed": "已落实（含已核实）",
}


def field_label(key: str) -> str:
    return FIELDS.get(key, (key, ""))[0]


def counter_label(parent: str, child: str) -> str:
    """`opinions.received` -> 公众意见·收到."""
    return f"{field_label(parent)}·{field_label(child)}"


def guess_kind(key: str, value: Any = None) -> str:
    """The kind of a field: the table's, else by its name, else by its value."""
    known = FIELDS.get(key)
    if known and known[1] != "text":
        return known[1]
    if known:
        return "text"
    if key.endswith("_fen"):
        return "money"
    if key.endswith("_rate") or key == "rate":
        return "rate"
    if key.endswith("shortfall"):
        return "fraction"
    if key.endswith("_at"):
        return "datetime"
    if key.endswith("_date") or key == "date":
        return "date"
    if key.startswith("days") or key.endswith("_days"):
        return "days"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "days" if key.startswith("days") else "number"
    if isinstance(value, (list, tuple)):
        return "list"
    return "text"


def rule_label(rule: Any) -> str:
    if not rule:
        return "—"
    name = RULES.get(str(rule))
    return f"{rule}（{name}）" if name else str(rule)


def section_title(key: str) -> str:
    return SECTIONS.get(key) or field_label(key)
