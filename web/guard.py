"""Every request passes here first: security headers on every answer, CSRF checks on every
state-changing request, and the sign-in gate.

A plain ASGI middleware rather than a BaseHTTPMiddleware, so upload bodies keep streaming straight
to the handler; only a small urlencoded form body is read here (for its `csrf_token`) and replayed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.db import utc_now
from web import cookies
from web.responses import http_error

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC_PREFIXES = ("/static/", "/login", "/setup")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 4 * 1024 * 1024

# Only our own scripts and styles run (no inline code, no eval); pictures and videos come from us
# (blob: for previews the upload page makes of dropped files); nobody may frame the app.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    # Another site may not even embed our pictures in its pages.
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

SESSION_SQL = "SELECT 1 FROM sessions WHERE token_hash = ? AND expires_at > ?"
PASSWORD_SET_SQL = "SELECT password_hash IS NOT NULL FROM access WHERE id = 1"

FORBIDDEN = (
    "This request was refused because it did not come from a MediaParser page (or the page was open "
    "too long ago). Go back, reload the page and try again."
)
WRONG_HOST = (
    "With sign-in off MediaParser answers only at localhost or 127.0.0.1, so that no other web site can "
    "reach it through a look-alike name. Open http://127.0.0.1:{port}/ instead."
)


def host_name(host_header: str) -> str:
    """`[::1]:8000` -> `::1`, `Example.org:80` -> `example.org`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_cross_site(headers: Any, host_header: str) -> bool:
    """What the browser itself says about where the request came from. Sec-Fetch-Site is exact when
    present; otherwise an Origin naming another host gives it away."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != host_header.strip().lower()


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings = state.settings
        request = Request(scope)
        host_header = request.headers.get("host", "")
        new_cookies: list[bytes] = []
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                headers += [(b"set-cookie", cookie) for cookie in new_cookies]
                message = {**message, "headers": headers}
            await send(message)

        async def answer(response: Response) -> None:
            await response(scope, receive, send_with_headers)

        if not settings.auth and host_name(host_header) not in LOOPBACK_NAMES:
            await answer(await _refusal(request, 403, WRONG_HOST.format(port=settings.port)))
            return

        key = state.secret_key
        jar = request.cookies
        nonce = jar.get(cookies.CSRF_COOKIE)
        if not nonce or len(nonce) > 100:
            nonce = cookies.new_token()
            new_cookies.append(
                cookies.set_cookie_header(
                    cookies.CSRF_COOKIE, nonce, max_age=cookies.CSRF_MAX_AGE, secure=secure
                )
            )
        scope.setdefault("state", {})["csrf_token"] = cookies.csrf_token(key, nonce)
        scope["state"]["auth"] = settings.auth

        if request.method not in SAFE_METHODS:
            given = request.headers.get("x-csrf-token")
            if given is None and request.headers.get("content-type", "").startswith(FORM_TYPE):
                body, receive = await _buffer_body(receive)
                if body is None:
                    await answer(await _refusal(request, 413, "That form is too large."))
                    return
                given = (parse_qs(body.decode("latin-1")).get("csrf_token") or [None])[0]
            if is_cross_site(request.headers, host_header) or not cookies.csrf_matches(key, nonce, given):
                await answer(await _refusal(request, 403, FORBIDDEN))
                return

        signed_in = False
        path = request.url.path
        if settings.auth and not path.startswith("/static/"):
            token = cookies.session_token(key, jar.get(cookies.SESSION_COOKIE))
            if token:
                async with state.read_db.execute(SESSION_SQL, (cookies.token_hash(token), utc_now())) as cur:
                    signed_in = await cur.fetchone() is not None
            if not signed_in and not path.startswith(PUBLIC_PREFIXES):
                await answer(await _sign_in_first(request))
                return
        scope["state"]["signed_in"] = signed_in
        await self.app(scope, receive, send_with_headers)


async def _buffer_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole (small) body, and a `receive` that hands the same messages to the app."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > MAX_FORM_BYTES:
            return None, receive
        if not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return body, replay


async def _sign_in_first(request: Request) -> Response:
    async with request.app.state.read_db.execute(PASSWORD_SET_SQL) as cursor:
        row = await cursor.fetchone()
    if not (row and row[0]):
        target = "/setup"
    else:
        # Back to the page the person was on (HTMX says which), not to the fragment it polled.
        here = request.headers.get("hx-current-url") or str(request.url)
        parts = urlsplit(here)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
        target = "/login" if back in ("", "/") else f"/login?next={quote(back, safe='')}"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "Sign in first.", "login": target}, status_code=401)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _refusal(request: Request, status: int, message: str) -> Response:
    """The app's own error answer (a page, JSON under /api); HTMX is told to reload the page, which
    brings a fresh token."""
    reload = request.headers.get("hx-request") == "true" and status == 403
    return await http_error(request, HTTPException(status, message, {"HX-Refresh": "true"} if reload else None))
