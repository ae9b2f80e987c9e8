// Fee settlement (R-FEE-1): the bureau settles a group's service year once it has ended;
// the figures are the API's (exact fractions as text, money in fen shown as yuan).
import { $, $$, api, bindForm, days, el, facts, fen, fillDatalist, label, page, param, table, today } from "./app.js";

const q = encodeURIComponent;

function show(s) {
  $("#result").hidden = false;
  $("#result-title").textContent = `小组 ${s.group} ${s.service_year} 服务年度结算`;
  $("#result-body").replaceChildren(
    s.changed_since_settlement ? el("p", { class: "page-status is-error", role: "alert" }, "结算后走访记录有变化，需要重新结算。") : "",
    facts([
      ["服务年度", `${s.first_date || ""} 至 ${s.last_date || ""}`], ["合同", s.contract], ["镇街（园区）", s.district],
      ["履职月数", s.duty_months], ["有走访的履职月", s.months_with_visit],
      ["服务天数 / 应服务天数", `${days(s.days)} / ${days(s.required_days)}`],
      ["天数不足比例", s.day_shortfall], ["走访不足比例", s.visit_shortfall],
      ["扣减规则", label("deductionRule", s.deduction_rule)], ["扣减比例", s.shortfall],
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

page({
  roles: ["bureau", "committee", "planner"],
  init: async ({ session }) => {
    const groups = await api("GET", "/api/v1/groups?limit=200");
    if (groups.ok) fillDatalist($("#group-list"), groups.data.items, { text: (g) => g.district });
    $("#s-group").value = param("group") || session.group || "";
    $("#s-year").value = param("year") || String(Number((await today()).slice(0, 4)) - 1);
    bindForm($("#pick-form"), async (values, form, key) => {
      const action = form.dataset.action || "view";
      const result = action === "settle"
        ? await api("POST", "/api/v1/settlements", { group: values.group, service_year: values.service_year }, { idempotencyKey: key })
        : await api("GET", `/api/v1/settlements/${q(values.group || "")}/${q(values.service_year ?? "")}`);
      if (result.ok && action === "settle") {
        return api("GET", `/api/v1/settlements/${q(values.group)}/${values.service_year}`);
      }
      return result;
    }, { done: show });
    for (const button of $$("#pick-form button[name=action]")) button.addEventListener("click", () => { $("#pick-form").dataset.action = button.value; });
  },
});
