"""The browser-upload API behind static/upload.js.

POST /api/uploads                    a new upload import -> {id, url}
GET  /api/uploads/{id}               its state and the files received so far (to resume)
PUT  /api/uploads/{id}/files?path=&lastModified=   one file, the raw bytes as the body
POST /api/uploads/{id}/finish        no more files: analyse what arrived

Bodies are streamed to disk in chunks, never held whole in memory, and the size limit is enforced
while streaming as well as from Content-Length. Errors are JSON {"error": sentence} so the page can
show them beside the file they concern.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from jobs.imports import NotReceiving, create_upload_import, finish_upload
from jobs.scan import is_within
from storage.datadir import uploads_dir
from web.responses import json_error
from web.upload_store import (
    UnsafePath,
    browser_mtime,
    clean_rel_path,
    open_temp,
    seal,
    store_upload,
)
from web.writes import write

# Bytes gathered before each write to disk: few thread hops per file, little memory per upload.
WRITE_CHUNK = 1024 * 1024
MAX_LABEL = 200
DEFAULT_LABEL = "Upload from a browser"


class TooLarge(Exception):
    pass


async def _upload_row(request: Request) -> dict[str, Any] | Response:
    import_id = request.path_params["id"]
    async with request.app.state.read_db.execute(
        "SELECT id, kind, state, files_total FROM imports WHERE id = ?", (import_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row["kind"] != "upload":
        return json_error(404, f"There is no upload #{import_id}.")
    return dict(row)


def _not_receiving(state: str) -> Response:
    return json_error(409, f"This upload no longer takes files (it is {state}); start a new upload.")


async def create_upload_api(request: Request) -> Response:
    # An optional JSON body {"label": "Holiday 2019"}: the page names the upload after what was dropped.
    label = DEFAULT_LABEL
    with contextlib.suppress(ValueError):
        body = json.loads(await request.body() or b"{}")
        if isinstance(body, dict) and isinstance(body.get("label"), str) and body["label"].strip():
            label = body["label"].strip()[:MAX_LABEL]
    uploads = uploads_dir(request.app.state.settings)
    import_id = await write(request.app, create_upload_import, uploads, label)
    return JSONResponse({"id": import_id, "url": f"/imports/{import_id}"}, status_code=201)


async def upload_api(request: Request) -> Response:
    row = await _upload_row(request)
    if isinstance(row, Response):
        return row
    async with request.app.state.read_db.execute(
        "SELECT rel_path, size, browser_mtime FROM files WHERE import_id = ? ORDER BY id", (row["id"],)
    ) as cursor:
        files = [
            {"path": f["rel_path"], "size": f["size"], "lastModified": _ms(f["browser_mtime"])}
            for f in await cursor.fetchall()
        ]
    return JSONResponse(
        {"id": row["id"], "state": row["state"], "url": f"/imports/{row['id']}", "files": files}
    )


def _ms(iso: str | None) -> int | None:
    try:
        return round(datetime.fromisoformat(iso or "").timestamp() * 1000)
    except ValueError:
        return None


async def _receive(request: Request, handle: IO[bytes], limit: int) -> int:
    """Stream the body into handle; the byte count, or TooLarge as soon as it passes the limit."""
    size = 0
    pending = bytearray()
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        pending += chunk
        if len(pending) >= WRITE_CHUNK:
            data, pending = pending, bytearray()
            await run_in_threadpool(handle.write, data)
    if pending:
        await run_in_threadpool(handle.write, pending)
    return size


async def put_file(request: Request) -> Response:
    row = await _upload_row(request)
    if isinstance(row, Response):
        return row
    if row["state"] != "receiving":
        return _not_receiving(row["state"])
    shown = request.query_params.get("path", "")
    try:
        rel_path = clean_rel_path(shown)
    except UnsafePath as unsafe:
        return json_error(400, f"Refused: {unsafe}.")
    settings = request.app.state.settings
    limit = settings.max_upload_mb * 1024 * 1024
    too_large = json_error(413, f"{rel_path} is larger than the {settings.max_upload_mb} MB limit")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return too_large
    folder: Path = uploads_dir(settings) / str(row["id"])
    if not is_within(folder / rel_path, folder):
        return json_error(400, f"Refused: {rel_path} would be stored outside this upload's folder.")

    try:
        tmp, handle = await run_in_threadpool(open_temp, folder / rel_path)
    except OSError as error:  # e.g. a folder of that name is a file uploaded earlier
        return json_error(409, f"{rel_path} cannot be stored: {(error.strerror or str(error)).lower()}")
    try:
        size = await _receive(request, handle, limit)
        mtime = browser_mtime(request.query_params.get("lastModified"))
        await run_in_threadpool(seal, handle, mtime)
        file_id, stored_as = await write(
            request.app, store_upload, row["id"], folder, rel_path, tmp, size, mtime
        )
    except TooLarge:
        return too_large
    except NotReceiving as stopped:
        return _not_receiving(str(stopped))
    except ClientDisconnect:
        # Nobody is left to read an answer; what matters is the cleanup below.
        return Response(status_code=400)
    except OSError as error:  # the disk is full, or went away
        return json_error(507, f"{rel_path} could not be stored: {(error.strerror or str(error)).lower()}")
    finally:
        handle.close()
        # After a success tmp is a second name of the stored file (or already renamed away).
        tmp.unlink(missing_ok=True)
    return JSONResponse({"id": file_id, "path": stored_as, "size": size}, status_code=201)


async def finish_api(request: Request) -> Response:
    row = await _upload_row(request)
    if isinstance(row, Response):
        return row
    if row["state"] != "receiving":
        return _not_receiving(row["state"])
    await write(request.app, finish_upload, row["id"])
    await run_in_threadpool(sweep_partials, uploads_dir(request.app.state.settings) / str(row["id"]))
    return JSONResponse({"id": row["id"], "url": f"/imports/{row['id']}"})


def sweep_partials(folder: Path) -> int:
    """Delete what uploads cut short left behind (a server killed mid-file): hidden temp files that
    were never named or recorded. Only after finishing, when no file of this upload can arrive."""
    removed = 0
    for path in folder.rglob(".*.partial"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed
