"""A person's decisions from the review pages, written as append-only history rows.

Each action (one click, or one bulk action on 212 files) gets a batch id, so it is undone as one.
Date decisions outrank every source in the engine, which decides again right after; set-aside
files are only marked, never touched.
"""

from __future__ import annotations

import json
import sqlite3

from jobs import duplicates, tagging
from jobs.corrections import BadCorrection, from_evidence, shifted
from jobs.dating import redate
from jobs.decisions import GROUP_KINDS, IN_FORCE, aside_deciders, chunks, new_batch, record_files
from storage.db import transaction, utc_now
from storage.library import NEEDS_DATE_REVIEW
from storage.settings import Settings


class CannotUndo(ValueError):
    """An undo that could not give back the state without the decision; the message says what to
    undo first. Nothing was written."""


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


def accept_current(
    conn: sqlite3.Connection, settings: Settings, ids: list[int], actor: str
) -> tuple[str, int]:
    """ "This date is right": the engine's time becomes the person's. Files with no date are left."""
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
        payload = from_evidence(
            row["local_time"], row["utc_offset"], bool(row["is_utc"]), row["precision"], row["taken_zone"]
        )
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
    if minutes == 0:
        raise BadCorrection("A shift of zero changes nothing; type one like +1h03m or -45m.")
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
                    f"SELECT id FROM files WHERE id IN ({marks}) AND discarded = ?",
                    (*chunk, int(not discarded)),
                )
            ]
            record_files(conn, "discard" if discarded else "undiscard", [(f, {}) for f in todo], actor, batch)
            conn.executemany(
                "UPDATE files SET discarded = ? WHERE id = ?", [(int(discarded), f) for f in todo]
            )
            changed += len(todo)
    return batch, changed


# Undo --------------------------------------------------------------------------------------------


def undo(conn: sqlite3.Connection, settings: Settings, decision_id: int, actor: str) -> tuple[str, int]:
    """Undo a decision and every other decision of its action (batch). Returns the undo's own batch
    and how many decisions it undid; raises CannotUndo (writing nothing) when that cannot be done.

    Undone means as if never made: each file's set-aside flag, each tag, each date and each group's
    resolution is put back from the decisions still in force (the latest one decides; with none,
    the state before any). Undo is itself recorded, one row per decision undone; what was undone
    stays in the history, struck through. An undo row's payload is {"superseded_by": id} when a
    later decision still in force decides that file, tag or group, so nothing visible changed.
    """
    row = conn.execute("SELECT batch FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    batch = new_batch()
    if row is None:
        return batch, 0
    which, args = ("batch = ?", (row["batch"],)) if row["batch"] else ("id = ?", (decision_id,))
    decisions = conn.execute(
        f"SELECT * FROM decisions d WHERE {which} AND kind != 'undo' AND {IN_FORCE} ORDER BY d.id", args
    ).fetchall()
    undone = {d["id"] for d in decisions}
    payloads = [json.loads(d["payload"] or "{}") for d in decisions]
    dated = [d for d in decisions if d["kind"] in ("date", "shift")]
    with transaction(conn):
        later = later_dates(conn, dated, undone)  # refuses before anything is written
        aside_files = [d["file_id"] for d in decisions if d["kind"] in ("discard", "undiscard")]
        for d, p in zip(decisions, payloads, strict=True):
            if d["kind"] in GROUP_KINDS:
                aside_files += p.get("discarded", []) + p.get("undiscarded", [])
        aside = settle_aside(conn, aside_files, undone)
        tag_pairs = [(d["file_id"], p["tag"]) for d, p in zip(decisions, payloads, strict=True) if "tag" in p]
        tags = tagging.settle_tags(conn, tag_pairs, undone)
        group_ids = [d["group_id"] for d in decisions if d["kind"] in GROUP_KINDS]
        groups = {g: r["id"] for g, r in duplicates.group_deciders(conn, group_ids, undone).items() if r}
        now = utc_now()
        rows = []
        for d, p in zip(decisions, payloads, strict=True):
            by = {
                "date": later.get(d["file_id"]),
                "shift": later.get(d["file_id"]),
                "discard": aside.get(d["file_id"]),
                "undiscard": aside.get(d["file_id"]),
                "tag": tags.get((d["file_id"], p.get("tag"))),
                "untag": tags.get((d["file_id"], p.get("tag"))),
            }.get(d["kind"], groups.get(d["group_id"]))
            note = {"superseded_by": by} if by is not None and by > d["id"] else {}
            rows.append((d["file_id"], d["group_id"], json.dumps(note), d["id"], actor, now, batch))
        conn.executemany(
            "INSERT INTO decisions (kind, file_id, group_id, payload, undoes, actor, created_at, batch)"
            " VALUES ('undo', ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        redo = [d["file_id"] for d in dated]
        redo += duplicates.settle_groups(conn, [d for d in decisions if d["kind"] in GROUP_KINDS])
        if redo:
            redate(conn, redo, settings)
    return batch, len(decisions)


def settle_aside(conn: sqlite3.Connection, ids: list[int], ignoring: set[int]) -> dict[int, int]:
    """Set each file aside or not as the latest decision in force about it says (none: not aside),
    the ids in `ignoring` counted as undone. Returns the deciding decision's id per file."""
    deciders = aside_deciders(conn, ids, ignoring)
    conn.executemany(
        "UPDATE files SET discarded = ? WHERE id = ?",
        [(int(bool(deciders[f]["aside"])) if f in deciders else 0, f) for f in dict.fromkeys(ids)],
    )
    return {f: row["id"] for f, row in deciders.items()}


DATED_SQL = f"""
SELECT d.id, d.kind, d.file_id, d.payload, f.rel_path FROM decisions d JOIN files f ON f.id = d.file_id
WHERE d.kind IN ('date', 'shift') AND d.file_id IN ({{marks}}) AND {IN_FORCE} ORDER BY d.id
"""


def later_dates(conn: sqlite3.Connection, dated: list[sqlite3.Row], ignoring: set[int]) -> dict[int, int]:
    """The date or shift decision that will decide each file once `ignoring` are undone (file id:
    decision id), or CannotUndo when that is a later shift: a shift is stored as the time it gave,
    moved from the time it found, so it would keep the time of the decision undone under it."""
    remaining: dict[int, list[sqlite3.Row]] = {}
    for chunk in chunks(d["file_id"] for d in dated):
        for r in conn.execute(DATED_SQL.format(marks=",".join("?" * len(chunk))), chunk):
            if r["id"] not in ignoring:
                remaining.setdefault(r["file_id"], []).append(r)
    blocking = []
    for d in dated:
        rows = remaining.get(d["file_id"], [])
        last = rows[-1] if rows else None
        # A date decision between the two means the shift was worked out from that one, not from d.
        if (
            last is not None
            and last["kind"] == "shift"
            and last["id"] > d["id"]
            and not any(r["kind"] == "date" and d["id"] < r["id"] < last["id"] for r in rows)
        ):
            blocking.append(last)
    if blocking:
        first = blocking[0]
        others = len({r["file_id"] for r in blocking}) - 1
        also = f" ({others} other file{'s' if others > 1 else ''} too)" if others else ""
        minutes = json.loads(first["payload"]).get("minutes", 0)
        raise CannotUndo(
            f"{first['rel_path']} was shifted by {shift_text(minutes)} later (decision #{first['id']}){also},"
            " starting from the time this decision gave it. Undo that shift first, then this one."
        )
    return {f: rows[-1]["id"] for f, rows in remaining.items() if rows}


def shift_text(minutes: int) -> str:
    """+63 -> "+1 h 03 min"."""
    sign = "+" if minutes >= 0 else "\u2212"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours} h {mins:02d} min" if hours else f"{sign}{mins} min"


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
