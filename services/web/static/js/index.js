// Home page: for each role what is waiting, counted through the public lists.
import { api, bar, days, describeError, el, names, page, periodName, today, yesNo } from "./app.js";
import { ROLE_NAMES } from "./labels.js";

const body = () => document.getElementById("home-body");

function card(title, figure, href, linkText, note) {
  return el("section", { class: "card", "aria-label": title },
    el("h3", {}, title),
    el("p", { class: "figure" }, figure),
    note ? el("p", { class: "muted" }, note) : null,
    href ? el("a", { href }, linkText || "查看") : null);
}

// How many items a list holds (up to one page of 200: "200+" beyond).
async function count(path) {
  const sep = path.includes("?") ? "&" : "?";
  const result = await api("GET", `${path}${sep}limit=200`);
  if (!result.ok) return { text: "—", note: describeError(result.error) };
  const items = result.data.items || result.data.visits || [];
  return { text: `${items.length}${result.data.next_cursor ? "+" : ""}`, note: null };
}

async function countCard(title, path, href, linkText) {
  const { text, note } = await count(path);
  return card(title, text, href, linkText, note);
}

async function monthCard(group) {
  const month = (await today()).slice(0, 7);
  const title = `${periodName("monthly", month)}履职`; // issue 16: the month in words, not 2026-12
  const result = await api("GET", `/api/v1/compliance/${encodeURIComponent(group)}/${month}`);
  if (!result.ok) return card(title, "—", "/web/compliance.html", "履职情况", describeError(result.error));
  const c = result.data;
  const section = el("section", { class: "card", id: "month-card", "aria-label": title },
    el("h3", {}, title),
    el("p", { class: "figure" }, days(c.days_in_month)),
    el("p", {}, `本月走访 ${c.visits} 次；见到主要负责同志：${yesNo(c.leader_met)}`),
    el("p", {}, `服务年度累计 ${days(c.days_in_service_year)}，按比例应服务 ${days(c.required_days_to_date)}`),
    bar(c.days_in_service_year, c.required_days_to_date),
    el("a", { href: `/web/compliance.html?group=${encodeURIComponent(group)}` }, "履职详情"));
  return section;
}

const HOMES = {
  async planner(s) {
    const cards = [await monthCard(s.group)];
    if (s.district) {
      cards.push(await countCard("待受理的公众意见", `/api/v1/opinions?district=${encodeURIComponent(s.district)}&status=received`,
        "/web/opinions.html?status=received", "去受理"));
    }
    cards.push(await countCard("待答复的技术咨询", "/api/v1/consultations?status=requested", "/web/consultations.html", "去答复"));
    cards.push(await countCard("在办的意见建议", "/api/v1/recommendations?status=raised,forwarded,accepted", "/web/recommendations.html", "查看"));
    const name = await names(); // issue 16: names, not codes
    return [el("p", { class: "lead" }, `${name("group", s.group)}${s.district ? `，服务${name("district", s.district)}` : ""}`),
      el("div", { class: "actions" }, el("a", { class: "button", href: "/web/visits.html#log" }, "记录一次走访")),
      el("div", { class: "cards" }, cards)];
  },
  async subdistrict(s) {
    const name = await names();
    return [el("p", { class: "lead" }, name("district", s.district)), el("div", { class: "cards" },
      await countCard("待确认的走访", "/api/v1/visits?status=unconfirmed", "/web/visits.html?status=unconfirmed", "去确认"),
      await countCard("待落实的意见建议", "/api/v1/recommendations?status=forwarded,accepted", "/web/recommendations.html", "去办理"),
      await countCard("逾期的意见建议", "/api/v1/recommendations?overdue=true", "/web/overdue.html", "逾期事项"),
      await countCard("技术咨询", "/api/v1/consultations", "/web/consultations.html", "查看"))];
  },
  async government(s) {
    const name = await names();
    return [el("p", { class: "lead" }, name("government", s.government)), el("div", { class: "cards" },
      await countCard("收到的函件", "/api/v1/letters", "/web/letters.html", "查看函件"),
      await countCard("待决定采纳的建议", "/api/v1/recommendations?status=forwarded", "/web/recommendations.html?status=forwarded", "去办理"),
      await countCard("落实中的建议", "/api/v1/recommendations?status=accepted", "/web/recommendations.html?status=accepted", "报告进度"),
      await countCard("逾期的意见建议", "/api/v1/recommendations?overdue=true", "/web/overdue.html", "逾期事项"))];
  },
  async bureau() {
    return [el("div", { class: "cards" },
      await countCard("待函告的意见建议", "/api/v1/recommendations?status=raised", "/web/letters.html", "起草函件"),
      await countCard("待核实的已完成建议", "/api/v1/recommendations?status=completed", "/web/recommendations.html?status=completed", "去核实"),
      await countCard("逾期的意见建议", "/api/v1/recommendations?overdue=true", "/web/overdue.html", "逾期事项"),
      await countCard("逾期的公众意见", "/api/v1/opinions?overdue=true", "/web/overdue.html", "逾期事项"),
      // R-OPN-1 (amended): opinions that came with only an address wait for the bureau to assign their district
      await countCard("待分派镇街的意见", "/api/v1/opinions?triage=true", "/web/opinions.html?triage=true", "去分派"),
      await countCard("待确认的走访", "/api/v1/visits?status=unconfirmed", "/web/visits.html?status=unconfirmed", "查看")),
    el("div", { class: "actions" },
      el("a", { class: "button", href: "/web/reports.html" }, "月度调度与报告"),
      el("a", { class: "button secondary", href: "/web/organisation.html" }, "组织与合同"),
      el("a", { class: "button secondary", href: "/web/settlements.html" }, "费用结算"),
      el("a", { class: "button secondary", href: "/web/audit.html" }, "审计记录"))];
  },
  async committee() {
    return [el("p", {}, "市规委会可查阅月度调度、季度汇总、半年报告和年度报告。"),
      el("div", { class: "actions" }, el("a", { class: "button", href: "/web/reports.html" }, "查阅报告"))];
  },
  async operator() {
    return [el("p", {}, "运维入口（无需令牌）："), el("ul", {},
      el("li", {}, el("a", { href: "/health/ready" }, "就绪检查 /health/ready")),
      el("li", {}, el("a", { href: "/metrics" }, "监控指标 /metrics")),
      el("li", {}, el("a", { href: "/openapi.json" }, "接口文档 /openapi.json")))];
  },
};

page({
  init: async ({ session }) => {
    if (!session) return;
    document.getElementById("home-title").textContent = `${ROLE_NAMES[session.role] || session.role}工作台`;
    const build = HOMES[session.role] || HOMES.operator;
    body().replaceChildren(...(await build(session)));
  },
});
