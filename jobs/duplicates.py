"""Duplicate groups in the library: computed from stored hashes (no file is read), saved with
stable ids, and a person's decisions (keep this, keep all, not duplicates) kept across regroups.

Discarding never deletes: a discarded file is only marked as not to be exported, and its tags
and timestamp evidence are merged into the kept file, with the decision in the history.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Collection

from jobs.dating import redate
from jobs.decisions import GROUP_KINDS, IN_FORCE, aside_deciders, record_group
from jobs.grouping import DEFAULTS, Group, Item, Thresholds, group
from storage.db import transaction, utc_now
from storage.files import HASH_COLUMNS, camera_name
from storage.library import GROUP_IS_OPEN, SUGGESTION_STANDS
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
        f"SELECT d.kind, d.payload FROM decisions d WHERE d.kind IN {GROUP_KINDS} AND {IN_FORCE}"
        " ORDER BY d.id"
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

RESOLUTIONS = {"keep": "kept", "keep_all": "keep_all", "not_duplicates": "not_duplicates"}


def group_members(conn: sqlite3.Connection, group_id: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT file_id FROM dup_members WHERE group_id = ? ORDER BY file_id", (group_id,)
        )
    ]


def deciding(conn: sqlite3.Connection, group_id: int, members: list[int]) -> sqlite3.Row | None:
    """The decision in force that settles the group now, read as a regroup reads it: the latest one
    about all of its files. For a group a regroup left without files, the latest about the group."""
    return _latest(group_id, members, _history(conn, members[0] if members else None))


History = list[tuple[sqlite3.Row, frozenset[int]]]


def _history(conn: sqlite3.Connection, naming: int | None = None) -> History:
    """The group decisions in force, oldest first, with their files; only those naming a file if given."""
    sql = f"SELECT d.id, d.kind, d.group_id, d.payload FROM decisions d WHERE d.kind IN {GROUP_KINDS}"
    sql += f" AND {IN_FORCE}"
    args: tuple[int, ...] = ()
    if naming is not None:
        sql += " AND EXISTS (SELECT 1 FROM json_each(d.payload, '$.files') WHERE value = ?)"
        args = (naming,)
    rows = conn.execute(sql + " ORDER BY d.id", args)
    return [(row, _files(row)) for row in rows]


def _latest(group_id: int, members: list[int], history: History) -> sqlite3.Row | None:
    for row, files in reversed(history):
        if (members and set(members) <= files) or (not members and row["group_id"] == group_id):
            return row
    return None


def _discarded(conn: sqlite3.Connection, ids: list[int]) -> dict[int, bool]:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, discarded FROM files WHERE id IN ({marks})", ids)
    return {r[0]: bool(r[1]) for r in rows}


def _set_aside(conn: sqlite3.Connection, ids: list[int], aside: bool) -> None:
    conn.executemany("UPDATE files SET discarded = ? WHERE id = ?", [(int(aside), f) for f in ids])


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
    tags and timestamp evidence move to the kept file. The kept file is never left set aside, so
    keeping another file of a group already kept is a change of mind: it comes back and the file
    kept before goes aside. The decision names only what it changed ("discarded" were not set
    aside before, "undiscarded" were), so an undo gives back exactly the state before it.
    Returns the files this keep set aside."""
    files = group_members(conn, group_id)
    if keeper not in files:
        raise ValueError(f"file {keeper} is not in group {group_id}")
    others = [f for f in files if f != keeper]
    with transaction(conn):
        before = _discarded(conn, files)
        aside = [f for f in others if not before[f]]
        back = [keeper] if before[keeper] else []
        decider = aside_deciders(conn, back).get(keeper) if back else None
        if decider is not None and decider["group_id"] not in (None, group_id):
            # Set aside as a copy when another group was decided: bringing it back here would export
            # that picture twice, so it is the other group's decision to change.
            raise ValueError(
                f"That file was set aside as a copy when duplicate group #{decider['group_id']} was decided: "
                "keep another file here, or change that group's decision."
            )
        if not aside and not back and kept_file(conn, group_id, files) == keeper:
            raise ValueError("That file is already the file kept in this group; nothing changed.")
        payload = {"files": files, "keeper": keeper, "discarded": aside, "undiscarded": back}
        record_group(conn, "keep", group_id, payload, actor, batch)
        _set_aside(conn, aside, True)
        _set_aside(conn, back, False)
        marks = ",".join("?" * len(others))
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
    return aside


def kept_file(conn: sqlite3.Connection, group_id: int, members: list[int]) -> int | None:
    """The file a person kept in this group, while a keep is what settles it."""
    resolved = conn.execute("SELECT resolution FROM dup_groups WHERE id = ?", (group_id,)).fetchone()
    if resolved is None or resolved[0] != "kept":  # skips the history for every open group
        return None
    row = deciding(conn, group_id, members)
    return json.loads(row["payload"])["keeper"] if row is not None and row["kind"] == "keep" else None


def keep_suggested(conn: sqlite3.Connection, settings: Settings, kind: str, actor: str, batch: str) -> int:
    """Keep every open group's suggested keeper (one action, one batch); returns files set aside."""
    groups = conn.execute(
        f"SELECT g.id, g.keeper_id FROM dup_groups g WHERE g.class = ? AND {GROUP_IS_OPEN}"
        f" AND {SUGGESTION_STANDS}",
        (kind,),
    ).fetchall()
    aside, keepers = 0, []
    for g in groups:
        aside += len(keep(conn, settings, g["id"], g["keeper_id"], actor, batch, redate_keeper=False))
        keepers.append(g["keeper_id"])
    redate(conn, keepers, settings)
    return aside


def keep_all(conn: sqlite3.Connection, group_id: int, actor: str, batch: str | None = None) -> list[int]:
    """Every file of the group is kept. Returns the files a keep of this group had set aside, which
    come back."""
    return _settle_all(conn, group_id, "keep_all", actor, batch)


def not_duplicates(
    conn: sqlite3.Connection, group_id: int, actor: str, batch: str | None = None
) -> list[int]:
    """These files are different pictures: they will never be grouped together again. Returns the
    files a keep of this group had set aside, which come back."""
    return _settle_all(conn, group_id, "not_duplicates", actor, batch)


def _settle_all(
    conn: sqlite3.Connection, group_id: int, kind: str, actor: str, batch: str | None
) -> list[int]:
    # No file of the group stays set aside by this group's decisions; one set aside by hand, or by
    # a decision about another group, stays aside.
    files = group_members(conn, group_id)
    if not files:
        raise ValueError("This group has no files any more: they were grouped again since. Reload the queue.")
    with transaction(conn):
        current = deciding(conn, group_id, files)
        if current is not None and current["kind"] == kind:
            raise ValueError(f"This group is already marked “{kind.replace('_', ' ')}”; nothing changed.")
        back = sorted(
            f
            for f, row in aside_deciders(conn, files).items()
            if row["aside"] and (row["group_id"] == group_id or set(files) <= _files(row))
        )
        record_group(conn, kind, group_id, {"files": files, "undiscarded": back}, actor, batch)
        _set_aside(conn, back, False)
        conn.execute("UPDATE dup_groups SET resolution = ? WHERE id = ?", (RESOLUTIONS[kind], group_id))
    return back


def _files(row: sqlite3.Row) -> frozenset[int]:
    return frozenset(json.loads(row["payload"]).get("files", []))


def group_deciders(
    conn: sqlite3.Connection, group_ids: list[int], ignoring: Collection[int] = ()
) -> dict[int, sqlite3.Row | None]:
    """The decision that settles each group, the ids in `ignoring` counted as undone (None: open)."""
    history = [(row, files) for row, files in _history(conn) if row["id"] not in ignoring]
    by_file: dict[int, History] = defaultdict(list)
    for row, files in history:
        for file_id in files:
            by_file[file_id].append((row, files))
    found = {}
    for group_id in dict.fromkeys(group_ids):
        members = group_members(conn, group_id)
        found[group_id] = _latest(group_id, members, by_file[members[0]] if members else history)
    return found


def settle_groups(conn: sqlite3.Connection, undone: list[sqlite3.Row]) -> list[int]:
    """After group decisions are undone (their undo rows written): each group's resolution follows the
    decisions still in force, or it waits for a person again; what an undone keep merged into its
    keeper leaves it, unless a keep still in force merged it too. Set-aside flags are the caller's
    (they follow decisions of every kind). Returns the keepers to date again."""
    redo = []
    with transaction(conn):
        for group_id, row in group_deciders(conn, [d["group_id"] for d in undone]).items():
            resolution = RESOLUTIONS[row["kind"]] if row is not None else None
            conn.execute("UPDATE dup_groups SET resolution = ? WHERE id = ?", (resolution, group_id))
        merged: dict[int, set[int]] = defaultdict(set)  # keeper: files whose keep is still in force
        for row in conn.execute(f"SELECT d.payload FROM decisions d WHERE d.kind = 'keep' AND {IN_FORCE}"):
            payload = json.loads(row["payload"])
            merged[payload["keeper"]].update(payload["files"])
        for d in undone:
            if d["kind"] == "keep":
                payload = json.loads(d["payload"])
                keeper = payload["keeper"]
                gone = [f for f in payload["files"] if f != keeper and f not in merged[keeper]]
                _unmerge(conn, keeper, gone, sorted(merged[keeper] - {keeper}))
                redo.append(keeper)
    return redo


def _unmerge(conn: sqlite3.Connection, keeper: int, gone: list[int], still: list[int]) -> None:
    """Take off the keeper what was merged into it from `gone` and not also from `still`."""
    if not gone:
        return
    marks = ",".join("?" * len(gone))
    conn.execute(
        f"DELETE FROM file_tags WHERE file_id = ? AND origin = 'merged'"
        f" AND tag_id IN (SELECT tag_id FROM file_tags WHERE file_id IN ({marks}))"
        f" AND tag_id NOT IN (SELECT tag_id FROM file_tags WHERE file_id IN ({','.join('?' * len(still))}))",
        (keeper, *gone, *still),
    )
    conn.execute(f"DELETE FROM evidence WHERE file_id = ? AND merged_from IN ({marks})", (keeper, *gone))
