// Overdue lists (R-REC-3, R-OPN-2, R-CSL-1): the lists' own overdue=true filter, each
// held by the API to the caller's scope; a list the role may not read says so.
import { $, api, badge, describeError, el, label, names, page, table } from "./app.js";

const q = encodeURIComponent;

async function list(target, path, columns, extra) {
  const result = await api("GET", `${path}?overdue=true&limit=200${extra || ""}`);
  $(target).replaceChildren(result.ok
    ? table({ rows: result.data.items, columns, empty: "没有逾期事项", caption: `${result.data.items.length} 项` })
    : el("p", { class: "page-status is-error", role: "alert" }, describeError(result.error)));
}

page({
  roles: ["bureau", "government", "subdistrict", "planner"],
  init: async ({ session }) => {
    const name = await names(); // issue 16: names, not codes
    const planner = session.role === "planner" && session.district ? `&district=${q(session.district)}` : "";
    await Promise.all([
      list("#rec-body", "/api/v1/recommendations", [
        { label: "标题", value: (r) => el("a", { href: `/web/recommendations.html?id=${q(r.id)}` }, r.title) },
        { label: "区政府（管委会）", value: (r) => name("government", r.government) }, { label: "镇街", value: (r) => name("district", r.district) },
        { label: "函号", value: (r) => r.letter_no }, { label: "期限", value: (r) => r.due_date },
        { label: "状态", value: (r) => label("recStatus", r.status) },
        { label: "逾期", num: true, value: (r) => badge(`${r.overdue_days} 天`, "bad") },
      ]),
      list("#op-body", "/api/v1/opinions", [
        { label: "编号", value: (o) => o.ref }, { label: "镇街", value: (o) => (o.district ? name("district", o.district) : "待分派") },
        { label: "类别", value: (o) => label("category", o.category) }, { label: "日期", value: (o) => o.date },
        { label: "答复期限", value: (o) => o.due_date }, { label: "状态", value: (o) => label("opinionStatus", o.status) },
      ], planner),
      list("#csl-body", "/api/v1/consultations", [
        { label: "事项", value: (c) => c.subject || label("kind", c.kind) }, { label: "小组", value: (c) => name("group", c.group) },
        { label: "期限", value: (c) => c.due_date }, { label: "逾期", num: true, value: (c) => badge(`${c.overdue_days} 天`, "bad") },
      ]),
    ]);
  },
});
