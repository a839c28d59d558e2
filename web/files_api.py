"""`GET /api/files`: every file of the library as JSON, keyset-paged by id, through the same query
as `mediaparser files --json` (storage/files.py)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from storage.files import FILES_PAGE_SQL, file_record, page_params
from web.responses import int_param

STATUSES = ("pending", "processed", "error", "skipped")


async def files_api(request: Request) -> Response:
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    params = page_params(
        after=int_param(request, "after", 0),
        limit=int_param(request, "limit", 100),
        import_id=int_param(request, "import"),
        status=status,
    )
    limit = params["limit"]
    # One row more than asked says whether another page exists, so the last page has no `next`.
    async with request.app.state.read_db.execute(FILES_PAGE_SQL, {**params, "limit": limit + 1}) as cursor:
        rows = await cursor.fetchall()
    files = [file_record(row) for row in rows[:limit]]
    next_after = files[-1]["id"] if len(rows) > limit else None
    return JSONResponse({"files": files, "next_after": next_after})
