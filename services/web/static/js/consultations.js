// Consultations (R-CSL-1): a government or sub-district asks its group; the group issues
// its opinion; the asker closes it.
import { $, api, badge, bindForm, clearErrors, describeError, el, facts, fillSelect, Fresh, label, names, page, pageStatus, table } from "./app.js";

const q = encodeURIComponent;
const fresh = new Fresh();
let name = (kind, code) => code; // issue 16: names, not codes (set in init)
const state = { session: null, selected: null };

async function load() {
  const result = await api("GET", "/api/v1/consultations?limit=200");
  const body = $("#list-body");
  if (!result.ok) {
    body.replaceChildren(el("p", { class: "page-status is-error", role: "alert" }, describeError(result.error)));
    return;
  }
  body.replaceChildren(table({
    rows: fresh.merge(result.data.items),
    empty: "没有技术咨询",
    columns: [
      { label: "事项", value: (c) => el("button", { type: "button", class: "link", onclick: () => show(c.id) }, c.subject || label("kind", c.kind)) },
      { label: "类型", value: (c) => label("kind", c.kind) },
      { label: "小组", value: (c) => name("group", c.group) },
      { label: "提出日期", value: (c) => c.date },
      { label: "答复期限", value: (c) => c.due_date },
      { label: "状态", value: (c) => [badge(label("consultationStatus", c.status), c.status === "requested" ? "info" : "ok"),
        c.overdue ? [" ", badge(`逾期 ${c.overdue_days} 天`, "bad")] : null] },
    ],
  }));
}

async function show(id) {
  const result = await api("GET", `/api/v1/consultations/${q(id)}`);
  if (!result.ok) {
    pageStatus(describeError(result.error), "error");
    return;
  }
  const c = (state.selected = fresh.remember(result.data));
  $("#detail").hidden = false;
  $("#detail-title").textContent = c.subject || label("kind", c.kind);
  $("#detail-body").replaceChildren(facts([
    ["类型", label("kind", c.kind)], ["状态", label("consultationStatus", c.status)], ["小组", name("group", c.group)],
    ["镇街（园区）", name("district", c.district)], ["阶段", label("stage", c.stage)], ["资料", (c.documents || []).join("、")],
    ["问题", c.question], ["提出日期", c.date], ["答复期限", c.due_date], ["结论", label("verdict", c.verdict)],
    ["意见", c.opinion], ["答复日期", c.answered_on], ["关闭日期", c.closed_on],
  ]));
  const role = state.session.role;
  $("#answer-form").hidden = !["planner", "bureau"].includes(role) || c.status !== "requested";
  // R-CSL-1: only the asker (a government or a sub-district) or the bureau closes it.
  const asker = c.asked_by === "government" ? "government" : "subdistrict";
  $("#close-form").hidden = !(role === "bureau" || role === asker) || c.status === "closed";
  for (const form of [$("#answer-form"), $("#close-form")]) { form.reset(); clearErrors(form); }
  $("#detail").focus();
}

page({
  roles: ["planner", "subdistrict", "government", "bureau"],
  init: async ({ session }) => {
    state.session = session;
    name = await names();
    if (["government", "subdistrict", "bureau"].includes(session.role)) {
      const filter = session.role === "government" ? `government=${q(session.government)}`
        : session.role === "subdistrict" ? `district=${q(session.district)}` : "limit=200";
      const groups = await api("GET", `/api/v1/groups?${filter}`);
      if (groups.ok) fillSelect($("#a-group"), groups.data.items, { text: (g) => `${g.code}（${g.district}）` });
      bindForm($("#ask-form"), (values, form, key) => {
        values.asked_by = session.role === "subdistrict" ? "district" : "government";
        if (values.documents === undefined) delete values.documents;
        return api("POST", "/api/v1/consultations", values, { idempotencyKey: key });
      }, {
        success: (c) => `已提出咨询，答复期限 ${c.due_date}。`,
        done: async (c, form) => { form.reset(); await load(); await show(c.id); },
      });
    }
    bindForm($("#answer-form"), (values, form, key) =>
      api("POST", `/api/v1/consultations/${q(state.selected.id)}/opinion`, values, { idempotencyKey: key }),
    { done: async (c) => { fresh.remember(c); await load(); await show(c.id); pageStatus("已出具意见。", "ok"); } });
    bindForm($("#close-form"), (values, form, key) =>
      api("POST", `/api/v1/consultations/${q(state.selected.id)}/close`, values, { idempotencyKey: key }),
    { done: async (c) => { fresh.remember(c); await load(); await show(c.id); pageStatus("已关闭咨询。", "ok"); } });
    await load();
  },
});
