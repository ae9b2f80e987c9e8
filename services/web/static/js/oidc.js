// OpenID Connect sign-in at the city's identity provider, run by the page itself:
// authorization code flow with PKCE (RFC 7636) for a public client, no client secret.
// The provider's access token carries the claims the API checks (sub, role, group,
// district, government) and is verified by the API with RPS_JWKS_URL.

const PENDING = "rps.oidc";

function randomString(bytes = 32) {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return base64url(data);
}

function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function challenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

async function discover(issuer) {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, { credentials: "omit" });
  if (!response.ok) throw new Error("统一身份认证服务暂时无法访问，请稍后再试");
  return response.json();
}

function redirectUri(oidc) {
  return new URL(oidc.redirect_path, location.origin).href;
}

export async function startLogin(oidc, next) {
  const meta = await discover(oidc.issuer);
  const verifier = randomString(48);
  const state = randomString(16);
  const nonce = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, next }));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: oidc.client_id,
    redirect_uri: redirectUri(oidc),
    scope: oidc.scope,
    state,
    nonce,
    code_challenge: await challenge(verifier),
    code_challenge_method: "S256",
    ...(oidc.audience ? { audience: oidc.audience } : {}),
  }).toString();
  location.assign(url.href);
}

// On /web/callback.html: check the state, trade the code for tokens; returns {token, next}.
export async function finishLogin(oidc, query) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  if (query.get("error")) throw new Error(`${query.get("error")} ${query.get("error_description") || ""}`.trim());
  if (!pending || !query.get("code") || query.get("state") !== pending.state) {
    throw new Error("登录请求已失效或不匹配，请重新登录");
  }
  const meta = await discover(oidc.issuer);
  const response = await fetch(meta.token_endpoint, {
    method: "POST",
    credentials: "omit",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: query.get("code"),
      redirect_uri: redirectUri(oidc),
      client_id: oidc.client_id,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok || !tokens.access_token) {
    throw new Error(tokens.error_description || tokens.error || "统一身份认证未完成，请重新登录");
  }
  return { token: tokens.access_token, next: pending.next || "/web/index.html" };
}
