// Publicity, work summaries, ratings and annual summaries (R-PUB-1, R-EVA-2, R-EVA-3).
import { $, $$, api, bindForm, page, today } from "./app.js";

page({
  roles: ["planner", "government"],
  init: async ({ session }) => {
    const now = await today();
    const year = String(Number(now.slice(0, 4)) - (Number(now.slice(5, 7)) < 6 ? 1 : 0));
    $("#pub-date").value = now;
    for (const id of ["#rt-year", "#as-year"]) $(id).value = year;
    $("#ws-period").value = `${now.slice(0, 4)}-H${Number(now.slice(5, 7)) <= 6 ? 1 : 2}`;
    if (session.role === "government") $("#as-kind").value = "implementation";
    for (const form of $$("form[data-path]")) {
      bindForm(form, (values, f, key) => {
        if (session.role === "planner") values.group = session.group;
        if (session.role === "government") values.government = session.government;
        if (form.id === "ws-form" && values.highlights) values.highlights = values.highlights.split("\n").map((x) => x.trim()).filter(Boolean);
        if (values.scores) for (const k of Object.keys(values.scores)) values.scores[k] = Number(values.scores[k]);
        return api("POST", form.dataset.path, values, { idempotencyKey: key });
      }, { success: "已保存。" });
    }
  },
});
