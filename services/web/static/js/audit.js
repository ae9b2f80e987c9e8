// The audit trail of an item (R-RPT-5): every event with time, actor, role, correlation
// and what it changed, as GET /api/v1/audit/{entity}/{id} answers it.
import { $, api, bindForm, el, label, page, param, table } from "./app.js";

const q = encodeURIComponent;

function value(v) {
  if (v === null || v === undefined) return "—";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function changes(entry) {
  const c = entry.changes;
  if (!c || typeof c !== "object" || !Object.keys(c).length) return "—";
  return el("ul", {}, Object.entries(c).map(([field, change]) => el("li", {},
    change && typeof change === "object" && ("from" in change || "to" in change)
      ? `${field}：${value(change.from)} → ${value(change.to)}` : `${field}：${value(change)}`)));
}

function entriesOf(data) {
  if (Array.isArray(data)) return data;
  for (const key of ["events", "entries", "items", "history", "trail"]) if (Array.isArray(data[key])) return data[key];
  return null;
}

page({
  roles: ["bureau"],
  init: async () => {
    if (param("entity")) $("#a-entity").value = param("entity");
    $("#a-id").value = param("id") || "";
    const form = $("#pick-form");
    bindForm(form, (values) => api("GET", `/api/v1/audit/${q(values.entity)}/${q(values.entity_id || "")}`), {
      done: (data) => {
        const entity = $("#a-entity").value;
        $("#trail").hidden = false;
        $("#trail-title").textContent = `${label("entity", entity)} ${$("#a-id").value} 的记录`;
        const entries = entriesOf(data || {});
        $("#trail-body").replaceChildren(entries ? table({
          caption: `${entries.length} 条记录`,
          rows: entries,
          columns: [
            { label: "时间", value: (e) => e.time },
            { label: "事件", value: (e) => e.type },
            { label: "操作人", value: (e) => e.actor }, { label: "角色", value: (e) => e.actorrole || e.role },
            { label: "关联请求", value: (e) => e.correlationid || e.correlation_id },
            { label: "变化", value: changes },
          ],
        }) : el("pre", { class: "json" }, JSON.stringify(data, null, 2)));
      },
    });
    if (param("id")) form.requestSubmit();
  },
});
