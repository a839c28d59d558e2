"""Signing in and out, choosing the password at first start, and changing it later.

Failed attempts are limited per address and overall (in this process's memory: the web runs as one
process, and a restart that forgets them still leaves every guess costing a 0.2 s scrypt).
"""

from __future__ import annotations

import logging
import time
from collections import deque

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from storage import credentials
from storage.db import utc_now
from storage.settings import is_loopback
from web import cookies
from web.devices import device_name
from web.responses import safe_back, see_other
from web.templating import templates
from web.writes import write

log = logging.getLogger(__name__)

WINDOW_SECONDS = 600
PER_ADDRESS = 5  # failed attempts per address per window
OVERALL = 50  # failed attempts from everywhere per window: bounds a guesser with many addresses
EVERYONE = "*"


# Attempt limits (plain data: address -> times of recent failures) --------------------------------


def seconds_to_wait(failures: dict[str, deque[float]], address: str, now: float) -> float:
    """0 if an attempt from `address` may be tried now, else how long until one may."""
    wait = 0.0
    for key, limit in ((address, PER_ADDRESS), (EVERYONE, OVERALL)):
        times = failures.get(key)
        if not times:
            continue
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if len(times) >= limit:
            wait = max(wait, times[0] + WINDOW_SECONDS - now)
    return wait


def note_failure(failures: dict[str, deque[float]], address: str, now: float) -> None:
    for key in (address, EVERYONE):
        failures.setdefault(key, deque()).append(now)


# Helpers ----------------------------------------------------------------------------------------


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _client_label(request: Request) -> str:
    return f"{device_name(request.headers.get('user-agent', ''))}, {_address(request)}"


async def _start_session(request: Request, to: str) -> Response:
    """Sign this browser in and go on to `to`."""
    token = cookies.new_token()
    await write(
        request.app,
        credentials.start_session,
        cookies.token_hash(token),
        _client_label(request),
        cookies.SESSION_DAYS,
    )
    response = see_other(to)
    value = cookies.session_value(request.app.state.secret_key, token)
    header = cookies.set_cookie_header(
        cookies.SESSION_COOKIE, value, max_age=cookies.SESSION_DAYS * 86400, secure=request.url.scheme == "https"
    )
    response.raw_headers.append((b"set-cookie", header))
    return response


def _session_hash(request: Request) -> str | None:
    token = cookies.session_token(request.app.state.secret_key, request.cookies.get(cookies.SESSION_COOKIE))
    return cookies.token_hash(token) if token else None


async def _password_hash(request: Request) -> str | None:
    async with request.app.state.read_db.execute("SELECT password_hash FROM access WHERE id = 1") as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


def _form_page(request: Request, template: str, context: dict, status: int = 200) -> Response:
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


# Sign in / out ----------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if not request.app.state.settings.auth:
        return see_other("/")
    if await _password_hash(request) is None:
        return see_other("/setup")
    next_url = safe_back(request.query_params.get("next"), "/")
    if request.state.signed_in:  # a bookmarked sign-in page, already signed in
        return see_other(next_url)
    return _form_page(request, "login.html", {"next": next_url, "error": None})


async def login(request: Request) -> Response:
    if not request.app.state.settings.auth:
        return see_other("/")
    form = await request.form()
    next_url = safe_back(str(form.get("next", "")), "/")
    failures = request.app.state.login_failures
    address = _address(request)
    wait = seconds_to_wait(failures, address, time.monotonic())
    if wait > 0:
        minutes = max(1, round(wait / 60))
        error = f"Too many wrong passwords. Wait {minutes} min, then try again."
        response = _form_page(request, "login.html", {"next": next_url, "error": error}, status=429)
        response.headers["Retry-After"] = str(round(wait))
        return response
    password = str(form.get("password", ""))
    stored = await _password_hash(request)
    if await run_in_threadpool(credentials.verify_password, password, stored):
        return await _start_session(request, next_url)
    note_failure(failures, address, time.monotonic())
    log.warning("Wrong password from %s", address)
    error = "That password is not right." if password else "Type the password."
    # 200, not 401: the page is the answer (a form to try again), and browsers log a 401 as an error.
    return _form_page(request, "login.html", {"next": next_url, "error": error})


async def logout(request: Request) -> Response:
    token_hash = _session_hash(request)
    if token_hash:
        await write(request.app, credentials.end_session, token_hash)
    response = see_other("/login" if request.app.state.settings.auth else "/")
    response.raw_headers.append(
        (b"set-cookie", cookies.set_cookie_header(cookies.SESSION_COOKIE, "", max_age=0, secure=False))
    )
    return response


# First start -------------------------------------------------------------------------------------


def _needs_code(request: Request) -> bool:
    """Someone on another device must show they can read the server's log; on the machine itself
    (a laptop install) choosing the password is enough."""
    return not is_loopback(_address(request))


async def setup_page(request: Request) -> Response:
    if not request.app.state.settings.auth or await _password_hash(request) is not None:
        return see_other("/")
    context = {"needs_code": _needs_code(request), "error": None, "code": request.query_params.get("code", "")}
    return _form_page(request, "setup.html", context)


async def setup(request: Request) -> Response:
    if not request.app.state.settings.auth or await _password_hash(request) is not None:
        return see_other("/")
    form = await request.form()
    code = str(form.get("code", "")).strip()
    password, repeat = str(form.get("password", "")), str(form.get("repeat", ""))
    failures, address = request.app.state.login_failures, _address(request)
    error = None
    if _needs_code(request) and seconds_to_wait(failures, address, time.monotonic()) > 0:
        error = "Too many wrong set-up codes. Wait a few minutes, then try again."
    elif _needs_code(request) and not cookies.constant_equal(code, request.app.state.setup_code):
        note_failure(failures, address, time.monotonic())  # the code is short: guessing it is limited too
        error = "That set-up code is not right: copy it from the messages MediaParser printed when it started."
    else:
        error = credentials.password_problem(password) or (
            "The two passwords differ." if password != repeat else None
        )
    if error:
        context = {"needs_code": _needs_code(request), "error": error, "code": code}
        return _form_page(request, "setup.html", context, status=400)
    if not await write(request.app, credentials.set_first_password, password):
        return see_other("/login")
    log.warning("The password was chosen from %s", _address(request))
    return await _start_session(request, "/")


# The account page --------------------------------------------------------------------------------


async def _sessions(request: Request) -> list:
    async with request.app.state.read_db.execute(
        "SELECT token_hash, created_at, client FROM sessions WHERE expires_at > ? ORDER BY created_at DESC",
        (utc_now(),),
    ) as cursor:
        rows = await cursor.fetchall()
    mine = _session_hash(request)
    return [{"created_at": r["created_at"], "client": r["client"], "mine": r["token_hash"] == mine} for r in rows]


async def account_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    context = {
        "auth": request.app.state.settings.auth,
        "sessions": await _sessions(request) if request.app.state.settings.auth else [],
        "error": error,
        "changed": request.query_params.get("changed") == "1",
    }
    return _form_page(request, "account.html", context, status=status)


async def change_password(request: Request) -> Response:
    if not request.app.state.settings.auth:
        return see_other("/account")
    form = await request.form()
    current, password = str(form.get("current", "")), str(form.get("password", ""))
    if not await run_in_threadpool(credentials.verify_password, current, await _password_hash(request)):
        note_failure(request.app.state.login_failures, _address(request), time.monotonic())
        return await account_page(request, "The current password is not right.", status=400)
    problem = credentials.password_problem(password) or (
        "The two new passwords differ." if password != form.get("repeat") else None
    )
    if problem:
        return await account_page(request, problem, status=400)
    # Every browser is signed out (whoever knew the old password too); this one signs in again.
    await write(request.app, credentials.set_password, password)
    return await _start_session(request, "/account?changed=1")


async def sign_out_everywhere(request: Request) -> Response:
    await write(request.app, credentials.end_all_sessions)
    return await logout(request)
