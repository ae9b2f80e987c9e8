// Visits (R-VIS-1, R-VIS-6, R-VIS-7): planners log, correct and void; the sub-district
// confirms or disputes; everyone in scope sees the month against the requirement.
import {
  $, $$, api, badge, bindForm, clearErrors, days, describeError, el, facts, fillSelect, Fresh, label,
  names, page, pageStatus, param, periodName, setStatus, table, today, yesNo,
} from "./app.js";
import { monthView } from "./views.js";

const state = { session: null, group: null, district: null, month: null, status: "", visits: [], selected: null };
const q = encodeURIComponent;
const fresh = new Fresh();
let name = (kind, code) => code; // issue 16: names, not codes (set in init)

function allowed(node) {
  return !node.dataset.roles || node.dataset.roles.split(/\s+/).includes(state.session.role);
}

async function loadMonth() {
  const body = $("#month-body");
  if (!state.group) {
    body.replaceChildren(el("p", { class: "muted" }, "选择小组后显示该月履职情况。"));
    return;
  }
  const result = await api("GET", `/api/v1/compliance/${q(state.group)}/${state.month}`);
  $("#month-title").textContent = `${periodName("monthly", state.month)}履职（${name("group", state.group)}）`;
  if (!result.ok) {
    body.replaceChildren(el("p", { class: "page-status is-error", role: "alert" }, describeError(result.error)));
    return;
  }
  body.replaceChildren(monthView(result.data, name));
}

async function loadList() {
  const params = new URLSearchParams({ month: state.month, limit: "500" });
  if (state.status) params.set("status", state.status);
  if (state.session.role === "bureau" && state.group) params.set("group", state.group);
  if (state.session.role === "government" && state.district) params.set("district", state.district);
  const result = await api("GET", `/api/v1/visits?${params}`);
  const body = $("#list-body");
  if (!result.ok) {
    body.replaceChildren(el("p", { class: "page-status is-error", role: "alert" }, describeError(result.error)));
    return;
  }
  state.visits = fresh.merge(result.data.visits, (v) => v.date.slice(0, 7) === state.month
    && (!state.status || v.status === state.status) && (!state.group || v.group === state.group));
  const role = state.session.role;
  const canEdit = ["planner", "bureau"].includes(role);
  const canConfirm = ["subdistrict", "bureau"].includes(role);
  body.replaceChildren(table({
    caption: `${periodName("monthly", state.month)}的走访（${state.visits.length} 条）`,
    empty: `${periodName("monthly", state.month)}没有走访记录`,
    rows: state.visits,
    columns: [
      { label: "日期", value: (v) => (v.last_date && v.last_date !== v.date ? `${v.date} 至 ${v.last_date}` : v.date) },
      { label: "小组", value: (v) => name("group", v.group) },
      { label: "天数", num: true, value: (v) => days(v.days) },
      { label: "工作内容", value: (v) => (v.activities || []).map((a) => label("activity", a)).join("、") || "—" },
      { label: "当面交流", value: (v) => yesNo(v.leader_met) },
      { label: "状态", value: (v) => [badge(label("visitStatus", v.status), v.status === "confirmed" ? "ok" : v.status === "unconfirmed" ? "info" : "bad"),
        v.late ? [" ", badge("补录", "warn")] : null] },
      { label: "操作", value: (v) => el("div", { class: "actions" },
        canEdit && !v.voided ? el("button", { type: "button", class: "small secondary", onclick: () => choose(v, "correct"), "aria-label": `更正 ${v.date} 的走访` }, "更正") : null,
        canEdit && !v.voided ? el("button", { type: "button", class: "small secondary", onclick: () => choose(v, "void"), "aria-label": `作废 ${v.date} 的走访` }, "作废") : null,
        canConfirm && !v.voided ? el("button", { type: "button", class: "small", onclick: () => choose(v, "confirm"), "aria-label": `确认 ${v.date} 的走访` }, "确认/异议") : null,
        role === "bureau" ? el("a", { href: `/web/audit.html?entity=visit&id=${q(v.id)}` }, "审计") : null) },
    ],
  }));
}

async function refresh() {
  await Promise.all([loadMonth(), loadList()]);
}

function choose(visit, action) {
  state.selected = visit;
  const section = $("#act");
  section.hidden = false;
  $("#act-title").textContent = { correct: "更正走访", void: "作废走访", confirm: "确认走访" }[action];
  $("#act-facts").replaceChildren(facts([
    ["日期", visit.date], ["小组", name("group", visit.group)], ["天数", days(visit.days)],
    ["工作内容", (visit.activities || []).map((a) => label("activity", a)).join("、") || "—"],
    ["当面交流", `${yesNo(visit.leader_met)}${visit.leader_name ? "（" + visit.leader_name + "）" : ""}`],
    ["工作记录", visit.notes || "—"], ["状态", label("visitStatus", visit.status)],
    ["异议理由", visit.dispute_reason ?? undefined],
  ]));
  for (const name of ["correct", "void", "confirm"]) {
    const form = $(`#${name}-form`);
    form.hidden = name !== action || !allowed(form);
    clearErrors(form);
  }
  if (action === "correct") {
    const form = $("#correct-form");
    form.reset();
    $("#cor-date").value = visit.date;
    $("#cor-days").value = visit.days;
    for (const box of $$("[name=activities]", form)) box.checked = (visit.activities || []).includes(box.value);
    $("#cor-leader-met").checked = !!visit.leader_met;
    $("#cor-leader-name").value = visit.leader_name || "";
    $("#cor-notes").value = visit.notes || "";
  } else {
    $(`#${action}-form`).reset();
  }
  section.focus();
}

function sameList(a, b) {
  return JSON.stringify([...(a || [])].sort()) === JSON.stringify([...(b || [])].sort());
}

async function loadPlanners(group) {
  const holder = $("#log-planners");
  if (!group) return;
  const result = await api("GET", `/api/v1/planners?group=${q(group)}`);
  if (!result.ok || !result.data.items.length) return;
  holder.replaceChildren(...result.data.items.map((p) =>
    el("label", { class: "choice" }, el("input", { type: "checkbox", name: "planners", value: p.id }), ` ${p.name}（${p.id}）`)));
}

function locate() {
  const text = $("#log-point-text");
  if (!navigator.geolocation) {
    text.textContent = "此浏览器不支持定位，可不填写位置";
    return;
  }
  text.textContent = "正在定位…";
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      $("#log-lat").value = pos.coords.latitude.toFixed(6);
      $("#log-lon").value = pos.coords.longitude.toFixed(6);
      text.textContent = `纬度 ${pos.coords.latitude.toFixed(5)}，经度 ${pos.coords.longitude.toFixed(5)}（精度约 ${Math.round(pos.coords.accuracy)} 米）`;
    },
    (err) => {
      text.textContent = { 1: "未获得定位权限，可不填写位置", 2: "无法确定位置", 3: "定位超时，请重试" }[err.code] || "定位失败";
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

page({
  roles: ["planner", "subdistrict", "government", "bureau"],
  init: async ({ session }) => {
    state.session = session;
    name = await names();
    const now = await today();
    state.month = /^\d{4}-\d{2}$/.test(param("month") || "") ? param("month") : now.slice(0, 7);
    state.status = param("status") || "";
    $("#filter-month").value = state.month;
    $("#filter-status").value = state.status;
    $("#log-date").value = now;
    $("#log-date").max = now;

    if (session.role === "planner") {
      state.group = session.group;
      state.district = session.district;
      $("#filter-title").textContent = `查看月份（${name("group", session.group)}）`;
      await loadPlanners(session.group);
    } else if (session.role === "subdistrict") {
      state.district = session.district;
      const groups = await api("GET", `/api/v1/groups?district=${q(session.district)}`);
      state.group = groups.ok && groups.data.items.length ? groups.data.items[0].code : null;
    } else if (session.role === "government") {
      const districts = await api("GET", `/api/v1/districts?government=${q(session.government)}`);
      if (districts.ok) fillSelect($("#filter-district"), districts.data.items); // by name (issue 16)
      state.district = param("district") || $("#filter-district").value || null;
      if (state.district) $("#filter-district").value = state.district;
      const groups = state.district ? await api("GET", `/api/v1/groups?district=${q(state.district)}`) : null;
      state.group = groups && groups.ok && groups.data.items.length ? groups.data.items[0].code : null;
    } else {
      const groups = await api("GET", "/api/v1/groups?limit=200");
      // Issue 16: groups picked by name (they were codes typed, with suggestions)
      const items = groups.ok ? groups.data.items : [];
      const text = (g) => `${name("group", g.code)}（${g.status === "active" ? "在岗" : "已结束"}）`;
      state.group = param("group") || null;
      fillSelect($("#filter-group"), items, { text, blank: "全部小组", selected: state.group || "" });
      fillSelect($("#log-group"), items, { text, blank: "请选择小组", selected: state.group || "" });
      $("#log-group").addEventListener("change", () => loadPlanners($("#log-group").value.trim()));
      await loadPlanners(state.group);
    }

    bindForm($("#filter-form"), async (values) => {
      state.month = values.month || state.month;
      state.status = values.status || "";
      if (session.role === "bureau") state.group = values.group || null;
      if (session.role === "government" && values.district) {
        state.district = values.district;
        const groups = await api("GET", `/api/v1/groups?district=${q(state.district)}`);
        state.group = groups.ok && groups.data.items.length ? groups.data.items[0].code : null;
      }
      history.replaceState(null, "", `?month=${state.month}${state.status ? "&status=" + state.status : ""}${session.role === "bureau" && state.group ? "&group=" + q(state.group) : ""}`);
      await refresh();
      return { ok: true, status: 200 };
    });

    if (["planner", "bureau"].includes(session.role)) {
      $("#log-locate").addEventListener("click", locate);
      $("#log-unlocate").addEventListener("click", () => {
        $("#log-lat").value = "";
        $("#log-lon").value = "";
        $("#log-point-text").textContent = "未获取位置";
      });
      bindForm($("#log-form"), (values, form, key) => {
        if (session.role === "planner") values.group = session.group;
        if (!values.planners || !values.planners.length) delete values.planners;
        if (!values.activities || !values.activities.length) delete values.activities;
        return api("POST", "/api/v1/visits", values, { idempotencyKey: key });
      }, {
        success: (v) => `已记录 ${v.date} 的走访（${days(v.days)}）。`,
        done: async (v, form) => {
          fresh.remember(v);
          for (const name of ["notes", "places", "leader_name"]) form.elements[name].value = "";
          form.elements.leader_met.checked = false;
          if (session.role === "bureau") state.group = v.group;
          if (v.date.slice(0, 7) !== state.month) {
            state.month = v.date.slice(0, 7);
            $("#filter-month").value = state.month;
          }
          await refresh();
        },
      });
    }

    bindForm($("#correct-form"), (values, form, key) => {
      const v = state.selected;
      const changes = { reason: values.reason };
      for (const name of ["date", "days", "leader_name", "notes"]) {
        if (values[name] === undefined && v[name]) changes[name] = null;
        else if (values[name] !== undefined && values[name] !== v[name]) changes[name] = values[name];
      }
      if (changes.date === null) delete changes.date; // a date can be changed, not removed
      if (changes.days === null) changes.days = "";   // the API names the field
      if (values.leader_met !== !!v.leader_met) changes.leader_met = values.leader_met;
      if (!sameList(values.activities, v.activities)) changes.activities = values.activities || [];
      return api("POST", `/api/v1/visits/${q(v.id)}/corrections`, changes, { idempotencyKey: key });
    }, { done: (v) => afterAction("已保存更正。", v) });

    bindForm($("#void-form"), (values, form, key) =>
      api("POST", `/api/v1/visits/${q(state.selected.id)}/void`, values, { idempotencyKey: key }),
    { done: (v) => afterAction("已作废该走访。", v) });

    bindForm($("#confirm-form"), (values, form, key) => {
      if (values.confirmed === false) delete values.leader_met_confirmed;
      return api("POST", `/api/v1/visits/${q(state.selected.id)}/confirmation`, values, { idempotencyKey: key });
    }, { done: (v) => afterAction(v.status === "disputed" ? "已提出异议。" : "已确认该走访。", v) });

    $("#act-close").addEventListener("click", () => { $("#act").hidden = true; });
    await refresh();
    if (location.hash === "#log") $("#log-date").focus();
  },
});

async function afterAction(message, visit) {
  fresh.remember(visit);
  $("#act").hidden = true;
  await refresh();
  pageStatus(message, "ok");
  $("#page-status").scrollIntoView({ block: "nearest" });
}
