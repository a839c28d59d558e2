"""Export pages and their /api twins: the export page (settings, a dry run, past exports), one
export's page (its plan, its polled progress, its summary and manifest), job control, and the
confirmed step that trashes or deletes originals whose copies verify.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from jobs.exports import (
    ACTIVE,
    BadDestination,
    cancel_export,
    create_export,
    export_settings,
    pause_export,
    resume_export,
    save_export_settings,
    settings_from,
    start_sources,
)
from jobs.manifest import CSV_NAME, JSONL_NAME
from jobs.naming import BadTemplate
from jobs.sources import ACTIONS, SCOPES_SQL
from storage.datadir import trash_dir
from web.export_queries import (
    export_record,
    fetch_export,
    import_choices,
    item_page,
    list_exports,
    sample,
    source_counts,
)
from web.library import fetch_all
from web.responses import actor, int_param, is_htmx, see_other
from web.templating import templates
from web.writes import write


async def _export_or_404(request: Request) -> dict[str, Any]:
    export_id = request.path_params["id"]
    row = await fetch_export(request.app.state.read_db, export_id)
    if row is None:
        raise HTTPException(404, f"There is no export #{export_id}.")
    return row


async def _saved(request: Request) -> Any:
    rows = await fetch_all(request.app.state.read_db, "SELECT key, value FROM user_settings")
    return settings_from({r[0]: r[1] for r in rows}, request.app.state.settings)


# The export page: settings, a dry run, past exports --------------------------------------------------


async def _export_page(request: Request, status_code: int = 200, **form: Any) -> Response:
    db = request.app.state.read_db
    rows, next_before = await list_exports(db, int_param(request, "before"))
    chosen = await _saved(request)
    context = {
        "chosen": chosen,
        "exports": rows,
        "next_before": next_before,
        "imports": await import_choices(db),
        "form": form,
        "saved": request.query_params.get("saved") == "1",
    }
    return templates.TemplateResponse(request, "exports.html", context, status_code=status_code)


async def export_page(request: Request) -> Response:
    return await _export_page(request)


async def save_settings(request: Request) -> Response:
    async with request.form() as form:
        dest = str(form.get("dest") or "")
        layout = str(form.get("layout") or "")
        include = form.get("include_review") == "1"
    settings = request.app.state.settings
    try:
        await write(request.app, save_export_settings, settings, dest, layout, include)
    except BadDestination as refused:
        return await _export_page(request, 400, dest=dest, layout=layout, dest_error=str(refused))
    except BadTemplate as refused:
        return await _export_page(request, 400, dest=dest, layout=layout, layout_error=str(refused))
    return see_other("/export?saved=1")


def _create(conn: Any, settings: Any, import_id: int | None, dry_run: bool) -> int:
    return create_export(conn, export_settings(conn, settings), import_id, dry_run)


async def start_export(request: Request) -> Response:
    async with request.form() as form:
        scope = str(form.get("import_id") or "")
        dry_run = form.get("dry_run") == "1"
    import_id = int(scope) if scope.isdigit() else None
    export_id = await write(request.app, _create, request.app.state.settings, import_id, dry_run)
    return see_other(f"/exports/{export_id}")


async def exports_api(request: Request) -> Response:
    rows, next_before = await list_exports(request.app.state.read_db, int_param(request, "before"))
    return JSONResponse({"exports": [export_record(r) for r in rows], "next_before": next_before})


# One export ------------------------------------------------------------------------------------------


async def _context(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    db = request.app.state.read_db
    context: dict[str, Any] = {"x": row, "active": row["state"] in (*ACTIVE, "paused")}
    if row["plan"]:
        context["sample"] = await sample(db, row["id"])
    if row["state"] == "done" and not row["dry_run"]:
        scopes = await fetch_all(db, SCOPES_SQL, (row["id"],))
        context["uploads"] = sum(s["files"] for s in scopes if s["kind"] == "upload")
        context["folders"] = [dict(s) for s in scopes if s["kind"] == "folder"]
        context["acted"] = await source_counts(db, row["id"])
        context["manifest"] = (Path(row["dest"]) / CSV_NAME).is_file()
    return context


async def export_job_page(request: Request) -> Response:
    row = await _export_or_404(request)
    return templates.TemplateResponse(request, "export.html", await _context(request, row))


async def progress_fragment(request: Request) -> Response:
    row = await _export_or_404(request)
    template = "fragments/export_progress.html" if is_htmx(request) else "export.html"
    return templates.TemplateResponse(request, template, await _context(request, row))


async def export_api(request: Request) -> Response:
    row = await _export_or_404(request)
    record = export_record(row)
    record["sample"] = await sample(request.app.state.read_db, row["id"]) if row["plan"] else []
    return JSONResponse(record)


def _control(action: Callable[..., Any]) -> Callable[[Request], Any]:
    """A POST that changes the export's state, then shows the panel (HTMX) or the export page."""

    async def handler(request: Request) -> Response:
        row = await _export_or_404(request)
        await write(request.app, action, row["id"])
        if not is_htmx(request):
            return see_other(f"/exports/{row['id']}")
        fresh = await _export_or_404(request)
        return templates.TemplateResponse(
            request, "fragments/export_progress.html", await _context(request, fresh)
        )

    handler.__name__ = action.__name__
    return handler


pause = _control(pause_export)
resume = _control(resume_export)
cancel = _control(cancel_export)


async def files_page(request: Request) -> Response:
    """The files held back for date review, or the ones that failed, with why."""
    row = await _export_or_404(request)
    which = request.url.path.rsplit("/", 1)[-1]  # held or failed
    after = int_param(request, "after", 0)
    items, next_after = await item_page(request.app.state.read_db, row["id"], which, after)
    context = {"x": row, "which": which, "items": items, "next_after": next_after, "after": after}
    return templates.TemplateResponse(request, "export_files.html", context)


async def manifest(request: Request) -> Response:
    row = await _export_or_404(request)
    name = {"csv": CSV_NAME, "jsonl": JSONL_NAME}.get(request.path_params["kind"])
    if name is None:
        raise HTTPException(404, "The manifest is manifest.csv or manifest.jsonl.")
    path = Path(row["dest"]) / name
    if not path.is_file():
        raise HTTPException(404, "This export has no manifest yet: it is written when the export ends.")
    media = "text/csv" if name == CSV_NAME else "application/jsonl"
    return FileResponse(path, media_type=f"{media}; charset=utf-8", filename=f"export-{row['id']}-{name}")


# Originals, after a verified export ----------------------------------------------------------------


async def _scope(request: Request, row: dict[str, Any], scope: str) -> dict[str, Any]:
    scopes = await fetch_all(request.app.state.read_db, SCOPES_SQL, (row["id"],))
    if scope == "uploads":
        files = sum(s["files"] for s in scopes if s["kind"] == "upload")
        return {"scope": scope, "files": files, "folder": None}
    for s in scopes:
        if s["kind"] == "folder" and scope == f"import:{s['import_id']}":
            return {"scope": scope, "files": s["files"], "folder": s["root"]}
    return {"scope": scope, "files": 0, "folder": None}


async def sources_confirm(request: Request) -> Response:
    """Names the count and the folder before anything happens to an original."""
    row = await _export_or_404(request)
    action = request.query_params.get("action", "trash")
    if action not in ACTIONS or row["state"] != "done" or row["dry_run"]:
        return see_other(f"/exports/{row['id']}")
    chosen = await _scope(request, row, request.query_params.get("scope", ""))
    trash = trash_dir(request.app.state.settings) / f"export-{row['id']}"
    context = {"x": row, "action": action, "trash": trash, **chosen}
    return templates.TemplateResponse(request, "export_sources.html", context)


async def sources_act(request: Request) -> Response:
    row = await _export_or_404(request)
    async with request.form() as form:
        action, scope = str(form.get("action") or ""), str(form.get("scope") or "")
        confirmed = str(form.get("count") or "")
    chosen = await _scope(request, row, scope)
    # The count the person saw must still be the count: anything else is a stale page.
    stale = confirmed != str(chosen["files"]) or row["state"] != "done" or row["dry_run"]
    if action not in ACTIONS or not chosen["files"] or stale:
        return see_other(f"/exports/{row['id']}/sources?action={action}&scope={scope}&stale=1")
    who = actor(request)
    await write(request.app, lambda _conn: start_sources(row["id"], action, scope, who))
    return see_other(f"/exports/{row['id']}?sources={action}")
