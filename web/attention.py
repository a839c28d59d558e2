"""What needs a person, counted for the home page: each number links into its queue."""

from __future__ import annotations

from typing import Any

from storage.db import Reader
from storage.library import GROUP_IS_OPEN, NEEDS_DATE_REVIEW

# Each count is served by a partial index (migration 0002), so the home page stays instant.
ATTENTION_SQL = f"""
SELECT (SELECT count(*) FROM files f WHERE {NEEDS_DATE_REVIEW}) AS dates,
       (SELECT count(*) FROM dup_groups g WHERE class = 'exact' AND {GROUP_IS_OPEN}) AS exact,
       (SELECT count(*) FROM dup_groups g WHERE class = 'same' AND {GROUP_IS_OPEN}) AS same,
       (SELECT count(*) FROM dup_groups g WHERE class = 'similar' AND {GROUP_IS_OPEN}) AS similar,
       -- As the grid counts them: a file set aside is out of the library, errors and all.
       (SELECT count(*) FROM files WHERE status = 'error' AND discarded = 0) AS errors,
       (SELECT count(*) FROM files WHERE status = 'processed') AS files
"""


async def attention(conn: Reader) -> dict[str, Any]:
    async with conn.execute(ATTENTION_SQL) as cursor:
        row = await cursor.fetchone()
    return dict(row)
