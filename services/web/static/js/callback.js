// The identity provider sends the browser back here with a code (see oidc.js).
import { page, pageStatus, signIn } from "./app.js";
import { finishLogin } from "./oidc.js";

page({
  init: async ({ config }) => {
    if (!config.oidc) {
      pageStatus("未配置统一身份认证（RPS_OIDC_ISSUER）。", "error");
      return;
    }
    try {
      const { token, next } = await finishLogin(config.oidc, new URLSearchParams(location.search));
      const s = signIn(token);
      if (!s.role) throw new Error("令牌中没有角色（role）声明，请联系管理员在统一身份认证平台中配置");
      history.replaceState(null, "", "/web/callback.html"); // the code must not stay in the history
      location.replace(/^\/web\//.test(next) ? next : "/web/index.html");
    } catch (e) {
      document.getElementById("callback-note").hidden = true;
      pageStatus("登录失败：" + e.message, "error");
    }
  },
});
