"""What just happened, and taking it back: the message shown after an action (found from the
`done=BATCH` in the URL, so it survives a reload and needs no session) and the undo endpoint."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from jobs.review import CannotUndo, undo
from storage.db import Reader
from web.responses import actor, safe_back, see_other, with_params
from web.writes import write

# What went wrong goes back in the URL as a code, not as text, so no link can make a page say
# something we did not write.
REFUSALS = {
    "action": "Choose what to do with the selected files.",
    "none": "Select at least one file first.",
    "shift": "Type the shift like +1h03m, -45m or +2d (a bare number is minutes).",
    "zero": "A shift of zero changes nothing; type one like +1h03m or -45m.",
    "tag": "Type the tag to add or remove.",
    "filter": "The filter of “all matching” is not valid any more; reload the page and try again.",
    "undo_order": "Not undone: a later clock shift started from the time this decision gave. "
    "Undo that shift first (it is in the file's history), then this one.",
}


BATCH_SQL = """
SELECT d.id, d.kind, d.file_id, d.group_id, d.payload, f.rel_path,
       (SELECT count(*) FROM decisions b WHERE b.batch = d.batch) AS rows,
       EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) AS undone,
       (SELECT max(json_extract(b.payload, '$.superseded_by')) FROM decisions b
        WHERE b.batch = d.batch AND b.kind = 'undo') AS superseded_by
FROM decisions d LEFT JOIN files f ON f.id = d.file_id
WHERE d.batch = ? ORDER BY d.id LIMIT 1
"""


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}".replace(",", "\u202f")


def minutes_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "−"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours} h {mins:02d} min" if hours else f"{sign}{mins} min"


def describe(row: Any) -> str:
    """One sentence for the action a batch recorded."""
    kind, n, payload = row["kind"], row["rows"], json.loads(row["payload"] or "{}")
    one = n == 1 and row["rel_path"]
    subject = row["rel_path"] if one else plural(n, "file")
    if kind == "date":
        value = f"{payload.get('local', '').replace('T', ' ')} {payload.get('offset') or ''}".strip()
        return f"Date of {subject} set to {value}." if one else f"Dates set for {subject}."
    if kind == "shift":
        return f"Shifted {subject} by {minutes_text(payload.get('minutes', 0))}."
    if kind == "discard":
        return f"Set aside {subject}: not exported, nothing deleted."
    if kind == "undiscard":
        return f"Brought back {subject}."
    if kind == "tag":
        return f"Tagged {subject} with “{payload.get('tag')}”." if n == 1 else f"Added {plural(n, 'tag')}."
    if kind == "untag":
        return f"Removed “{payload.get('tag')}” from {subject}." if n == 1 else f"Removed {plural(n, 'tag')}."
    if kind == "keep":
        if n > 1:
            return f"Kept the suggested file in {plural(n, 'group')}; the others are set aside."
        return f"Kept one file; set aside {plural(len(payload.get('discarded', [])), 'other')}."
    if kind == "keep_all":
        return "Kept every file of the group."
    if kind == "not_duplicates":
        return "Marked as different pictures: they will not be grouped again."
    if kind == "undo":
        return f"Undone ({plural(n, 'decision')})."
    return f"Saved ({plural(n, 'decision')})."


async def flash(conn: Reader, batch: str | None) -> dict[str, Any] | None:
    if not batch:
        return None
    async with conn.execute(BATCH_SQL, (batch,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    if row["kind"] == "undo" and row["superseded_by"]:
        # Struck from the history, but a later decision already decided the same thing.
        text = f"Undone; a later decision (#{row['superseded_by']}) still decides it, so nothing you see changed."
        return {"text": text, "undo_id": None}
    if row["kind"] == "undo" or row["undone"]:
        return {"text": "Undone. The earlier state is back.", "undo_id": None}
    return {"text": describe(row), "undo_id": row["id"], "row": dict(row)}


def refusal(request: Request) -> str | None:
    return REFUSALS.get(request.query_params.get("refused", ""))


async def undo_decision(request: Request) -> Response:
    """POST /decisions/{id}/undo: reverse that decision with the rest of its action."""
    async with request.form() as form:
        back = safe_back(str(form.get("back") or ""), "/library")
    decision_id = request.path_params["id"]
    try:
        batch, _ = await write(request.app, undo, request.app.state.settings, decision_id, actor(request))
    except CannotUndo:
        return see_other(with_params(back, done=None, refused="undo_order"))
    if urlsplit(back).path == "/review/dates":
        # U in the date queue: back to the file whose date was undone (the queue had moved past it).
        sql = "SELECT file_id FROM decisions WHERE id = ? AND file_id IS NOT NULL"
        async with request.app.state.read_db.execute(sql, (decision_id,)) as cursor:
            row = await cursor.fetchone()
        if row:
            return see_other(with_params(back, file=row["file_id"], done=batch))
    return see_other(with_params(back, done=batch))
