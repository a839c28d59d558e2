"""How far an import has come, from its one `imports` row and a clock reading. Pure: no database,
no clock of its own, so the numbers people watch are tested with fixed timestamps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from web.health import parse_utc

# States in which the job page keeps polling; the others are final.
ACTIVE_STATES = ("queued", "receiving", "scanning", "analysing", "paused")
ENDED_STATES = ("done", "cancelled", "failed")
# Only while files are being worked on does a rate (and so an ETA) mean anything.
WORKING_STATES = ("scanning", "analysing")


def _seconds(start: datetime | None, end: datetime) -> float | None:
    # Clamped: a worker clock slightly ahead of the web's must not show negative durations.
    return None if start is None else max(0.0, (end - start).total_seconds())


def progress(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Counts, percent, files per second, ETA and elapsed time for one import row.

    `now` is timezone-aware. Rate and ETA are None when they cannot be known yet (nothing finished
    since `rate_since`, paused, not started); `total_final` is False while a scan is still adding
    files, so the total (and the ETA built on it) can still grow.
    """
    state = row["state"]
    ended = state in ENDED_STATES
    total = row["files_total"]
    finished = row["files_done"] + row["files_skipped"] + row["files_error"] + row["files_known"]
    remaining = max(0, total - finished)
    total_final = bool(row["scan_complete"])
    # An ended job's clock stops at finished_at; a missing one (odd row) falls back to now.
    end = (parse_utc(row["finished_at"]) if ended and row["finished_at"] else None) or now

    if total:
        percent: float | None = round(min(100.0, 100.0 * finished / total), 1)
    else:
        # An empty folder that finished is complete; anything else with no files has no percent.
        percent = 100.0 if state == "done" else None

    rate = None
    since = parse_utc(row["rate_since"]) if row["rate_since"] else None
    window = _seconds(since, end)
    progressed = finished - row["rate_base"]
    if (state in WORKING_STATES or ended) and window and progressed > 0:
        rate = progressed / window

    eta = None
    if state in WORKING_STATES and rate:
        eta = remaining / rate

    started = parse_utc(row["started_at"]) if row["started_at"] else None
    return {
        "state": state,
        "active": state in ACTIVE_STATES,
        "ended": ended,
        "total": total,
        "finished": finished,
        "remaining": remaining,
        "analysed": row["files_done"],
        "known": row["files_known"],
        "skipped": row["files_skipped"],
        "errors": row["files_error"],
        "total_final": total_final,
        "percent": percent,
        "rate": None if rate is None else round(rate, 2),
        "eta_seconds": None if eta is None else round(eta, 1),
        "elapsed_seconds": None if started is None else round(_seconds(started, end) or 0.0, 1),
        "current_path": None if ended else row["current_path"],
    }
