// Fee settlement (R-FEE-1): the bureau settles a group's service year once it has ended;
// the figures are the API's (exact fractions as text, money in fen shown as yuan).
import { $, $$, api, bindForm, days, describeError, el, facts, fen, fillSelect, label, names, page, param, percent, table, today } from "./app.js";

const q = encodeURIComponent;

function show(s, name = (kind, code) => code) {
  $("#result").hidden = false;
  $("#result-title").textContent = `${name("group", s.group)} ${s.service_year} 服务年度结算`;
  $("#result-body").replaceChildren(
    s.changed_since_settlement ? el("p", { class: "page-status is-error", role: "alert" }, "结算后走访记录有变化，需要重新结算。") : "",
    facts([
      ["服务年度", `${s.first_date || ""} 至 ${s.last_date || ""}`], ["合同", s.contract], ["镇街（园区）", name("district", s.district)],
      ["履职月数", s.duty_months], ["有走访的履职月", s.months_with_visit],
      ["服务天数 / 应服务天数", `${days(s.days)} / ${days(s.required_days)}`],
      ["天数不足比例", percent(s.day_shortfall)], ["走访不足比例", percent(s.visit_shortfall)],
      ["扣减规则", label("deductionRule", s.deduction_rule)], ["扣减比例", percent(s.shortfall)],
      ["应付服务费", fen(s.fee_fen)], ["扣减", fen(s.deduction_fen)], ["实付", fen(s.payable_fen)],
    ]),
    s.history && s.history.length > 1 ? table({
      caption: "历次结算",
      rows: s.history,
      columns: [
        { label: "服务天数", num: true, value: (h) => days(h.days) },
        { label: "扣减", num: true, value: (h) => fen(h.deduction_fen) },
        { label: "实付", num: true, value: (h) => fen(h.payable_fen) },
      ],
    }) : "");
}

// Issue 16: every group's settlement of one service year in one list (each group's latest
// settlement, or "尚未结算"); a row opens the group's details below.
// A group not yet settled: picked, with its year, in the form above, to view or settle it.
function pick(group, year) {
  $("#s-group").value = group;
  $("#s-year").value = year;
  $("#s-group").focus();
}

// A group belongs in a year's list only if it served in that service year (its terms' years,
// R-VIS-4): a group whose contract ended before it has nothing to settle and is not "尚未结算".
function servedIn(year, terms) {
  return (g) => {
    const t = terms.get(g.code);
    return !t || !t.ok || (t.data.service_years || []).some((y) => String(y.year) === String(year));
  };
}

async function yearList(year, groups, name, terms) {
  const rows = await Promise.all(groups.filter(servedIn(year, terms)).map(async (g) => {
    const result = await api("GET", `/api/v1/settlements/${q(g.code)}/${year}`);
    return { group: g, settlement: result.ok ? result.data : null, error: result.ok || result.status === 404 ? null : result.error };
  }));
  const total = (key) => rows.reduce((sum, r) => sum + (r.settlement ? Number(r.settlement[key]) || 0 : 0), 0);
  const settled = rows.filter((r) => r.settlement).length;
  $("#year-body").replaceChildren(table({
    caption: `${year} 服务年度：${rows.length} 个小组，已结算 ${settled} 个；实付合计 ${fen(total("payable_fen"))}`,
    rows,
    empty: "没有小组",
    columns: [
      { label: "小组（服务镇街）", value: (r) => el("button", { type: "button", class: "link", onclick: () => (r.settlement ? show(r.settlement, name) : pick(r.group.code, year)) }, name("group", r.group.code)) },
      { label: "服务天数 / 应服务", value: (r) => (r.settlement ? `${days(r.settlement.days)} / ${days(r.settlement.required_days)}` : "—") },
      { label: "有走访月 / 履职月", value: (r) => (r.settlement ? `${r.settlement.months_with_visit} / ${r.settlement.duty_months}` : "—") },
      { label: "应付", num: true, value: (r) => (r.settlement ? fen(r.settlement.fee_fen) : "—") },
      { label: "扣减", num: true, value: (r) => (r.settlement ? `${fen(r.settlement.deduction_fen)}（${percent(r.settlement.shortfall)}）` : "—") },
      { label: "实付", num: true, value: (r) => (r.settlement ? fen(r.settlement.payable_fen) : "—") },
      { label: "状态", value: (r) => (r.error ? describeError(r.error) : !r.settlement ? "尚未结算"
        : r.settlement.changed_since_settlement ? "结算后有变化，需重新结算" : "已结算") },
    ],
  }));
  return { ok: true, status: 200 };
}

page({
  roles: ["bureau", "committee", "planner"],
  init: async ({ session }) => {
    const groups = await api("GET", "/api/v1/groups?limit=200");
    const name = await names();
    // Issue 16: the group is picked by its name (its district's), not typed as a code
    fillSelect($("#s-group"), groups.ok ? groups.data.items : [], { text: (g) => name("group", g.code), blank: "请选择小组",
      selected: param("group") || session.group || "" });
    $("#s-year").value = param("year") || String(Number((await today()).slice(0, 4)) - 1);
    const now = await today();
    const years = Array.from({ length: 6 }, (_, i) => Number(now.slice(0, 4)) - i);
    fillSelect($("#y-year"), years, { value: String, text: (y) => `${y} 服务年度`, selected: $("#s-year").value });
    const listed = groups.ok ? groups.data.items.filter((g) => session.role !== "planner" || g.code === session.group) : [];
    const terms = new Map(await Promise.all(listed.map(async (g) => [g.code, await api("GET", `/api/v1/groups/${q(g.code)}/terms`)])));
    bindForm($("#year-form"), (values) => yearList(values.service_year, listed, name, terms));
    await yearList($("#y-year").value, listed, name, terms);
    bindForm($("#pick-form"), async (values, form, key) => {
      const action = form.dataset.action || "view";
      const result = action === "settle"
        ? await api("POST", "/api/v1/settlements", { group: values.group, service_year: values.service_year }, { idempotencyKey: key })
        : await api("GET", `/api/v1/settlements/${q(values.group || "")}/${q(values.service_year ?? "")}`);
      if (result.ok && action === "settle") {
        return api("GET", `/api/v1/settlements/${q(values.group)}/${values.service_year}`);
      }
      return result;
    }, { done: async (s) => { show(s, name); await yearList($("#y-year").value, listed, name, terms); } });
    for (const button of $$("#pick-form button[name=action]")) button.addEventListener("click", () => { $("#pick-form").dataset.action = button.value; });
  },
});
