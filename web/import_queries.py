"""Reads behind the import pages and their /api twins, on the aiosqlite Reader (storage.db).

Each page reads a handful of rows by index: one imports row for the progress poll, keyset pages
(id > after) for file lists, so a poll or page 50 costs what page 1 does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.db import Reader
from web.progress import progress

IMPORTS_PAGE = 50
PROBLEMS_PAGE = 100

IMPORT_SQL = "SELECT * FROM imports WHERE id = ?"

# Newest first, paged backwards by id.
IMPORTS_SQL = """
SELECT * FROM imports
WHERE (:before IS NULL OR id < :before)
ORDER BY id DESC
LIMIT :limit
"""

# Served by files_import_status (import_id, status), whose entries are in id order within a status.
PROBLEM_FILES_SQL = """
SELECT id, rel_path, status_reason
FROM files
WHERE import_id = :import_id AND status = :status AND id > :after
ORDER BY id
LIMIT :limit
"""


async def fetch_import(conn: Reader, import_id: int) -> dict[str, Any] | None:
    async with conn.execute(IMPORT_SQL, (import_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else dict(row)


async def list_imports(
    conn: Reader, before: int | None, limit: int = IMPORTS_PAGE
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of imports, newest first, and the `before` value of the next page (None: last page)."""
    async with conn.execute(IMPORTS_SQL, {"before": before, "limit": limit + 1}) as cursor:
        rows = [dict(row) for row in await cursor.fetchall()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more else None)


async def problem_files(
    conn: Reader, import_id: int, status: str, after: int, limit: int = PROBLEMS_PAGE
) -> tuple[list[dict[str, Any]], int | None]:
    """Files of one import with status error or skipped, with reasons; and the next `after`."""
    params = {"import_id": import_id, "status": status, "after": after, "limit": limit + 1}
    async with conn.execute(PROBLEM_FILES_SQL, params) as cursor:
        rows = [
            {"id": row["id"], "path": row["rel_path"], "reason": row["status_reason"]}
            for row in await cursor.fetchall()
        ]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more else None)


def import_record(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The JSON shape of one import: its stored fields plus the computed progress."""
    return {**row, "progress": progress(row, now)}
