"""Import pages and their /api twins: the list, a server-folder import, the job page with its
polled progress panel, job control, and the files that failed or were skipped.

HTMX requests (HX-Request header) get fragments; the same URLs answer plain requests with whole
pages or redirects, so links, the back button and a browser without JavaScript all work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobs.imports import cancel_import, finish_upload, pause_import, resume_import
from web.folders import FolderRefused, import_folder, roots_text, start_folder_import
from web.import_queries import fetch_import, import_record, list_imports, problem_files
from web.progress import progress
from web.responses import int_param, is_htmx, see_other
from web.templating import templates
from web.writes import write


def _now() -> datetime:
    return datetime.now(UTC)


async def _import_or_404(request: Request) -> dict[str, Any]:
    import_id = request.path_params["id"]
    row = await fetch_import(request.app.state.read_db, import_id)
    if row is None:
        raise HTTPException(404, f"There is no import #{import_id}.")
    return row


# The list and the folder form ------------------------------------------------------------------


async def _list_page(request: Request, status_code: int = 200, **form: Any) -> Response:
    rows, next_before = await list_imports(request.app.state.read_db, int_param(request, "before"))
    now = _now()
    settings = request.app.state.settings
    context = {
        "imports": [(row, progress(row, now)) for row in rows],
        "next_before": next_before,
        "roots": roots_text(settings.import_roots),
        "first_root": settings.import_roots[0] if settings.import_roots else "",
        "max_upload_mb": settings.max_upload_mb,
        "path_value": form.get("path_value", ""),
        "path_error": form.get("path_error"),
    }
    return templates.TemplateResponse(request, "imports.html", context, status_code=status_code)


async def imports_page(request: Request) -> Response:
    return await _list_page(request)


async def create_folder_import(request: Request) -> Response:
    async with request.form() as form:
        typed = str(form.get("path") or "")
    try:
        folder = import_folder(typed, request.app.state.settings.import_roots)
    except FolderRefused as refused:
        return await _list_page(request, 400, path_value=typed, path_error=str(refused))
    import_id = await write(request.app, start_folder_import, folder)
    return see_other(f"/imports/{import_id}")


async def imports_api(request: Request) -> Response:
    rows, next_before = await list_imports(request.app.state.read_db, int_param(request, "before"))
    now = _now()
    return JSONResponse({"imports": [import_record(row, now) for row in rows], "next_before": next_before})


# One job ---------------------------------------------------------------------------------------


def _job_context(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "imp": row,
        "p": progress(row, _now()),
        "max_upload_mb": request.app.state.settings.max_upload_mb,
    }


async def job_page(request: Request) -> Response:
    row = await _import_or_404(request)
    return templates.TemplateResponse(request, "import.html", _job_context(request, row))


async def progress_fragment(request: Request) -> Response:
    row = await _import_or_404(request)
    template = "fragments/progress.html" if is_htmx(request) else "import.html"
    return templates.TemplateResponse(request, template, _job_context(request, row))


async def import_api(request: Request) -> Response:
    return JSONResponse(import_record(await _import_or_404(request), _now()))


def _control(action: Callable[..., Any]) -> Callable[[Request], Any]:
    """A POST that changes the job's state, then shows the panel (HTMX) or the job page."""

    async def handler(request: Request) -> Response:
        row = await _import_or_404(request)
        # A click that no longer applies (paused twice, cancel after done) changes nothing, and the
        # fresh panel shows the state that made it moot.
        await write(request.app, action, row["id"])
        if not is_htmx(request):
            return see_other(f"/imports/{row['id']}")
        fresh = await _import_or_404(request)
        return templates.TemplateResponse(request, "fragments/progress.html", _job_context(request, fresh))

    handler.__name__ = action.__name__
    return handler


pause = _control(pause_import)
resume = _control(resume_import)
cancel = _control(cancel_import)
finish = _control(finish_upload)


async def cancel_page(request: Request) -> Response:
    """The confirmation step for browsers without JavaScript (with it, hx-confirm asks instead)."""
    row = await _import_or_404(request)
    return templates.TemplateResponse(request, "cancel.html", _job_context(request, row))


# Files that need a look ------------------------------------------------------------------------


async def _problems(request: Request, import_id: int) -> dict[str, Any]:
    db = request.app.state.read_db
    after = int_param(request, "after", 0)
    skipped_after = int_param(request, "skipped_after", 0)
    errors, next_after = await problem_files(db, import_id, "error", after)
    skipped, next_skipped_after = await problem_files(db, import_id, "skipped", skipped_after)
    return {
        "errors": errors,
        "next_after": next_after,
        "skipped": skipped,
        "next_skipped_after": next_skipped_after,
    }


async def errors_page(request: Request) -> Response:
    row = await _import_or_404(request)
    context = {
        "imp": row,
        "after": int_param(request, "after", 0),
        "skipped_after": int_param(request, "skipped_after", 0),
        **await _problems(request, row["id"]),
    }
    return templates.TemplateResponse(request, "import_errors.html", context)


async def errors_api(request: Request) -> Response:
    row = await _import_or_404(request)
    return JSONResponse({"import_id": row["id"], **await _problems(request, row["id"])})
