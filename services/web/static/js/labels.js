// Chinese names of the API's codes (the codes themselves are DOMAIN.md's).

export const ROLE_NAMES = {
  planner: "责任规划师",
  subdistrict: "镇街（园区）",
  government: "区政府（管委会）",
  bureau: "市自然资源和规划局",
  committee: "市规委会",
  operator: "运维",
  resident: "居民",
};

export const LABELS = {
  visitStatus: { unconfirmed: "待确认", confirmed: "已确认", disputed: "有异议", voided: "已作废" },
  activity: {
    survey: "调研摸底", publicity: "宣传解读", opinion_collection: "征集意见", consultation: "技术咨询",
    evaluation: "规划评估", community_building: "社区营造", other: "其他",
  },
  opinionStatus: { received: "已收到", acknowledged: "已受理", answered: "已回复", escalated: "已转为建议", closed: "已办结" },
  recStatus: {
    raised: "已提出", forwarded: "已函告", accepted: "已采纳", declined: "不予采纳", completed: "已完成",
    verified: "已核实", withdrawn: "已撤回",
  },
  consultationStatus: { requested: "待答复", answered: "已答复", closed: "已关闭" },
  category: {
    heritage: "历史文化保护", public_space: "公共空间", public_service: "公共服务设施", transport: "交通设施",
    utilities: "市政设施", greening: "绿化", land_use: "土地利用", project_design: "项目设计", governance: "社区治理",
    other: "其他",
  },
  source: { survey: "调研", opinion: "公众意见", consultation: "技术咨询", evaluation: "规划评估" },
  channel: { app: "我的聊城", planner: "责任规划师代收", open311: "Open311", hotline: "热线", other: "其他" },
  kind: { project_review: "项目方案审查", advice: "疑难问题咨询" },
  stage: { plan: "规划", design: "设计", implementation: "实施" },
  verdict: { agree: "同意", agree_with_changes: "修改后同意", disagree: "不同意" },
  governmentKind: { district_government: "区政府", admin_committee: "管委会" },
  districtType: { historic: "历史街区", built: "已建城区", new: "新建城区" },
  origin: { tier1: "一线城市机构", local: "本地机构" },
  qualification: { senior_title: "高级职称", registered_architect_class1: "一级注册建筑师", registered_planner: "注册城乡规划师" },
  deductionRule: { max: "取较大者（max）", sum: "相加（sum，上限 100%）" },
  reportKind: { monthly: "月度调度", quarterly: "季度汇总", "half-yearly": "半年报告", annual: "年度报告" },
  mode: { online: "线上", offline: "线下" },
  ratingTarget: { government: "区政府（管委会）", district: "镇街（园区）" },
  ratingItem: { cooperation: "配合程度", workplace: "工作场所保障", implementation: "建议落实" },
  annualKind: { implementation: "实施情况年度总结（区政府/管委会）", planning_evaluation: "规划评估小结（小组）" },
  summaryKind: { half_yearly: "半年工作总结", highlights: "工作亮点" },
  // Short names of DOMAIN.md's rules, as services/reporting/render/labels.py RULES (a test compares them).
  rule: {
    "R-ORG-1": "“1+N”组织架构", "R-ORG-2": "基础数据", "R-ORG-3": "镇街类型与工作重点", "R-ORG-4": "每组两名责任规划师",
    "R-ORG-5": "责任规划师任职条件", "R-ORG-6": "县区自愿纳入试点", "R-ORG-7": "区政府明确分管领导和科室", "R-CON-1": "服务合同",
    "R-CON-2": "合同续签", "R-CON-3": "政策有效期", "R-CON-4": "更换责任规划师", "R-VIS-1": "到访登记", "R-VIS-2": "每月至少服务1次",
    "R-VIS-3": "每月面见镇街主要负责人", "R-VIS-4": "每服务年度至少服务30天", "R-VIS-5": "服务天数按日计算", "R-VIS-6": "到访更正与作废",
    "R-VIS-7": "镇街确认到访", "R-FEE-1": "服务费结算与扣减", "R-OPN-1": "公众意见登记", "R-OPN-2": "公众意见办理时限",
    "R-OPN-3": "个人信息保护", "R-OPN-4": "公众意见查询", "R-REC-1": "意见建议提出", "R-REC-2": "意见建议函告与落实",
    "R-REC-3": "意见建议逾期未落实", "R-CSL-1": "技术咨询时限", "R-PUB-1": "宣传与总结", "R-PUB-2": "信息报送", "R-EVA-1": "年度考评",
    "R-EVA-2": "评价区政府和镇街", "R-EVA-3": "区政府年度落实总结", "R-EVA-4": "区政府落实情况考核", "R-EVA-5": "制度年度评估",
    "R-RPT-1": "每月一调度", "R-RPT-2": "每季一小结", "R-RPT-3": "每半年报告", "R-RPT-4": "年度报告与结算", "R-RPT-5": "审计追溯",
    "R-RPT-6": "报告可读", "R-RPT-7": "签发后数据变化", "R-RPT-8": "提醒", "R-SEC-1": "角色权限", "R-SEC-2": "操作留痕",
    "R-SEC-3": "输入校验", "R-SEC-4": "个人信息单独存放", "R-SEC-5": "匿名提交限流", "R-TEAM-1": "团队聘任要求",
    "R-TEAM-2": "团队招募（10+10）", "R-COL-1": "配合其他规划设计团队", "R-GOV-1": "督查考核", "R-GOV-2": "组织区属单位配合",
    "R-DIS-1": "提供工作场所和工作条件", "R-DIS-2": "协助社区营造", "R-CMT-1": "市规委会听取述职", "R-BUD-1": "资金保障",
    "R-SUP-1": "专门科室和工作人员", "R-SUP-2": "提供技术资料", "R-SUP-3": "专业技术培训",
  },

  entity: {
    government: "区政府（管委会）", district: "镇街（园区）", contract: "合同", planner: "规划师", group: "小组",
    visit: "走访", opinion: "公众意见", recommendation: "意见建议", letter: "函件", consultation: "技术咨询",
    settlement: "结算", publicity: "宣传", "work-summary": "工作总结", rating: "评价", "annual-summary": "年度总结",
  },
};

export function label(kind, code) {
  if (code === null || code === undefined || code === "") return "—";
  const names = LABELS[kind] || {};
  return names[code] || code;
}

// <option>s / checkboxes from a vocabulary, in its order.
export function entries(kind) {
  return Object.entries(LABELS[kind] || {}).map(([code, name]) => ({ code, name }));
}
