"""Running the timestamp engine over stored evidence and saving its decisions.

Nothing here reads a photo: the engine re-runs from the evidence table, so a new engine version,
a user's decision or `mediaparser redate` costs a database pass, not a library re-read.
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from jobs.dates import Context, Decision, decide
from jobs.zones import system_zone
from storage.db import transaction
from storage.settings import Settings

BATCH = 500
NEIGHBOUR_HOURS = 6

FILE_SQL = """
SELECT f.id, f.mime, f.camera_make, i.created_at AS imported_at, f.content_id, f.import_id
FROM files f JOIN imports i ON i.id = f.import_id WHERE f.id IN ({marks})
"""
USER_SQL = """
SELECT d.file_id, d.payload FROM decisions d
WHERE d.kind IN ('date', 'shift') AND d.file_id IN ({marks})
  AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)
ORDER BY d.id
"""
ZONED_SQL = """
SELECT taken_local, taken_zone FROM files
WHERE import_id = ? AND taken_zone IS NOT NULL AND offset_source NOT LIKE 'assumed%' AND taken_precision = 'second'
ORDER BY taken_local
"""
ASSUMED_SQL = """
SELECT id, taken_local FROM files
WHERE import_id = ? AND offset_source LIKE 'assumed%' AND taken_precision IN ('second', 'minute')
"""


def default_zone(settings: Settings) -> str:
    return system_zone(settings.timezone or None)


def redate(
    conn: sqlite3.Connection,
    file_ids: Iterable[int],
    settings: Settings,
    neighbours: dict[int, str] | None = None,
    now: datetime | None = None,
) -> int:
    """Decide again for these files from their stored evidence; returns how many were decided."""
    ids = list(file_ids)
    zone = default_zone(settings)
    now = now or datetime.now(UTC)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        marks = ",".join("?" * len(chunk))
        files = {r["id"]: r for r in conn.execute(FILE_SQL.format(marks=marks), chunk)}
        evidence: dict[int, list[dict]] = defaultdict(list)
        for r in conn.execute(f"SELECT * FROM evidence WHERE file_id IN ({marks}) ORDER BY id", chunk):
            evidence[r["file_id"]].append(
                {**dict(r), "detail": json.loads(r["detail"]) if r["detail"] else None}
            )
        users = {
            r["file_id"]: json.loads(r["payload"]) for r in conn.execute(USER_SQL.format(marks=marks), chunk)
        }
        decisions = {}
        for file_id, row in files.items():
            ctx = Context(
                now=now,
                default_zone=zone,
                kind=(row["mime"] or "image/").split("/")[0],
                make=row["camera_make"],
                imported_at=datetime.fromisoformat(row["imported_at"]),
                neighbour_zone=(neighbours or {}).get(file_id),
                user=users.get(file_id),
            )
            decisions[file_id] = decide(evidence[file_id], ctx)
        save(conn, decisions)
    return len(ids)


def save(conn: sqlite3.Connection, decisions: dict[int, Decision]) -> None:
    with transaction(conn):
        conn.executemany(
            "UPDATE files SET taken_local = ?, taken_offset = ?, taken_zone = ?, taken_precision = ?,"
            " taken_source = ?, offset_source = ?, confidence = ?, conflict = ?, reasons = ?, engine_version = ?"
            " WHERE id = ?",
            [
                (
                    d.local,
                    d.offset,
                    d.zone,
                    d.precision,
                    d.source,
                    d.offset_source,
                    d.confidence,
                    int(d.conflict),
                    json.dumps(d.reasons, ensure_ascii=False),
                    d.version,
                    file_id,
                )
                for file_id, d in decisions.items()
            ],
        )


def redate_import(conn: sqlite3.Connection, import_id: int, settings: Settings) -> None:
    """The pass at the end of an import: files whose zone was assumed take the zone of the file
    taken nearest to them within a few hours in the same import, where one is known (GPS)."""
    known = [(datetime.fromisoformat(r[0]), r[1]) for r in conn.execute(ZONED_SQL, (import_id,))]
    if known:
        times = [t for t, _ in known]
        found = {}
        for file_id, local in conn.execute(ASSUMED_SQL, (import_id,)):
            zone = nearest_zone(times, known, datetime.fromisoformat(local))
            if zone:
                found[file_id] = zone
        if found:
            redate(conn, found, settings, neighbours=found)
    share_live_photo_times(conn, import_id)


def nearest_zone(times: list[datetime], known: list[tuple[datetime, str]], moment: datetime) -> str | None:
    at = bisect.bisect_left(times, moment)
    near = [known[i] for i in (at - 1, at) if 0 <= i < len(known)]
    best = min(near, key=lambda k: abs(k[0] - moment), default=None)
    return best[1] if best and abs(best[0] - moment) <= timedelta(hours=NEIGHBOUR_HOURS) else None


def live_photo_pairs(conn: sqlite3.Connection, import_id: int) -> list[tuple[int, int]]:
    """(video id, still id): the same Apple ContentIdentifier, else the same name in the same folder
    (IMG_0001.HEIC + IMG_0001.MOV)."""
    rows = conn.execute(
        "SELECT id, rel_path, content_id, mime FROM files WHERE import_id = ? AND status = 'processed'"
        " AND (mime LIKE 'image/%' OR mime LIKE 'video/%')",
        (import_id,),
    ).fetchall()
    stills = [r for r in rows if r["mime"].startswith("image/")]
    by_content = {r["content_id"]: r["id"] for r in stills if r["content_id"]}
    by_stem = {r["rel_path"].rsplit(".", 1)[0].lower(): r["id"] for r in stills}
    pairs = []
    for video in (r for r in rows if r["mime"].startswith("video/")):
        still = by_content.get(video["content_id"]) or by_stem.get(
            video["rel_path"].rsplit(".", 1)[0].lower()
        )
        if still is not None:
            pairs.append((video["id"], still))
    return pairs


def share_live_photo_times(conn: sqlite3.Connection, import_id: int) -> None:
    """A Live Photo's video takes its still's time and zone, when the still's date is trusted."""
    pairs = live_photo_pairs(conn, import_id)
    if not pairs:
        return
    with transaction(conn):
        conn.executemany(
            """
            UPDATE files AS v SET taken_local = p.taken_local, taken_offset = p.taken_offset,
                taken_zone = p.taken_zone, taken_precision = p.taken_precision, confidence = p.confidence,
                offset_source = p.offset_source, conflict = 0, taken_source = 'LivePhoto:' || p.id,
                reasons = json_insert(coalesce(p.reasons, '[]'), '$[#]', 'shared with its Live Photo still #' || p.id)
            FROM files AS p
            WHERE v.id = ? AND p.id = ? AND p.taken_local IS NOT NULL AND p.confidence IN ('high', 'medium')
            """,
            pairs,
        )


def redate_all(conn: sqlite3.Connection, settings: Settings) -> int:
    """`mediaparser redate`: every analysed file, then each import's neighbour pass."""
    ids = [r[0] for r in conn.execute("SELECT id FROM files WHERE status = 'processed' ORDER BY id")]
    redate(conn, ids, settings)
    for (import_id,) in conn.execute("SELECT id FROM imports ORDER BY id").fetchall():
        redate_import(conn, import_id, settings)
    return len(ids)
