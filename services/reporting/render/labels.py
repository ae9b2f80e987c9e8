"""Simplified Chinese labels for the report JSON's field names (R-RPT-6).

Each field has a label and a value kind; the kind decides how a value is
shown to people (money fen as yuan, booleans as 是/否, rates as percent) and
which number format its XLSX cell gets. A field not listed here is shown
under its own name with a kind guessed from its name and value (`guess_kind`);
under `strict()` (the tests) it raises `Unlabelled`, so a key added to the
report JSON without a label here fails the render tests loudly.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any, Iterator

_STRICT: ContextVar[bool] = ContextVar("labels_strict", default=False)


class Unlabelled(LookupError):
    """A field, section or enumerated value people would see without a Chinese label."""


@contextlib.contextmanager
def strict() -> Iterator[None]:
    """Render with every label required: an unknown key or value raises `Unlabelled`."""
    token = _STRICT.set(True)
    try:
        yield
    finally:
        _STRICT.reset(token)


def _missing(what: str, key: str) -> str:
    if _STRICT.get():
        raise Unlabelled(f"{what} {key!r} has no Chinese label in services/reporting/render/labels.py")
    return key

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
    "settlement": ("服务费结算单", "text"),
    "settlement_id": ("结算编号", "text"),
    "settled_on": ("结算日期", "date"),
    "settlement_differs": ("实时数据与结算不一致", "bool"),
    "figures_from": ("数据来源", "text"),
    "deduction_rule": ("扣减合并规则", "text"),
    "shortfall": ("扣减比例", "fraction"),
    "live": ("实时数据", "text"),
    "duty_month_list": ("履职月份", "months"),
    "months_with_visit_list": ("有到访的月份", "months"),
    "first_date": ("起始日期", "date"),
    "last_date": ("截止日期", "date"),
    "signed_on": ("签订日期", "date"),
    "voided_visits": ("作废到访次数", "int"),
    "month": ("月份", "month"),
    "months": ("逐月服务情况", "list"),
    "revision": ("版本", "int"),
    "target_code": ("评价对象名称", "text"),
    "letter_no": ("函告文号", "text"),
    "answered_on_time": ("按期答复", "int"),
    "answered_in_time": ("按期答复", "int"),
    "publicity": ("宣传活动", "text"),
    "actions": ("活动次数", "int"),
    "audience": ("受众人次", "int"),
    "duty_groups": ("履职小组数", "int"),
    "groups_with_visit": ("本月已到访小组数", "int"),
    "groups_with_leader_met": ("已面见主要负责人的小组数", "int"),
    "groups_with_changed_settlement": ("结算后数据变化的小组数", "int"),
    "settled_groups": ("已结算小组数", "int"),
    "governments": ("区政府（管委会）", "int"),
    "ranked": ("参与排名数", "int"),
    "completed_on_time": ("按期落实", "int"),
    "completed_in_period": ("本期落实", "int"),
    "rating_cooperation": ("评分·配合程度", "number"),
    "rating_workplace": ("评分·办公场所", "number"),
    "rating_implementation": ("评分·建议落实", "number"),
    "ratings_received": ("收到评价数", "int"),
    "annual_summary_submitted": ("已报送年度总结", "bool"),
    "opinion": ("公众意见", "int"),
    "recommendation": ("意见建议", "int"),
    "consultation": ("技术咨询", "int"),
    "submitted": ("已提交", "int"),
    "missing": ("未提交", "list"),
    "highlights": ("工作亮点", "list"),
    "publicity_actions": ("宣传活动次数", "int"),
    "publicity_audience": ("宣传受众人次", "int"),
    "opinions_received": ("收到公众意见", "int"),
    "opinions_answered_in_time": ("按期答复公众意见", "int"),
    "recommendations_raised": ("提出意见建议", "int"),
    "recommendations_implemented": ("落实意见建议", "int"),
    "consultations_answered": ("答复技术咨询", "int"),
    "consultations_answered_on_time": ("按期答复技术咨询", "int"),
    "terms": ("合同条款", "text"),
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
    "kind": ("事项类型", "text"),
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
    "period": ("期间", "period"),
    "from": ("起始日期", "date"),
    "to": ("截止日期", "date"),
    "start": ("起始日期", "date"),
    "end": ("截止日期", "date"),
    "as_of": ("统计截至", "date"),
    "service_year": ("服务年度", "text"),
    # contracts (R-CON-1 amended): the annual report's contracts section
    "team": ("服务团队", "text"),
    "start_date": ("合同起始日期", "date"),
    "end_date": ("合同期满日期", "date"),
    "clause": ("条款", "text"),
    # implementation progress (R-REC-2): the quarterly and half-yearly reports' progress section
    "percent": ("落实进度（%）", "int"),
    "progress_date": ("进度报告日期", "date"),
    "progress_text": ("进度说明", "text"),
    "reporter": ("报告单位", "text"),
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
    "evaluations": "年度考评结果",
    "evaluation_inputs": "考评输入",
    "assessment": "区政府（管委会）落实情况考核",
    "assessments": "区政府（管委会）落实情况考核",
    "settlements": "服务费结算",
    "review": "制度年度评估",
    "highlights": "信息报送（工作亮点）",
    "open_items_totals": "未办结事项合计",
    "team_summary": "团队述职汇总",
    "months": "各小组逐月服务情况",
    "settlement_table": "各小组服务费结算",
    "live_table": "结算与实时数据对照",
    "month_lists": "各小组履职月份",
    "contracts": "服务合同",
    "contract_terms": "服务合同条款",
    "progress": "未办结意见建议的落实进度",
}

# Short Chinese names of every rule of DOMAIN.md (a rule id is never shown alone).
RULES = {
    "R-ORG-1": "“1+N”组织架构",
    "R-ORG-2": "基础数据",
    "R-ORG-3": "镇街类型与工作重点",
    "R-ORG-4": "每组两名责任规划师",
    "R-ORG-5": "责任规划师任职条件",
    "R-ORG-6": "县区自愿纳入试点",
    "R-ORG-7": "区政府明确分管领导和科室",
    "R-CON-1": "服务合同",
    "R-CON-2": "合同续签",
    "R-CON-3": "政策有效期",
    "R-CON-4": "更换责任规划师",
    "R-VIS-1": "到访登记",
    "R-VIS-2": "每月至少服务1次",
    "R-VIS-3": "每月面见镇街主要负责人",
    "R-VIS-4": "每服务年度至少服务30天",
    "R-VIS-5": "服务天数按日计算",
    "R-VIS-6": "到访更正与作废",
    "R-VIS-7": "镇街确认到访",
    "R-FEE-1": "服务费结算与扣减",
    "R-OPN-1": "公众意见登记",
    "R-OPN-2": "公众意见办理时限",
    "R-OPN-3": "个人信息保护",
    "R-OPN-4": "公众意见查询",
    "R-REC-1": "意见建议提出",
    "R-REC-2": "意见建议函告与落实",
    "R-REC-3": "意见建议逾期未落实",
    "R-CSL-1": "技术咨询时限",
    "R-PUB-1": "宣传与总结",
    "R-PUB-2": "信息报送",
    "R-EVA-1": "年度考评",
    "R-EVA-2": "评价区政府和镇街",
    "R-EVA-3": "区政府年度落实总结",
    "R-EVA-4": "区政府落实情况考核",
    "R-EVA-5": "制度年度评估",
    "R-RPT-1": "每月一调度",
    "R-RPT-2": "每季一小结",
    "R-RPT-3": "每半年报告",
    "R-RPT-4": "年度报告与结算",
    "R-RPT-5": "审计追溯",
    "R-RPT-6": "报告可读",
    "R-RPT-7": "签发后数据变化",
    "R-RPT-8": "提醒",
    "R-SEC-1": "角色权限",
    "R-SEC-2": "操作留痕",
    "R-SEC-3": "输入校验",
    "R-SEC-4": "个人信息单独存放",
    "R-SEC-5": "匿名提交限流",
    "R-TEAM-1": "团队聘任要求",
    "R-TEAM-2": "团队招募（10+10）",
    "R-COL-1": "配合其他规划设计团队",
    "R-GOV-1": "督查考核",
    "R-GOV-2": "组织区属单位配合",
    "R-DIS-1": "提供工作场所和工作条件",
    "R-DIS-2": "协助社区营造",
    "R-CMT-1": "市规委会听取述职",
    "R-BUD-1": "资金保障",
    "R-SUP-1": "专门科室和工作人员",
    "R-SUP-2": "提供技术资料",
    "R-SUP-3": "专业技术培训",
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
    "deduction_rule": {"max": "取较大者", "sum": "相加（上限 100%）"},
    "figures_from": {"settlement": "服务费结算单", "live": "实时数据"},
    "origin": {"tier1": "一线城市机构", "local": "本地机构"},
}
# Labels that read differently in the governments' table (R-RPT-2).
GOVERNMENT_FIELDS = {
    "forwarded": "本期到期的函告建议",
    "completed": "已落实（含已核实）",
}


def field_label(key: str) -> str:
    known = FIELDS.get(key)
    return known[0] if known else _missing("field", key)


def value_label(key: str, value: Any) -> str | None:
    """The Chinese word for an enumerated value of `key` (None when `key` is not enumerated)."""
    names = VALUE_LABELS.get(key)
    if names is None or not isinstance(value, str):
        return None
    return names.get(value) or _missing(f"value of {key}", value)


# A nested object's heading where its field label reads wrong over its children.
PARENT_LABELS = {"governments": "建议落实", "settlement": "服务费结算单", "live": "实时数据"}
# A child's label that reads differently under a parent: (parent, child) -> label.
CHILD_LABELS = {
    ("governments", "governments"): "区政府（管委会）数",
    ("governments", "forwarded"): "函告建议",
    ("settlement", "number"): "结算单号",
    ("settlement", "unconfirmed_visits"): "结算时未确认到访",
    ("opinions", "open"): "未办结",
}


def counter_parent(parent: str) -> str:
    return PARENT_LABELS.get(parent) or field_label(parent)


def counter_child(parent: str, child: str) -> str:
    return CHILD_LABELS.get((parent, child)) or field_label(child)


def counter_label(parent: str, child: str) -> str:
    """`opinions.received` -> 公众意见·收到."""
    return f"{counter_parent(parent)}·{counter_child(parent, child)}"


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
    """"R-VIS-2 每月至少服务1次": the id a reader can look up, then what it asks."""
    if not rule:
        return "—"
    name = RULES.get(str(rule))
    return f"{rule} {name}" if name else _missing("rule", str(rule))


def section_title(key: str) -> str:
    return SECTIONS.get(key) or field_label(key)
