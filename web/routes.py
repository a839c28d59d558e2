"""Every URL the web app serves, in one list. Handlers parse input, call one query, render one view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from web.health import worker_status
from web.templating import STATIC_DIR, templates


async def _health(request: Request) -> dict[str, Any]:
    state = request.app.state
    return await worker_status(state.read_db, datetime.now(UTC), state.settings.heartbeat_interval)


async def home(request: Request) -> Response:
    # The panel is rendered here too, so the page is correct before (or without) any JavaScript.
    return templates.TemplateResponse(request, "index.html", {"health": await _health(request)})


async def health_fragment(request: Request) -> Response:
    return templates.TemplateResponse(request, "fragments/health.html", {"health": await _health(request)})


async def health_api(request: Request) -> Response:
    return JSONResponse(await _health(request))


routes = [
    Route("/", home, name="home"),
    Route("/fragments/health", health_fragment, name="health_fragment"),
    Route("/api/health", health_api, name="health_api"),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
