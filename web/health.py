"""Is a worker running? Read from the heartbeat rows workers write into the `workers` table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from jobs.heartbeat import MISSED_BEATS_ALLOWED
from storage.db import Reader

WORKERS_SQL = """
SELECT id, hostname, pid, threads, seen_at
FROM workers
"""


def parse_utc(text: str) -> datetime | None:
    """A stored timestamp as an aware datetime (naive text counts as UTC); None if unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        # A garbled row must not take a page down with it; it just has no time (not alive, no ETA).
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def summarise_workers(
    rows: Iterable[Mapping[str, Any]], now: datetime, heartbeat_interval: float
) -> dict[str, Any]:
    """Pure: heartbeat rows and a clock reading (timezone-aware) in, the health summary out.

    Ages are computed here rather than compared as text in SQL, so a row written with another
    offset or precision still sorts and counts correctly.
    """
    limit = MISSED_BEATS_ALLOWED * heartbeat_interval
    alive: list[dict[str, Any]] = []
    last_seen: float | None = None
    for row in rows:
        seen = parse_utc(row["seen_at"])
        if seen is None:
            continue
        # Clamp at zero: a worker on another host with a clock slightly ahead is "just now".
        ago = round(max(0.0, (now - seen).total_seconds()), 1)
        last_seen = ago if last_seen is None else min(last_seen, ago)
        if ago <= limit:
            alive.append(
                {
                    "id": row["id"],
                    "hostname": row["hostname"],
                    "pid": row["pid"],
                    "threads": row["threads"],
                    "seen_seconds_ago": ago,
                }
            )
    alive.sort(key=lambda w: (w["seen_seconds_ago"], w["id"]))
    return {"alive": bool(alive), "workers": alive, "last_seen_seconds_ago": last_seen}


async def worker_status(
    conn: Reader, now: datetime, heartbeat_interval: float
) -> dict[str, Any]:
    """The health summary from the database: {"alive", "workers", "last_seen_seconds_ago"}."""
    async with conn.execute(WORKERS_SQL) as cursor:
        rows = await cursor.fetchall()
    return summarise_workers(rows, now, heartbeat_interval)
