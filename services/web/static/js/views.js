// Views several pages share: a group's month (GET /compliance) and service year
// (GET /duty-calendar) against the requirement (R-VIS-2..5).
import { badge, bar, days, el, facts, periodName, ruleName, table, yesNo } from "./app.js";

// name(kind, code): the organisation's names (app.js names()); issue 16: clerks read names, not codes.
export function monthView(c, name = (kind, code) => code) {
  const warnings = [...(c.findings || []), ...(c.warnings || [])];
  return el("div", { id: "month-view", dataset: { month: c.month, days: String(c.days_in_month), visits: String(c.visits) } },
    el("div", { class: "cards" },
      el("div", { class: "card" }, el("h3", {}, "本月服务"), el("p", { class: "figure", id: "month-days" }, days(c.days_in_month)),
        el("p", {}, `走访 ${c.visits} 次`, c.duty_month ? "" : "（非履职月）")),
      el("div", { class: "card" }, el("h3", {}, "服务年度累计"), el("p", { class: "figure" }, days(c.days_in_service_year)),
        el("p", {}, `按比例应服务 ${days(c.required_days_to_date)}`), bar(c.days_in_service_year, c.required_days_to_date))),
    facts([
      ["小组", name("group", c.group)],
      ["月份", `${periodName("monthly", c.month)}（${c.service_year} 服务年度）`],
      ["履职月", yesNo(c.duty_month)],
      ["本月到片区服务", yesNo(c.has_visit)],
      ["与主要负责同志当面交流", yesNo(c.leader_met)],
      ["待确认 / 有异议 / 补录 / 作废", `${c.unconfirmed_visits ?? 0} / ${c.disputed_visits ?? 0} / ${c.late_visits ?? 0} / ${c.voided_visits ?? 0}`],
    ]),
    warnings.length
      ? el("ul", { "aria-label": "提示" }, warnings.map((w) => el("li", {}, badge(w.rule ? ruleName(w.rule) : "提示", "warn"), " ", w.message)))
      : el("p", {}, badge("本月要求均已满足", "ok")));
}

export function yearView(cal) {
  const rows = cal.months || [];
  return el("div", { id: "year-view" },
    facts([
      ["服务年度", `${cal.service_year}（${cal.first_date} 至 ${cal.last_date}）`],
      ["履职月数", cal.duty_months],
      ["有走访的履职月", cal.months_with_visit],
      ["服务天数 / 应服务天数", `${days(cal.days)} / ${days(cal.required_days)}`],
    ]),
    bar(cal.days, cal.required_days),
    table({
      caption: "各月服务情况",
      columns: [
        { label: "月份", value: (m) => periodName("monthly", m.month) },
        { label: "履职月", value: (m) => yesNo(m.duty_month) },
        { label: "服务天数", num: true, value: (m) => days(m.days) },
        { label: "有走访", value: (m) => (m.duty_month && !m.has_visit ? badge("无走访", "bad") : yesNo(m.has_visit)) },
      ],
      rows,
    }));
}
