// The pages' shared code: the session (bearer token in sessionStorage), calls to
// the public API, forms that show the API's errors next to the field it names,
// and the header every page has. No framework: DOM APIs only, text is always
// set with textContent (never innerHTML), so nothing a user typed runs as code.

import { ROLE_NAMES, label } from "./labels.js";

const SESSION_KEY = "rps.session";
let configPromise = null;

// -- session ---------------------------------------------------------------------------

export function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      Array.from(atob(part + "===".slice((part.length + 3) % 4)), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join("")
    );
    return JSON.parse(json);
  } catch (e) {
    return {};
  }
}

export function session() {
  let data = null;
  try {
    data = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch (e) {
    data = null;
  }
  if (!data || !data.token) return null;
  if (data.exp && data.exp * 1000 < Date.now()) {
    sessionStorage.removeItem(SESSION_KEY);
    return null;
  }
  return data;
}

// The token's own claims decide the role and scope shown; the API checks them again on every call.
export function signIn(token, extra = {}) {
  const claims = decodeClaims(token);
  const data = {
    token,
    role: claims.role || extra.role,
    subject: claims.sub || extra.subject,
    group: claims.group || extra.group || null,
    district: claims.district || extra.district || null,
    government: claims.government || extra.government || null,
    exp: claims.exp || null,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(data));
  return data;
}

export function signOut() {
  sessionStorage.removeItem(SESSION_KEY);
}

export function config() {
  if (!configPromise) {
    configPromise = fetch("/web/config.json", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}));
  }
  return configPromise;
}

// -- calling the API --------------------------------------------------------------------

const NETWORK_ERROR = { code: "network", message: "网络连接失败，未能确认是否已保存；请检查网络后重试" };

// api("POST", "/api/v1/visits", body) -> {ok, status, data, error, response}
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: opts.accept || "application/json" };
  const s = session();
  if (s && opts.auth !== false) headers.Authorization = "Bearer " + s.token;
  if (body !== undefined && body !== null) headers["Content-Type"] = "application/json";
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body !== undefined && body !== null ? JSON.stringify(body) : undefined,
      credentials: "omit",
      cache: "no-store",
    });
  } catch (e) {
    return { ok: false, status: 0, data: null, error: NETWORK_ERROR, response: null };
  }
  const type = response.headers.get("Content-Type") || "";
  let data = null;
  if (opts.as === "blob" && response.ok) data = await response.blob();
  else if (opts.as === "text" && response.ok) data = await response.text();
  else if (type.includes("json")) data = await response.json().catch(() => null);
  else data = await response.text().catch(() => null);
  let error = null;
  if (!response.ok) {
    error = (data && data.error) || { code: "http_" + response.status, message: "请求未完成" };
    error = { ...error, status: response.status };
  }
  return { ok: response.ok, status: response.status, data, error, response };
}

// A refusal as a sentence in plain words (issue 16): what the refusal means, the API's own
// message, then the rule by its short name (its id after it, for those who look it up).
export function describeError(error) {
  if (!error) return "";
  const what = {
    400: "请求内容有误",
    401: "需要重新登录",
    403: "无权访问",
    404: "未找到",
    409: "与当前状态冲突",
    422: "不符合业务规则",
    429: "操作过于频繁，请稍后再试",
    503: "服务暂时不可用",
  }[error.status];
  const parts = [];
  if (what) parts.push(what);
  // The API starts a message with the field's code ("days：…"); the page shows the field by its label instead.
  parts.push(String(error.message ?? "").replace(FIELD_PREFIX, ""));
  const sentence = parts.join("：");
  return error.rule ? `${sentence}（依据：${ruleName(error.rule)}）` : sentence;
}

const FIELD_PREFIX = /^[A-Za-z_][A-Za-z0-9_.]*\s*[：:]\s*/;

// A rule by its short name, its id after it: "到访登记 R-VIS-1".
export function ruleName(rule) {
  const name = label("rule", rule);
  return name === rule ? rule : `${name} ${rule}`;
}

// -- building the page --------------------------------------------------------------------

// R-SEC-3: free text keeps the bidirectional controls a person typed (U+202A–202E, U+2066–2069);
// shown in a <bdi>, they cannot reorder the labels and text around it.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

export function textNode(value) {
  const text = String(value);
  if (!BIDI_CONTROLS.test(text)) return document.createTextNode(text);
  const isolated = document.createElement("bdi");
  isolated.textContent = text;
  return isolated;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.replaceChildren(textNode(value));
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  // Any depth: a cell's value may be [badge, [" ", badge]] (issue 16: flat() left "[object HTMLSpanElement]").
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : textNode(child));
  }
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

// A status region: role="status" for news, role="alert" (read out at once) for refusals.
export function setStatus(region, message, kind = "info") {
  if (!region) return;
  region.textContent = message || "";
  region.className = (region.classList.contains("form-status") ? "form-status" : "page-status") + (message ? ` is-${kind}` : "");
  region.setAttribute("role", kind === "error" ? "alert" : "status");
}

export function pageStatus(message, kind = "info") {
  setStatus(document.getElementById("page-status"), message, kind);
}

export function showApiError(region, error) {
  setStatus(region, describeError(error), "error");
}

export function badge(text, kind = "info") {
  return el("span", { class: `badge ${kind}` }, text);
}

export function facts(pairs) {
  const dl = el("dl", { class: "facts" });
  for (const [term, value] of pairs) {
    if (value === undefined) continue;
    dl.append(el("dt", {}, term), el("dd", {}, value === null || value === "" ? "—" : value));
  }
  return dl;
}

// columns: [{label, value(row) -> string|Node, num}]
// On a phone each row is stacked as a card, every cell after its column's label (data-label,
// style.css), so a column is never squeezed to one character a line (issue 16); the roles keep
// it a table for screen readers once its display is no longer a table's.
export function table({ caption, columns, rows, empty = "暂无记录", onRow }) {
  if (!rows || rows.length === 0) return el("p", { class: "muted" }, empty);
  const head = el("tr", { role: "row" }, columns.map((c) => el("th", { scope: "col", role: "columnheader", class: c.num ? "num" : null }, c.label)));
  const body = rows.map((row) => {
    const tr = el("tr", { role: "row" }, columns.map((c) =>
      el("td", { role: "cell", class: c.num ? "num" : null, dataset: { label: c.label } }, c.value(row) ?? "—")));
    if (onRow) onRow(tr, row);
    return tr;
  });
  return el("div", { class: "table-wrap" }, el("table", { role: "table" }, caption ? el("caption", {}, caption) : null,
    el("thead", { role: "rowgroup" }, head), el("tbody", { role: "rowgroup" }, body)));
}

export function bar(value, total) {
  const ratio = total > 0 ? Math.max(0, Math.min(1, value / total)) : 0;
  return el("div", { class: "meter", "aria-hidden": "true" },
    el("span", { class: value < total ? "short" : null, style: `width:${(ratio * 100).toFixed(1)}%` }));
}

// Names clerks know for the organisation's codes (issue 16): governments, districts, groups (by
// the district they serve) and planners, read once per page from the API's lists.
let namesPromise = null;

export function names() {
  if (!namesPromise) {
    namesPromise = Promise.all(["governments", "districts", "groups", "planners"].map((what) => api("GET", `/api/v1/${what}?limit=200`)))
      .then(([governments, districts, groups, planners]) => {
        const items = (r) => (r.ok ? r.data.items : []);
        const map = new Map();
        for (const g of items(governments)) map.set(`government:${g.code}`, g.name);
        for (const d of items(districts)) map.set(`district:${d.code}`, d.name);
        for (const g of items(groups)) map.set(`group:${g.code}`, `${map.get(`district:${g.district}`) || g.district}小组`);
        for (const p of items(planners)) map.set(`planner:${p.id}`, p.name);
        // name("district", "d-gulou") -> "古楼街道"; a code it does not know stays as it is.
        return (kind, code) => (code === null || code === undefined || code === "" ? "—" : map.get(`${kind}:${code}`) || code);
      });
  }
  return namesPromise;
}

export function fillSelect(select, items, { value = (x) => x.code, text = (x) => x.name, blank = null, selected } = {}) {
  const keep = selected ?? select.value;
  select.replaceChildren();
  if (blank !== null) select.append(el("option", { value: "" }, blank));
  for (const item of items) select.append(el("option", { value: value(item) }, text(item)));
  if (keep) select.value = keep;
}

export function fillDatalist(list, items, { value = (x) => x.code, text = (x) => x.name } = {}) {
  list.replaceChildren(...items.map((item) => el("option", { value: value(item) }, text(item))));
}

// -- dates, in Asia/Shanghai as every business date of the system ----------------------------

export function localToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

export async function today() {
  const c = await config();
  return c.today || localToday();
}

// A period as clerks say it (issue 16): "2026-12" 2026年12月, "2026-Q4" 2026年第四季度,
// "2026-H2" 2026年下半年, service year "2025" 2025年6月至2026年5月服务年度 (the reports' year,
// R-VIS-4); anything else as given. kind: monthly | quarterly | half-yearly | annual.
export function periodName(kind, period) {
  const text = String(period ?? "").trim();
  let m;
  if ((m = /^(\d{4})-(\d{2})$/.exec(text))) return `${m[1]}年${Number(m[2])}月`;
  if ((m = /^(\d{4})-?Q([1-4])$/i.exec(text))) return `${m[1]}年第${"一二三四"[m[2] - 1]}季度`;
  if ((m = /^(\d{4})-?H([12])$/i.exec(text))) return `${m[1]}年${m[2] === "1" ? "上" : "下"}半年`;
  if ((m = /^(\d{4})$/.exec(text)) && (!kind || kind === "annual")) return `${m[1]}年6月至${Number(m[1]) + 1}年5月服务年度`;
  return text;
}

export function fen(value) {
  if (value === null || value === undefined) return "—";
  return (Number(value) / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " 元";
}

export function days(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} 天`;
}

// A rate or an exact fraction ("0.7273", "3/11", "1") as a percentage: "72.7%" (issue 16).
export function percent(value) {
  if (value === null || value === undefined || value === "") return "—";
  const [top, bottom = "1"] = String(value).split("/");
  const ratio = Number(top) / Number(bottom);
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1).replace(/\.0$/, "")}%` : String(value);
}

export function yesNo(value) {
  return value === null || value === undefined ? "—" : value ? "是" : "否";
}

// -- forms ------------------------------------------------------------------------------

// The form's values as a JSON body: data-type="bool|number|int|fen|list" converts; several
// checkboxes with one name make an array; "point.lat" nests; empty fields are left out.
export function formValues(form) {
  const body = {};
  const set = (name, value) => {
    const path = name.split(".");
    let target = body;
    while (path.length > 1) {
      const key = path.shift();
      target = target[key] = target[key] || {};
    }
    target[path[0]] = value;
  };
  const names = new Set($$("[name]", form).filter((c) => !c.disabled && c.name && !c.closest("[hidden]")).map((c) => c.name));
  for (const name of names) {
    const controls = $$(`[name="${CSS.escape(name)}"]`, form).filter((c) => !c.disabled);
    const first = controls[0];
    const type = first.dataset.type;
    if (first.type === "checkbox" && type === "bool") {
      set(name, first.checked);
    } else if (first.type === "checkbox") {
      set(name, controls.filter((c) => c.checked).map((c) => c.value));
    } else if (first.type === "radio") {
      const chosen = controls.find((c) => c.checked);
      if (chosen) set(name, type === "bool" ? chosen.value === "true" : chosen.value);
    } else {
      const raw = first.value.trim();
      if (raw === "") continue;
      if (type === "number") set(name, Number.isNaN(Number(raw)) ? raw : Number(raw));
      else if (type === "int") set(name, /^-?\d+$/.test(raw) ? parseInt(raw, 10) : raw);
      else if (type === "fen") set(name, /^\d+(\.\d{1,2})?$/.test(raw) ? Math.round(Number(raw) * 100) : raw); // yuan typed, fen sent
      else if (type === "list") set(name, raw.split(/[,，、\n]/).map((x) => x.trim()).filter(Boolean));
      else set(name, raw);
    }
  }
  return body;
}

export function clearErrors(form) {
  for (const node of $$(".field-error", form)) node.remove();
  for (const node of $$("[aria-invalid]", form)) {
    node.removeAttribute("aria-invalid");
    const ids = (node.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.startsWith("err-"));
    if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
    else node.removeAttribute("aria-describedby");
  }
  setStatus($(".form-status", form), "");
}

// The control an error.field names: "point.lat" -> point.lat or point; "recommendations.0" -> recommendations.
function controlFor(form, field) {
  if (!field) return null;
  const candidates = [field];
  const parts = field.split(".");
  for (let i = parts.length - 1; i > 0; i--) candidates.push(parts.slice(0, i).join("."));
  for (const name of candidates) {
    const control = $(`[name="${CSS.escape(name)}"]`, form) || $(`[data-field="${CSS.escape(name)}"]`, form);
    if (control && !control.closest("[hidden]")) return control;
  }
  return null;
}

let errorSerial = 0;

// Show an API error: next to the field it names, else at the top of the form.
export function showErrors(form, error) {
  const control = controlFor(form, error.field);
  const message = describeError(error);
  if (!control) {
    showApiError($(".form-status", form), error);
    $(".form-status", form)?.focus?.();
    return;
  }
  const holder = control.closest(".field, fieldset") || control.parentElement;
  const id = `err-${++errorSerial}`;
  const note = el("p", { class: "field-error", id, dataset: { field: error.field } }, message);
  const legend = holder.tagName === "FIELDSET" ? $("legend", holder) : null;
  if (legend) legend.after(note);
  else holder.append(note);
  const targets = holder.tagName === "FIELDSET" ? $$("input, select, textarea", holder) : [control];
  for (const target of targets) {
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", [target.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
  }
  const named = (control.id && $(`label[for="${CSS.escape(control.id)}"]`, form)) || (legend || $("legend", holder));
  const shown = named ? `「${named.textContent.trim()}」` : "";
  setStatus($(".form-status", form), `请更正标出的字段${shown}：${message}`, "error");
  (targets[0] || control).focus();
}

// bindForm(form, async (values, form) => api(...), {done}) — one submission at a time; an
// Idempotency-Key per attempt, kept for a retry only when no answer came back (network).
export function bindForm(form, submit, { done, success } = {}) {
  form.setAttribute("novalidate", "");
  if (!$(".form-status", form)) form.prepend(el("div", { class: "form-status", tabindex: "-1", "aria-live": "polite" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter || $("button[type=submit], button:not([type])", form);
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    if (button) button.disabled = true;
    clearErrors(form);
    if (!form.dataset.idem) form.dataset.idem = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    try {
      const result = await submit(formValues(form), form, form.dataset.idem);
      if (result && result.status !== 0) delete form.dataset.idem;
      if (result && !result.ok) {
        showErrors(form, result.error);
      } else if (result) {
        if (success) setStatus($(".form-status", form), typeof success === "function" ? success(result.data) : success, "ok");
        if (done) await done(result.data, form);
      }
    } finally {
      delete form.dataset.busy;
      if (button) button.disabled = false;
    }
  });
}

// -- the frame every page has ---------------------------------------------------------------

const NAV = {
  planner: [["index.html", "首页"], ["visits.html", "走访"], ["compliance.html", "履职情况"], ["opinions.html", "公众意见"],
    ["recommendations.html", "意见建议"], ["consultations.html", "技术咨询"], ["paperwork.html", "总结与评价"]],
  subdistrict: [["index.html", "首页"], ["visits.html", "走访确认"], ["compliance.html", "履职情况"],
    ["recommendations.html", "意见建议"], ["consultations.html", "技术咨询"], ["opinions.html", "公众意见"], ["overdue.html", "逾期事项"]],
  government: [["index.html", "首页"], ["letters.html", "函件"], ["recommendations.html", "意见建议"], ["opinions.html", "公众意见"],
    ["consultations.html", "技术咨询"], ["visits.html", "走访"], ["overdue.html", "逾期事项"], ["paperwork.html", "年度总结"]],
  bureau: [["index.html", "首页"], ["organisation.html", "组织"], ["visits.html", "走访"], ["opinions.html", "公众意见"], ["recommendations.html", "意见建议"],
    ["letters.html", "函件"], ["settlements.html", "结算"], ["reports.html", "报告"], ["overdue.html", "逾期事项"],
    ["audit.html", "审计"]],
  committee: [["index.html", "首页"], ["reports.html", "报告"], ["organisation.html", "组织"], ["compliance.html", "履职情况"]],
  operator: [["index.html", "首页"]],
};

function header(s) {
  const here = location.pathname.split("/").pop() || "index.html";
  const items = s ? NAV[s.role] || NAV.operator : [["index.html", "首页"], ["follow.html", "提交与查询意见"]];
  const nav = el("nav", { class: "site-nav", "aria-label": "主导航" },
    el("ul", {}, items.map(([href, text]) => el("li", {}, el("a", { href: `/web/${href}`, "aria-current": href === here ? "page" : null }, text)))));
  const who = el("div", { class: "who" });
  if (s) {
    const [kind, scope] = s.group ? ["group", s.group] : s.district ? ["district", s.district] : ["government", s.government];
    const shown = el("span", {}, scope ? "·" + scope : "");
    // Issue 16: the scope by its name once the names are read.
    if (scope) names().then((name) => { shown.textContent = "·" + name(kind, scope); });
    who.append(`${ROLE_NAMES[s.role] || s.role}`, shown, "　",
      el("button", { type: "button", class: "link", onclick: () => { signOut(); location.href = "/web/index.html"; } }, "退出"));
  } else {
    who.append(el("a", { href: "/web/signin.html", style: "color:inherit" }, "登录"));
  }
  const bar = el("div", { class: "bar" }, el("a", { class: "brand", href: "/web/index.html" }, "责任规划师制度管理系统"), who);
  return [el("div", { class: "site-header" }, bar), nav];
}

// Hide what is not for this role: data-roles="planner bureau" on any element.
export function applyRoles(role, root = document) {
  for (const node of $$("[data-roles]", root)) {
    node.hidden = !node.dataset.roles.split(/\s+/).includes(role || "anonymous");
  }
}

// page({roles, init}): the header, the role's sections, then init({session, config}).
export async function page({ roles = null, init }) {
  const s = session();
  const slot = document.getElementById("site-header");
  if (slot) slot.replaceChildren(...header(s));
  applyRoles(s ? s.role : "anonymous");
  if (roles && !s) {
    const next = encodeURIComponent(location.pathname + location.search);
    pageStatus("", "info");
    const status = document.getElementById("page-status");
    status.replaceChildren("请先登录。", el("a", { href: `/web/signin.html?next=${next}` }, "前往登录"));
    status.className = "page-status is-info";
    for (const node of $$("main > section, main > .cards")) node.hidden = true;
    document.body.dataset.ready = "true";
    return;
  }
  if (roles && !roles.includes(s.role)) {
    pageStatus(`无权访问：角色「${ROLE_NAMES[s.role] || s.role}」不使用此页面`, "error");
    for (const node of $$("main > section, main > .cards")) node.hidden = true;
    document.body.dataset.ready = "true";
    return;
  }
  try {
    await init({ session: s, config: await config() });
  } catch (e) {
    pageStatus("页面出错：" + (e && e.message ? e.message : e), "error");
    throw e;
  } finally {
    document.body.dataset.ready = "true";
  }
}

// Download a file the API answers only with a token: fetched, then saved from a blob.
export async function download(path, fallbackName) {
  const result = await api("GET", path, null, { as: "blob", accept: "*/*" });
  if (!result.ok) return result;
  const disposition = result.response.headers.get("Content-Disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  const url = URL.createObjectURL(result.data);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(url); link.remove(); }, 30000);
  return { ...result, filename: name };
}

export { label };

// Read your own writes: lists come from read models that follow the events a moment
// later, so the rows this page has just changed are shown as the command answered them
// (until the list itself carries that version or a later one).
export class Fresh {
  constructor(key = "id") {
    this.key = key;
    this.items = new Map();
  }

  remember(item) {
    if (item && item[this.key]) this.items.set(item[this.key], item);
    return item;
  }

  merge(rows, include = () => true) {
    const seen = new Set();
    const merged = rows.map((row) => {
      seen.add(row[this.key]);
      const mine = this.items.get(row[this.key]);
      return mine && !(row.version > mine.version) ? { ...row, ...mine } : row;
    });
    for (const [key, item] of this.items) if (!seen.has(key) && include(item)) merged.unshift(item);
    return merged;
  }
}
