// A group's month and service year against the requirement (R-VIS-2..5), as the API
// computes them; a group outside the caller's scope is refused by the API (403) and
// the refusal is shown as it is.
import { $, api, bindForm, describeError, el, fillSelect, names, page, param, periodName, today } from "./app.js";
import { monthView, yearView } from "./views.js";

const q = encodeURIComponent;
let name = (kind, code) => code; // issue 16: names, not codes (set in init)

function refusal(error) {
  return el("p", { class: "page-status is-error", role: "alert", id: "refusal" }, describeError(error));
}

async function show(group, period) {
  $("#month-title").textContent = `${periodName("monthly", period)}履职（${name("group", group)}）`;
  const month = await api("GET", `/api/v1/compliance/${q(group)}/${q(period)}`);
  if (!month.ok) {
    $("#month-body").replaceChildren(refusal(month.error));
    $("#year").hidden = true;
    return month;
  }
  $("#year").hidden = false;
  $("#month-body").replaceChildren(monthView(month.data, name));
  const year = month.data.service_year;
  $("#year-title").textContent = `${year} 服务年度`;
  const calendar = await api("GET", `/api/v1/duty-calendar/${q(group)}/${year}`);
  $("#year-body").replaceChildren(calendar.ok ? yearView(calendar.data) : refusal(calendar.error));
  return month;
}

page({
  roles: ["planner", "subdistrict", "government", "bureau", "committee"],
  init: async ({ session }) => {
    name = await names();
    const period = /^\d{4}-\d{2}$/.test(param("month") || "") ? param("month") : (await today()).slice(0, 7);
    let group = param("group") || session.group;
    if (!group && session.role === "subdistrict") {
      const groups = await api("GET", `/api/v1/groups?district=${q(session.district)}`);
      group = groups.ok && groups.data.items[0] ? groups.data.items[0].code : null;
    }
    const filter = session.role === "government" ? `?government=${q(session.government)}`
      : session.role === "subdistrict" ? `?district=${q(session.district)}` : "?limit=200";
    const groups = await api("GET", `/api/v1/groups${filter}`);
    // Issue 16: the group is picked by its name (it was a code typed, with suggestions); a group
    // asked for by the address but not in the list (another group's, refused below) is still shown
    const items = groups.ok ? groups.data.items : [];
    if (group && !items.some((g) => g.code === group)) items.push({ code: group });
    fillSelect($("#pick-group"), items, { text: (g) => name("group", g.code), blank: "请选择小组", selected: group || "" });
    $("#pick-month").value = period;
    bindForm($("#pick-form"), async (values) => {
      if (!values.group) return { ok: false, error: { field: "group", message: "请选择小组" } }; // said here, nothing sent
      history.replaceState(null, "", `?group=${q(values.group)}&month=${values.period || period}`);
      await show(values.group, values.period || period);
      return { ok: true, status: 200 };
    });
    if (group) await show(group, period);
  },
});
