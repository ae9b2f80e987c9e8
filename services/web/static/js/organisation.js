// The organisation (R-ORG-*, R-CON-*): governments, districts, contracts, planners,
// groups and replacements. Every staff role reads it; only the bureau changes it.
import { $, api, badge, bindForm, describeError, el, fen, fillSelect, label, page, pageStatus, table, today } from "./app.js";

const q = encodeURIComponent;

function refusal(error) {
  return el("p", { class: "page-status is-error", role: "alert" }, describeError(error));
}

// Issue 16: who serves where, the contracts' and groups' states, all as of one date (the page's
// "today": the data's date when the system shows a past year), so the tree and the lists agree.
async function loadTree(on, names) {
  const result = await api("GET", `/api/v1/organisation?date=${q(on)}`);
  if (!result.ok) return $("#tree").replaceChildren(refusal(result.error));
  const governments = result.data.governments || [];
  $("#tree").replaceChildren(el("p", { class: "muted" }, `${result.data.date || on} 的在岗情况`), governments.length ? el("ul", {}, governments.map((g) => el("li", {},
    el("strong", {}, `${g.name}（${g.code}）`), " ", label("governmentKind", g.kind),
    g.leader || g.contact ? el("span", { class: "muted" }, `　分管领导 ${g.leader || "—"}，联系人 ${g.contact || "—"}`) : null,
    el("ul", {}, (g.districts || []).map((d) => el("li", {},
      `${d.name}（${d.code}）`, " ", (d.types || []).map((t) => badge(label("districtType", t), "info")),
      d.group ? el("span", {}, `　小组 ${d.group.code}：${(d.group.planners || []).map((p) => `${names.get(p.planner) || p.planner}（${label("origin", p.origin)}）`).join("、")}`)
        : el("span", { class: "muted" }, "　尚未组建小组"))))))) : el("p", { class: "muted" }, "尚未登记区政府（管委会）"));
  return result.data;
}

// A contract's state on a date: ended early, term over, not begun, or in force.
function contractState(c, on) {
  if (c.ended_on && c.ended_on <= on) return ["已终止", "warn"];
  if (c.end_date && c.end_date < on) return ["已期满", "warn"];
  if (c.start_date > on) return ["未开始", "info"];
  return ["履行中", "ok"];
}

// A group's state on a date: in post only while its own dates and its contract's term cover it.
function groupState(g, contract, on) {
  if (g.end_date && g.end_date < on) return "已结束";
  if (g.from_date > on) return "未到岗";
  if (contract && contractState(contract, on)[0] !== "履行中") return `不在岗（合同${contractState(contract, on)[0]}）`;
  return "在岗";
}

async function loadLists(on) {
  const [contracts, planners, groups, districts] = await Promise.all([
    api("GET", "/api/v1/contracts?limit=200"), api("GET", "/api/v1/planners?limit=200"), api("GET", "/api/v1/groups?limit=200"),
    api("GET", "/api/v1/districts?limit=200"),
  ]);
  const places = new Map(districts.ok ? districts.data.items.map((d) => [d.code, d.name]) : []);
  const byContract = new Map(contracts.ok ? contracts.data.items.map((c) => [c.id, c]) : []);
  const names = new Map(planners.ok ? planners.data.items.map((p) => [p.id, p.name]) : []);
  $("#contracts").replaceChildren(contracts.ok ? table({
    rows: contracts.data.items,
    columns: [
      { label: "编号", value: (c) => c.id }, { label: "团队", value: (c) => c.team },
      { label: "期限", value: (c) => `${c.start_date} 至 ${c.end_date}（第 ${c.term} 期）` },
      { label: "每组年服务费", num: true, value: (c) => fen(c.annual_fee_fen) },
      { label: "扣减规则", value: (c) => label("deductionRule", c.deduction_rule) },
      { label: "签订日期", value: (c) => c.signed_on },
      { label: "合同条款", value: contractTerms },
      { label: "状态", value: (c) => badge(...contractState(c, on)) },
    ],
  }) : refusal(contracts.error));
  $("#planners").replaceChildren(planners.ok ? table({
    rows: planners.data.items,
    columns: [
      { label: "编号", value: (p) => p.id }, { label: "姓名", value: (p) => p.name },
      { label: "来源", value: (p) => label("origin", p.origin) },
      { label: "资格", value: (p) => (p.qualifications || []).map((x) => label("qualification", x)).join("、") },
      { label: "社区更新经验", value: renewal },
      { label: "小组", value: (p) => p.group }, { label: "状态", value: (p) => (p.status === "active" ? "在聘" : "已解聘") },
    ],
  }) : refusal(planners.error));
  $("#groups").replaceChildren(groups.ok ? table({
    rows: groups.data.items,
    columns: [
      { label: "代码", value: (g) => el("a", { href: `/web/compliance.html?group=${q(g.code)}` }, g.code) },
      { label: "镇街（园区）", value: (g) => places.get(g.district) || g.district }, { label: "合同", value: (g) => g.contract },
      { label: "规划师", value: (g) => (g.planners || []).map((p) => names.get(p) || p).join("、") },
      { label: "起始", value: (g) => g.from_date }, { label: "状态", value: (g) => groupState(g, byContract.get(g.contract), on) },
    ],
  }) : refusal(groups.error));
  return { contracts, groups, names };
}

// R-CON-1 (amended): the policy's terms, each a separate field of the contract.
const TERMS = [["content", "工作内容"], ["standards", "工作标准"], ["depth", "工作深度"], ["period", "工作周期"],
  ["hours", "工作时间"], ["funding", "工作经费"], ["rights_obligations", "权利义务"]];

function contractTerms(c) {
  const terms = c.terms || {};
  return el("details", {}, el("summary", {}, "查看"),
    el("dl", { class: "facts" }, TERMS.flatMap(([key, name]) => [el("dt", {}, name), el("dd", {}, terms[key] || "未约定")])));
}

// R-ORG-5: community-renewal experience is preferred; the API lists such planners first.
function renewal(p) {
  return p.community_renewal ? badge("有（优先）", "ok") : "无";
}

// Where the bureau forms a group or swaps a planner in: the candidates (active, in no group),
// those with community-renewal experience first.
async function loadCandidates() {
  const result = await api("GET", "/api/v1/planners?available=true&limit=200");
  let box = $("#candidates");
  if (!box) {
    box = el("section", { class: "card", id: "candidates", "aria-labelledby": "candidates-title" });
    $("#replace-form").closest("details").after(box);
  }
  let list = $("#planner-candidates");
  if (!list) {
    list = el("datalist", { id: "planner-candidates" });
    document.body.append(list);
    $("#rp-in").setAttribute("list", "planner-candidates");
  }
  if (!result.ok) return box.replaceChildren(refusal(result.error));
  const rows = result.data.items;
  list.replaceChildren(...rows.map((p) => el("option", { value: p.id },
    `${p.name}（${label("origin", p.origin)}${p.community_renewal ? "，有社区更新经验·优先" : ""}）`)));
  box.replaceChildren(el("h2", { id: "candidates-title" }, "可聘入小组的规划师（有社区更新经验者优先）"), table({
    rows,
    empty: "暂无未在小组的在聘规划师",
    columns: [
      { label: "编号", value: (p) => p.id }, { label: "姓名", value: (p) => p.name },
      { label: "来源", value: (p) => label("origin", p.origin) },
      { label: "资格", value: (p) => (p.qualifications || []).map((x) => label("qualification", x)).join("、") },
      { label: "社区更新经验", value: renewal },
      { label: "从业年限", num: true, value: (p) => p.experience_years },
    ],
  }));
}

async function refresh() {
  const on = await today();
  const { contracts, groups, names } = await loadLists(on);
  const org = await loadTree(on, names);
  if (!org) return;
  const governments = org.governments || [];
  fillSelect($("#d-government"), governments, { text: (g) => `${g.name}（${g.code}）` });
  fillSelect($("#gr-district"), governments.flatMap((g) => g.districts || []), { text: (d) => `${d.name}（${d.code}）` });
  if (contracts.ok) fillSelect($("#gr-contract"), contracts.data.items, { value: (c) => c.id, text: (c) => `${c.id}（${c.team}）` });
  if (groups.ok) fillSelect($("#rp-group"), groups.data.items, { text: (g) => `${g.code}（${g.district}）` });
  if ($("#replace-form")) await loadCandidates();
}

function bindCreate(form, path, message) {
  bindForm(form, (values, f, key) => api("POST", path, values, { idempotencyKey: key }), {
    success: message,
    done: async (data, f) => { f.reset(); await refresh(); },
  });
}

page({
  roles: ["bureau", "committee", "planner", "subdistrict", "government"],
  init: async ({ session }) => {
    if (session.role === "bureau") {
      const now = await today();
      $("#rp-date").value = now;
      bindCreate($("#gov-form"), "/api/v1/governments", (g) => `已登记 ${g.name}。`);
      bindCreate($("#district-form"), "/api/v1/districts", (d) => `已登记 ${d.name}。`);
      bindCreate($("#contract-form"), "/api/v1/contracts", (c) => `已签订合同 ${c.id}（${c.start_date} 至 ${c.end_date}）。`);
      bindCreate($("#planner-form"), "/api/v1/planners", (p) => `已聘任 ${p.name}（${p.id}）。`);
      bindCreate($("#group-form"), "/api/v1/groups", (g) => `已组建小组 ${g.code}。`);
      bindForm($("#replace-form"), (values, f, key) => {
        const group = values.group;
        delete values.group;
        return api("POST", `/api/v1/groups/${q(group || "")}/replacements`, values, { idempotencyKey: key });
      }, { success: (g) => `已更换小组 ${g.code} 的规划师。`, done: async () => refresh() });
    }
    await refresh();
    if (session.role !== "bureau") pageStatus("组织架构为公开的组织信息；登记和变更由市自然资源和规划局办理。", "info");
  },
});
