"""Every URL the web app serves, in one list. Handlers parse input, call one query, render one view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from web import date_review, dup_review, exports, imports, library, login, uploads
from web.attention import attention
from web.file_pages import file_routes
from web.files_api import files_api
from web.health import worker_status
from web.history import undo_decision
from web.responses import is_htmx
from web.selection import selection
from web.templating import STATIC_DIR, templates


async def _health(request: Request) -> dict[str, Any]:
    state = request.app.state
    return await worker_status(state.read_db, datetime.now(UTC), state.settings.heartbeat_interval)


async def home(request: Request) -> Response:
    # The panel is rendered here too, so the page is correct before (or without) any JavaScript.
    context = {"health": await _health(request), "attention": await attention(request.app.state.read_db)}
    return templates.TemplateResponse(request, "index.html", context)


async def health_fragment(request: Request) -> Response:
    if not is_htmx(request):
        return await home(request)  # a plain visit (a link, a reload) gets the page the panel lives on
    return templates.TemplateResponse(request, "fragments/health.html", {"health": await _health(request)})


async def health_api(request: Request) -> Response:
    return JSONResponse(await _health(request))


routes = [
    Route("/", home, name="home"),
    # Signing in: the password at first start, sign in and out, the account page.
    Route("/login", login.login_page, methods=["GET"]),
    Route("/login", login.login, methods=["POST"]),
    Route("/logout", login.logout, methods=["POST"]),
    Route("/setup", login.setup_page, methods=["GET"]),
    Route("/setup", login.setup, methods=["POST"]),
    Route("/account", login.account_page, methods=["GET"]),
    Route("/account/password", login.change_password, methods=["POST"]),
    Route("/account/sign-out-everywhere", login.sign_out_everywhere, methods=["POST"]),
    Route("/fragments/health", health_fragment, name="health_fragment"),
    Route("/api/health", health_api, name="health_api"),
    # Imports: pages (HTMX fragments for HX-Request, whole pages otherwise) and job control.
    Route("/imports", imports.imports_page, methods=["GET"]),
    Route("/imports", imports.create_folder_import, methods=["POST"]),
    Route("/imports/{id:int}", imports.job_page),
    Route("/imports/{id:int}/progress", imports.progress_fragment),
    Route("/imports/{id:int}/pause", imports.pause, methods=["POST"]),
    Route("/imports/{id:int}/resume", imports.resume, methods=["POST"]),
    Route("/imports/{id:int}/cancel", imports.cancel_page, methods=["GET"]),
    Route("/imports/{id:int}/cancel", imports.cancel, methods=["POST"]),
    Route("/imports/{id:int}/finish", imports.finish, methods=["POST"]),
    Route("/imports/{id:int}/errors", imports.errors_page),
    # Their JSON twins.
    Route("/api/imports", imports.imports_api),
    Route("/api/imports/{id:int}", imports.import_api),
    Route("/api/imports/{id:int}/errors", imports.errors_api),
    Route("/api/files", files_api),
    # The library and the review queues; every view's state is in its URL.
    Route("/library", library.library_page),
    Route("/api/library", library.library_api),
    Route("/review/dates", date_review.dates_page),
    Route("/review/dates/{id:int}", date_review.decide, methods=["POST"]),
    Route("/review/dates/{id:int}", date_review.decision_address, methods=["GET"]),
    Route("/api/review/dates", date_review.dates_api),
    Route("/review/duplicates", dup_review.duplicates_page),
    Route("/review/duplicates/accept-suggested", dup_review.accept_suggested, methods=["GET", "POST"]),
    Route("/review/duplicates/{id:int}", dup_review.decide, methods=["POST"]),
    Route("/api/review/duplicates", dup_review.duplicates_api),
    # One file: its page, its JSON, and its media, served by id only.
    *file_routes,
    Route("/selection", selection, methods=["POST"]),
    Route("/decisions/{id:int}/undo", undo_decision, methods=["POST"]),
    Route("/tags", library.tags_page),
    Route("/tags/suggest", library.tag_suggestions),
    Route("/api/tags", library.tag_suggestions),
    # Export: settings and dry runs, one export's page and control, the originals afterwards.
    Route("/export", exports.export_page, methods=["GET"]),
    Route("/export/settings", exports.save_settings, methods=["POST"]),
    Route("/exports", exports.start_export, methods=["POST"]),
    Route("/exports/{id:int}", exports.export_job_page),
    Route("/exports/{id:int}/progress", exports.progress_fragment),
    Route("/exports/{id:int}/pause", exports.pause, methods=["POST"]),
    Route("/exports/{id:int}/resume", exports.resume, methods=["POST"]),
    Route("/exports/{id:int}/cancel", exports.cancel, methods=["POST"]),
    Route("/exports/{id:int}/held", exports.files_page),
    Route("/exports/{id:int}/failed", exports.files_page),
    Route("/exports/{id:int}/manifest.{kind:str}", exports.manifest),
    Route("/exports/{id:int}/sources", exports.sources_confirm, methods=["GET"]),
    Route("/exports/{id:int}/sources", exports.sources_act, methods=["POST"]),
    Route("/api/exports", exports.exports_api),
    Route("/api/exports/{id:int}", exports.export_api),
    # Browser uploads (static/upload.js).
    Route("/api/uploads", uploads.create_upload_api, methods=["POST"]),
    Route("/api/uploads/{id:int}", uploads.upload_api),
    Route("/api/uploads/{id:int}/files", uploads.put_file, methods=["PUT"]),
    Route("/api/uploads/{id:int}/finish", uploads.finish_api, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
