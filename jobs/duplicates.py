"""Duplicate groups in the library: computed from stored hashes (no file is read), saved with
stable ids, and a person's decisions (keep this, keep all, not duplicates) kept across regroups.

Discarding never deletes: a discarded file is only marked as not to be exported, and its tags
and timestamp evidence are merged into the kept file, with the decision in the history.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from jobs.dating import redate
from jobs.decisions import record_group
from jobs.grouping import DEFAULTS, Group, Item, Thresholds, group
from storage.db import transaction, utc_now
from storage.files import HASH_COLUMNS, camera_name
from storage.settings import Settings

ITEMS_SQL = f"""
SELECT f.id, f.sha256, f.width, f.height, f.mime, f.duration, f.size, f.real_type, f.has_original_date,
       f.camera_make, f.camera_model, f.software, f.rel_path, i.created_at AS imported_at,
       {HASH_COLUMNS},
       (SELECT count(*) FROM file_tags t WHERE t.file_id = f.id) AS tags
FROM files f JOIN imports i ON i.id = f.import_id
WHERE f.status = 'processed'
"""
# The camera-original capture time with its sub-seconds: equal for copies of one capture,
# different for burst frames taken within the same second.
ORIGINAL_TIME_SQL = """
SELECT file_id,
       max(CASE WHEN source LIKE 'EXIF:%:DateTimeOriginal' OR source LIKE 'QuickTime:%:CreateDate'
                THEN local_time END) AS taken,
       max(CASE WHEN source LIKE 'EXIF:%:SubSecTimeOriginal' THEN raw END) AS subsec
FROM evidence WHERE source LIKE 'EXIF:%' OR source LIKE 'QuickTime:%'
GROUP BY file_id
"""


def load_items(conn: sqlite3.Connection) -> list[Item]:
    originals = {}
    for row in conn.execute(ORIGINAL_TIME_SQL):
        if row["taken"]:
            subsec = (row["subsec"] or "").strip()
            originals[row["file_id"]] = row["taken"] + (f".{subsec}" if subsec.isdigit() else "")
    items = []
    for r in conn.execute(ITEMS_SQL):
        kind = (r["mime"] or "").split("/")[0]
        items.append(
            Item(
                id=r["id"],
                sha256=r["sha256"],
                phash=r["phash"],
                dhash=r["dhash"],
                width=r["width"],
                height=r["height"],
                kind="video" if kind == "video" else ("raw" if kind not in ("image",) else "image"),
                duration=r["duration"],
                original_time=originals.get(r["id"]),
                size=r["size"] or 0,
                real_type=r["real_type"] or "",
                has_original_date=bool(r["has_original_date"]),
                camera=camera_name(r["camera_make"], r["camera_model"]),
                software=r["software"],
                tags=r["tags"],
                imported_at=r["imported_at"],
                path=r["rel_path"],
            )
        )
    return items


def person_decisions(
    conn: sqlite3.Connection,
) -> tuple[set[frozenset[int]], list[tuple[str, frozenset[int]]]]:
    """(pairs declared not duplicates, [(resolution, files)]) from the decisions not undone."""
    separate: set[frozenset[int]] = set()
    resolved: list[tuple[str, frozenset[int]]] = []
    rows = conn.execute(
        "SELECT d.kind, d.payload FROM decisions d WHERE d.kind IN ('not_duplicates', 'keep_all', 'keep')"
        " AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) ORDER BY d.id"
    )
    for row in rows:
        files = frozenset(json.loads(row["payload"]).get("files", []))
        if row["kind"] == "not_duplicates":
            separate.update(frozenset((a, b)) for a in files for b in files if a < b)
        resolved.append(("kept" if row["kind"] == "keep" else row["kind"], files))
    return separate, resolved


def regroup(conn: sqlite3.Connection, thresholds: Thresholds = DEFAULTS) -> dict[str, int]:
    """Recompute every group from stored hashes and save them; returns the count per class."""
    setting = conn.execute("SELECT value FROM user_settings WHERE key = 'preferred_folder'").fetchone()
    separate, resolved = person_decisions(conn)
    groups = group(load_items(conn), thresholds, setting["value"] if setting else None, separate)
    save_groups(conn, groups, resolved)
    counts: dict[str, int] = defaultdict(int)
    for g in groups:
        counts[g.kind] += 1
    return dict(counts)


def resolution_for(g: Group, resolved: list[tuple[str, frozenset[int]]]) -> str | None:
    members = {file_id for file_id, _ in g.members}
    for resolution, files in reversed(resolved):  # the latest decision covering the group wins
        if members <= files:
            return resolution
    return None


def save_groups(
    conn: sqlite3.Connection, groups: list[Group], resolved: list[tuple[str, frozenset[int]]]
) -> None:
    """Replace the groups in one transaction, keeping a group's id when its class and
    representative are unchanged, so a bookmarked group stays the same group."""
    now = utc_now()
    with transaction(conn):
        old = {
            (r["class"], r["representative_id"]): r["id"] for r in conn.execute("SELECT * FROM dup_groups")
        }
        conn.execute("DELETE FROM dup_members")
        kept_ids = set()
        for g in groups:
            resolution = resolution_for(g, resolved)
            group_id = old.get((g.kind, g.representative))
            if group_id is None:
                group_id = conn.execute(
                    "INSERT INTO dup_groups (class, representative_id, keeper_id, keeper_reason, resolution,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (g.kind, g.representative, g.keeper, g.keeper_reason, resolution, now, now),
                ).lastrowid
            else:
                conn.execute(
                    "UPDATE dup_groups SET keeper_id = ?, keeper_reason = ?, resolution = ?, updated_at = ?"
                    " WHERE id = ?",
                    (g.keeper, g.keeper_reason, resolution, now, group_id),
                )
            kept_ids.add(group_id)
            conn.executemany(
                "INSERT INTO dup_members (group_id, file_id, class, distance) VALUES (?, ?, ?, ?)",
                [(group_id, file_id, g.kind, distance) for file_id, distance in g.members],
            )
        stale = [gid for gid in old.values() if gid not in kept_ids]
        # A group a person decided on stays (without members) as the subject of that history row.
        conn.executemany(
            "DELETE FROM dup_groups WHERE id = ? AND NOT EXISTS (SELECT 1 FROM decisions WHERE group_id = ?)",
            [(gid, gid) for gid in stale],
        )


# A person's decisions ---------------------------------------------------------------------------


def group_members(conn: sqlite3.Connection, group_id: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT file_id FROM dup_members WHERE group_id = ? ORDER BY file_id", (group_id,)
        )
    ]


def keep(
    conn: sqlite3.Connection,
    settings: Settings,
    group_id: int,
    keeper: int,
    actor: str,
    batch: str | None = None,
    redate_keeper: bool = True,
) -> list[int]:
    """Keep one file of the group; the others are set aside (not exported, never deleted), and their
    tags and timestamp evidence move to the kept file. Returns the discarded ids."""
    files = group_members(conn, group_id)
    if keeper not in files:
        raise ValueError(f"file {keeper} is not in group {group_id}")
    others = [f for f in files if f != keeper]
    with transaction(conn):
        record_group(conn, "keep", group_id, {"files": files, "keeper": keeper, "discarded": others}, actor, batch)
        marks = ",".join("?" * len(others))
        conn.execute(f"UPDATE files SET discarded = 1 WHERE id IN ({marks})", others)
        conn.execute(
            f"INSERT OR IGNORE INTO file_tags (file_id, tag_id, origin) SELECT ?, tag_id, 'merged'"
            f" FROM file_tags WHERE file_id IN ({marks})",
            (keeper, *others),
        )
        conn.execute(
            "INSERT INTO evidence (file_id, source, raw, local_time, utc_offset, is_utc, precision, detail,"
            " merged_from) SELECT ?, source, raw, local_time, utc_offset, is_utc, precision, detail, file_id"
            f" FROM evidence WHERE file_id IN ({marks}) AND merged_from IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM evidence k WHERE k.file_id = ? AND k.merged_from = evidence.file_id)",
            (keeper, *others, keeper),
        )
        conn.execute("UPDATE dup_groups SET resolution = 'kept' WHERE id = ?", (group_id,))
    if redate_keeper:
        redate(conn, [keeper], settings)  # the merged evidence may settle its date
    return others


def keep_suggested(conn: sqlite3.Connection, settings: Settings, kind: str, actor: str, batch: str) -> int:
    """Keep every open group's suggested keeper (one action, one batch); returns files set aside."""
    groups = conn.execute(
        "SELECT id, keeper_id FROM dup_groups WHERE class = ? AND resolution IS NULL AND keeper_id IS NOT NULL",
        (kind,),
    ).fetchall()
    aside, keepers = 0, []
    for g in groups:
        aside += len(keep(conn, settings, g["id"], g["keeper_id"], actor, batch, redate_keeper=False))
        keepers.append(g["keeper_id"])
    redate(conn, keepers, settings)
    return aside


def reopen_group(conn: sqlite3.Connection, group_id: int, kind: str, payload: dict) -> list[int]:
    """Reverse a keep / keep all / not duplicates: the group waits for a person again. A keep's
    set-aside files come back, and what moved to the keeper leaves it. Returns files to redate."""
    with transaction(conn):
        conn.execute("UPDATE dup_groups SET resolution = NULL WHERE id = ?", (group_id,))
        if kind != "keep":
            return []
        keeper, others = payload["keeper"], payload.get("discarded", [])
        marks = ",".join("?" * len(others))
        conn.execute(f"UPDATE files SET discarded = 0 WHERE id IN ({marks})", others)
        conn.execute(
            f"DELETE FROM file_tags WHERE file_id = ? AND origin = 'merged'"
            f" AND tag_id IN (SELECT tag_id FROM file_tags WHERE file_id IN ({marks}))",
            (keeper, *others),
        )
        conn.execute(f"DELETE FROM evidence WHERE file_id = ? AND merged_from IN ({marks})", (keeper, *others))
    return [keeper]


def keep_all(conn: sqlite3.Connection, group_id: int, actor: str, batch: str | None = None) -> None:
    with transaction(conn):
        record_group(conn, "keep_all", group_id, {"files": group_members(conn, group_id)}, actor, batch)
        conn.execute("UPDATE dup_groups SET resolution = 'keep_all' WHERE id = ?", (group_id,))


def not_duplicates(conn: sqlite3.Connection, group_id: int, actor: str, batch: str | None = None) -> None:
    """These files are different pictures: they will never be grouped together again."""
    with transaction(conn):
        record_group(conn, "not_duplicates", group_id, {"files": group_members(conn, group_id)}, actor, batch)
        conn.execute("UPDATE dup_groups SET resolution = 'not_duplicates' WHERE id = ?", (group_id,))
