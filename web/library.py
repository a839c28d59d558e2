"""The library grid (`/library`) and its JSON twin: every filter, the sort and the page live in the
URL, so a view is bookmarked, shared to a phone and reloaded as it was. Tag suggestions too."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from jobs.tagging import SUGGEST_SQL, TAG_COUNTS_SQL
from storage.db import Reader
from storage.library import (
    COUNT_CAP,
    TAG_FILES_SQL,
    BadFilter,
    View,
    count_sql,
    cursor_for,
    filter_query,
    is_filtered,
    page_sql,
    parse_view,
    query_string,
    tile_record,
)
from web.history import flash, refusal
from web.responses import is_htmx
from web.templating import templates

IMPORTS_SQL = "SELECT id, label, root FROM imports ORDER BY id DESC LIMIT 200"
# The grid's tag list is a plain read of names; counting uses would cost a scan of every tagging.
TAGS_SQL = "SELECT name FROM tags ORDER BY name COLLATE NOCASE LIMIT 300"


async def tag_files(conn: Reader, view: View) -> int:
    return await fetch_value(conn, TAG_FILES_SQL, (view.tag,)) if view.tag else 0


async def count(conn: Reader, view: View) -> int:
    """Matches, up to COUNT_CAP + 1 (shown as "more than 1,000")."""
    return await fetch_value(conn, *count_sql(view, tag_files=await tag_files(conn, view)))


def view_from(request: Request, **defaults: Any) -> View:
    try:
        return parse_view(request.query_params, **defaults)
    except BadFilter as bad:
        raise HTTPException(400, str(bad)) from None


async def fetch_all(conn: Reader, sql: str, params: Any = ()) -> list[Any]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def fetch_value(conn: Reader, sql: str, params: Any = ()) -> Any:
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def read_page(conn: Reader, view: View) -> tuple[list[Any], str | None]:
    """The page's rows and the URL query of the next page (None on the last one)."""
    rows = await fetch_all(conn, *page_sql(view, await tag_files(conn, view)))
    more = len(rows) > view.per
    rows = rows[: view.per]
    return rows, query_string(view, after=cursor_for(view, rows[-1])) if more and rows else None


async def library_page(request: Request) -> Response:
    view = view_from(request)
    conn = request.app.state.read_db
    rows, next_query = await read_page(conn, view)
    context = {
        "view": view,
        "files": rows,
        "next_query": next_query,
        "this_query": query_string(view),
        "filter_query": filter_query(view),
        "filtered": is_filtered(view),
        "total": await count(conn, view),
        "count_cap": COUNT_CAP,
        "imports": await fetch_all(conn, IMPORTS_SQL),
        "tags": await fetch_all(conn, TAGS_SQL),
        "flash": await flash(conn, request.query_params.get("done")),
        "refusal": refusal(request),
        "query_string": query_string,
    }
    if is_htmx(request) and request.headers.get("hx-target") == "more-tiles":
        # "Show more" appends the next tiles in place; the full page answers the same URL otherwise.
        return templates.TemplateResponse(request, "fragments/tiles.html", context)
    return templates.TemplateResponse(request, "library.html", context)


async def library_api(request: Request) -> Response:
    view = view_from(request)
    rows, next_query = await read_page(request.app.state.read_db, view)
    total = await count(request.app.state.read_db, view)
    return JSONResponse(
        {
            "files": [tile_record(r) for r in rows],
            "next": f"/api/library?{next_query}" if next_query else None,
            # Past the cap the count is a floor: "more than 1,000".
            "total": min(total, COUNT_CAP),
            "total_exact": total <= COUNT_CAP,
        }
    )


async def tag_suggestions(request: Request) -> Response:
    """Options for the tag inputs' shared <datalist> as the person types (HTMX); the tags page for a
    plain request, so the address works as a link too."""
    q = request.query_params.get("q", request.query_params.get("tag", "")).strip()[:60]
    if not is_htmx(request) and not request.url.path.startswith("/api/"):
        return await tags_page(request)
    rows = await fetch_all(request.app.state.read_db, SUGGEST_SQL, {"q": q, "limit": 20})
    if request.url.path.startswith("/api/"):
        return JSONResponse({"tags": [{"name": r["name"], "files": r["files"]} for r in rows]})
    html = templates.get_template("fragments/tag_options.html").render(tags=[r["name"] for r in rows])
    return HTMLResponse(html)


async def tags_page(request: Request) -> Response:
    """Every tag with how many files carry it; each links to the grid filtered by it."""
    q = request.query_params.get("q", "").strip()[:60]
    if q:
        rows = await fetch_all(request.app.state.read_db, SUGGEST_SQL, {"q": q, "limit": 1000})
    else:
        rows = await fetch_all(request.app.state.read_db, TAG_COUNTS_SQL)
    return templates.TemplateResponse(request, "tags.html", {"tags": rows, "q": q})
