"""A person's decisions from the review pages, written as append-only history rows.

Each action (one click, or one bulk action on 212 files) gets a batch id, so it is undone as one.
Date decisions outrank every source in the engine, which decides again right after; set-aside
files are only marked, never touched.
"""

from __future__ import annotations

import json
import sqlite3

from jobs import duplicates, tagging
from jobs.corrections import from_evidence, shifted
from jobs.dating import redate
from jobs.decisions import chunks, new_batch, record_files
from storage.db import transaction, utc_now
from storage.library import NEEDS_DATE_REVIEW
from storage.settings import Settings

GROUP_KINDS = ("keep", "keep_all", "not_duplicates")

def _current(conn: sqlite3.Connection, ids: list[int]) -> list[sqlite3.Row]:
    rows: list[sqlite3.Row] = []
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        rows += conn.execute(
            "SELECT id, taken_local, taken_offset, taken_zone, taken_precision, taken_source FROM files"
            f" WHERE id IN ({marks}) AND status = 'processed'",
            chunk,
        ).fetchall()
    return rows


def set_dates(
    conn: sqlite3.Connection,
    settings: Settings,
    payloads: dict[int, dict],
    actor: str,
    kind: str = "date",
    batch: str | None = None,
) -> str:
    """Record a date decision per file ({"local", "offset", "zone", "precision", ...}) and decide
    again. Returns the batch id."""
    batch = batch or new_batch()
    # One transaction: a decision is recorded and applied together, or (killed between) not at all.
    with transaction(conn):
        record_files(conn, kind, payloads.items(), actor, batch)
        redate(conn, payloads, settings)
    return batch


def accept_current(conn: sqlite3.Connection, settings: Settings, ids: list[int], actor: str) -> tuple[str, int]:
    """"This date is right": the engine's time becomes the person's. Files with no date are left."""
    payloads = {
        r["id"]: {
            "local": r["taken_local"],
            "offset": r["taken_offset"],
            "zone": r["taken_zone"],
            "precision": r["taken_precision"],
            "accepted": r["taken_source"],
        }
        for r in _current(conn, ids)
        if r["taken_local"]
    }
    return set_dates(conn, settings, payloads, actor), len(payloads)


def accept_evidence(
    conn: sqlite3.Connection, settings: Settings, pairs: dict[int, int], actor: str
) -> tuple[str, int]:
    """Pick a candidate per file ({file id: evidence id}); the evidence must be that file's."""
    payloads = {}
    for file_id, evidence_id in pairs.items():
        row = conn.execute(
            "SELECT e.source, e.local_time, e.utc_offset, e.is_utc, e.precision, f.taken_zone FROM evidence e"
            " JOIN files f ON f.id = e.file_id WHERE e.id = ? AND e.file_id = ? AND e.local_time IS NOT NULL",
            (evidence_id, file_id),
        ).fetchone()
        if row is None:
            continue
        payload = from_evidence(row["local_time"], row["utc_offset"], bool(row["is_utc"]), row["precision"],
                                row["taken_zone"])
        payloads[file_id] = {**payload, "evidence": evidence_id, "accepted": row["source"]}
    return set_dates(conn, settings, payloads, actor), len(payloads)


def apply_pattern(
    conn: sqlite3.Connection, settings: Settings, file_id: int, source: str, scope: str, actor: str
) -> tuple[str, int]:
    """Take `source`'s time for every queued file in the same folder (or from the same camera)."""
    if scope not in PATTERN_SQL:
        return new_batch(), 0
    rows = conn.execute(PATTERN_SQL[scope], {"file_id": file_id, "source": source}).fetchall()
    return accept_evidence(conn, settings, {r["id"]: r["evidence_id"] for r in rows}, actor)


def shift_dates(
    conn: sqlite3.Connection, settings: Settings, ids: list[int], minutes: int, actor: str
) -> tuple[str, int]:
    """The camera clock was off by `minutes` for these files: move each file's time by as much."""
    payloads = {
        r["id"]: {
            **shifted(r["taken_local"], r["taken_offset"], r["taken_zone"], r["taken_precision"], minutes),
            "minutes": minutes,
            "before": r["taken_local"],
        }
        for r in _current(conn, ids)
        if r["taken_local"]
    }
    return set_dates(conn, settings, payloads, actor, kind="shift"), len(payloads)


def set_discarded(conn: sqlite3.Connection, ids: list[int], discarded: bool, actor: str) -> tuple[str, int]:
    """Set files aside (not exported; nothing is deleted) or bring them back."""
    batch = new_batch()
    changed = 0
    with transaction(conn):
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            todo = [
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM files WHERE id IN ({marks}) AND discarded = ?", (*chunk, int(not discarded))
                )
            ]
            record_files(conn, "discard" if discarded else "undiscard", [(f, {}) for f in todo], actor, batch)
            conn.executemany("UPDATE files SET discarded = ? WHERE id = ?", [(int(discarded), f) for f in todo])
            changed += len(todo)
    return batch, changed


# Undo --------------------------------------------------------------------------------------------


def undo(conn: sqlite3.Connection, settings: Settings, decision_id: int, actor: str) -> tuple[str, int]:
    """Undo a decision and every other decision of its action (batch). Returns the undo's own batch
    and how many decisions it undid.

    Undo is itself recorded; what was undone stays in the history, struck through.
    """
    row = conn.execute("SELECT batch FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    batch = new_batch()
    if row is None:
        return batch, 0
    in_force = "kind != 'undo' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)"
    if row["batch"]:
        sql, args = f"SELECT * FROM decisions d WHERE batch = ? AND {in_force}", (row["batch"],)
    else:
        sql, args = f"SELECT * FROM decisions d WHERE id = ? AND {in_force}", (decision_id,)
    decisions = conn.execute(sql, args).fetchall()
    redo: list[int] = []
    groups = [d for d in decisions if d["kind"] in GROUP_KINDS]
    with transaction(conn):
        now = utc_now()
        conn.executemany(
            "INSERT INTO decisions (kind, file_id, group_id, undoes, actor, created_at, batch)"
            " VALUES ('undo', ?, ?, ?, ?, ?, ?)",
            [(d["file_id"], d["group_id"], d["id"], actor, now, batch) for d in decisions],
        )
        for d in decisions:
            payload = json.loads(d["payload"] or "{}")
            if d["kind"] in ("date", "shift"):
                redo.append(d["file_id"])
            elif d["kind"] in ("discard", "undiscard"):
                conn.execute(
                    "UPDATE files SET discarded = ? WHERE id = ?", (int(d["kind"] == "undiscard"), d["file_id"])
                )
            elif d["kind"] == "tag":
                tagging.drop_tag(conn, d["file_id"], payload["tag"])
            elif d["kind"] == "untag":
                tagging.restore_tag(conn, d["file_id"], payload["tag"], payload.get("origin", "user"))
    for d in groups:
        redo += duplicates.reopen_group(conn, d["group_id"], d["kind"], json.loads(d["payload"] or "{}"))
    if redo:
        redate(conn, redo, settings)
    return batch, len(decisions)


# The files a shift can cover besides the one on screen: its folder, or its camera in its import.
# A wrong camera clock is wrong for every picture it took, trusted or not, so these are not limited
# to the queue. Both are ranges of covering indexes (migration 0002), so counting 18,000 is cheap.
SCOPE_SQL = {
    "folder": """
        SELECT f.id FROM files this JOIN files f ON f.import_id = this.import_id AND f.folder = this.folder
        WHERE this.id = :file_id AND f.status = 'processed' AND f.discarded = 0""",
    "camera": """
        SELECT f.id FROM files this JOIN files f
          ON f.camera_make = this.camera_make AND f.camera_model = this.camera_model AND f.import_id = this.import_id
        WHERE this.id = :file_id AND f.status = 'processed' AND f.discarded = 0""",
}
# Files of that scope still in the date queue with a candidate from the same source: what
# "use the file name for the other 37 files in this folder" covers.
PATTERN_SQL = {
    scope: f"""
        SELECT f.id, min(e.id) AS evidence_id FROM ({sql}) AS s JOIN files f ON f.id = s.id
        JOIN evidence e ON e.file_id = f.id AND e.source = :source AND e.local_time IS NOT NULL
                       AND e.merged_from IS NULL
        WHERE {NEEDS_DATE_REVIEW} AND f.id != :file_id
        GROUP BY f.id"""
    for scope, sql in SCOPE_SQL.items()
}


def scope_ids(conn: sqlite3.Connection, file_id: int, scope: str) -> list[int]:
    if scope not in SCOPE_SQL:
        return [file_id]
    return [r[0] for r in conn.execute(SCOPE_SQL[scope], {"file_id": file_id})] or [file_id]
