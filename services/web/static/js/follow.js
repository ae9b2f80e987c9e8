// Residents follow their opinion by its reference, without signing in (R-OPN-4): the
// public view only (status, dates, the public reply, the linked recommendation's progress).
import { $, api, bindForm, el, facts, fillSelect, label, page, param } from "./app.js";
import { entries } from "./labels.js";

const q = encodeURIComponent;
const ORDER = ["received", "acknowledged", "answered", "closed"];

function steps(o) {
  const reached = o.status === "escalated" ? ["received", "acknowledged", "escalated"] : ORDER.slice(0, ORDER.indexOf(o.status) + 1);
  const dates = { received: o.date, acknowledged: o.acknowledged_on, answered: o.answered_on, closed: o.closed_on };
  const all = o.status === "escalated" || o.recommendation ? ["received", "acknowledged", "escalated", "closed"] : ORDER;
  return el("ol", { class: "steps", "aria-label": "办理进度" }, all.map((s) => el("li", { class: reached.includes(s) ? "done" : null },
    `${label("opinionStatus", s)}${dates[s] ? "　" + dates[s] : ""}${reached.includes(s) ? "" : "（未到）"}`)));
}

function show(o) {
  $("#result").hidden = false;
  $("#result-title").textContent = `查询编号 ${o.ref}`;
  const rec = o.recommendation;
  $("#result-body").replaceChildren(
    el("p", { class: "lead", id: "follow-status" }, `当前状态：${label("opinionStatus", o.status)}`),
    steps(o),
    facts([
      ["类别", label("category", o.category)], ["镇街（园区）", o.district_name || o.district || "待分派（按您填写的地址确定所属镇街）"], ["提交日期", o.date],
      ["答复期限", o.due_date], ["意见内容", o.public ? o.text : "（未公开）"], ["答复", o.reply || "尚未答复"],
    ]),
    ...(rec ? [el("h3", {}, "转为意见建议后的落实情况"), facts([
      ["建议", rec.title], ["状态", label("recStatus", rec.status)], ["进度", `${rec.percent ?? 0}%`],
      ["办理期限", rec.due_date], ["完成日期", rec.completed_on],
    ])] : []));
}

// Issue 16, R-OPN-1: a resident submits an opinion (category, district, a point or only an address,
// which waits for the bureau to assign its district) and keeps
// the reference shown at the end. The districts come from their public list (code and name,
// no token); when it cannot be read, a point only.
async function districtChoices() {
  const listed = await api("GET", "/api/v1/districts/names", null, { auth: false });
  return listed.ok ? listed.data.items.map((d) => ({ code: d.code, name: d.name })) : [];
}

async function submitForm() {
  const form = $("#submit-form");
  fillSelect($("#s-category"), entries("category"), { blank: "请选择类别" });
  const districts = await districtChoices();
  fillSelect($("#s-district"), districts, { blank: "不选（填写地址或位置）" });
  $("#s-district-field").hidden = districts.length === 0;
  $("#s-locate").hidden = !navigator.geolocation;
  $("#s-locate").addEventListener("click", () => navigator.geolocation.getCurrentPosition((p) => {
    $("#s-lat").value = p.coords.latitude.toFixed(6);
    $("#s-lon").value = p.coords.longitude.toFixed(6);
  }, () => { $("#s-lat").focus(); }));
  // Never the staff token: this is what a resident sends.
  bindForm(form, (values, f, key) => api("POST", "/api/v1/opinions", { channel: "app", ...values }, { auth: false, idempotencyKey: key }), {
    done: (o) => {
      form.reset();
      const box = $("#submitted");
      box.hidden = false;
      box.className = "page-status is-ok";
      box.replaceChildren(
        el("p", {}, "已收到您的意见。您的查询编号是："),
        el("p", { class: "figure", id: "submitted-ref" }, o.ref),
        el("p", {}, "请记下此编号，", el("a", { href: `/web/follow.html?ref=${q(o.ref)}` }, "凭编号查看办理进度"), "。"));
      box.focus();
    },
  });
}

page({
  init: async () => {
    await submitForm();
    const form = $("#ask-form");
    // Never the staff token: this is the public view anyone holding the reference sees.
    bindForm(form, (values) => api("GET", `/api/v1/opinions/${q((values.ref || "").trim())}`, null, { auth: false }), { done: show });
    if (param("ref")) {
      $("#ref").value = param("ref");
      form.requestSubmit();
    }
  },
});
