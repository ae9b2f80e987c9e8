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
