"""The file page (`/files/{id}`) and its JSON twin: everything known about one file, read in one
place. Both render `file_detail`, so the page and `/api/files/{id}` never disagree.

Every query is by the file's id (or its groups' ids) on an index; the history and lists are capped
so a file with thousands of decisions still opens at once.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobs.tagging import SUGGEST_SQL
from storage.db import Reader
from storage.files import HASH_COLUMNS, file_record
from web import media
from web.history import flash, refusal
from web.templating import human_size, templates

HISTORY_LIMIT = 200
MEMBERS_LIMIT = 300
EVENTS_LIMIT = 100
SHOWN_CHARS = 300  # a metadata value longer than this (base64, maker notes) is cut on the page
TAG_OPTIONS = 50  # the most used tags, offered before anything is typed (and without JavaScript)

# The columns file_record (the /api/files shape) needs, plus what only this page shows.
FILE_SQL = f"""
SELECT f.*, i.label AS import_label,
       (SELECT json_group_array(t.name) FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
        WHERE ft.file_id = f.id) AS tags,
       (SELECT group_id FROM dup_members m WHERE m.file_id = f.id AND m.class = 'exact') AS exact_group,
       (SELECT group_id FROM dup_members m WHERE m.file_id = f.id AND m.class = 'same') AS same_group,
       (SELECT group_id FROM dup_members m WHERE m.file_id = f.id AND m.class = 'similar') AS similar_group,
       -- A keeper is a member of its group: reach it through the file's memberships, not a scan of groups.
       EXISTS (SELECT 1 FROM dup_members m JOIN dup_groups g ON g.id = m.group_id
               WHERE m.file_id = f.id AND g.keeper_id = f.id) AS suggested_keeper,
       {HASH_COLUMNS}
FROM files f JOIN imports i ON i.id = f.import_id
WHERE f.id = ?
"""

TAGS_SQL = """
SELECT t.name, ft.origin FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
WHERE ft.file_id = ? ORDER BY t.name COLLATE NOCASE
"""

METADATA_SQL = "SELECT tags FROM file_metadata WHERE file_id = ?"

EVIDENCE_SQL = """
SELECT e.id, e.source, e.raw, e.local_time, e.utc_offset, e.is_utc, e.precision, e.detail, e.merged_from,
       m.rel_path AS merged_path
FROM evidence e LEFT JOIN files m ON m.id = e.merged_from
WHERE e.file_id = ? ORDER BY e.id
"""

# The file's own decisions and those of its duplicate groups (keep, keep_all...), newest first.
DECISIONS_SQL = """
SELECT id, kind, file_id, group_id, payload, undoes, actor, created_at, batch
FROM decisions
WHERE file_id = :id OR group_id IN (SELECT group_id FROM dup_members WHERE file_id = :id)
ORDER BY id DESC
LIMIT :limit
"""

# Which of those decisions were undone, and by which row. Found by `undoes` rather than assumed to
# share the file or group id, so an undo written for a whole batch is seen on every file it touched.
UNDONE_SQL = """
SELECT undoes, min(id) AS undo_id FROM decisions
WHERE kind = 'undo' AND undoes IN (SELECT value FROM json_each(:ids))
GROUP BY undoes
"""

# How many rows each batch wrote: "Undo" on one of them undoes them all, and the button says so.
BATCH_SIZES_SQL = """
SELECT batch, count(*) AS n FROM decisions
WHERE batch IN (SELECT value FROM json_each(:batches)) AND kind != 'undo'
GROUP BY batch
"""

GROUPS_SQL = """
SELECT g.id, g.class, g.resolution, g.keeper_id, g.keeper_reason, g.representative_id, m.distance
FROM dup_members m JOIN dup_groups g ON g.id = m.group_id
WHERE m.file_id = ? ORDER BY g.id
"""

MEMBERS_SQL = """
SELECT m.group_id, m.distance, f.id, f.rel_path, f.thumb_path, f.discarded, f.width, f.height, f.size
FROM dup_members m JOIN files f ON f.id = m.file_id
WHERE m.group_id IN (SELECT group_id FROM dup_members WHERE file_id = :id) AND m.file_id != :id
ORDER BY m.group_id, f.id
LIMIT :limit
"""

# job_events has no file index; import and level narrow it to this import's problems first.
EVENTS_SQL = """
SELECT id, level, path, message, created_at FROM job_events
WHERE import_id = :import_id AND level IN ('warning', 'error') AND file_id = :id
ORDER BY id
LIMIT :limit
"""

CLASS_LABELS = {"exact": "Exact copies", "same": "Same picture", "similar": "Similar pictures"}
RESOLUTION_LABELS = {
    None: "Waiting for a decision",
    "kept": "One copy kept",
    "keep_all": "All kept",
    "not_duplicates": "Marked as not duplicates",
}


async def _all(conn: Reader, sql: str, params: Any) -> list[dict[str, Any]]:
    async with conn.execute(sql, params) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def needs_date_review(row: Any) -> bool:
    """The date-review queue's rule (storage/library.py NEEDS_DATE_REVIEW), for one row."""
    weak = row["confidence"] in ("low", "none") or bool(row["conflict"])
    return row["status"] == "processed" and not row["discarded"] and weak


def media_kind(mime: str | None) -> str:
    if mime and mime.startswith("video/"):
        return "video"
    return "image" if mime and mime.startswith("image/") else "other"


def file_facts(row: Any) -> dict[str, Any]:
    """The /api/files record of the file plus what only this page shows."""
    return {
        **file_record(row),
        "name": PurePosixPath(row["rel_path"]).name,
        "source_path": row["source_path"],
        "import_label": row["import_label"],
        "kind": media_kind(row["mime"]),
        "orientation": row["orientation"],
        "software": row["software"],
        "has_thumb": bool(row["thumb_path"]),
        "needs_review": needs_date_review(row),
        "created_at": row["created_at"],
        "analysed_at": row["analysed_at"],
    }


def shown_value(value: Any) -> tuple[str, bool]:
    """A metadata value as page text, and whether it was cut."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > SHOWN_CHARS:
        return text[:SHOWN_CHARS] + "…", True
    return text, False


def metadata_groups(tags: dict[str, Any]) -> list[dict[str, Any]]:
    """exiftool's "Group:Tag" keys grouped by group, in the order exiftool reported them."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, value in tags.items():
        group, sep, name = key.partition(":")
        if not sep:
            group, name = "Other", key
        text, cut = shown_value(value)
        groups.setdefault(group, []).append({"name": name, "value": text, "cut": cut})
    return [{"group": group, "tags": rows} for group, rows in groups.items()]


def payload_summary(payload: Any) -> str:
    """A decision's payload in a line: "local: 2019-07-14T10:00, offset: +02:00"."""
    if not isinstance(payload, dict):
        return "" if payload in (None, "") else str(payload)
    parts = [f"{key}: {value}" for key, value in payload.items() if value not in (None, "", [], {})]
    text = ", ".join(parts)
    return text if len(text) <= 200 else text[:200] + "…"


async def _decisions(conn: Reader, file_id: int) -> list[dict[str, Any]]:
    rows = await _all(conn, DECISIONS_SQL, {"id": file_id, "limit": HISTORY_LIMIT})
    ids = json.dumps([row["id"] for row in rows])
    undone = {r["undoes"]: r["undo_id"] for r in await _all(conn, UNDONE_SQL, {"ids": ids})}
    batches = json.dumps(sorted({row["batch"] for row in rows if row["batch"]}))
    sizes = {r["batch"]: r["n"] for r in await _all(conn, BATCH_SIZES_SQL, {"batches": batches})}
    for row in rows:
        payload = _json(row["payload"], {})
        row["payload"] = payload
        row["summary"] = payload_summary(payload)
        row["undone_by"] = undone.get(row["id"])
        row["batch_size"] = sizes.get(row["batch"], 1) if row["batch"] else 1
        row["can_undo"] = row["kind"] != "undo" and row["undone_by"] is None
    return rows


async def _groups(conn: Reader, file_id: int) -> list[dict[str, Any]]:
    groups = await _all(conn, GROUPS_SQL, (file_id,))
    members = await _all(conn, MEMBERS_SQL, {"id": file_id, "limit": MEMBERS_LIMIT})
    for group in groups:
        group["label"] = CLASS_LABELS.get(group["class"], group["class"])
        group["resolution_label"] = RESOLUTION_LABELS.get(group["resolution"], group["resolution"])
        group["is_keeper"] = group["keeper_id"] == file_id
        group["members"] = [
            {
                "id": m["id"],
                "path": m["rel_path"],
                "name": PurePosixPath(m["rel_path"]).name,
                "has_thumb": bool(m["thumb_path"]),
                "discarded": bool(m["discarded"]),
                "is_keeper": m["id"] == group["keeper_id"],
                "distance": m["distance"],
            }
            for m in members
            if m["group_id"] == group["id"]
        ]
    return groups


async def file_detail(conn: Reader, file_id: int) -> dict[str, Any] | None:
    """Everything known about one file, as plain data; None if there is no such file."""
    async with conn.execute(FILE_SQL, (file_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    async with conn.execute(METADATA_SQL, (file_id,)) as cursor:
        meta = await cursor.fetchone()
    metadata = _json(meta["tags"], {}) if meta else {}
    evidence = await _all(conn, EVIDENCE_SQL, (file_id,))
    for item in evidence:
        item["is_utc"] = bool(item["is_utc"])
        item["detail"] = _json(item["detail"], None)
    events = await _all(
        conn, EVENTS_SQL, {"import_id": row["import_id"], "id": file_id, "limit": EVENTS_LIMIT}
    )
    return {
        "file": file_facts(row),
        "tags": await _all(conn, TAGS_SQL, (file_id,)),
        "evidence": evidence,
        "decisions": await _decisions(conn, file_id),
        "duplicate_groups": await _groups(conn, file_id),
        "events": events,
        "metadata": metadata if isinstance(metadata, dict) else {},
    }


async def _detail_or_404(request: Request) -> dict[str, Any]:
    file_id = request.path_params["id"]
    detail = await file_detail(request.app.state.read_db, file_id)
    if detail is None:
        raise HTTPException(
            404, f"There is no file #{file_id}. It may have been a link to a file that was removed."
        )
    return detail


# For the page only: sizes and lengths people read at a glance (the JSON keeps the plain numbers).


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


async def file_page(request: Request) -> Response:
    detail = await _detail_or_404(request)
    conn = request.app.state.read_db
    options = await _all(conn, SUGGEST_SQL, {"q": "", "limit": TAG_OPTIONS})
    context = {
        **detail,
        "f": detail["file"],
        "metadata_groups": metadata_groups(detail["metadata"]),
        "back": f"/files/{detail['file']['id']}",
        "tag_options": [row["name"] for row in options],
        # An action posted from here comes back with done=BATCH (or refused=CODE): say what happened.
        "flash": await flash(conn, request.query_params.get("done")),
        "refusal": refusal(request),
        "human_size": human_size,
        "clock": clock,
    }
    return templates.TemplateResponse(request, "file.html", context)


async def file_api(request: Request) -> Response:
    return JSONResponse(await _detail_or_404(request))


# Wired into web/routes.py as `*file_routes`: the file page, its media by id, and the JSON twin.
file_routes = [
    Route("/files/{id:int}", file_page),
    Route("/files/{id:int}/thumb", media.thumb),
    Route("/files/{id:int}/preview", media.preview),
    Route("/files/{id:int}/original", media.original),
    Route("/api/files/{id:int}", file_api),
]
