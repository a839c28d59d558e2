"""The duplicate queues (`/review/duplicates?class=exact|same|similar`): one open group at a time,
its files side by side with the facts that differ marked and the suggested keeper first; keep
one, keep all, or "not duplicates"; and, behind a confirmation, every suggested keeper at once.
Nothing is deleted: the files not kept are only set aside from the export."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobs import duplicates
from jobs.decisions import GROUP_KINDS, IN_FORCE, new_batch
from storage.files import camera_name
from storage.library import GROUP_IS_OPEN, SUGGESTION_STANDS
from web.history import flash, refusal
from web.library import fetch_all, fetch_value
from web.responses import actor, int_param, page_at_address, refused_page, see_other, with_params
from web.templating import number, templates
from web.writes import write

CLASSES = {"exact": "Exact copies", "same": "Same picture", "similar": "Similar pictures"}
BULK_CLASSES = ("exact", "same")  # similar pictures are different shots: a person picks each

# Only open groups are served: undecided and with files (the home page counts the same). A regroup
# keeps a decided group that lost its files, and an undo can reopen it; an empty group is never shown.
OPEN = GROUP_IS_OPEN
OPEN_COUNTS_SQL = f"SELECT g.class, count(*) AS n FROM dup_groups g WHERE {OPEN} GROUP BY g.class"
GROUP_SQL = "SELECT * FROM dup_groups WHERE id = ?"
HAS_MEMBERS_SQL = "SELECT EXISTS (SELECT 1 FROM dup_members WHERE group_id = ?)"
FIRST_SQL = f"SELECT g.id FROM dup_groups g WHERE g.class = ? AND {OPEN} ORDER BY g.id LIMIT 1"
NEXT_SQL = f"SELECT g.id FROM dup_groups g WHERE g.class = ? AND {OPEN} AND g.id > ? ORDER BY g.id LIMIT 1"
PREV_SQL = (
    f"SELECT g.id FROM dup_groups g WHERE g.class = ? AND {OPEN} AND g.id < ? ORDER BY g.id DESC LIMIT 1"
)
POSITION_SQL = f"SELECT count(*) FROM dup_groups g WHERE g.class = ? AND {OPEN} AND g.id <= ?"
# The file a person kept, while a keep settles the group (so the page can say which one it is).
KEPT_SQL = f"""
SELECT json_extract(d.payload, '$.keeper') FROM decisions d
WHERE d.group_id = ? AND d.kind IN {GROUP_KINDS} AND {IN_FORCE} ORDER BY d.id DESC LIMIT 1
"""
MEMBERS_SQL = """
SELECT f.id, f.rel_path, f.import_id, f.size, f.real_type, f.mime, f.width, f.height, f.duration, f.thumb_path,
       f.camera_make, f.camera_model, f.software, f.taken_local, f.taken_offset, f.confidence, f.discarded,
       f.has_original_date, m.distance,
       (SELECT group_concat(t.name, ', ') FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
        WHERE ft.file_id = f.id) AS tags
FROM dup_members m JOIN files f ON f.id = m.file_id
WHERE m.group_id = ?
ORDER BY f.id = (SELECT keeper_id FROM dup_groups WHERE id = m.group_id) DESC, f.id
"""
BULK_SQL = f"""
SELECT count(DISTINCT g.id) AS groups, count(m.file_id) - count(DISTINCT g.id) AS aside
FROM dup_groups g JOIN dup_members m ON m.group_id = g.id
WHERE g.class = ? AND {OPEN} AND {SUGGESTION_STANDS}
"""

# The facts compared side by side; a row whose values differ is marked.
FACTS = (
    ("Size", lambda f: f"{f['width']}×{f['height']}" if f["width"] else "—"),
    ("File size", lambda f: f"{number(round((f['size'] or 0) / 1024))} KB"),
    ("Type", lambda f: (f["real_type"] or "—").upper()),
    ("Taken", lambda f: f"{(f['taken_local'] or '—').replace('T', ' ')} {f['taken_offset'] or ''}".strip()),
    ("Camera original date", lambda f: "yes" if f["has_original_date"] else "no"),
    ("Camera", lambda f: camera_name(f["camera_make"], f["camera_model"]) or "—"),
    ("Edited with", lambda f: f["software"] or "—"),
    ("Tags", lambda f: f["tags"] or "—"),
    ("Import", lambda f: f"#{f['import_id']}"),
)


def kind_of(request: Request) -> str:
    kind = request.query_params.get("class", "")
    if kind and kind not in CLASSES:
        raise HTTPException(400, f"class must be one of {', '.join(CLASSES)}, not {kind!r}")
    return kind


def compare(members: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for label, fact in FACTS:
        values = [fact(m) for m in members]
        rows.append({"label": label, "values": values, "differs": len(set(values)) > 1})
    return rows


async def queue_state(request: Request, group_id: int | None = None) -> dict[str, Any]:
    conn = request.app.state.read_db
    counts = {r["class"]: r["n"] for r in await fetch_all(conn, OPEN_COUNTS_SQL)}
    kind = kind_of(request) or next((k for k in CLASSES if counts.get(k)), "exact")
    group_id = group_id if group_id is not None else int_param(request, "group")
    if group_id is not None and not await fetch_value(conn, HAS_MEMBERS_SQL, (group_id,)):
        # A bookmark to a group whose files were grouped again: the queue goes on from its place.
        group = next(iter(await fetch_all(conn, GROUP_SQL, (group_id,))), None)
        if group is None:
            raise HTTPException(404, f"There is no duplicate group #{group_id}.")
        kind = group["class"]
        after = await fetch_value(conn, NEXT_SQL, (kind, group_id))
        group_id = after or await fetch_value(conn, FIRST_SQL, (kind,))
    elif group_id is None:
        group_id = await fetch_value(conn, FIRST_SQL, (kind,))
    state: dict[str, Any] = {
        "kind": kind,
        "classes": CLASSES,
        "counts": counts,
        "group": None,
        "flash": await flash(conn, request.query_params.get("done")),
        "refusal": refusal(request),
        "bulk": kind in BULK_CLASSES and counts.get(kind),
    }
    if group_id is None:
        return state
    group = next(iter(await fetch_all(conn, GROUP_SQL, (group_id,))), None)
    if group is None:
        raise HTTPException(404, f"There is no duplicate group #{group_id}.")
    members = await fetch_all(conn, MEMBERS_SQL, (group_id,))
    state.update(
        kind=group["class"],
        group=group,
        members=members,
        kept_id=await fetch_value(conn, KEPT_SQL, (group_id,)) if group["resolution"] == "kept" else None,
        facts=compare(members),
        next_id=await fetch_value(conn, NEXT_SQL, (group["class"], group_id)),
        prev_id=await fetch_value(conn, PREV_SQL, (group["class"], group_id)),
        position=await fetch_value(conn, POSITION_SQL, (group["class"], group_id)),
    )
    return state


def queue_url(kind: str, **params: Any) -> str:
    return with_params(f"/review/duplicates?class={kind}", **params)


async def duplicates_page(request: Request) -> Response:
    state = await queue_state(request)
    state["queue_url"] = queue_url
    return page_at_address(request, "review_duplicates.html", state)


async def duplicates_api(request: Request) -> Response:
    state = await queue_state(request)
    group = state["group"]
    body: dict[str, Any] = {"class": state["kind"], "open": state["counts"], "group": None}
    if group is not None:
        body["group"] = {
            "id": group["id"],
            "class": group["class"],
            "resolution": group["resolution"],
            "kept": state["kept_id"],
            "suggested_keeper": group["keeper_id"],
            "keeper_reason": group["keeper_reason"],
            "files": [dict(m) for m in state["members"]],
            "differs": [f["label"] for f in state["facts"] if f["differs"]],
        }
        body.update(next=state["next_id"], previous=state["prev_id"])
    return JSONResponse(body)


def resolve(conn: Any, settings: Any, group_id: int, form: dict[str, str], who: str) -> str:
    batch = new_batch()
    action = form.get("action")
    if action == "keep" and form.get("file", "").isdigit():
        duplicates.keep(conn, settings, group_id, int(form["file"]), who, batch)
    elif action == "keep_all":
        duplicates.keep_all(conn, group_id, who, batch)
    elif action == "not_duplicates":
        duplicates.not_duplicates(conn, group_id, who, batch)
    else:
        raise ValueError("choose keep, keep all or not duplicates")
    return batch


async def decide(request: Request) -> Response:
    group_id = request.path_params["id"]
    conn = request.app.state.read_db
    group = next(iter(await fetch_all(conn, GROUP_SQL, (group_id,))), None)
    if group is None:
        raise HTTPException(404, f"There is no duplicate group #{group_id}.")
    async with request.form() as form:
        fields = {k: str(v) for k, v in form.items()}
    nxt = await fetch_value(conn, NEXT_SQL, (group["class"], group_id))
    try:
        batch = await write(
            request.app, resolve, request.app.state.settings, group_id, fields, actor(request)
        )
    except ValueError as bad:
        # The group's page again, saying why (e.g. that file is already the one kept).
        state = await queue_state(request, group_id)
        state.update(queue_url=queue_url, error=str(bad), back_url=queue_url(group["class"], group=group_id))
        return refused_page(request, "review_duplicates.html", state)
    return see_other(queue_url(group["class"], group=nxt, done=batch))


async def accept_suggested(request: Request) -> Response:
    """GET: say exactly what will happen and ask; POST: keep every suggested file of the class."""
    kind = kind_of(request) or "exact"
    if kind not in BULK_CLASSES:
        raise HTTPException(
            400, "Similar pictures are different shots: choose the one to keep in each group."
        )
    if request.method == "POST":
        batch = new_batch()
        await write(
            request.app, duplicates.keep_suggested, request.app.state.settings, kind, actor(request), batch
        )
        return see_other(queue_url(kind, done=batch))
    row = (await fetch_all(request.app.state.read_db, BULK_SQL, (kind,)))[0]
    context = {"kind": kind, "label": CLASSES[kind], "groups": row["groups"], "aside": row["aside"]}
    return templates.TemplateResponse(request, "confirm_keepers.html", context)
