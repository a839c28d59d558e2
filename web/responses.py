"""Small pieces every handler shares: HTMX detection, query-string integers, and error answers
that are a page for people and JSON under /api."""

from __future__ import annotations

from http import HTTPStatus
from typing import overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from web.devices import device_name
from web.templating import templates

# Friendlier than the bare reason phrases ("Not Found") for the statuses people can reach.
MESSAGES = {
    404: "There is nothing at this address. It may have been a link to an import that no longer exists.",
    405: "This address does not accept that kind of request.",
}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def see_other(url: str) -> RedirectResponse:
    # 303 so the browser follows a POST with a GET and a reload does not post twice.
    return RedirectResponse(url, status_code=303)


def json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@overload
def int_param(request: Request, name: str) -> int | None: ...
@overload
def int_param(request: Request, name: str, default: int) -> int: ...
def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    """An optional integer from the query string; anything else is the caller's mistake (400)."""
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number, not {text!r}") from None


async def http_error(request: Request, exc: Exception) -> Response:
    """Every HTTPException, raised by a handler or by the router (unknown URL, wrong method)."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    detail = exc.detail if exc.detail and exc.detail != _phrase(exc.status_code) else None
    message = detail or MESSAGES.get(exc.status_code) or _phrase(exc.status_code)
    if request.url.path.startswith("/api/"):
        response: Response = json_error(exc.status_code, message)
    else:
        context = {"status": exc.status_code, "title": _phrase(exc.status_code), "message": message}
        response = templates.TemplateResponse(request, "error.html", context, status_code=exc.status_code)
    response.headers.update(headers)
    return response


def _phrase(status: int) -> str:
    return HTTPStatus(status).phrase


def actor(request: Request) -> str:
    """Who made a decision, for the history: the household shares one password, so the device and
    its address ("Safari on iPhone, 192.168.1.20")."""
    host = request.client.host if request.client else "unknown address"
    return f"{device_name(request.headers.get('user-agent', ''))}, {host}"


def safe_back(url: str | None, default: str) -> str:
    """Where to return after an action: only a path on this site, never another host (//evil)."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith("//") or "\\" in url or any(ord(c) < 32 for c in url):
        return default
    return url


def with_params(url: str, **params: object) -> str:
    """The URL with these query parameters set (replacing any of the same name); None removes one."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def page_at_address(request: Request, template: str, context: dict) -> Response:
    """A page that knows its own address (`back_url`, for the forms that return to it). When a
    boosted HTMX form followed a redirect here, the location bar is told this address too."""
    context["back_url"] = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = templates.TemplateResponse(request, template, context)
    if request.headers.get("hx-boosted"):
        response.headers["HX-Push-Url"] = context["back_url"]
    return response


def refused_page(request: Request, template: str, context: dict) -> Response:
    """The page again, saying why the action was refused (`context["back_url"]` is its address). A
    plain form gets 400; a boosted HTMX form gets 200, since browsers log every 4xx of a script's
    request as a console error though the page shows the reason, and its location bar is set to the
    page's own address rather than the form's action (so Back and reload work)."""
    if not is_htmx(request):
        return templates.TemplateResponse(request, template, context, status_code=400)
    response = templates.TemplateResponse(request, template, context)
    response.headers["HX-Push-Url"] = context["back_url"]
    return response
