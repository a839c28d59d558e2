"""The date-review queue (`/review/dates`): one file at a time, its candidates with their sources,
and the ways to settle it: accept a candidate, type a time, shift a camera's clock, or apply the
same choice to the rest of its folder or camera. The queue is the library's "needs date review"
filter, so any grid filter narrows it and the URL says which file is on screen.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobs import review
from jobs.corrections import BadCorrection, from_evidence, shift_minutes, typed_time
from storage.library import TILE_COLUMNS, View, count_sql, filter_query, neighbour_sql, page_sql, position_sql
from web.history import flash, refusal
from web.library import fetch_all, fetch_value, view_from
from web.responses import actor, int_param, page_at_address, refused_page, see_other, with_params
from web.writes import write

FILE_SQL = f"""
SELECT {TILE_COLUMNS}, f.reasons, f.offset_source, f.source_path,
       (SELECT count(*) FROM evidence e WHERE e.file_id = f.id) AS evidence_count
FROM files f WHERE f.id = ?
"""
EVIDENCE_SQL = """
SELECT id, source, raw, local_time, utc_offset, is_utc, precision, merged_from FROM evidence
WHERE file_id = ? ORDER BY local_time IS NULL, id
"""
SCOPE_COUNT_SQL = {scope: f"SELECT count(*) FROM ({sql})" for scope, sql in review.SCOPE_SQL.items()}
PATTERN_COUNT_SQL = {scope: f"SELECT count(*) FROM ({sql})" for scope, sql in review.PATTERN_SQL.items()}


@lru_cache(maxsize=1)
def zone_names() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def queue_view(request: Request) -> View:
    # Import order by default: a folder's files come together, as the scan walked them, and the
    # queue's partial index serves position and neighbours without sorting.
    return replace(view_from(request, sort="imported"), problem="dates")


def candidates(rows: list[Any], zone: str | None) -> list[dict[str, Any]]:
    """Each dated piece of evidence, with the time accepting it would set (UTC sources in the file's zone)."""
    found = []
    for e in rows:
        if not e["local_time"]:
            continue
        try:
            value = from_evidence(e["local_time"], e["utc_offset"], bool(e["is_utc"]), e["precision"], zone)
        except (ValueError, KeyError):
            continue
        found.append({"evidence": dict(e), "value": value})
    return found


async def queue_state(request: Request, file_id: int | None = None) -> dict[str, Any]:
    conn = request.app.state.read_db
    view = queue_view(request)
    file_id = file_id if file_id is not None else int_param(request, "file")
    row = None
    if file_id is not None:
        row = next(iter(await fetch_all(conn, FILE_SQL, (file_id,))), None)
        if row is None:
            raise HTTPException(404, f"There is no file #{file_id}.")
    else:
        first = await fetch_all(conn, *page_sql(replace(view, per=1)))
        if first:
            row = (await fetch_all(conn, FILE_SQL, (first[0]["id"],)))[0]
    state: dict[str, Any] = {
        "view": view,
        "filter_query": filter_query(replace(view, problem=None)),
        "total": await fetch_value(conn, *count_sql(view, cap=None)),
        "file": row,
        "flash": await flash(conn, request.query_params.get("done")),
        "refusal": refusal(request),
    }
    if row is None:
        return state
    evidence = await fetch_all(conn, EVIDENCE_SQL, (row["id"],))
    nxt = await fetch_all(conn, *neighbour_sql(view, row, forward=True))
    prev = await fetch_all(conn, *neighbour_sql(view, row, forward=False))
    in_queue = row["status"] == "processed" and not row["discarded"] and (
        row["confidence"] in ("low", "none") or row["conflict"]
    )
    state.update(
        evidence=evidence,
        candidates=candidates(evidence, row["taken_zone"]),
        reasons=json.loads(row["reasons"]) if row["reasons"] else [],
        next_id=nxt[0]["id"] if nxt else None,
        prev_id=prev[0]["id"] if prev else None,
        position=(await fetch_value(conn, *position_sql(view, row))) + 1 if in_queue else None,
        in_queue=in_queue,
        scope_counts={
            scope: await fetch_value(conn, sql, {"file_id": row["id"]}) for scope, sql in SCOPE_COUNT_SQL.items()
        },
        offers=await pattern_offers(request, state["flash"]),
    )
    return state


async def pattern_offers(request: Request, done: dict[str, Any] | None) -> list[dict[str, Any]]:
    """After a file's date was taken from a source (a candidate picked, or "this date is right" for
    the engine's choice): how many other queued files in its folder, or from its camera, have a
    candidate from the same source (the engine found the same pattern)."""
    if not done or not done.get("row") or done["row"]["kind"] != "date" or done["row"]["rows"] != 1:
        return []
    payload = json.loads(done["row"]["payload"] or "{}")
    if not payload.get("accepted"):
        return []
    offers = []
    for scope in ("folder", "camera"):
        params = {"file_id": done["row"]["file_id"], "source": payload["accepted"]}
        count = await fetch_value(request.app.state.read_db, PATTERN_COUNT_SQL[scope], params)
        if count:
            offers.append({"scope": scope, "count": count, "source": payload["accepted"],
                           "file_id": done["row"]["file_id"]})
    return offers


def queue_url(view: View, **params: Any) -> str:
    base = "/review/dates"
    query = filter_query(replace(view, problem=None))
    if view.sort != "imported" or view.order != "asc":
        query = "&".join(p for p in (query, f"sort={view.sort}&order={view.order}") if p)
    return with_params(f"{base}?{query}" if query else base, **params)


async def dates_page(request: Request) -> Response:
    state = await queue_state(request)
    state["queue_url"] = queue_url
    state["queue_query"] = queue_url(state["view"])[len("/review/dates") :]
    state["zones"] = zone_names()
    return page_at_address(request, "review_dates.html", state)


async def dates_api(request: Request) -> Response:
    state = await queue_state(request)
    row = state["file"]
    body: dict[str, Any] = {"total": state["total"], "file": None}
    if row is not None:
        body.update(
            file={"id": row["id"], "path": row["rel_path"], "taken": row["taken_local"],
                  "offset": row["taken_offset"], "zone": row["taken_zone"], "confidence": row["confidence"],
                  "conflict": bool(row["conflict"]), "reasons": state["reasons"]},
            candidates=[{"evidence_id": c["evidence"]["id"], "source": c["evidence"]["source"],
                         "raw": c["evidence"]["raw"], **c["value"]} for c in state["candidates"]],
            position=state["position"], next=state["next_id"], previous=state["prev_id"],
        )
    return JSONResponse(body)


# Deciding ----------------------------------------------------------------------------------------


def decide_date(conn: Any, settings: Any, file_id: int, form: dict[str, str], who: str) -> str | None:
    """Carry out one queue form; returns the batch, or None when there was nothing to do."""
    action = form.get("action", "")
    if action == "accept" and form.get("evidence", "").isdigit():
        batch, n = review.accept_evidence(conn, settings, {file_id: int(form["evidence"])}, who)
    elif action == "accept_current":
        batch, n = review.accept_current(conn, settings, [file_id], who)
    elif action == "set":
        row = conn.execute("SELECT taken_zone, taken_offset FROM files WHERE id = ?", (file_id,)).fetchone()
        payload = typed_time(form.get("local", ""), form.get("zone", ""), row["taken_zone"], row["taken_offset"])
        batch, n = review.set_dates(conn, settings, {file_id: payload}, who), 1
    elif action == "shift":
        ids = review.scope_ids(conn, file_id, form.get("scope", "file"))
        batch, n = review.shift_dates(conn, settings, ids, shift_minutes(form.get("minutes", "")), who)
    elif action == "apply":
        batch, n = review.apply_pattern(conn, settings, file_id, form.get("source", ""), form.get("scope", ""), who)
    else:
        raise BadCorrection("choose one of the actions on the page")
    return batch if n else None


async def decide(request: Request) -> Response:
    file_id = request.path_params["id"]
    view = queue_view(request)
    async with request.form() as form:
        fields = {k: str(v) for k, v in form.items()}
    conn = request.app.state.read_db
    current = await fetch_all(conn, FILE_SQL, (file_id,))
    if not current:
        raise HTTPException(404, f"There is no file #{file_id}.")
    # Where to go next is decided before the write: this file leaves the queue once it has a date.
    nxt = await fetch_all(conn, *neighbour_sql(view, current[0], forward=True))
    try:
        batch = await write(request.app, decide_date, request.app.state.settings, file_id, fields, actor(request))
    except BadCorrection as bad:
        state = await queue_state(request, file_id)
        state.update(queue_url=queue_url, zones=zone_names(), error=str(bad), typed=fields,
                     back_url=queue_url(view, file=file_id), queue_query=queue_url(view)[len("/review/dates") :])
        return refused_page(request, "review_dates.html", state)
    if fields.get("action") == "apply" or not nxt:
        return see_other(queue_url(view, done=batch))  # the first file still waiting
    return see_other(queue_url(view, file=nxt[0]["id"], done=batch))


async def decision_address(request: Request) -> Response:
    """The address a form posted to, opened again (Back, reload, a bookmark): that file in the queue."""
    return see_other(queue_url(queue_view(request), file=request.path_params["id"]))
