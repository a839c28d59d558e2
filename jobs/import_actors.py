"""The work of an import: scanning a folder into rows, and analysing pending files.

The files table is the work list. Scanning inserts rows (pending, or skipped with a reason);
`analyse_import` messages, several per import, each claim a few pending files at a time, analyse
them and write the results in one transaction. A claim names the worker process; a claim by a
worker whose heartbeat stopped is free to take, so a killed worker's files are picked up again
without waiting. Every write is conditional on the file still being pending, so a redelivered
message never analyses a file twice into the results.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dramatiq

import jobs.broker  # noqa: F401  (installs the stub broker before the actors below are declared)
from jobs import runtime
from jobs.analyse import Analysis, FileReading, analyse_batch, read_file
from jobs.broker import send
from jobs.dating import redate, redate_import
from jobs.duplicate_actors import QUEUE as DUPLICATES_QUEUE
from jobs.duplicate_actors import REGROUP_ACTOR
from jobs.errors import MediaError
from jobs.heartbeat import CLAIM_IS_FREE, alive_since
from jobs.imports import ANALYSE_ACTOR, QUEUE, RUNNING, SCAN_ACTOR, import_row, mark_failed, send_fanout
from jobs.metadata import timestamp_evidence
from jobs.scan import Entry, walk
from jobs.surroundings import surrounding_evidence
from jobs.tagging import save_proposed_tags
from storage.atomic import out_of_room
from storage.datadir import scratch_dir
from storage.db import transaction, utc_now

SCAN_BATCH = 500
CLAIM_SIZE = 4  # small, so a pause takes effect within a second or two
# Crashes of a worker process analysing a file before the file is set aside as an error. Only a
# process that died on its own counts (the supervisor saw it): a whole worker killed from outside,
# or stopped, blames nothing.
MAX_CLAIMS = 3
GIVEN_UP = (
    f"analysing this file stopped MediaParser's worker {MAX_CLAIMS} times (a crash, or not enough memory), "
    "so it was set aside: the rest of the import went on without it"
)
MESSAGE_BUDGET_S = 20.0  # then the message re-sends itself, so shutdowns and time limits stay easy
# Free space the data dir keeps: below it, imports pause before a batch rather than fill the disk to
# the last byte, where SQLite could not even record the pause (nor the queue acknowledge a message).
DATA_HEADROOM = 8 << 20


# Scanning ----------------------------------------------------------------------------------


def insert_entries(conn: sqlite3.Connection, import_id: int, entries: list[Entry]) -> None:
    """Add scanned entries; ones already there (a redelivered scan) are ignored, not counted twice."""
    now = utc_now()
    added = {}
    with transaction(conn):
        for status in ("pending", "skipped"):
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO files (import_id, rel_path, source_path, origin, size, fs_mtime, status,"
                " status_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        import_id,
                        e.rel_path,
                        e.path,
                        e.path,
                        e.size,
                        iso_utc(e.mtime),
                        status,
                        e.skip_reason,
                        now,
                    )
                    for e in entries
                    if (e.skip_reason is None) == (status == "pending")
                ],
            )
            added[status] = conn.total_changes - before
        conn.execute(
            "UPDATE imports SET files_total = files_total + ?, files_skipped = files_skipped + ? WHERE id = ?",
            (added["pending"] + added["skipped"], added["skipped"], import_id),
        )


@dramatiq.actor(actor_name=SCAN_ACTOR, queue_name=QUEUE, max_retries=3, on_failure="import_failed")
def scan_import(import_id: int) -> None:
    conn = runtime.db()
    with transaction(conn):
        conn.execute(
            "UPDATE imports SET state = 'scanning', started_at = coalesce(started_at, ?),"
            " rate_since = coalesce(rate_since, ?) WHERE id = ? AND state = 'queued'",
            (utc_now(), utc_now(), import_id),
        )
    row = import_row(conn, import_id)
    if row is None or row["state"] != "scanning" or row["scan_complete"]:
        return
    try:
        entries = walk(Path(row["root"]))
        batch: list[Entry] = []
        fanned_out = False
        for entry in entries:
            batch.append(entry)
            if len(batch) >= SCAN_BATCH:
                insert_entries(conn, import_id, batch)
                batch = []
                if import_row(conn, import_id)["state"] != "scanning":
                    return  # paused or cancelled; resume scans again and skips what is there
                if not fanned_out:
                    send_fanout(import_id)  # analysis starts while the scan goes on
                    fanned_out = True
        insert_entries(conn, import_id, batch)
    except (NotADirectoryError, FileNotFoundError, PermissionError) as error:
        mark_failed(conn, import_id, f"the folder cannot be read: {error.strerror or error}")
        return
    with transaction(conn):
        conn.execute(
            "UPDATE imports SET scan_complete = 1, state = 'analysing' WHERE id = ? AND state = 'scanning'",
            (import_id,),
        )
    send_fanout(import_id)
    finish_if_complete(conn, import_id)


# Analysis ----------------------------------------------------------------------------------


def claim_files(conn: sqlite3.Connection, import_id: int, worker: str, limit: int) -> list[sqlite3.Row]:
    """Up to `limit` pending files for this worker. A file held by a worker process that crashed
    (`claims`, counted by the supervisor) is taken alone, so a file that kills workers is found out
    and cannot drag its batch-mates down with it."""
    settings = runtime.settings()
    cutoff = alive_since(settings.heartbeat_interval)
    with transaction(conn):
        rows = conn.execute(
            "UPDATE files SET claimed_by = ? WHERE id IN ("
            f" SELECT id FROM files WHERE import_id = ? AND status = 'pending' AND {CLAIM_IS_FREE}"
            " ORDER BY id LIMIT ?) RETURNING id, rel_path, source_path, origin, browser_mtime, claims",
            (worker, import_id, worker, cutoff, limit),
        ).fetchall()
        rows.sort(key=lambda r: r["id"])
        suspects = [r for r in rows if r["claims"] > 0]
        if not suspects:
            return rows
        conn.executemany(
            "UPDATE files SET claimed_by = NULL WHERE id = ?",
            [(r["id"],) for r in rows if r["id"] != suspects[0]["id"]],
        )
        return suspects[:1]


def finish_if_complete(conn: sqlite3.Connection, import_id: int) -> None:
    complete = conn.execute(
        "SELECT 1 FROM imports WHERE id = ? AND state = 'analysing' AND scan_complete = 1"
        " AND NOT EXISTS (SELECT 1 FROM files WHERE import_id = ? AND status = 'pending')",
        (import_id, import_id),
    ).fetchone()
    if not complete:
        return
    # Files another message analysed but has not dated yet (it is a moment behind, or was killed
    # in between) are dated here, so 'done' always means every file has its decision.
    undated = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM files WHERE import_id = ? AND status = 'processed' AND engine_version IS NULL",
            (import_id,),
        )
    ]
    redate(conn, undated, runtime.settings())
    # Before 'done': zones borrowed from neighbours and Live Photo pairs need the whole import.
    redate_import(conn, import_id, runtime.settings())
    # Duplicates across the whole library, new files included. Asked for before 'done' is written:
    # a worker killed between the two must not leave a done import whose files were never grouped
    # (every file is analysed by now; a second grouping from a racing finisher changes nothing).
    send(DUPLICATES_QUEUE, REGROUP_ACTOR)
    with transaction(conn):
        conn.execute(
            "UPDATE imports SET state = 'done', finished_at = ?, current_path = NULL"
            " WHERE id = ? AND state = 'analysing' AND scan_complete = 1"
            " AND NOT EXISTS (SELECT 1 FROM files WHERE import_id = ? AND status = 'pending')",
            (utc_now(), import_id, import_id),
        )


@dramatiq.actor(actor_name=ANALYSE_ACTOR, queue_name=QUEUE, max_retries=5, on_failure="import_failed")
def analyse_import(import_id: int) -> None:
    conn = runtime.db()
    deadline = time.monotonic() + MESSAGE_BUDGET_S
    while True:
        if runtime.stopping.is_set() or time.monotonic() > deadline:
            analyse_import.send(import_id)  # carry on in a fresh message
            return
        row = import_row(conn, import_id)
        if row is None or row["state"] not in RUNNING:
            return
        if shutil.disk_usage(runtime.settings().data_dir).free < DATA_HEADROOM:
            pause_on_full_disk(conn, import_id, [])  # while there is still room to say so
            return
        claimed = claim_files(conn, import_id, runtime.claimant(), CLAIM_SIZE)
        if not claimed:
            if row["scan_complete"]:
                finish_if_complete(conn, import_id)
                return
            time.sleep(0.5)  # the scan has not produced more files yet
            continue
        try:
            given_up = {r["id"] for r in claimed if r["claims"] >= MAX_CLAIMS}
            results = analyse_claimed(conn, [r for r in claimed if r["id"] not in given_up])
            results.update({file_id: (None, Analysis("error", GIVEN_UP)) for file_id in given_up})
            processed = write_results(conn, import_id, claimed, results)
        except (OSError, sqlite3.OperationalError) as error:
            if not out_of_room(error):  # the data dir's disk: thumbnails, the database
                raise
            pause_on_full_disk(conn, import_id, claimed)
            return
        redate(conn, processed, runtime.settings())


def pause_on_full_disk(conn: sqlite3.Connection, import_id: int, claimed: list[sqlite3.Row]) -> None:
    """Pause with a sentence instead of retrying into the same wall; the claimed files stay pending.
    Resuming after making room carries on (the batch's transaction was rolled back whole)."""
    data_dir = runtime.settings().data_dir
    free = shutil.disk_usage(data_dir).free // (1 << 20)
    reason = (
        f"the disk holding MediaParser's data ({data_dir}) is full ({free} MB free): "
        "make room there, then resume; nothing is lost"
    )
    with transaction(conn):
        conn.executemany(
            "UPDATE files SET claimed_by = NULL WHERE id = ? AND status = 'pending'", [(r["id"],) for r in claimed]
        )
        conn.execute(
            "UPDATE imports SET paused_from = state, state = 'paused', error = ?, current_path = NULL"
            " WHERE id = ? AND state IN ('scanning', 'analysing')",
            (reason, import_id),
        )


def known_copy(conn: sqlite3.Connection, file_id: int, origin: str, sha256: str) -> int | None:
    """The import that already holds this content from this same place, if any."""
    row = conn.execute(
        "SELECT import_id FROM files WHERE origin = ? AND sha256 = ? AND id <> ? AND status = 'processed' LIMIT 1",
        (origin, sha256, file_id),
    ).fetchone()
    return row[0] if row else None


def analyse_claimed(
    conn: sqlite3.Connection, claimed: list[sqlite3.Row]
) -> dict[int, tuple[FileReading | None, Analysis]]:
    settings = runtime.settings()
    results: dict[int, tuple[FileReading | None, Analysis]] = {}
    to_analyse: list[tuple[int, Path, FileReading]] = []
    for row in claimed:
        path = Path(row["source_path"])
        try:
            reading = read_file(path)
        except MediaError as error:
            results[row["id"]] = (None, Analysis("error", error.reason))
            continue
        earlier = known_copy(conn, row["id"], row["origin"], reading.sha256)
        if earlier is not None:
            results[row["id"]] = (reading, Analysis("known", f"already in the library (import #{earlier})"))
        else:
            to_analyse.append((row["id"], path, reading))
    readings = {file_id: reading for file_id, _, reading in to_analyse}
    rows = {row["id"]: row for row in claimed}
    for file_id, analysis in analyse_batch(to_analyse, settings.data_dir).items():
        if analysis.status == "processed":
            row = rows[file_id]
            found, note = surrounding_evidence(
                Path(row["source_path"]), row["rel_path"], scratch_dir(settings.data_dir)
            )
            analysis.evidence += found
            if note:
                analysis.reason = note  # processed, with a remark a person should see
        results[file_id] = (readings[file_id], analysis)
    return results


def write_results(
    conn: sqlite3.Connection,
    import_id: int,
    claimed: list[sqlite3.Row],
    results: dict[int, tuple[FileReading | None, Analysis]],
) -> list[int]:
    """One transaction for the whole batch; only files still pending are written. Returns the ids
    of the files this call analysed, for the timestamp engine."""
    processed: list[int] = []
    counts = {"processed": 0, "error": 0, "skipped": 0, "known": 0}
    now = utc_now()
    with transaction(conn):
        for row in claimed:
            reading, analysis = results[row["id"]]
            status = "skipped" if analysis.status == "known" else analysis.status
            columns = dict(analysis.columns)
            if reading is not None:
                columns.update(size=reading.size, sha256=reading.sha256, fs_mtime=iso_utc(reading.mtime))
            columns.update(status=status, status_reason=analysis.reason, analysed_at=now, claimed_by=None)
            assignments = ", ".join(f"{name} = ?" for name in columns)
            changed = conn.execute(
                f"UPDATE files SET {assignments} WHERE id = ? AND status = 'pending'",
                (*columns.values(), row["id"]),
            ).rowcount
            if not changed:
                continue  # another delivery of this work got there first
            counts[analysis.status] += 1
            if analysis.status == "processed":
                processed.append(row["id"])
                save_proposed_tags(conn, row["id"], row["rel_path"])  # only files that enter the library
            store_details(conn, row, reading, analysis)
        conn.execute(
            "UPDATE imports SET files_done = files_done + ?, files_error = files_error + ?,"
            " files_skipped = files_skipped + ?, files_known = files_known + ?, current_path = ? WHERE id = ?",
            (
                counts["processed"],
                counts["error"],
                counts["skipped"],
                counts["known"],
                claimed[-1]["rel_path"],
                import_id,
            ),
        )
    return processed


def store_details(
    conn: sqlite3.Connection, row: sqlite3.Row, reading: FileReading | None, analysis: Analysis
) -> None:
    file_id = row["id"]
    evidence = list(analysis.evidence)
    if reading is not None and analysis.status in ("processed", "error"):
        evidence.append(timestamp_evidence("File:System:FileModifyDate", reading.mtime))
    if row["browser_mtime"]:
        moment = datetime.fromisoformat(row["browser_mtime"]).timestamp()
        evidence.append(timestamp_evidence("Browser:lastModified", moment))
    conn.executemany(
        "INSERT INTO evidence (file_id, source, raw, local_time, utc_offset, is_utc, precision, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                file_id,
                e["source"],
                e["raw"],
                e["local_time"],
                e["utc_offset"],
                e["is_utc"],
                e["precision"],
                json.dumps(e["detail"]) if e.get("detail") else None,
            )
            for e in evidence
        ],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO hashes (file_id, kind, value) VALUES (?, ?, ?)",
        [(file_id, kind, value) for kind, value in analysis.hashes.items()],
    )
    if analysis.tags:
        conn.execute(
            "INSERT OR REPLACE INTO file_metadata (file_id, tags) VALUES (?, ?)",
            (file_id, json.dumps(analysis.tags, ensure_ascii=False, default=str)),
        )


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def import_failed(message: dict[str, Any], exception: dict[str, Any]) -> None:
    """Retries ran out: say so on the job instead of leaving it 'running' forever."""
    import_id = message["args"][0]
    reason = f"{exception.get('type', 'error')}: {exception.get('message', '')}".strip()
    mark_failed(runtime.db(), import_id, f"the job stopped on an unexpected error ({reason})")


def iso_utc(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
