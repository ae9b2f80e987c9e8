// Residents' opinions (R-OPN-1..4): the district's group acknowledges, answers, relays,
// escalates and closes; governments and sub-districts read what concerns them.
import { $, $$, api, badge, bindForm, clearErrors, describeError, el, facts, fillSelect, Fresh, label, names, page, pageStatus, param, table, today } from "./app.js";

const q = encodeURIComponent;
const fresh = new Fresh("ref");
const state = { session: null, filter: {}, triage: false, districts: [], items: [], selected: null, cursors: [""], page: 0 };
const PAGE_SIZE = 20; // issue 16: long lists in pages, with the API's cursors
let name = (kind, code) => code; // issue 16: names, not codes (set in init)

// Back to the first page (a new filter).
function firstPage() {
  state.cursors = [""];
  state.page = 0;
}

function pager(next) {
  const go = async (step) => { state.page += step; await load(); $("#list-body").focus?.(); };
  return el("nav", { class: "actions pager", "aria-label": "翻页" },
    el("button", { type: "button", class: "secondary", disabled: state.page === 0, onclick: () => go(-1) }, "上一页"),
    el("span", { class: "muted", "aria-live": "polite" }, `第 ${state.page + 1} 页`),
    el("button", { type: "button", class: "secondary", disabled: !next, onclick: () => go(1) }, "下一页"));
}

// Which steps make sense from each status (the API refuses others with 409).
const STEPS = {
  received: ["acknowledge"],
  acknowledged: ["answer", "relay", "escalate"],
  answered: ["relay", "close"],
  escalated: ["relay", "close"],
  closed: [],
};

// R-OPN-1 (amended): the bureau's triage list, the opinions that came with only an address and
// wait for the bureau to pick their district (GET /opinions?triage=true).
function showTab(triage) {
  state.triage = triage;
  $("#tab-all").setAttribute("aria-selected", String(!triage));
  $("#tab-triage").setAttribute("aria-selected", String(triage));
  $("#triage-hint").hidden = !triage;
  $("#list-title").textContent = triage ? "待分派镇街的意见" : "意见列表";
}

// A row's district picker and its button: POST /opinions/{ref}/district, then the row leaves the list.
function assignCell(o) {
  const picker = el("select", { "aria-label": `意见 ${o.ref} 所属镇街（园区）` },
    el("option", { value: "" }, "选择镇街（园区）"),
    state.districts.map((d) => el("option", { value: d.code }, d.name)));
  const assign = async (event) => {
    const button = event.currentTarget;
    if (!picker.value) {
      pageStatus(`请先为意见 ${o.ref} 选择所属镇街（园区）。`, "error");
      picker.focus();
      return;
    }
    button.disabled = true;
    const result = await api("POST", `/api/v1/opinions/${q(o.ref)}/district`, { district: picker.value },
      { idempotencyKey: crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) });
    button.disabled = false;
    if (!result.ok) {
      pageStatus(`意见 ${o.ref} 未能分派：${describeError(result.error)}`, "error");
      return;
    }
    fresh.remember(result.data);
    await load();
    pageStatus(`意见 ${o.ref} 已分派至${name("district", result.data.district)}，由该镇街的规划师小组受理。`, "ok");
  };
  return el("div", { class: "actions assign" }, picker,
    el("button", { type: "button", class: "small", onclick: assign, "aria-label": `分派意见 ${o.ref}` }, "分派"));
}

const STATUS_COLUMN = { label: "状态", value: (o) => [badge(label("opinionStatus", o.status), o.status === "closed" ? "ok" : "info"), o.overdue ? [" ", badge("逾期", "bad")] : null, o.relayed ? [" ", badge("已上传下达", "info")] : null] };

function columns() {
  const details = { label: "", value: (o) => el("button", { type: "button", class: "small secondary", onclick: () => select(o), "aria-label": `办理意见 ${o.ref}` }, "详情") };
  if (state.triage) {
    return [
      { label: "编号", value: (o) => o.ref },
      { label: "日期", value: (o) => o.date },
      { label: "地址", value: (o) => o.address || "—" },
      { label: "类别", value: (o) => label("category", o.category) },
      { label: "内容", value: (o) => (o.text || "").slice(0, 60) },
      STATUS_COLUMN,
      { label: "受理期限", value: (o) => o.acknowledge_due_date },
      { label: "分派镇街", value: assignCell },
      details,
    ];
  }
  return [
    { label: "编号", value: (o) => o.ref },
    { label: "日期", value: (o) => o.date },
    { label: "镇街", value: (o) => (o.district ? name("district", o.district) : badge("待分派", "warn")) },
    { label: "类别", value: (o) => label("category", o.category) },
    { label: "内容", value: (o) => (o.text || "").slice(0, 60) },
    STATUS_COLUMN,
    { label: "答复期限", value: (o) => o.due_date },
    details,
  ];
}

async function load() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [k, v] of Object.entries(state.filter)) if (v !== undefined && v !== "" && v !== false) params.set(k, v);
  if (state.triage) {
    params.set("triage", "true");
    params.delete("district"); // no district yet: that is what the list is
  }
  if (state.cursors[state.page]) params.set("cursor", state.cursors[state.page]);
  if (state.session.role === "planner" && state.session.district) params.set("district", state.session.district);
  const result = await api("GET", `/api/v1/opinions?${params}`);
  const body = $("#list-body");
  if (!result.ok) {
    body.replaceChildren(el("p", { class: "page-status is-error", role: "alert" }, describeError(result.error)));
    return;
  }
  state.cursors[state.page + 1] = result.data.next_cursor || "";
  const belongs = (o) => (!state.filter.status || o.status === state.filter.status) && (!state.triage || !o.district);
  // A row just assigned leaves the triage list at once, though the list's read model follows a moment later.
  state.items = (state.page === 0 ? fresh.merge(result.data.items, belongs) : result.data.items).filter(belongs);
  const first = state.page * PAGE_SIZE + 1;
  body.replaceChildren(table({
    caption: state.items.length ? `第 ${first}–${first + state.items.length - 1} 条${result.data.next_cursor ? "，后面还有" : "，已到最后"}` : "",
    rows: state.items,
    columns: columns(),
    empty: state.triage ? "没有待分派镇街的意见" : "暂无记录",
  }), state.page === 0 && !result.data.next_cursor ? "" : pager(result.data.next_cursor));
}

function select(o) {
  state.selected = o;
  $("#detail").hidden = false;
  $("#detail-title").textContent = `意见 ${o.ref}`;
  $("#detail-body").replaceChildren(facts([
    ["状态", label("opinionStatus", o.status)], ["日期", o.date], ["镇街（园区）", o.district ? name("district", o.district) : "待市局分派"], ["地址", o.address || undefined], ["小组", name("group", o.group)],
    ["类别", label("category", o.category)], ["渠道", label("channel", o.channel)], ["内容", o.text],
    ["公开", o.public ? "是" : "否"], ["联系电话", o.contact_phone_masked], ["受理期限", o.acknowledge_due_date],
    ["答复期限", o.due_date], ["回复", o.reply], ["关联建议", o.recommendation],
  ]), o.district ? "" : el("p", { class: "hint", id: "detail-waiting" }, "该意见尚无镇街（园区）：请先在“待分派镇街”中为它选定镇街，分派后由该镇街的规划师小组受理。"),
  state.session.role === "bureau" ? el("p", {}, el("a", { href: `/web/audit.html?entity=opinion&id=${q(o.ref)}` }, "审计记录")) : "");
  // R-OPN-1: without a district there is no group to acknowledge it yet; the district comes first
  const steps = o.district ? STEPS[o.status] || [] : [];
  for (const form of $$("#detail form[data-step]")) {
    form.hidden = !steps.includes(form.dataset.step);
    form.reset();
    clearErrors(form);
  }
  $("#detail").focus();
}

page({
  roles: ["planner", "subdistrict", "government", "bureau"],
  init: async ({ session }) => {
    state.session = session;
    name = await names();
    if (session.role === "planner" && !session.district) {
      pageStatus("您的令牌没有镇街（district）信息，无法列出本镇街的公众意见；请重新登录。", "error");
    }
    state.filter.status = param("status") || "";
    $("#f-status").value = state.filter.status;
    $("#ack-date").value = await today();
    if (session.role === "bureau") {
      const listed = await api("GET", "/api/v1/districts?limit=200");
      state.districts = listed.ok ? listed.data.items : [];
      // Issue 16: districts picked by name, not typed as codes
      fillSelect($("#f-district"), state.districts, { blank: "全部" });
      fillSelect($("#new-district"), state.districts, { blank: "不选（填写地址）" });
      const tab = (triage) => async () => { showTab(triage); firstPage(); await load(); };
      $("#tab-all").addEventListener("click", tab(false));
      $("#tab-triage").addEventListener("click", tab(true));
      showTab(param("triage") === "true");
    }
    bindForm($("#filter-form"), async (values) => {
      state.filter = { status: values.status || "", overdue: values.overdue ? "true" : "", district: values.district || "" };
      firstPage();
      await load();
      return { ok: true, status: 200 };
    });
    for (const form of $$("#detail form[data-step]")) {
      bindForm(form, (values, f, key) => {
        if (form.dataset.step === "acknowledge" && session.role === "planner") values.group = session.group;
        return api("POST", `/api/v1/opinions/${q(state.selected.ref)}/${form.dataset.step}`, values, { idempotencyKey: key });
      }, {
        done: async (data) => {
          const message = `意见 ${state.selected.ref} 已${{ acknowledge: "受理", answer: "回复", relay: "报送", escalate: "转为建议", close: "办结" }[form.dataset.step]}。`;
          const answered = data && data.ref ? data : data && data.opinion;
          fresh.remember(answered);
          await load();
          const shown = state.items.find((o) => o.ref === state.selected.ref) || answered;
          if (shown && shown.ref) select(shown);
          pageStatus(message, "ok");
        },
      });
    }
    $("#detail-close").addEventListener("click", () => { $("#detail").hidden = true; });
    if (["planner", "bureau"].includes(session.role)) {
      bindForm($("#new-form"), (values, form, key) => {
        values.channel = "planner";
        if (session.role === "planner") values.district = session.district;
        return api("POST", "/api/v1/opinions", values, { idempotencyKey: key });
      }, {
        success: (o) => `已登记，查询编号 ${o.ref}（居民可凭此编号在“提交与查询意见”页面查看进度）。`,
        done: async (o, form) => { fresh.remember(o); form.reset(); await load(); },
      });
    }
    await load();
  },
});
