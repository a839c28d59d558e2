"""`mediaparser import PATH [--wait]`: start an import and, if asked, follow it to the end."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from jobs.broker import setup_broker
from jobs.heartbeat import live_workers
from jobs.imports import create_import, import_row, start_import
from storage.datadir import ensure_data_dir
from storage.db import open_database
from storage.settings import Settings
from web.progress import progress

ENDED = ("done", "cancelled", "failed")


def run_import(settings: Settings, path: Path, wait: bool) -> int:
    root = path.expanduser().resolve()
    if not root.is_dir():
        print(f"mediaparser import: {path} is not a folder", file=sys.stderr)
        return 2
    ensure_data_dir(settings)
    conn = open_database(settings.database_path)
    setup_broker(settings)
    import_id = create_import(conn, root)
    start_import(import_id)
    print(f"Import #{import_id} of {root} queued.")
    if not live_workers(conn, settings):
        print("No worker is running: start one with `mediaparser worker`; the import waits for it.")
    if not wait:
        return 0
    show = bar_line if sys.stdout.isatty() else plain_line
    last = ""
    while True:
        row = import_row(conn, import_id)
        line = show(row, progress(row, datetime.now(UTC)))
        if line != last:
            end = "\r" if sys.stdout.isatty() and row["state"] not in ENDED else "\n"
            print(line.ljust(len(last)), end=end, flush=True)
            last = line
        if row["state"] in ENDED:
            break
        time.sleep(0.5)
    print(summary(row))
    return 0 if row["state"] == "done" else 1


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def rate_eta(p: dict) -> str:
    rate = f"{p['rate']:.1f} files/s" if p["rate"] else "-- files/s"
    total = "" if p["total_final"] else "+"
    return f"{p['finished']}/{p['total']}{total} files, {rate}, ETA {duration(p['eta_seconds'])}"


def bar_line(row, p: dict) -> str:
    width = 30
    filled = int(width * (p["percent"] or 0) / 100)
    return f"[{'#' * filled}{'-' * (width - filled)}] {row['state']}: {rate_eta(p)}"


def plain_line(row, p: dict) -> str:
    return f"{row['state']}: {rate_eta(p)}"


def summary(row) -> str:
    parts = [
        f"{row['files_done']} analysed",
        f"{row['files_known']} already known",
        f"{row['files_skipped']} skipped",
        f"{row['files_error']} errors",
    ]
    text = f"Import #{row['id']} {row['state']}: " + ", ".join(parts) + "."
    if row["error"]:
        text += f"\n{row['error']}"
    if row["files_error"]:
        text += f"\nSee the errors with: mediaparser files --import {row['id']} --status error"
    return text
