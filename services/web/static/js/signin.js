// Sign-in. Development: POST /web/dev-token for a role and scope. Production: the city's
// identity provider with OpenID Connect (authorization code + PKCE, see oidc.js).
import { $, $$, api, bindForm, fillDatalist, page, param, pageStatus, setStatus, signIn } from "./app.js";
import { startLogin } from "./oidc.js";

// Only a path of this site may follow sign-in (no open redirect).
function nextPage() {
  const next = param("next");
  return next && /^\/web\/[\w./-]*(\?[^#]*)?$/.test(next) ? next : "/web/index.html";
}

let organisation = null;

// The organisation chart fills the pickers; a reader's (committee) token reads it, then is dropped.
async function loadOrganisation() {
  const token = await api("POST", "/web/dev-token", { role: "committee", subject: "signin-page" }, { auth: false });
  if (!token.ok) return;
  const result = await fetch("/api/v1/organisation", { headers: { Authorization: `Bearer ${token.data.token}` } })
    .then((r) => (r.ok ? r.json() : null)).catch(() => null);
  if (!result) return;
  organisation = result;
  const governments = result.governments || [];
  const districts = governments.flatMap((g) => g.districts || []);
  const groups = districts.filter((d) => d.group).map((d) => ({ code: d.group.code, name: `${d.name}（${d.code}）`, district: d.code }));
  fillDatalist($("#government-list"), governments);
  fillDatalist($("#district-list"), districts);
  fillDatalist($("#group-list"), groups);
}

function districtOfGroup(code) {
  for (const g of organisation?.governments || []) {
    for (const d of g.districts || []) if (d.group && d.group.code === code) return d.code;
  }
  return null;
}

function showScope(role) {
  for (const node of $$("[data-scope]")) {
    node.hidden = !node.dataset.scope.split(" ").includes(role);
  }
  $("#district-hint").hidden = role !== "planner";
}

page({
  init: async ({ config }) => {
    if (config.oidc) {
      $("#oidc").hidden = false;
      $("#oidc-start").addEventListener("click", async () => {
        try {
          await startLogin(config.oidc, nextPage());
        } catch (e) {
          setStatus($("#oidc-status"), "无法连接统一身份认证平台：" + e.message, "error");
        }
      });
    }
    if (!config.dev_sign_in) {
      if (!config.oidc) pageStatus("未配置登录方式：请设置 RPS_OIDC_ISSUER 和 RPS_OIDC_CLIENT_ID。", "error");
      return;
    }
    $("#dev").hidden = false;
    const role = $("#role");
    const wanted = param("role");
    if (wanted) role.value = wanted;
    showScope(role.value);
    role.addEventListener("change", () => showScope(role.value));
    $("#group").addEventListener("change", () => {
      const district = districtOfGroup($("#group").value.trim());
      if (district) $("#district").value = district;
    });
    bindForm($("#dev-form"), async (values) => {
      if (values.role === "planner" && values.group && !values.district) {
        const district = districtOfGroup(values.group);
        if (district) values.district = district;
      }
      // Only the scope the role uses is sent (a planner's district lets it see its district's opinions).
      const keep = { planner: ["group", "district"], subdistrict: ["district"], government: ["government"] }[values.role] || [];
      for (const name of ["group", "district", "government"]) if (!keep.includes(name)) delete values[name];
      return api("POST", "/web/dev-token", values, { auth: false });
    }, {
      done: (data) => {
        signIn(data.token, data);
        location.href = nextPage();
      },
    });
    await loadOrganisation();
  },
});
