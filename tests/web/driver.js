// Drives the web pages in Debian's headless Chromium for tests/e2e/test_web.py.
//
//   node tests/web/driver.js SCENARIO '{"base": "http://127.0.0.1:PORT", "screens": "out/screens", ...}'
//
// Prints one JSON line with what the scenario saw and exits 0, or prints the failure
// (and saves a screenshot of it) and exits 1. Every scenario signs in through the
// development sign-in page and works only through the pages, as a person would.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
];
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 900 } };

const [scenario, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs || "{}");
const errors = [];

function fail(message) {
  throw new Error(message);
}

async function ready(page) {
  await page.waitForSelector("body[data-ready]", { timeout: 15000 });
}

async function open(browser, options = DESKTOP) {
  const context = await browser.newContext({ ...options, locale: "zh-CN", timezoneId: "Asia/Shanghai", acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  return page;
}

async function goto(page, url) {
  await page.goto(args.base + url);
  await ready(page);
}

// The development sign-in page, filled in as a person would.
async function signIn(page, role, scope = {}) {
  await goto(page, `/web/signin.html?role=${role}`);
  await page.selectOption("#role", role);
  for (const name of ["government", "district", "group"]) {
    if (scope[name]) await page.fill(`#${name}`, scope[name]);
  }
  await Promise.all([page.waitForURL(/\/web\/index\.html$/), page.click("#dev-form button[type=submit]")]);
  await ready(page);
}

async function shot(page, name, fullPage = true) {
  fs.mkdirSync(args.screens, { recursive: true });
  const file = path.join(args.screens, name);
  await page.screenshot({ path: file, fullPage });
  return file;
}

async function text(page, selector) {
  return ((await page.textContent(selector)) || "").trim();
}

const SCENARIOS = {
  // A screenshot of each role's home page (and the resident's pages).
  async homes(browser) {
    const files = [];
    const roles = [
      ["planner", { group: args.a.group }], ["subdistrict", { district: args.b.district }],
      ["government", { government: args.a.government }], ["bureau", {}], ["committee", {}], ["operator", {}],
    ];
    for (const [role, scope] of roles) {
      const page = await open(browser);
      await signIn(page, role, scope);
      await page.waitForSelector("#home-body:not(:has(p.muted:only-child))");
      const title = await text(page, "#home-title");
      if (!title.includes("工作台")) fail(`${role}: home title ${title}`);
      files.push(await shot(page, `${role}-home.png`));
      await page.context().close();
    }
    const anonymous = await open(browser);
    await goto(anonymous, "/");
    files.push(await shot(anonymous, "resident-home.png"));
    await goto(anonymous, `/web/follow.html?ref=${encodeURIComponent(args.ref)}`);
    await anonymous.waitForSelector("#follow-status");
    files.push(await shot(anonymous, "resident-follow.png"));
    const phone = await open(browser, PHONE);
    await signIn(phone, "planner", { group: args.a.group });
    files.push(await shot(phone, "planner-home-phone.png"));
    await goto(phone, "/web/visits.html");
    files.push(await shot(phone, "planner-visits-phone.png"));
    return { files };
  },

  // A planner logs a visit on a phone and sees the month update (R-VIS-1, R-VIS-5).
  async plannerVisit(browser) {
    const page = await open(browser, PHONE);
    await signIn(page, "planner", { group: args.a.group });
    await goto(page, "/web/visits.html");
    await page.waitForSelector("#month-view");
    const before = Number(await page.getAttribute("#month-view", "data-days"));
    // A refused value: the API's message shows next to the field it names.
    await page.fill("#log-days", "7");
    await page.click("#log-form button[type=submit]");
    const fieldError = await text(page, "#log-days ~ .field-error, .field:has(#log-days) .field-error");
    const invalid = await page.getAttribute("#log-days", "aria-invalid");
    // Then a valid visit.
    await page.fill("#log-days", "1");
    await page.check(`input[name=planners][value="${args.a.tier1}"]`);
    await page.check("#log-act-survey");
    await page.check("#log-act-opinion_collection");
    await page.check("#log-leader-met");
    await page.fill("#log-leader-name", "王主任");
    await page.fill("#log-notes", "走访古楼片区，征集居民对口袋公园的意见");
    await page.click("#log-form button[type=submit]");
    await page.waitForSelector("#log-form .form-status.is-ok");
    const saved = await text(page, "#log-form .form-status");
    await page.waitForSelector(`#month-view[data-days="${before + 1}"]`);
    const after = Number(await page.getAttribute("#month-view", "data-days"));
    const rows = await page.locator("#list-body tbody tr").count();
    // Issue 16: on a 390px phone the group's cell is wide enough for its name on one line (was one character a line)
    const groupCell = await page.$eval("#list-body tbody tr td:nth-child(2)", (td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      return { text: td.textContent.trim(), width: td.getBoundingClientRect().width, lines,
        viewport: window.innerWidth, overflow: document.documentElement.scrollWidth - window.innerWidth };
    });
    const shotFile = await shot(page, "planner-visit-logged-phone.png");
    // The compliance page agrees.
    await goto(page, "/web/compliance.html");
    await page.waitForSelector("#month-view");
    const compliance = Number(await page.getAttribute("#month-view", "data-days"));
    await page.waitForSelector("#year-view");
    return { before, after, fieldError, invalid, saved, rows, groupCell, compliance, screenshot: shotFile };
  },

  // A government accepts, then completes a forwarded recommendation (R-REC-2).
  async governmentComplete(browser) {
    const page = await open(browser);
    await signIn(page, "government", { government: args.a.government });
    await goto(page, `/web/recommendations.html?id=${encodeURIComponent(args.recommendation)}`);
    await page.waitForSelector("#accept-form:not([hidden])");
    await page.fill("#ac-text", "同意实施，由区住建局牵头");
    await page.click("#accept-form button[type=submit]");
    await page.waitForSelector("#complete-form:not([hidden])");
    const accepted = await text(page, "#page-status");
    // An empty completion is refused by the API, shown next to the text field.
    await page.click("#complete-form button[type=submit]");
    await page.waitForSelector("#complete-form .field-error, #complete-form .form-status.is-error");
    const refusal = await text(page, "#complete-form .form-status");
    await page.fill("#cp-text", "口袋公园已建成并开放");
    await page.click("#complete-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#page-status").textContent.includes("已完成"));
    const completed = await text(page, "#page-status");
    const detail = await text(page, "#detail-body");
    const file = await shot(page, "government-recommendation-completed.png");
    return { accepted, refusal, completed, detail, screenshot: file };
  },

  // The bureau views, issues and downloads the monthly report (R-RPT-1, R-RPT-6, R-RPT-7).
  async bureauReport(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    await goto(page, `/web/reports.html?kind=monthly&period=${args.month}`);
    await page.waitForSelector("#summary:not([hidden])");
    const summary = await text(page, "#summary-body");
    await page.waitForSelector("#document-body > *");
    const frame = await page.locator("#document-body iframe").count();
    await page.click("#issue");
    await page.waitForSelector("#tools-status.is-ok, #tools-status.is-error");
    const issued = await text(page, "#tools-status");
    const issuedOk = await page.locator("#tools-status.is-ok").count() === 1;
    // The download: a file when the API renders XLSX, else the API's refusal on the page.
    let download = null;
    const waiting = page.waitForEvent("download", { timeout: 20000 }).catch(() => null);
    await page.click("#dl-xlsx");
    await page.waitForSelector("#tools-status.is-ok:has-text('已下载'), #tools-status.is-error:has-text('下载失败')", { timeout: 30000 });
    const downloadStatus = await text(page, "#tools-status");
    const event = downloadStatus.includes("已下载") ? await waiting : null;
    if (event) {
      const target = path.join(args.screens, "..", "web-downloads", event.suggestedFilename());
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await event.saveAs(target);
      const head = fs.readFileSync(target).subarray(0, 2).toString("latin1");
      download = { file: target, size: fs.statSync(target).size, zip: head === "PK" };
    }
    // The link itself, as the page fetches it (with the bureau's token).
    const link = await page.evaluate(async (url) => {
      const s = JSON.parse(sessionStorage.getItem("rps.session"));
      const r = await fetch(url, { headers: { Authorization: `Bearer ${s.token}` } });
      return { status: r.status, type: r.headers.get("Content-Type") };
    }, `/api/v1/reports/monthly/${args.month}?format=xlsx`);
    const file = await shot(page, "bureau-report.png");
    return { summary: summary.slice(0, 300), frame, issued, issuedOk, downloadStatus, download, link, screenshot: file };
  },

  // A planner opening another group's figures gets the API's 403, shown on the page.
  async forbidden(browser) {
    const page = await open(browser);
    await signIn(page, "planner", { group: args.a.group });
    await goto(page, `/web/compliance.html?group=${encodeURIComponent(args.b.group)}`);
    await page.waitForSelector("#refusal");
    const refusal = await text(page, "#refusal");
    const file = await shot(page, "planner-forbidden.png");
    await goto(page, "/web/reports.html");
    const pageRefusal = await text(page, "#page-status");
    return { refusal, pageRefusal, screenshot: file };
  },

  // R-ORG-5: the bureau sees the planners' community-renewal experience and the candidates, preferred first.
  async plannerPreference(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    await goto(page, "/web/organisation.html");
    await page.waitForSelector("#candidates table");
    const candidates = await page.$$eval("#candidates tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    const planners = await page.$$eval("#planners thead th", (cells) => cells.map((c) => c.textContent.trim()));
    const options = await page.$$eval("#planner-candidates option", (nodes) => nodes.map((o) => o.value));
    const contracts = await page.$$eval("#contracts thead th", (cells) => cells.map((c) => c.textContent.trim()));
    const terms = await page.$eval("#contracts tbody details", (d) => d.textContent);
    const file = await shot(page, "organisation-candidates.png");
    return { candidates, planners, options, contracts, terms, screenshot: file };
  },

  // Issue 16: the organisation page as of one date: the tree, the contracts' and groups' states agree.
  async organisationStates(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    await goto(page, "/web/organisation.html");
    await page.waitForSelector("#tree ul");
    await page.waitForSelector("#groups table");
    const cells = (selector) => page.$$eval(`${selector} tbody tr`, (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    const tree = await page.$$eval("#tree li li", (items) => items.map((li) => li.textContent.trim()));
    const result = { tree, contracts: await cells("#contracts"), groups: await cells("#groups"), screenshot: await shot(page, "organisation-states.png") };
    return result;
  },

  // Issue 16: names where clerks know names (letters, recommendations, overdue items), refusals in plain words.
  async plainWords(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    await goto(page, "/web/letters.html");
    await page.waitForSelector("#list-body table");
    const letters = await text(page, "#list-body");
    await page.click("#list-body tbody tr button");
    await page.waitForSelector("#detail-body table");
    const letter = await text(page, "#detail-body");
    await shot(page, "letters-names.png");
    await goto(page, "/web/recommendations.html");
    await page.waitForSelector("#list-body table");
    const recommendations = await text(page, "#list-body");
    const pickers = await page.$$eval("#r-group, #f-government", (nodes) => nodes.map((n) =>
      ({ tag: n.tagName, options: [...n.options].map((o) => [o.value, o.textContent.trim()]) })));
    await shot(page, "recommendations-names.png");
    await goto(page, "/web/overdue.html");
    const overdue = await text(page, "main");
    const overdueHeadings = await page.$$eval("main h1, main h2, main h3", (nodes) => nodes.map((n) => n.textContent.trim()));
    const overdueShot = await shot(page, "overdue-names.png");
    const planner = await open(browser);
    await signIn(planner, "planner", { group: args.a.group });
    await planner.waitForSelector("#home-body p.lead");
    await planner.waitForFunction(() => document.querySelector(".who").textContent.includes("小组"));
    const home = { lead: await text(planner, "#home-body p.lead"), who: await text(planner, ".who") };
    await goto(planner, `/web/compliance.html?group=${encodeURIComponent(args.b.group)}`);
    await planner.waitForSelector("#refusal");
    const refusal = await text(planner, "#refusal");
    await goto(planner, "/web/visits.html");
    await planner.fill("#log-days", "7");
    await planner.click("#log-form button[type=submit]");
    await planner.waitForSelector("#log-form .field-error");
    const fieldError = await text(planner, "#log-form .field-error");
    // The group by its name on the visits and compliance pages (headings and the month's facts)
    await planner.waitForSelector("#month-view");
    const visits = [await text(planner, "#filter-title"), await text(planner, "#month-title"), await text(planner, "#month-view dl")];
    await goto(planner, "/web/compliance.html");
    await planner.waitForSelector("#month-view");
    const compliance = [await text(planner, "#month-title"), await text(planner, "#month-view dl"),
      await planner.$$eval("#pick-group option", (nodes) => nodes.map((o) => o.textContent.trim()).join(" "))];
    // Issue 16: the bureau picks the group by name on the compliance page (it typed a code)
    await goto(page, "/web/compliance.html");
    const compliancePicker = await page.$eval("#pick-group", (n) => ({ tag: n.tagName, label: document.querySelector("label[for=pick-group]").textContent.trim(),
      options: [...n.options].map((o) => [o.value, o.textContent.trim()]) }));
    await page.selectOption("#pick-group", args.a.group);
    await page.click("#pick-form button[type=submit]");
    await page.waitForSelector("#month-view");
    const complianceShown = await text(page, "#month-title");
    await shot(page, "compliance-picker.png");
    return { letters, letter, recommendations, pickers, overdue, overdueHeadings, refusal, fieldError, home, visits, compliance, compliancePicker, complianceShown,
      screenshot: overdueShot };
  },

  // Issue 16: a report period is picked from a list, not typed.
  async reportPicker(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    await goto(page, "/web/reports.html");
    const tag = await page.$eval("#r-period", (n) => n.tagName);
    await page.selectOption("#r-kind", "quarterly");
    const options = await page.$$eval("#r-period option", (nodes) => nodes.map((o) => [o.value, o.textContent.trim()]));
    await page.selectOption("#r-period", { index: 0 });
    await page.click("#pick-form button[type=submit]");
    await page.waitForSelector("#summary:not([hidden])");
    const title = await text(page, "#summary-title");
    // Issue 16: the summary names the period in words (it showed 2026-Q4 next to a title in words)
    const summaryHead = [await text(page, "#summary-body p.lead"), await text(page, "#summary-body dl.facts")];
    await page.waitForSelector("#document-body > *"); // the screenshot shows the report's text too
    const ranking = await page.$$eval("#summary-body tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    return { tag, options, title, summaryHead, ranking, screenshot: await shot(page, "report-picker.png") };
  },

  // Issue 16: the settlements of one service year as a list, every group in it.
  async settlementList(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    await goto(page, "/web/settlements.html");
    await page.waitForSelector("#year-body table");
    const year = await page.$eval("#y-year", (s) => s.value);
    const caption = await text(page, "#year-body caption");
    const rows = await page.$$eval("#year-body tbody tr", (trs) => trs.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    await page.click(`#year-body tbody tr:has-text("已结算") button:has-text("${args.settledName}")`);
    await page.waitForSelector("#result:not([hidden])");
    const detail = await text(page, "#result-title");
    const picker = await page.$eval("#s-group", (n) => ({ tag: n.tagName, label: document.querySelector("label[for=s-group]").textContent.trim(),
      options: [...n.options].map((o) => [o.value, o.textContent.trim()]) }));
    return { year, caption, rows, detail, picker, screenshot: await shot(page, "settlements-year.png") };
  },

  // Issue 16: a long opinion list in pages of 20.
  async opinionPages(browser) {
    const page = await open(browser);
    await signIn(page, "subdistrict", { district: args.c.district });
    await goto(page, "/web/opinions.html");
    await page.waitForSelector("#list-body table");
    const refs = () => page.$$eval("#list-body tbody tr", (rows) => rows.map((r) => r.cells[0].textContent.trim()));
    const first = { refs: await refs(), caption: await text(page, "#list-body caption") };
    await page.click("#list-body .pager button:has-text('下一页')");
    await page.waitForSelector("#list-body caption:has-text('已到最后')");
    const second = { refs: await refs(), caption: await text(page, "#list-body caption"),
      nextDisabled: await page.$eval("#list-body .pager button:has-text('下一页')", (b) => b.disabled) };
    const file = await shot(page, "opinions-page-2.png");
    await page.click("#list-body .pager button:has-text('上一页')");
    await page.waitForSelector("#list-body caption:has-text('后面还有')");
    return { first, second, back: await refs(), screenshot: file };
  },

  // Issue 16, R-OPN-1 (amended): the bureau's triage list: an address-only opinion is assigned its district.
  async bureauTriage(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    const menu = await page.$$eval(".site-nav a", (links) => links.map((a) => [a.getAttribute("href"), a.textContent.trim()]));
    // The home page counts what waits for a district and leads to the tab
    const waitingCard = "#home-body section[aria-label='待分派镇街的意见']";
    await page.waitForSelector(`${waitingCard} .figure`);
    const waiting = await text(page, `${waitingCard} .figure`);
    await Promise.all([page.waitForURL(/opinions\.html\?triage=true/), page.click(`${waitingCard} a`)]);
    await ready(page);
    const openedOnTab = await page.getAttribute("#tab-triage", "aria-selected");
    await page.click("#tab-all");
    await page.waitForSelector("#list-body thead th:text-is('镇街')"); // the whole list's columns, not the tab's
    const allRefs = await page.$$eval("#list-body tbody tr", (rows) => rows.map((r) => r.cells[0].textContent.trim()));
    const inAll = await page.$$eval(`#list-body tbody tr:has(td:text-is("${args.triageRef}")) td`, (tds) => tds.map((c) => c.textContent.trim()));
    // Issue 16: the bureau filters and registers by a district's name, not by typing its code
    const pickers = await page.$$eval("#f-district, #new-district", (nodes) => nodes.map((n) =>
      ({ tag: n.tagName, options: [...n.options].map((o) => [o.value, o.textContent.trim()]) })));
    await page.click("#tab-triage");
    await page.waitForSelector("#list-body thead th:text-is('分派镇街')"); // the tab's own columns
    const row = `#list-body tbody tr:has(td:text-is("${args.triageRef}"))`;
    await page.waitForSelector(row);
    const selected = await page.getAttribute("#tab-triage", "aria-selected");
    const heads = await page.$$eval("#list-body thead th", (cells) => cells.map((c) => c.textContent.trim()));
    const cells = await page.$$eval(`${row} td`, (tds) => tds.map((c) => c.textContent.trim()));
    const districts = await page.$$eval(`${row} select option`, (nodes) => nodes.map((o) => [o.value, o.textContent.trim()]));
    const listed = await page.$$eval("#list-body tbody tr", (rows) => rows.map((r) => r.cells[0].textContent.trim()));
    const fromForm = await page.$$eval(`#list-body tbody tr:has(td:text-is("${args.formRef}")) td`, (tds) => tds.map((c) => c.textContent.trim()));
    // Its details: the address, and no step but the assignment (no group yet to acknowledge it)
    await page.click(`${row} button:has-text("详情")`);
    await page.waitForSelector("#detail:not([hidden])");
    const detail = { text: await text(page, "#detail-body"), steps: await page.locator("#detail form[data-step]:not([hidden])").count() };
    const before = await shot(page, "bureau-triage.png");
    // Assign without a pick: said in words, nothing sent
    await page.click(`${row} button:has-text("分派")`);
    await page.waitForSelector("#page-status.is-error");
    const unpicked = await text(page, "#page-status");
    await page.selectOption(`${row} select`, args.a.district);
    await page.click(`${row} button:has-text("分派")`);
    await page.waitForSelector("#page-status.is-ok");
    const assigned = await text(page, "#page-status");
    const afterRefs = await page.$$eval("#list-body tbody tr", (rows) => rows.map((r) => r.cells[0].textContent.trim()));
    const emptyText = await text(page, "#list-body");
    const after = await shot(page, "bureau-triage-assigned.png");
    // Opened again (from the server's list alone), it is no longer waiting
    await goto(page, "/web/opinions.html?triage=true");
    await page.waitForSelector("#list-body table, #list-body p.muted:not(:has-text('正在加载'))");
    const reopened = await page.$$eval("#list-body tbody tr", (rows) => rows.map((r) => r.cells[0].textContent.trim()));
    return { menu, inAll, detail, waiting, openedOnTab, allRefs, pickers, fromForm, selected, heads, cells, districts, listed, unpicked, assigned, afterRefs, emptyText, reopened,
      screenshots: [before, after] };
  },

  // Issue 16, R-OPN-1: a resident submits an opinion on the public page and sees its reference.
  async residentSubmits(browser) {
    const page = await open(browser, PHONE);
    await goto(page, "/web/follow.html");
    const categories = await page.$$eval("#s-category option", (nodes) => nodes.map((o) => o.textContent.trim()));
    const districtShown = await page.isVisible("#s-district");
    // An empty submission: the API's refusal next to the field, in words.
    await page.click("#submit-form button[type=submit]");
    await page.waitForSelector("#submit-form .field-error, #submit-form .form-status.is-error");
    const refusal = await text(page, "#submit-form .form-status");
    await page.selectOption("#s-category", "public_space");
    await page.fill("#s-lat", String(args.point.lat));
    await page.fill("#s-lon", String(args.point.lon));
    await page.fill("#s-text", "健身广场的路灯坏了");
    await page.check("#s-public");
    await page.click("#submit-form button[type=submit]");
    await page.waitForSelector("#submitted-ref");
    const ref = await text(page, "#submitted-ref");
    const file = await shot(page, "resident-submitted-phone.png");
    await page.click("#submitted a");
    await ready(page);
    await page.waitForSelector("#follow-status");
    return { categories, districtShown, refusal, ref, follow: await text(page, "#follow-status"), screenshot: file };
  },

  // Issue 16, R-OPN-1 (amended): a resident who knows neither the district nor a point gives the address.
  async residentGivesAddress(browser) {
    const page = await open(browser, PHONE);
    await goto(page, "/web/index.html");
    await Promise.all([page.waitForURL(/follow\.html/), page.click("a:has-text('提交意见')")]);
    await ready(page);
    await page.selectOption("#s-category", "public_space");
    await page.fill("#s-address", args.address);
    await page.fill("#s-text", "小区门口的人行道砖松动");
    await page.click("#submit-form button[type=submit]");
    await page.waitForSelector("#submitted-ref");
    const ref = await text(page, "#submitted-ref");
    const screenshot = await shot(page, "resident-address-phone.png");
    await page.click("#submitted a");
    await ready(page);
    await page.waitForSelector("#follow-status");
    return { ref, addressLabel: await text(page, "label[for=s-address]"), follow: await text(page, "#result-body"), screenshot };
  },

  // Issue 16, R-OPN-1: the form lists the districts by name without a token; a resident picks one.
  async residentPicksDistrict(browser) {
    const page = await open(browser, PHONE);
    await goto(page, "/web/follow.html");
    await page.waitForSelector(`#s-district option[value="${args.pick}"]`, { state: "attached" });
    const districts = await page.$$eval("#s-district option", (nodes) => nodes.map((o) => [o.value, o.textContent.trim()]));
    const districtShown = await page.isVisible("#s-district");
    await page.selectOption("#s-category", "greening");
    await page.selectOption("#s-district", args.pick);
    await page.fill("#s-text", "小区门口的行道树枯死了");
    await page.click("#submit-form button[type=submit]");
    await page.waitForSelector("#submitted-ref");
    return { districts, districtShown, ref: await text(page, "#submitted-ref") };
  },

  // Every page of every role's menu opens without a script error or an unexpected refusal.
  async everyPage(browser) {
    const pages = ["index", "visits", "compliance", "opinions", "recommendations", "letters", "consultations", "organisation",
      "settlements", "reports", "overdue", "audit", "paperwork", "follow"];
    const roles = [
      ["planner", { group: args.a.group }], ["subdistrict", { district: args.b.district }],
      ["government", { government: args.a.government }], ["bureau", {}], ["committee", {}],
    ];
    const seen = {};
    for (const [role, scope] of roles) {
      const page = await open(browser);
      await signIn(page, role, scope);
      const menu = await page.$$eval(".site-nav a", (links) => links.map((a) => a.getAttribute("href")));
      for (const name of pages) {
        await goto(page, `/web/${name}.html`);
        await page.waitForLoadState("networkidle");
        const refusals = await page.$$eval(".is-error", (nodes) => nodes.map((n) => n.textContent.trim()).filter(Boolean));
        // Issue 16: a node turned into text ("[object HTMLSpanElement]") anywhere on the page
        const objects = await page.evaluate(() => (document.body.innerText.match(/.{0,20}\[object[^\]]*\].{0,20}/g) || []));
        // Issue 16: headings in plain words (no rule id, no period code), no organisation code typed by hand
        const headings = await page.$$eval("h1, h2, h3, h4, caption, legend", (nodes) => nodes.map((n) => n.textContent.trim())
          .filter((t) => /R-[A-Z]+-\d|\b\d{4}-(\d{2}|Q[1-4]|H[12])\b(?!-\d)/.test(t)));
        const codeFields = await page.$$eval("input[name=group], input[name=government], input[name=district]", (nodes) => nodes.map((n) => n.id));
        seen[`${role}:${name}`] = { inMenu: menu.includes(`/web/${name}.html`), refusals, objects, headings, codeFields };
      }
      await page.context().close();
    }
    // Issue 16: a table cell given a status badge and, nested, an overdue badge shows both badges.
    const probe = await open(browser);
    await goto(probe, "/web/index.html");
    const nested = await probe.evaluate(async () => {
      const { el, badge } = await import("/web/js/app.js");
      const cell = el("td", {}, [badge("已转交"), [" ", badge("逾期 3 天", "bad")]]);
      return { text: cell.textContent, badges: cell.querySelectorAll(".badge").length };
    });
    await probe.context().close();
    return { seen, nested };
  },

  // The sub-district confirms a visit (R-VIS-7) and a resident follows an opinion (R-OPN-4).
  async subdistrictConfirm(browser) {
    const page = await open(browser);
    await signIn(page, "subdistrict", { district: args.b.district });
    await goto(page, `/web/visits.html?month=${args.visitMonth}`);
    await page.click("#list-body button:has-text('确认')");
    await page.waitForSelector("#confirm-form:not([hidden])");
    await page.check("#conf-leader");
    await page.fill("#conf-by", "赵主任");
    await page.click("#confirm-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#page-status").textContent.includes("已确认"));
    const status = await text(page, "#list-body tbody");
    const resident = await open(browser, PHONE);
    await goto(resident, `/web/follow.html?ref=${encodeURIComponent(args.ref)}`);
    await resident.waitForSelector("#follow-status");
    return { status, follow: await text(resident, "#follow-status") };
  },

  // R-SEC-3 (issue 15): free text keeps its bidirectional controls and is shown isolated in a <bdi>.
  async bidiIsolated(browser) {
    const page = await open(browser);
    await signIn(page, "bureau");
    await goto(page, "/web/opinions.html");
    await page.click(`#list-body button[aria-label="办理意见 ${args.bidiRef}"]`);
    await page.waitForSelector("#detail:not([hidden])");
    const isolated = await page.$$eval("#detail-body bdi", (nodes) => nodes.map((n) => n.textContent));
    const listed = await page.$$eval("#list-body bdi", (nodes) => nodes.map((n) => n.textContent));
    return { isolated, listed };
  },
};

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  let lastPage = null;
  browser.on("disconnected", () => {});
  try {
    const run = SCENARIOS[scenario];
    if (!run) fail(`unknown scenario ${scenario}`);
    const result = await run(browser);
    if (errors.length) fail(`script errors on the page: ${errors.join(" | ")}`);
    process.stdout.write(JSON.stringify({ ok: true, ...result }) + "\n");
    await browser.close();
  } catch (error) {
    for (const context of browser.contexts()) for (const page of context.pages()) lastPage = page;
    if (lastPage && args.screens) {
      await shot(lastPage, `failure-${scenario}.png`).catch(() => null);
    }
    process.stdout.write(JSON.stringify({ ok: false, error: String(error && error.stack || error), errors }) + "\n");
    await browser.close().catch(() => null);
    process.exit(1);
  }
})();
