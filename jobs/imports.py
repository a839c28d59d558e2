"""Import jobs as the web and the command line see them: create, upload, start, pause, resume,
cancel. The work itself is in `jobs.import_actors`; this module asks for it by actor name, so
the web process never loads the analysis code.

States: folder imports go queued -> scanning -> analysing -> done; uploads receiving -> analysing
-> done; queued, scanning and analysing can be paused (and resumed), and anything not ended can
be cancelled. `failed` says why on the row.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from jobs.broker import send
from jobs.scan import path_skip_reason
from storage.db import transaction, utc_now

QUEUE = "imports"
SCAN_ACTOR = "scan_import"
ANALYSE_ACTOR = "analyse_import"
FANOUT = 8  # analyse messages per import: enough for every worker thread of a typical install
ACTIVE = ("queued", "receiving", "scanning", "analysing")
RUNNING = ("scanning", "analysing")


class NotReceiving(Exception):
    """The upload was finished or cancelled while this file was on its way."""


def create_import(conn: sqlite3.Connection, root: Path, label: str | None = None) -> int:
    """A folder import, queued until `start_import`."""
    with transaction(conn):
        return conn.execute(
            "INSERT INTO imports (kind, root, label, state, created_at) VALUES ('folder', ?, ?, 'queued', ?)",
            (str(root), label or root.name, utc_now()),
        ).lastrowid


def create_upload_import(conn: sqlite3.Connection, uploads: Path, label: str) -> int:
    """An upload import receiving files into uploads/<id>/."""
    with transaction(conn):
        import_id = conn.execute(
            "INSERT INTO imports (kind, root, label, state, created_at) VALUES ('upload', '', ?, 'receiving', ?)",
            (label, utc_now()),
        ).lastrowid
        folder = uploads / str(import_id)
        conn.execute("UPDATE imports SET root = ? WHERE id = ?", (str(folder), import_id))
    folder.mkdir(parents=True, exist_ok=True)
    return import_id


def start_import(import_id: int) -> None:
    send(QUEUE, SCAN_ACTOR, import_id)


def send_fanout(import_id: int) -> None:
    for _ in range(FANOUT):
        send(QUEUE, ANALYSE_ACTOR, import_id)


def record_upload(
    conn: sqlite3.Connection,
    import_id: int,
    rel_path: str,
    stored: Path,
    size: int,
    browser_mtime: str | None,
) -> int:
    """Register a file a browser finished uploading; returns its id. Raises NotReceiving when the
    upload was finished or cancelled meanwhile, so no file slips in after analysis started."""
    skip = path_skip_reason(rel_path)
    with transaction(conn):
        row = conn.execute("SELECT state FROM imports WHERE id = ?", (import_id,)).fetchone()
        if row is None or row["state"] != "receiving":
            raise NotReceiving(row["state"] if row else "gone")
        file_id = conn.execute(
            "INSERT INTO files (import_id, rel_path, source_path, origin, size, browser_mtime, status,"
            " status_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                import_id,
                rel_path,
                str(stored),
                f"upload:{rel_path}",
                size,
                browser_mtime,
                "skipped" if skip else "pending",
                skip,
                utc_now(),
            ),
        ).lastrowid
        conn.execute(
            "UPDATE imports SET files_total = files_total + 1, files_skipped = files_skipped + ? WHERE id = ?",
            (1 if skip else 0, import_id),
        )
    return file_id


def finish_upload(conn: sqlite3.Connection, import_id: int) -> bool:
    with transaction(conn):
        now = utc_now()
        changed = conn.execute(
            "UPDATE imports SET state = 'analysing', scan_complete = 1, started_at = ?, rate_since = ?,"
            " rate_base = files_skipped WHERE id = ? AND state = 'receiving'",
            (now, now, import_id),
        ).rowcount
    if changed:
        send_fanout(import_id)
    return bool(changed)


def pause_import(conn: sqlite3.Connection, import_id: int) -> bool:
    with transaction(conn):
        return bool(
            conn.execute(
                "UPDATE imports SET paused_from = state, state = 'paused' WHERE id = ? AND state IN (?, ?, ?)",
                (import_id, "queued", "scanning", "analysing"),
            ).rowcount
        )


def resume_import(conn: sqlite3.Connection, import_id: int) -> bool:
    with transaction(conn):
        row = conn.execute(
            "SELECT scan_complete FROM imports WHERE id = ? AND state = 'paused'", (import_id,)
        ).fetchone()
        if row is None:
            return False
        state = "analysing" if row["scan_complete"] else "scanning"
        now = utc_now()
        # The rate restarts from here, so a night spent paused does not drag files/s down.
        conn.execute(
            "UPDATE imports SET state = ?, paused_from = NULL, error = NULL, started_at = coalesce(started_at, ?),"
            " rate_since = ?, rate_base = files_done + files_skipped + files_error + files_known WHERE id = ?",
            (state, now, now, import_id),
        )
    if state == "scanning":
        start_import(import_id)
    send_fanout(import_id)
    return True


def cancel_import(conn: sqlite3.Connection, import_id: int) -> bool:
    """Stop for good; what was analysed stays, the rest stays listed as not analysed."""
    with transaction(conn):
        return bool(
            conn.execute(
                "UPDATE imports SET state = 'cancelled', finished_at = ?, current_path = NULL"
                " WHERE id = ? AND state IN (?, ?, ?, ?, 'paused')",
                (utc_now(), import_id, *ACTIVE),
            ).rowcount
        )


def mark_failed(conn: sqlite3.Connection, import_id: int, reason: str) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE imports SET state = 'failed', error = ?, finished_at = ?, current_path = NULL WHERE id = ?",
            (reason, utc_now(), import_id),
        )


def running_imports(conn: sqlite3.Connection) -> dict[int, tuple]:
    """Imports a worker should be busy with, each with a reading of its progress (equal readings
    some time apart: nothing moved)."""
    return {
        row["id"]: (row["state"], row["files_total"], row["files_done"], row["files_error"], row["files_skipped"],
                    row["files_known"])
        for row in conn.execute("SELECT * FROM imports WHERE state IN ('queued', 'scanning', 'analysing')")
    }


def kick_import(import_id: int, state: str) -> None:
    """Send the messages that carry an import on from `state`. Harmless when some are still queued:
    scans and analyses skip what is done."""
    if state in ("queued", "scanning"):
        start_import(import_id)
    else:
        send_fanout(import_id)


def import_row(conn: sqlite3.Connection, import_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM imports WHERE id = ?", (import_id,)).fetchone()
