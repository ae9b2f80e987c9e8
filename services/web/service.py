"""The web pages: static files, the pages' configuration and development sign-in.

The pages (``services/web/static/``) are plain HTML, CSS and JavaScript
modules with no build step and nothing loaded from elsewhere; they call the
public API with ``fetch()`` and the bearer token kept in the tab's
``sessionStorage``. This service never reads another service's data: every
figure a page shows comes from ``/api/v1/...`` under the caller's own token,
so the policy (services/backbone/policy.py) decides what each person sees.

Caching: every file is answered with a strong ``ETag`` and
``Cache-Control: no-cache``, so a browser keeps its copy and revalidates it
(a 304 without a body) on each use: after an upgrade no page runs yesterday's
script, and on a phone the revalidation costs one small round trip.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from services.backbone import clock
from services.backbone.hosting import RuntimeProvider
from services.backbone.domain import NotFound
from services.backbone.http import BadRequest, json_response, parse_body, route
from services.backbone.operations import OperationsRoutes
from services.web import answers
from services.web.schemas import DevToken
from services.web.settings import WebSettings

STATIC = Path(__file__).resolve().parent / "static"
HOME = "/web/index.html"
# A development token lasts a working day; production tokens come from the IdP.
DEV_TOKEN_TTL_SECONDS = 8 * 3600

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}
ROLE_NAMES = {
    "planner": "责任规划师",
    "subdistrict": "镇街（园区）",
    "government": "区政府（管委会）",
    "bureau": "市自然资源和规划局",
    "committee": "市规委会",
    "operator": "运维",
}
SCOPE_NAMES = {"group": "小组", "district": "镇街（园区）", "government": "区政府（管委会）"}


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str
    mtime_ns: int


class StaticFiles:
    """The files under ``root``, read once and again when they change on disk."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self._cache: dict[Path, StaticFile] = {}
        self._lock = threading.Lock()

    def resolve(self, path: str) -> Path | None:
        """The file a URL path names, or None: no dot-files, nothing outside ``root``, known types only."""
        parts = [p for p in path.split("/") if p]
        if not parts or any(p.startswith(".") or "\\" in p or "\x00" in p for p in parts):
            return None
        candidate = self.root.joinpath(*parts)
        if candidate.suffix not in CONTENT_TYPES:
            candidate = candidate / "index.html" if candidate.is_dir() else candidate
        try:
            resolved = candidate.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError, OSError):
            return None
        if not resolved.is_file() or not resolved.is_relative_to(self.root) or resolved.suffix not in CONTENT_TYPES:
            return None
        return resolved

    def get(self, path: str) -> StaticFile | None:
        resolved = self.resolve(path)
        if resolved is None:
            return None
        mtime_ns = resolved.stat().st_mtime_ns
        with self._lock:
            cached = self._cache.get(resolved)
        if cached is not None and cached.mtime_ns == mtime_ns:
            return cached
        body = resolved.read_bytes()
        entry = StaticFile(
            body=body,
            content_type=CONTENT_TYPES[resolved.suffix],
            etag=hashlib.sha256(body).hexdigest()[:32],
            mtime_ns=mtime_ns,
        )
        with self._lock:
            self._cache[resolved] = entry
        return entry


def security_headers(settings: WebSettings) -> dict[str, str]:
    """What every page is served with: the browser may run our own scripts only.

    Inline styles are allowed because the report viewer shows the report's own
    HTML (with its styles and SVG charts) in a sandboxed frame without scripts.
    """
    connect = "'self'" + (f" {settings.oidc_origin}" if settings.oidc_origin else "")
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            f"connect-src {connect}",
            "frame-src 'self' blob:",
            "frame-ancestors 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        # Opinion references travel in follow.html's URL: never hand them on.
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
    }


class WebService(OperationsRoutes):
    name = "web"
    runtime = RuntimeProvider()
    files = StaticFiles(STATIC)
    settings_override: WebSettings | None = None  # tests set it instead of the environment

    @property
    def web_settings(self) -> WebSettings:
        if self.settings_override is not None:
            return self.settings_override
        return self.runtime.settings.of(self.name)  # read once, when the process started

    @route("GET", "/")
    def root(self, request: Request) -> Response:
        """The home page."""
        return Response(status=302, headers={"Location": HOME, "Cache-Control": "no-cache"})

    @route("GET", "/web/<path:path>")
    def static(self, request: Request, path: str) -> Response:
        """A page, script or style sheet of the web front end."""
        found = self.files.get(path)
        if found is None:
            raise NotFound("没有这个页面", field="path")
        headers = {"ETag": f'"{found.etag}"', "Cache-Control": "no-cache", **security_headers(self.web_settings)}
        if request.if_none_match.contains_weak(found.etag):
            return Response(status=304, headers=headers)
        return Response(found.body, status=200, headers=headers, content_type=found.content_type)

    @route("GET", "/web/config.json", response=answers.PageConfig)
    def config(self, request: Request) -> Response:
        """How the pages sign people in, and the business date (Asia/Shanghai)."""
        settings, web = self.runtime.settings, self.web_settings
        oidc: dict[str, Any] | None = None
        if web.oidc:
            oidc = {
                "issuer": web.oidc_issuer,
                "client_id": web.oidc_client_id,
                "scope": web.oidc_scopes,
                "audience": web.oidc_audience,
                "redirect_path": "/web/callback.html",
            }
        return json_response(
            {
                "environment": settings.environment,
                "dev_sign_in": self._dev_sign_in_allowed(),
                "oidc": oidc,
                # The business date the pages show: a played demo's last day once it is past (issue 16).
                "today": clock.shown_today(settings.data_dir, settings.embedded).isoformat(),
            },
            headers={"Cache-Control": "no-store"},
        )

    @route("POST", "/web/dev-token", response=answers.DevSignIn, body=DevToken, status=201)
    def dev_token(self, request: Request) -> Response:
        """Development sign-in: a token for a role and its scope (as ``rps token``); 404 in production."""
        if not self._dev_sign_in_allowed():
            raise NotFound("没有这个路径")  # as for any path this system does not serve
        from services.backbone import auth

        body = parse_body(request, DevToken)
        needed = auth.SCOPE_CLAIM.get(body.role)
        if needed and not getattr(body, needed):
            raise BadRequest(
                f"{needed}：{ROLE_NAMES[body.role]}需要选择所属{SCOPE_NAMES[needed]}", field=needed, code="missing_field"
            )
        subject = body.subject or f"{body.role}-{getattr(body, needed) if needed else 'dev'}"
        district = body.district
        if body.role == "planner" and district is None:
            district = auth.group_district(self.runtime, body.group)  # issue 15 item 10
        token = auth.issue_token(
            self.runtime.settings,
            body.role,
            subject=subject,
            group=body.group,
            district=district,
            government=body.government,
            ttl_seconds=DEV_TOKEN_TTL_SECONDS,
        )
        payload = {
            "token": token,
            "role": body.role,
            "subject": subject,
            "group": body.group,
            "district": district,
            "government": body.government,
            "expires_in": DEV_TOKEN_TTL_SECONDS,
        }
        return json_response(payload, 201, headers={"Cache-Control": "no-store"})

    def _dev_sign_in_allowed(self) -> bool:
        settings = self.runtime.settings
        return not settings.production and settings.signing_secret is not None
