// Recommendations (R-REC-1..3): raised by a group, forwarded by the bureau in a letter,
// accepted or declined by the government, progress and completion reported, verified.
import { $, $$, api, badge, bindForm, clearErrors, describeError, el, facts, fillSelect, Fresh, label, names, page, pageStatus, param, table, today } from "./app.js";

const q = encodeURIComponent;
const fresh = new Fresh();
let name = (kind, code) => code; // issue 16: names, not codes (set in init)
const state = { session: null, filter: {}, items: [], selected: null };
const DONE = { forward: "已函告", withdraw: "已撤回", accept: "已采纳", decline: "已不予采纳", progress: "已报告进度",
  complete: "已报告完成", verify: "已核实", reopen: "已退回重新办理" };

function statusBadge(r) {
  const kind = ["verified", "completed"].includes(r.status) ? "ok" : ["declined", "withdrawn"].includes(r.status) ? "bad" : "info";
  return [badge(label("recStatus", r.status), kind), r.overdue ? [" ", badge(`逾期 ${r.overdue_days} 天`, "bad")] : null];
}

async function load() {
  const params = new URLSearchParams({ limit: "200" });
  for (const [k, v] of Object.entries(state.filter)) if (v) params.set(k, v);
  const result = await api("GET", `/api/v1/recommendations?${params}`);
  const body = $("#list-body");
  if (!result.ok) {
    body.replaceChildren(el("p", { class: "page-status is-error", role: "alert" }, describeError(result.error)));
    return;
  }
  state.items = fresh.merge(result.data.items, (r) => !state.filter.status || r.status === state.filter.status);
  body.replaceChildren(table({
    caption: `共 ${state.items.length} 条`,
    rows: state.items,
    columns: [
      { label: "标题", value: (r) => el("button", { type: "button", class: "link", onclick: () => select(r.id) }, r.title) },
      { label: "镇街（园区）", value: (r) => name("district", r.district) },
      { label: "类别", value: (r) => label("category", r.category) },
      { label: "状态", value: statusBadge },
      { label: "函号", value: (r) => r.letter_no },
      { label: "办理期限", value: (r) => r.due_date },
      { label: "进度", num: true, value: (r) => `${r.percent ?? 0}%` },
    ],
    onRow: (tr, r) => { if (state.selected && state.selected.id === r.id) tr.classList.add("selected"); },
  }));
}

async function select(id) {
  const result = await api("GET", `/api/v1/recommendations/${q(id)}`);
  if (!result.ok) {
    pageStatus(describeError(result.error), "error");
    return;
  }
  const r = (state.selected = fresh.remember(result.data));
  $("#detail").hidden = false;
  $("#detail-title").textContent = r.title;
  const history = (r.progress || []).map((p) => el("li", { class: "done" }, `${p.date}　${p.percent}%　${p.text}`));
  $("#detail-body").replaceChildren(
    facts([
      ["状态", statusBadge(r)], ["小组", name("group", r.group)], ["镇街（园区）", name("district", r.district)], ["区政府（管委会）", name("government", r.government)],
      ["类别", label("category", r.category)], ["来源", label("source", r.source)], ["提出日期", r.date],
      ["函号", r.letter_no], ["函告日期", r.forwarded_on], ["办理期限", r.due_date], ["决定日期", r.decided_on],
      ["不予采纳理由", r.decline_reason ?? undefined], ["完成日期", r.completed_on], ["核实日期", r.verified_on],
      ["建议内容", r.text],
    ]),
    el("h3", {}, "办理进度"),
    history.length ? el("ol", { class: "steps" }, history) : el("p", { class: "muted" }, "尚无进度报告"),
    state.session.role === "bureau" ? el("p", {}, el("a", { href: `/web/audit.html?entity=recommendation&id=${q(r.id)}` }, "审计记录")) : "",
  );
  const role = state.session.role;
  for (const form of $$("#detail form[data-step]")) {
    const forRole = form.dataset.roles.split(" ").includes(role);
    form.hidden = !forRole || !form.dataset.statuses.split(" ").includes(r.status);
    form.reset();
    clearErrors(form);
  }
  const now = await today();
  for (const input of $$('#detail input[type="date"]')) if (!input.value && input.name === "date") input.value = now;
  await load();
  $("#detail").focus();
}

page({
  roles: ["planner", "subdistrict", "government", "bureau"],
  init: async ({ session }) => {
    state.session = session;
    name = await names();
    state.filter.status = param("status") || "";
    $("#f-status").value = state.filter.status;
    $("#r-date").value = await today();
    if (session.role === "bureau") {
      // Issue 16: the bureau picks a group and a government by name, not by typing a code
      const [groups, governments] = await Promise.all([api("GET", "/api/v1/groups?limit=200"), api("GET", "/api/v1/governments?limit=200")]);
      const serving = groups.ok ? groups.data.items.filter((g) => g.status === "active") : [];
      fillSelect($("#r-group"), serving, { text: (g) => name("group", g.code), blank: "请选择小组" });
      fillSelect($("#f-government"), governments.ok ? governments.data.items : [], { blank: "全部" });
    }
    bindForm($("#filter-form"), async (values) => {
      state.filter = { status: values.status, government: values.government, overdue: values.overdue ? "true" : "" };
      await load();
      return { ok: true, status: 200 };
    });
    if (["planner", "bureau"].includes(session.role)) {
      bindForm($("#raise-form"), (values, form, key) => {
        if (session.role === "planner") values.group = session.group;
        return api("POST", "/api/v1/recommendations", values, { idempotencyKey: key });
      }, {
        success: (r) => `已提出建议「${r.title}」。`,
        done: async (r, form) => { form.reset(); $("#r-date").value = await today(); await select(r.id); },
      });
    }
    for (const form of $$("#detail form[data-step]")) {
      bindForm(form, (values, f, key) =>
        api("POST", `/api/v1/recommendations/${q(state.selected.id)}/${form.dataset.step}`, values, { idempotencyKey: key }), {
        done: async (r) => {
          fresh.remember(r);
          await select(r.id);
          pageStatus(`「${r.title}」${DONE[form.dataset.step]}（当前状态：${label("recStatus", r.status)}）。`, "ok");
        },
      });
    }
    $("#detail-close").addEventListener("click", () => { $("#detail").hidden = true; });
    await load();
    if (param("id")) await select(param("id"));
  },
});
