"""Export jobs as the web and the command line see them: the export settings, create (dry run or
real), pause, resume, cancel. The work is in `jobs.export_actors`, asked for by actor name, so the
web process never loads it.

States: queued -> planning -> copying -> done. A dry run stops after planning (done, nothing
written). A full destination or an unexpected error ends in `failed` with the reason on the row;
`resume` carries on from there, as it does from `paused`.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jobs.broker import send
from jobs.naming import DEFAULT_TEMPLATE, check_template
from storage.datadir import EXPORT, SUBDIRS, export_dir
from storage.db import transaction, utc_now
from storage.settings import Settings
from storage.user_settings import save_settings, saved_settings

QUEUE = "exports"
PLAN_ACTOR = "plan_export"
COPY_ACTOR = "copy_export"
SOURCES_ACTOR = "export_sources"
FANOUT = 4  # copy messages per export: two processes of two threads each keep the disk busy
ACTIVE = ("queued", "planning", "copying")


class BadDestination(ValueError):
    """A destination folder that cannot take an export; the sentence says why."""


@dataclass(frozen=True)
class ExportSettings:
    dest: Path
    template: str = DEFAULT_TEMPLATE
    include_review: bool = False  # export files still waiting for date review


def export_settings(conn: sqlite3.Connection, settings: Settings) -> ExportSettings:
    return settings_from(saved_settings(conn), settings)


def settings_from(saved: Mapping[str, str], settings: Settings) -> ExportSettings:
    """The saved choices over the environment's defaults."""
    return ExportSettings(
        dest=Path(saved.get("export_dir") or export_dir(settings)),
        template=saved.get("export_template", DEFAULT_TEMPLATE),
        include_review=saved.get("export_include_review") == "1",
    )


def check_destination(typed: str, data_dir: Path) -> Path:
    """An absolute folder we can create and write in, not one of the data dir's own folders
    (uploads, thumbnails...): an export there could be cleaned away with them."""
    text = typed.strip()
    if not text:
        raise BadDestination("Type the folder the export should go to.")
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise BadDestination(f"{text} is not a full path: start it with / (for example /srv/photos).")
    # Resolved, so one folder reached by two spellings (a symlinked mount) is one destination.
    path = inside = Path(os.path.normpath(path)).resolve(strict=False)
    data = data_dir.resolve()
    ours = set(SUBDIRS) - {EXPORT}
    if inside == data or (data in inside.parents and inside.relative_to(data).parts[0] in ours):
        raise BadDestination("That folder holds MediaParser's own data; choose another one.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".mediaparser-probe-{secrets.token_hex(4)}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise BadDestination(f"MediaParser cannot write in {path}: {error.strerror or error}.") from None
    return path


def save_export_settings(
    conn: sqlite3.Connection, settings: Settings, dest: str, template: str, include_review: bool
) -> ExportSettings:
    """Check and store; raises BadDestination or naming.BadTemplate with a sentence for the form."""
    folder = check_destination(dest, settings.data_dir)
    layout = check_template(template)
    default = export_dir(settings)
    save_settings(
        conn,
        {
            "export_dir": None if folder == default else str(folder),
            "export_template": None if layout == DEFAULT_TEMPLATE else layout,
            "export_include_review": "1" if include_review else None,
        },
    )
    return ExportSettings(folder, layout, include_review)


def create_export(
    conn: sqlite3.Connection,
    chosen: ExportSettings,
    import_id: int | None = None,
    dry_run: bool = False,
    queue: bool = True,
) -> int:
    """Queue an export (planning first); returns its id. `queue=False`: the caller plans it itself."""
    options = {"template": check_template(chosen.template), "include_review": chosen.include_review}
    with transaction(conn):
        # One export at a time per destination (a double click, two tabs): both would plan the same
        # free names. The one already running is the answer.
        running = conn.execute(
            "SELECT id FROM exports WHERE dest = ? AND dry_run = 0 AND state IN ('queued', 'planning', 'copying',"
            " 'paused') ORDER BY id LIMIT 1",
            (str(chosen.dest),),
        ).fetchone()
        if running and not dry_run:
            return running[0]
        export_id = conn.execute(
            "INSERT INTO exports (dest, import_id, dry_run, options, state, created_at)"
            " VALUES (?, ?, ?, ?, 'queued', ?)",
            (str(chosen.dest), import_id, int(dry_run), json.dumps(options), utc_now()),
        ).lastrowid
    if queue:
        send(QUEUE, PLAN_ACTOR, export_id)
    return export_id


def start_sources(export_id: int, action: str, scope: str, actor: str) -> None:
    """Trash or delete originals whose copies verify (jobs.sources); the person confirmed it."""
    send(QUEUE, SOURCES_ACTOR, export_id, action, scope, actor)


def send_copies(export_id: int) -> None:
    for _ in range(FANOUT):
        send(QUEUE, COPY_ACTOR, export_id)


def pause_export(conn: sqlite3.Connection, export_id: int) -> bool:
    with transaction(conn):
        return bool(
            conn.execute(
                "UPDATE exports SET state = 'paused' WHERE id = ? AND state = 'copying'", (export_id,)
            ).rowcount
        )


def resume_export(conn: sqlite3.Connection, export_id: int) -> bool:
    """Carry on after a pause or a failure (a full disk someone has since cleared)."""
    with transaction(conn):
        row = conn.execute(
            "SELECT files_total FROM exports WHERE id = ? AND dry_run = 0 AND state IN ('paused', 'failed')",
            (export_id,),
        ).fetchone()
        if row is None:
            return False
        planned = conn.execute(
            "SELECT 1 FROM export_items WHERE export_id = ? LIMIT 1", (export_id,)
        ).fetchone()
        state = "copying" if planned else "queued"
        conn.execute(
            "UPDATE exports SET state = ?, error = NULL, finished_at = NULL WHERE id = ?", (state, export_id)
        )
    if state == "copying":
        send_copies(export_id)
    else:
        send(QUEUE, PLAN_ACTOR, export_id)
    return True


def cancel_export(conn: sqlite3.Connection, export_id: int) -> bool:
    """Stop; copies already verified stay, nothing half-written is left behind."""
    with transaction(conn):
        return bool(
            conn.execute(
                "UPDATE exports SET state = 'cancelled', finished_at = ? WHERE id = ?"
                " AND state IN ('queued', 'planning', 'copying', 'paused', 'failed')",
                (utc_now(), export_id),
            ).rowcount
        )


def mark_failed(conn: sqlite3.Connection, export_id: int, reason: str) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE exports SET state = 'failed', error = ?, finished_at = ? WHERE id = ?"
            " AND state NOT IN ('done', 'cancelled')",
            (reason, utc_now(), export_id),
        )


def running_exports(conn: sqlite3.Connection) -> dict[int, tuple]:
    """Exports a worker should be busy with, each with a reading of its progress."""
    return {
        row["id"]: (row["state"], row["files_done"], row["files_error"], row["bytes_done"])
        for row in conn.execute("SELECT * FROM exports WHERE state IN ('queued', 'planning', 'copying')")
    }


def kick_export(export_id: int, state: str) -> None:
    """Send the messages that carry an export on from `state`; extra ones find nothing to do."""
    if state == "copying":
        send_copies(export_id)
    else:
        send(QUEUE, PLAN_ACTOR, export_id)


def export_row(conn: sqlite3.Connection, export_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM exports WHERE id = ?", (export_id,)).fetchone()


# What a plan looks like, for the dry-run page and the command line (sync and async readers share these).
SAMPLE_SQL = """
SELECT i.file_id, f.rel_path, f.source_path, i.dest_rel_path, i.state, f.taken_local, f.confidence
FROM export_items i JOIN files f ON f.id = i.file_id
WHERE i.export_id = ? AND i.state <> 'held'
ORDER BY i.file_id LIMIT ?
"""
HELD_SQL = """
SELECT i.file_id, f.rel_path, f.source_path, f.taken_local, f.confidence
FROM export_items i JOIN files f ON f.id = i.file_id
WHERE i.export_id = ? AND i.state = 'held' AND i.file_id > ?
ORDER BY i.file_id LIMIT ?
"""
FAILED_SQL = """
SELECT i.file_id, f.rel_path, f.source_path, i.dest_rel_path, i.error
FROM export_items i JOIN files f ON f.id = i.file_id
WHERE i.export_id = ? AND i.state = 'failed' AND i.file_id > ?
ORDER BY i.file_id LIMIT ?
"""
