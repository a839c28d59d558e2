"""The work of an export: planning it, copying the planned files, and (when asked) trashing or
deleting originals afterwards.

`export_items` is the work list. Copy messages, several per export, each claim a few planned
files at a time; a claim by a worker whose heartbeat stopped is free to take, so a killed worker's
files are picked up again, and its half-written temp files are swept. Every write is conditional
on the item still being planned, so a redelivered message never counts a copy twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

import dramatiq

import jobs.broker  # noqa: F401  (installs the stub broker before the actors below are declared)
from jobs import runtime
from jobs.export_copy import CopyFailed, DestinationFull, export_copy, owner_of, sweep_temps
from jobs.export_plan import make_plan
from jobs.exports import COPY_ACTOR, PLAN_ACTOR, QUEUE, SOURCES_ACTOR, export_row, mark_failed, send_copies
from jobs.heartbeat import CLAIM_IS_FREE, alive_since
from jobs.manifest import write_manifest
from jobs.sources import act_on_sources
from jobs.zones import system_zone
from storage.datadir import scratch_dir, trash_dir
from storage.db import transaction, utc_now

CLAIM_SIZE = 4  # small, so a pause takes effect within a second or two
MESSAGE_BUDGET_S = 20.0  # then the message re-sends itself, so shutdowns and time limits stay easy
# Dramatiq's default limit is 10 minutes; one large video copied on a slow disk, planning 100,000
# files or hashing every original before trashing it can take longer, and must not be cut off.
TIME_LIMIT_MS = 6 * 3600 * 1000


# Planning ----------------------------------------------------------------------------------------


@dramatiq.actor(
    actor_name=PLAN_ACTOR,
    queue_name=QUEUE,
    max_retries=3,
    on_failure="export_failed",
    time_limit=TIME_LIMIT_MS,
)
def plan_export(export_id: int) -> None:
    conn = runtime.db()
    with transaction(conn):
        conn.execute(
            "UPDATE exports SET state = 'planning', started_at = coalesce(started_at, ?)"
            " WHERE id = ? AND state = 'queued'",
            (utc_now(), export_id),
        )
    row = export_row(conn, export_id)
    if row is None or row["state"] != "planning":
        return
    options = json.loads(row["options"])
    dest = Path(row["dest"])
    if not row["dry_run"]:
        try:
            dest.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            mark_failed(conn, export_id, f"the destination cannot be created: {error.strerror or error}")
            return
    settings = runtime.settings()
    zone = ZoneInfo(system_zone(settings.timezone or None))
    plan, summary = make_plan(
        conn, dest, row["import_id"], options["template"], options["include_review"], zone
    )
    now = utc_now()
    done = sum(1 for p in plan if p.state == "existing")
    with transaction(conn):
        if conn.execute("SELECT state FROM exports WHERE id = ?", (export_id,)).fetchone()[0] != "planning":
            return  # cancelled while planning
        conn.execute("DELETE FROM export_items WHERE export_id = ?", (export_id,))
        conn.executemany(
            "INSERT INTO export_items (export_id, file_id, dest_rel_path, state, fingerprint, planned, sha256_out,"
            " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    export_id,
                    p.file_id,
                    p.dest_rel_path,
                    p.state,
                    p.fingerprint,
                    json.dumps(p.planned, ensure_ascii=False) if p.planned else None,
                    p.sha256_out,
                    now if p.state == "existing" else None,
                )
                for p in plan
            ],
        )
        conn.execute(
            "UPDATE exports SET plan_summary = ?, files_total = ?, files_done = ?, state = ?, finished_at = ?"
            " WHERE id = ?",
            (
                json.dumps(summary),
                summary["files"],
                done,
                "done" if row["dry_run"] else "copying",
                now if row["dry_run"] else None,
                export_id,
            ),
        )
    if not row["dry_run"]:
        send_copies(export_id)


# Copying -----------------------------------------------------------------------------------------


def claim_items(conn: sqlite3.Connection, export_id: int, worker: str, limit: int) -> list[sqlite3.Row]:
    cutoff = alive_since(runtime.settings().heartbeat_interval)
    with transaction(conn):
        claimed = conn.execute(
            "UPDATE export_items SET claimed_by = ? WHERE export_id = ? AND file_id IN ("
            f" SELECT file_id FROM export_items WHERE export_id = ? AND state = 'planned' AND {CLAIM_IS_FREE}"
            " ORDER BY file_id LIMIT ?) RETURNING file_id",
            (worker, export_id, export_id, worker, cutoff, limit),
        ).fetchall()
        if not claimed:
            return []
        marks = ",".join("?" * len(claimed))
        return conn.execute(
            "SELECT i.file_id, i.dest_rel_path, i.planned, i.sha256_out, f.source_path, f.sha256, f.size"
            f" FROM export_items i JOIN files f ON f.id = i.file_id WHERE i.export_id = ? AND i.file_id IN ({marks})"
            " ORDER BY i.file_id",
            (export_id, *[r[0] for r in claimed]),
        ).fetchall()


def alive_owners(conn: sqlite3.Connection) -> set[str]:
    """Temp-file owners of live workers, whose temp files must not be swept."""
    cutoff = alive_since(runtime.settings().heartbeat_interval)
    return {owner_of(worker) for (worker,) in conn.execute("SELECT id FROM workers WHERE seen_at > ?", (cutoff,))}


def folders_of(paths: list[str]) -> set[str]:
    return {PurePosixPath(p).parent.as_posix() for p in paths}


def sweep(conn: sqlite3.Connection, dest: Path, paths: list[str]) -> None:
    alive = alive_owners(conn)
    for folder in folders_of(paths):
        sweep_temps(dest / folder, alive)


def record_copy(conn: sqlite3.Connection, export_id: int, item: sqlite3.Row, copied: Any) -> None:
    planned = json.loads(item["planned"] or "{}")
    # exiftool failed on a writable format: the copy does not hold what its fingerprint says, so a
    # later run must not take it for done (it writes a fresh copy and tries the metadata again).
    unwritten = (
        bool(planned.get("assign")) and not planned.get("not_written") and "not_written" in copied.written
    )
    with transaction(conn):
        changed = conn.execute(
            "UPDATE export_items SET state = 'verified', sha256_out = ?, size_out = ?, metadata_written = ?,"
            " finished_at = ?, claimed_by = NULL,"
            " fingerprint = CASE WHEN ? THEN fingerprint || ':unwritten' ELSE fingerprint END"
            " WHERE export_id = ? AND file_id = ? AND state = 'planned'",
            (
                copied.sha256_out,
                copied.size_out,
                json.dumps(copied.written, ensure_ascii=False),
                utc_now(),
                unwritten,
                export_id,
                item["file_id"],
            ),
        ).rowcount
        if not changed:
            return
        # Identical files this run placed at the same name share the copy's hash.
        conn.execute(
            "UPDATE export_items SET sha256_out = ? WHERE export_id = ? AND dest_rel_path = ? AND state = 'existing'"
            " AND sha256_out IS NULL",
            (copied.sha256_out, export_id, item["dest_rel_path"]),
        )
        conn.execute(
            "UPDATE exports SET files_done = files_done + 1, bytes_done = bytes_done + ? WHERE id = ?",
            (item["size"] or 0, export_id),
        )


def record_failure(conn: sqlite3.Connection, export_id: int, item: sqlite3.Row, reason: str) -> None:
    now = utc_now()
    with transaction(conn):
        changed = conn.execute(
            "UPDATE export_items SET state = 'failed', error = ?, finished_at = ?, claimed_by = NULL"
            " WHERE export_id = ? AND file_id = ? AND state = 'planned'",
            (reason, now, export_id, item["file_id"]),
        ).rowcount
        if changed:
            conn.execute("UPDATE exports SET files_error = files_error + 1 WHERE id = ?", (export_id,))
            conn.execute(
                "INSERT INTO job_events (export_id, file_id, level, path, message, created_at)"
                " VALUES (?, ?, 'error', ?, ?, ?)",
                (export_id, item["file_id"], item["source_path"], reason, now),
            )


def release(conn: sqlite3.Connection, export_id: int, items: list[sqlite3.Row]) -> None:
    with transaction(conn):
        conn.executemany(
            "UPDATE export_items SET claimed_by = NULL WHERE export_id = ? AND file_id = ? AND state = 'planned'",
            [(export_id, item["file_id"]) for item in items],
        )


def copy_one(conn: sqlite3.Connection, export_id: int, dest: Path, item: sqlite3.Row) -> None:
    def before_place(sha256_out: str, size_out: int) -> None:
        with transaction(conn):
            conn.execute(
                "UPDATE export_items SET sha256_out = ?, size_out = ? WHERE export_id = ? AND file_id = ?",
                (sha256_out, size_out, export_id, item["file_id"]),
            )

    try:
        copied = export_copy(
            Path(item["source_path"]),
            dest / item["dest_rel_path"],
            item["sha256"],
            item["size"] or 0,
            json.loads(item["planned"] or "{}"),
            scratch_dir(runtime.settings().data_dir),
            before_place,
            item["sha256_out"],
        )
    except CopyFailed as failure:
        record_failure(conn, export_id, item, str(failure))
    except DestinationFull:
        raise
    except OSError as error:
        record_failure(conn, export_id, item, f"it could not be copied: {error.strerror or error}")
    except (ValueError, KeyError, TypeError) as error:  # a plan row we cannot use: this file only
        record_failure(conn, export_id, item, f"it could not be exported: {error}")
    else:
        record_copy(conn, export_id, item, copied)


@dramatiq.actor(
    actor_name=COPY_ACTOR,
    queue_name=QUEUE,
    max_retries=5,
    on_failure="export_failed",
    time_limit=TIME_LIMIT_MS,
)
def copy_export(export_id: int) -> None:
    conn = runtime.db()
    deadline = time.monotonic() + MESSAGE_BUDGET_S
    while True:
        if runtime.stopping.is_set() or time.monotonic() > deadline:
            copy_export.send(export_id)  # carry on in a fresh message
            return
        row = export_row(conn, export_id)
        if row is None or row["state"] != "copying":
            return
        dest = Path(row["dest"])
        claimed = claim_items(conn, export_id, runtime.claimant(), CLAIM_SIZE)
        if not claimed:
            finish_if_complete(conn, export_id)
            return
        sweep(conn, dest, [item["dest_rel_path"] for item in claimed])
        for index, item in enumerate(claimed):
            try:
                copy_one(conn, export_id, dest, item)
            except DestinationFull as full:
                release(conn, export_id, claimed[index:])
                mark_failed(conn, export_id, f"{full}. Make room there, then resume: nothing is lost.")
                return
            except BaseException:
                # A time limit, a locked database, a stop: hand the rest back so another message
                # (or this one, retried) can take them; the claims must not outlive this message.
                release(conn, export_id, claimed[index:])
                raise


def finish_if_complete(conn: sqlite3.Connection, export_id: int) -> None:
    if conn.execute(
        "SELECT 1 FROM export_items WHERE export_id = ? AND state = 'planned' LIMIT 1", (export_id,)
    ).fetchone():
        return  # other messages still hold claims; the last of them finishes
    row = export_row(conn, export_id)
    if row is None or row["state"] != "copying":
        return
    dest = Path(row["dest"])
    paths = [
        r[0]
        for r in conn.execute("SELECT dest_rel_path FROM export_items WHERE export_id = ?", (export_id,))
        if r[0]
    ]
    sweep(conn, dest, paths)
    # Written before 'done', and idempotent: a crash in between writes the same rows again.
    write_manifest(conn, export_id, dest)
    with transaction(conn):
        conn.execute(
            "UPDATE exports SET state = 'done', finished_at = ? WHERE id = ? AND state = 'copying'"
            " AND NOT EXISTS (SELECT 1 FROM export_items WHERE export_id = ? AND state = 'planned')",
            (utc_now(), export_id, export_id),
        )


# Originals, when asked ---------------------------------------------------------------------------


@dramatiq.actor(actor_name=SOURCES_ACTOR, queue_name=QUEUE, max_retries=0, time_limit=TIME_LIMIT_MS)
def export_sources(export_id: int, action: str, scope: str, actor: str) -> None:
    conn = runtime.db()
    outcome = act_on_sources(conn, export_id, action, scope, trash_dir(runtime.settings()), actor)
    now = utc_now()
    with transaction(conn):
        for path, why in outcome.refused:
            conn.execute(
                "INSERT INTO job_events (export_id, level, path, message, created_at) VALUES (?, 'warning', ?, ?, ?)",
                (export_id, path, why, now),
            )


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def export_failed(message: dict[str, Any], exception: dict[str, Any]) -> None:
    """Retries ran out: say so on the export instead of leaving it running forever."""
    export_id = message["args"][0]
    reason = f"{exception.get('type', 'error')}: {exception.get('message', '')}".strip()
    mark_failed(runtime.db(), export_id, f"the export stopped on an unexpected error ({reason})")
