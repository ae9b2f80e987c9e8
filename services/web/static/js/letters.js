// Letters (R-REC-2): the bureau forwards raised recommendations to a government in one
// letter with a due date; the government reads its letters and what each one carries.
import { $, api, badge, bindForm, describeError, el, facts, fillSelect, Fresh, label, names, page, pageStatus, param, table, today } from "./app.js";

const q = encodeURIComponent;
const fresh = new Fresh();
let name = (kind, code) => code; // issue 16: names, not codes (set in init)

async function loadRecommendations(government) {
  const holder = $("#c-recs");
  if (!government) return;
  const result = await api("GET", `/api/v1/recommendations?status=raised&government=${q(government)}&limit=200`);
  if (!result.ok) {
    holder.replaceChildren(el("p", { class: "field-error" }, describeError(result.error)));
    return;
  }
  const items = result.data.items;
  holder.replaceChildren(...(items.length ? items.map((r) => el("label", { class: "choice" },
    el("input", { type: "checkbox", name: "recommendations", value: r.id, checked: true }), ` ${r.title}（${name("district", r.district)}，${r.date}）`))
    : [el("span", { class: "muted" }, "没有待函告的建议")]));
}

async function load() {
  const result = await api("GET", "/api/v1/letters?limit=200");
  const body = $("#list-body");
  if (!result.ok) {
    body.replaceChildren(el("p", { class: "page-status is-error", role: "alert" }, describeError(result.error)));
    return;
  }
  body.replaceChildren(table({
    rows: fresh.merge(result.data.items),
    empty: "还没有函件",
    columns: [
      { label: "函号", value: (l) => el("button", { type: "button", class: "link", onclick: () => show(l.id) }, l.letter_no) },
      { label: "区政府（管委会）", value: (l) => name("government", l.government) },
      { label: "日期", value: (l) => l.date },
      { label: "办理期限", value: (l) => l.due_date },
      { label: "建议数", num: true, value: (l) => l.items },
      { label: "镇街", value: (l) => (l.districts || []).map((d) => name("district", d)).join("、") },
    ],
  }));
}

async function show(id) {
  const result = await api("GET", `/api/v1/letters/${q(id)}`);
  if (!result.ok) {
    pageStatus(describeError(result.error), "error");
    return;
  }
  const l = result.data;
  $("#detail").hidden = false;
  $("#detail-title").textContent = `函件 ${l.letter_no}`;
  $("#detail-body").replaceChildren(
    facts([["区政府（管委会）", name("government", l.government)], ["日期", l.date], ["办理期限", l.due_date], ["镇街", (l.districts || []).map((d) => name("district", d)).join("、")]]),
    table({
      caption: "随函转交的意见建议",
      rows: l.recommendations,
      columns: [
        { label: "标题", value: (r) => el("a", { href: `/web/recommendations.html?id=${q(r.id)}` }, r.title) },
        { label: "镇街", value: (r) => name("district", r.district) },
        { label: "状态", value: (r) => [badge(label("recStatus", r.status), "info"), r.overdue_days ? [" ", badge(`逾期 ${r.overdue_days} 天`, "bad")] : null] },
        { label: "进度", num: true, value: (r) => `${r.percent ?? 0}%` },
              ],
    }));
  $("#detail").focus();
}

page({
  roles: ["government", "bureau"],
  init: async ({ session }) => {
    name = await names();
    if (session.role === "bureau") {
      $("#c-date").value = await today();
      const governments = await api("GET", "/api/v1/governments?limit=200");
      if (governments.ok) fillSelect($("#c-government"), governments.data.items, { blank: "请选择", text: (g) => g.name });
      $("#c-government").addEventListener("change", () => loadRecommendations($("#c-government").value));
      bindForm($("#compose-form"), (values, form, key) => {
        values.recommendations = values.recommendations || [];
        return api("POST", "/api/v1/letters", values, { idempotencyKey: key });
      }, {
        success: (l) => `已发出函件 ${l.letter_no}，转交 ${l.recommendations.length} 条建议，办理期限 ${l.due_date}。`,
        done: async (l) => { fresh.remember({ ...l, items: l.recommendations.length }); await loadRecommendations($("#c-government").value); await load(); await show(l.id); },
      });
    }
    await load();
    if (param("id")) await show(param("id"));
  },
});
