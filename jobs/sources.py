"""The originals after an export, only when a person asks: move them to MediaParser's trash
folder, or delete them. Default: everything is kept.

A file is touched only when its copy is verified now, not just when it was written: the copy is
still at its place with the SHA-256 recorded for it, and the original still has the bytes it was
imported with. A file whose export failed, was held back, or was not exported is never touched.
Every original moved or deleted is a row in the decision history, with where it went.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from jobs.export_copy import copy_hashing, sha256_of
from storage.db import transaction, utc_now

ACTIONS = ("trash", "delete")
# Verified or already-there copies whose original is still where it was; an 'existing' row's
# copy hash comes from the row that wrote that name.
ELIGIBLE_SQL = """
SELECT i.file_id, i.dest_rel_path, f.source_path, f.sha256, f.rel_path, m.id AS import_id, m.kind, m.root,
       coalesce(i.sha256_out, (SELECT w.sha256_out FROM export_items w WHERE w.export_id = i.export_id
                               AND w.dest_rel_path = i.dest_rel_path AND w.state = 'verified')) AS sha256_out
FROM export_items i JOIN files f ON f.id = i.file_id JOIN imports m ON m.id = f.import_id
WHERE i.export_id = ? AND i.state IN ('verified', 'existing') AND i.source_action IS NULL
  AND NOT EXISTS (SELECT 1 FROM export_items o WHERE o.file_id = i.file_id AND o.source_action IS NOT NULL)
ORDER BY i.file_id
"""
# What the page offers: per import, how many originals could go (uploads are offered together).
SCOPES_SQL = """
SELECT m.kind, m.id AS import_id, m.root, m.label, count(*) AS files
FROM export_items i JOIN files f ON f.id = i.file_id JOIN imports m ON m.id = f.import_id
WHERE i.export_id = ? AND i.state IN ('verified', 'existing') AND i.source_action IS NULL
  AND NOT EXISTS (SELECT 1 FROM export_items o WHERE o.file_id = i.file_id AND o.source_action IS NOT NULL)
GROUP BY m.id ORDER BY m.id
"""


@dataclass
class SourcesOutcome:
    done: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (original path, why not)


def eligible(conn: sqlite3.Connection, export_id: int) -> list[sqlite3.Row]:
    return conn.execute(ELIGIBLE_SQL, (export_id,)).fetchall()


def in_scope(row: sqlite3.Row, scope: str) -> bool:
    """scope "uploads": every file uploaded through the browser; "import:N": one folder import."""
    if scope == "uploads":
        return row["kind"] == "upload"
    return row["kind"] == "folder" and scope == f"import:{row['import_id']}"


def copy_checks_out(dest: Path, row: sqlite3.Row) -> str | None:
    copy = dest / row["dest_rel_path"]
    if not row["sha256_out"] or not copy.is_file() or sha256_of(copy) != row["sha256_out"]:
        return "its exported copy is missing or changed, so the original stays"
    original = Path(row["source_path"])
    if original.is_symlink() or not original.is_file():
        return "the original is no longer there"
    if os.path.samefile(copy, original):
        return "the export folder holds this original itself, not a copy of it, so it stays"
    if sha256_of(original) != row["sha256"]:
        return "the original changed since it was imported, so it stays"
    return None


def move_to_trash(original: Path, target: Path, sha256: str) -> None:
    """Rename when on one file system; otherwise copy, check the copy's hash, then remove."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # A crash after copying into the trash and before removing the original: finish the move.
        if target.is_file() and sha256_of(target) == sha256:
            original.unlink()
            return
        raise FileExistsError(f"{target} already exists")
    try:
        os.rename(original, target)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    temp = target.with_name(f".{target.name}.partial")
    try:
        if copy_hashing(original, temp) != sha256 or sha256_of(temp) != sha256:
            raise OSError(errno.EIO, "the copy in the trash does not match the original")
        os.rename(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    original.unlink()


def act_on_sources(
    conn: sqlite3.Connection, export_id: int, action: str, scope: str, trash: Path, actor: str
) -> SourcesOutcome:
    """Trash or delete the originals in `scope` whose copies verify; one decision row each."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    export = conn.execute(
        "SELECT dest FROM exports WHERE id = ? AND state = 'done' AND dry_run = 0", (export_id,)
    ).fetchone()
    outcome = SourcesOutcome()
    if export is None:
        return outcome
    dest = Path(export["dest"])
    for row in eligible(conn, export_id):
        if not in_scope(row, scope):
            continue
        why = copy_checks_out(dest, row)
        original = Path(row["source_path"])
        if why:
            outcome.refused.append((str(original), why))
            continue
        target = trash / f"export-{export_id}" / f"import-{row['import_id']}" / row["rel_path"]
        try:
            if action == "trash":
                move_to_trash(original, target, row["sha256"])
            else:
                original.unlink()
        except OSError as error:
            verb = "moved to the trash" if action == "trash" else "deleted"
            outcome.refused.append((str(original), f"it could not be {verb}: {error.strerror or error}"))
            continue
        record(conn, export_id, row, action, target if action == "trash" else None, actor)
        outcome.done += 1
    return outcome


def record(
    conn: sqlite3.Connection, export_id: int, row: sqlite3.Row, action: str, target: Path | None, actor: str
) -> None:
    now = utc_now()
    kind = "source_trashed" if action == "trash" else "source_deleted"
    payload = {"export": export_id, "original": row["source_path"], "trash": str(target) if target else None}
    with transaction(conn):
        conn.execute(
            "UPDATE export_items SET source_action = ?, source_action_at = ? WHERE export_id = ? AND file_id = ?",
            ("trashed" if action == "trash" else "deleted", now, export_id, row["file_id"]),
        )
        if target is not None:  # the file page still shows the original, from the trash
            conn.execute("UPDATE files SET source_path = ? WHERE id = ?", (str(target), row["file_id"]))
        conn.execute(
            "INSERT INTO decisions (kind, file_id, payload, actor, created_at) VALUES (?, ?, ?, ?, ?)",
            (kind, row["file_id"], json.dumps(payload, ensure_ascii=False), actor, now),
        )
