// Residents follow their opinion by its reference, without signing in (R-OPN-4): the
// public view only (status, dates, the public reply, the linked recommendation's progress).
import { $, api, bindForm, el, facts, label, page, param } from "./app.js";

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
      ["类别", label("category", o.category)], ["镇街（园区）", o.district_name || o.district], ["提交日期", o.date],
      ["答复期限", o.due_date], ["意见内容", o.public ? o.text : "（未公开）"], ["答复", o.reply || "尚未答复"],
    ]),
    ...(rec ? [el("h3", {}, "转为意见建议后的落实情况"), facts([
      ["建议", rec.title], ["状态", label("recStatus", rec.status)], ["进度", `${rec.percent ?? 0}%`],
      ["办理期限", rec.due_date], ["完成日期", rec.completed_on],
    ])] : []));
}

page({
  init: async () => {
    const form = $("#ask-form");
    // Never the staff token: this is the public view anyone holding the reference sees.
    bindForm(form, (values) => api("GET", `/api/v1/opinions/${q((values.ref || "").trim())}`, null, { auth: false }), { done: show });
    if (param("ref")) {
      $("#ref").value = param("ref");
      form.requestSubmit();
    }
  },
});
