"""Reads behind the export pages and their /api twins, on the aiosqlite Reader (storage.db)."""

from __future__ import annotations

import json
from typing import Any

from jobs.exports import FAILED_SQL, HELD_SQL, SAMPLE_SQL
from storage.db import Reader

EXPORTS_PAGE = 30
LIST_PAGE = 100
SAMPLE_ROWS = 20

EXPORTS_SQL = """
SELECT x.*, i.label AS import_label FROM exports x LEFT JOIN imports i ON i.id = x.import_id
WHERE (:before IS NULL OR x.id < :before) ORDER BY x.id DESC LIMIT :limit
"""
IMPORT_CHOICES_SQL = """
SELECT id, label, kind, files_done FROM imports WHERE state = 'done' ORDER BY id DESC LIMIT 200
"""
SOURCE_COUNTS_SQL = """
SELECT source_action, count(*) FROM export_items WHERE export_id = ? AND source_action IS NOT NULL
GROUP BY source_action
"""


async def _all(conn: Reader, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    async with conn.execute(sql, params) as cursor:
        return [dict(row) for row in await cursor.fetchall()]


async def fetch_export(conn: Reader, export_id: int) -> dict[str, Any] | None:
    rows = await _all(
        conn,
        "SELECT x.*, i.label AS import_label FROM exports x LEFT JOIN imports i ON i.id = x.import_id"
        " WHERE x.id = ?",
        (export_id,),
    )
    if not rows:
        return None
    row = rows[0]
    row["options"] = json.loads(row["options"] or "{}")
    row["plan"] = json.loads(row["plan_summary"] or "{}")
    return row


async def list_exports(
    conn: Reader, before: int | None, limit: int = EXPORTS_PAGE
) -> tuple[list[dict[str, Any]], int | None]:
    rows = await _all(conn, EXPORTS_SQL, {"before": before, "limit": limit + 1})
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row["plan"] = json.loads(row["plan_summary"] or "{}")
    return rows, (rows[-1]["id"] if more else None)


async def import_choices(conn: Reader) -> list[dict[str, Any]]:
    return await _all(conn, IMPORT_CHOICES_SQL)


async def sample(conn: Reader, export_id: int) -> list[dict[str, Any]]:
    return await _all(conn, SAMPLE_SQL, (export_id, SAMPLE_ROWS))


async def item_page(
    conn: Reader, export_id: int, which: str, after: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Held-back or failed files, a keyset page at a time."""
    sql = HELD_SQL if which == "held" else FAILED_SQL
    rows = await _all(conn, sql, (export_id, after, LIST_PAGE + 1))
    more = len(rows) > LIST_PAGE
    rows = rows[:LIST_PAGE]
    return rows, (rows[-1]["file_id"] if more else None)


async def source_counts(conn: Reader, export_id: int) -> dict[str, int]:
    async with conn.execute(SOURCE_COUNTS_SQL, (export_id,)) as cursor:
        return {row[0]: row[1] for row in await cursor.fetchall()}


def export_record(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON twin's view of one export."""
    keys = (
        "id",
        "dest",
        "import_id",
        "state",
        "created_at",
        "started_at",
        "finished_at",
        "files_total",
        "files_done",
        "files_error",
        "bytes_done",
        "error",
    )
    record = {key: row[key] for key in keys}
    record["dry_run"] = bool(row["dry_run"])
    record["options"] = row["options"] if isinstance(row["options"], dict) else json.loads(row["options"] or "{}")
    record["plan"] = row["plan"]
    return record
