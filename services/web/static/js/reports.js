// The report viewer (R-RPT-1..7): the JSON report summarised with bars, the rendered
// HTML report in a sandboxed frame (no scripts), XLSX/PDF downloads (fetched with the
// token, saved from a blob) and issuing a numbered copy.
import {
  $, api, badge, bar, bindForm, days, describeError, download, el, facts, fen, label, page, param, periodName, setStatus, table, today, yesNo,
} from "./app.js";

const q = encodeURIComponent;
const HINTS = { monthly: "按月", quarterly: "按季度", "half-yearly": "按半年", annual: "按服务年度（6月至次年5月）" };
const state = { kind: "monthly", period: "" };

// Names instead of codes (R-RPT-6): every code the report names somewhere, a group by its sub-district.
function namesOf(report) {
  const names = new Map();
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      if (v.government && v.government_name) names.set(v.government, v.government_name);
      if (v.district && v.district_name) names.set(v.district, v.district_name);
      if (v.group && v.district_name) names.set(v.group, `${v.district_name}小组`);
      Object.values(v).forEach(walk);
    }
  };
  walk(report);
  return names;
}

const nameOf = (names, code) => (code ? names.get(code) || code : "—");

// A message with the codes it quotes replaced by names ("小组 g-gulou" -> 古楼街道小组).
function plain(names, text) {
  let out = String(text ?? "");
  for (const [code, name] of [...names].sort((a, b) => b[0].length - a[0].length)) {
    out = out.replace(new RegExp(`(小组\\s*)?(?<![A-Za-z0-9_-])${code.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_-])\\s?`, "g"),
      (m, group) => (group ? name : name.replace(/小组$/, "")));
  }
  // A technical id quoted in a message means nothing to a reader.
  return out.replace(/\s?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s?/gi, "");
}

const ruleText = (rule) => (rule ? `${rule} ${label("rule", rule)}` : "");
const percent = (v) => (v === null || v === undefined ? "—" : `${(Number(v) * 100).toFixed(1)}%`);
const when = (iso) => (iso ? String(iso).replace("T", " ").slice(0, 16) : undefined);

function defaultPeriod(kind, now) {
  const [y, m] = [Number(now.slice(0, 4)), Number(now.slice(5, 7))];
  if (kind === "monthly") return now.slice(0, 7);
  if (kind === "quarterly") return `${y}-Q${Math.ceil(m / 3)}`;
  if (kind === "half-yearly") return `${y}-H${m <= 6 ? 1 : 2}`;
  return String(m >= 6 ? y : y - 1);
}

// Issue 16: the periods to pick from, newest first (five years back), each with its name in words.
function periods(kind, now) {
  const [y, m] = [Number(now.slice(0, 4)), Number(now.slice(5, 7))];
  const codes = [];
  for (let year = y; year > y - 5; year--) {
    if (kind === "monthly") {
      for (let month = year === y ? m : 12; month >= 1; month--) codes.push(`${year}-${String(month).padStart(2, "0")}`);
    } else if (kind === "quarterly") {
      for (let n = year === y ? Math.ceil(m / 3) : 4; n >= 1; n--) codes.push(`${year}-Q${n}`);
    } else if (kind === "half-yearly") {
      for (let n = year === y ? (m <= 6 ? 1 : 2) : 2; n >= 1; n--) codes.push(`${year}-H${n}`);
    } else if (year < y || m >= 6) {
      codes.push(String(year));
    }
  }
  return codes.map((code) => [code, periodName(kind, code)]);
}

function fillPeriods(kind, now, chosen) {
  const options = periods(kind, now);
  if (chosen && !options.some(([value]) => value === chosen)) options.unshift([chosen, periodName(kind, chosen)]);
  $("#r-period").replaceChildren(...options.map(([value, text]) => el("option", { value }, text)));
  $("#r-period").value = chosen || defaultPeriod(kind, now);
}

function groupsTable(report, names) {
  const groups = report.groups || [];
  const who = { label: "小组（服务镇街）", value: (g) => g.district_name || nameOf(names, g.group) };
  const gov = { label: "区政府（管委会）", value: (g) => g.government_name || nameOf(names, g.government) };
  if (state.kind === "monthly") {
    return table({
      caption: "各小组本月情况",
      rows: groups,
      columns: [
        who, gov,
        { label: "走访", num: true, value: (g) => g.visits }, { label: "本月天数", num: true, value: (g) => days(g.days_in_month) },
        { label: "年度累计 / 应服务", value: (g) => [`${days(g.days_in_service_year)} / ${days(g.required_days_to_date)}`, bar(g.days_in_service_year, g.required_days_to_date)] },
        { label: "到访", value: (g) => (g.duty_month && !g.has_visit ? badge("无走访", "bad") : yesNo(g.has_visit)) },
        { label: "当面交流", value: (g) => yesNo(g.leader_met) }, { label: "待确认", num: true, value: (g) => g.unconfirmed_visits },
      ],
    });
  }
  if (state.kind === "annual") {
    return table({
      caption: "各小组服务年度与结算",
      rows: groups,
      columns: [
        who, gov,
        { label: "服务天数 / 应服务", value: (g) => [`${days(g.days)} / ${days(g.required_days)}`, bar(g.days, g.required_days)] },
        { label: "有走访月 / 履职月", value: (g) => `${g.months_with_visit} / ${g.duty_months}` },
        { label: "应付", num: true, value: (g) => fen(g.fee_fen) }, { label: "扣减", num: true, value: (g) => fen(g.deduction_fen) },
        { label: "实付", num: true, value: (g) => fen(g.payable_fen) },
      ],
    });
  }
  return table({
    caption: "各区政府（管委会）落实建议情况",
    rows: report.governments || [],
    columns: [
      { label: "排名", num: true, value: (g) => (g.rank === null || g.rank === undefined ? "不参与排名" : g.rank) },
      { label: "区政府（管委会）", value: (g) => g.government_name || nameOf(names, g.government) },
      { label: "函告", num: true, value: (g) => g.forwarded }, { label: "完成", num: true, value: (g) => g.completed },
      { label: "落实率", num: true, value: (g) => percent(g.completion_rate) },
      { label: "按期完成率", num: true, value: (g) => percent(g.on_time_rate) },
      { label: "完成用时中位数（天）", num: true, value: (g) => g.median_days_to_complete },
    ],
  });
}

function summary(report) {
  const kind = report.kind || state.kind;
  const warnings = report.warnings || [];
  const findings = report.findings || [];
  const issue = report.issue || null;
  const names = namesOf(report);
  const where = (x) => (x.group || x.district || x.government ? `（${nameOf(names, x.group || x.district || x.government).replace(/小组$/, "")}）` : "");
  // R-RPT-7: a live copy changed since issue does not look like the issued one.
  const issued = !issue ? undefined : issue.changed_since_issue
    ? badge(`实时数据，签发后已变更（与第 ${issue.number} 号签发文本不一致）`, "bad") : `第 ${issue.number} 号`;
  return [
    el("p", { class: "lead" }, report.title || `${label("reportKind", kind)} ${periodName(kind, report.period)}`),
    facts([
      ["报告期", periodName(kind, report.period)], ["截至", report.as_of], ["生成时间", when(report.generated_at)],
      [issue && issue.changed_since_issue ? "文本性质" : "签发号", issued],
    ]),
    warnings.length ? el("ul", { "aria-label": "提示" }, warnings.map((w) => el("li", {}, badge(ruleText(w.rule) || "提示", "warn"), " ", plain(names, w.message), where(w)))) : "",
    findings.length ? [el("h3", {}, `问题（${findings.length}）`), el("ul", {}, findings.map((f) => el("li", {}, badge(ruleText(f.rule) || "问题", "bad"), " ", plain(names, f.message), where(f))))] : "",
    groupsTable(report, names),
  ];
}

async function view(kind, period) {
  state.kind = kind;
  state.period = period;
  const path = `/api/v1/reports/${q(kind)}/${q(period)}`;
  const json = await api("GET", path);
  if (!json.ok) return json;
  $("#summary").hidden = false;
  $("#tools").hidden = false;
  setStatus($("#tools-status"), "");
  $("#summary-title").textContent = `${label("reportKind", kind)} ${periodName(kind, period)}`;
  $("#summary-body").replaceChildren(...summary(json.data).flat());
  $("#document").hidden = false;
  const html = await api("GET", `${path}?format=html`, null, { as: "text", accept: "text/html" });
  if (html.ok) {
    // Sandboxed without allow-scripts: the report's page shows, nothing in it runs (so its
    // same origin, kept for rendering and printing, gives nothing to a script).
    const frame = el("iframe", { class: "report", title: `${label("reportKind", kind)} ${periodName(kind, period)} 正文`, sandbox: "allow-same-origin" });
    frame.srcdoc = html.data;
    $("#document-body").replaceChildren(frame);
  } else {
    $("#document-body").replaceChildren(el("p", { class: "page-status is-error", role: "alert" }, `HTML 正文暂不可用：${describeError(html.error)}`));
  }
  history.replaceState(null, "", `?kind=${kind}&period=${q(period)}`);
  return json;
}

async function fetchFile(fmt) {
  const name = `${state.kind}-${state.period}.${fmt}`;
  setStatus($("#tools-status"), `正在生成 ${fmt.toUpperCase()}…`, "info");
  const result = await download(`/api/v1/reports/${q(state.kind)}/${q(state.period)}?format=${fmt}`, name);
  if (result.ok) {
    setStatus($("#tools-status"), `已下载 ${result.filename}（${Math.round(result.data.size / 1024)} KB）`, "ok");
    document.body.dataset.downloaded = result.filename;
  } else {
    setStatus($("#tools-status"), `下载失败：${describeError(result.error)}`, "error");
  }
}

async function issue() {
  const button = $("#issue");
  button.disabled = true;
  const result = await api("POST", `/api/v1/reports/${q(state.kind)}/${q(state.period)}/issue`, {}, { idempotencyKey: crypto.randomUUID() });
  button.disabled = false;
  if (!result.ok) {
    setStatus($("#tools-status"), `签发失败：${describeError(result.error)}`, "error");
    return;
  }
  const number = result.data.number ?? (result.data.issue && result.data.issue.number);
  setStatus($("#tools-status"), `已签发，报告编号 ${number}。`, "ok");
  document.body.dataset.issued = String(number);
  $("#i-number").value = number ?? "";
}

page({
  roles: ["bureau", "committee"],
  init: async () => {
    const now = await today();
    const kind = param("kind") && HINTS[param("kind")] ? param("kind") : "monthly";
    $("#r-kind").value = kind;
    fillPeriods(kind, now, param("period"));
    $("#r-period-hint").textContent = HINTS[kind];
    $("#r-kind").addEventListener("change", () => {
      const k = $("#r-kind").value;
      $("#r-period-hint").textContent = HINTS[k];
      fillPeriods(k, now);
    });
    bindForm($("#pick-form"), (values) => view(values.kind, values.period || ""));
    $("#dl-xlsx").addEventListener("click", () => fetchFile("xlsx"));
    $("#dl-pdf").addEventListener("click", () => fetchFile("pdf"));
    $("#issue").addEventListener("click", issue);
    bindForm($("#issued-form"), (values) => api("GET", `/api/v1/reports/issued/${q(values.number || "")}`), {
      done: (report) => {
        $("#issued-body").replaceChildren(...summary(report).flat());
      },
    });
    if (param("period")) await view(kind, param("period"));
  },
});
