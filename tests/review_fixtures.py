"""A small library arranged directly in SQL, for the review pages' tests: files with evidence in a
few folders and cameras, some needing date review, duplicate groups of each class, and tags."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from storage.db import transaction, utc_now


@dataclass
class Library:
    import_id: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # rel_path -> id
    groups: dict[str, int] = field(default_factory=dict)  # class -> group id


def add_file(
    conn: sqlite3.Connection,
    import_id: int,
    rel_path: str,
    *,
    taken: str | None = "2019-07-14T10:00:00",
    offset: str | None = "+02:00",
    zone: str | None = "Europe/Rome",
    confidence: str | None = "high",
    conflict: bool = False,
    camera: tuple[str | None, str | None] = ("Canon", "EOS 80D"),
    status: str = "processed",
    mime: str = "image/jpeg",
    size: int = 1000,
    evidence: list[dict] | None = None,
    reason: str | None = None,
) -> int:
    file_id = conn.execute(
        "INSERT INTO files (import_id, rel_path, source_path, origin, size, status, status_reason, real_type,"
        " mime, sha256, width, height, camera_make, camera_model, taken_local, taken_offset, taken_zone,"
        " taken_precision, taken_source, offset_source, confidence, conflict, reasons, engine_version, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'jpeg', ?, ?, 4000, 3000, ?, ?, ?, ?, ?, 'second', ?, 'zone', ?, ?, ?, 1, ?)",
        (
            import_id,
            rel_path,
            f"/nowhere/{rel_path}",
            f"/nowhere/{rel_path}",
            size,
            status,
            reason,
            mime,
            f"sha-{rel_path}",
            camera[0],
            camera[1],
            taken,
            offset if taken else None,
            zone if taken else None,
            "EXIF:ExifIFD:DateTimeOriginal" if taken else None,
            confidence if status == "processed" else None,
            int(conflict),
            json.dumps(["from the test fixture"]),
            utc_now(),
        ),
    ).lastrowid
    for e in evidence or []:
        conn.execute(
            "INSERT INTO evidence (file_id, source, raw, local_time, utc_offset, is_utc, precision)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                file_id,
                e["source"],
                e.get("raw", e["local_time"]),
                e["local_time"],
                e.get("utc_offset"),
                int(e.get("is_utc", False)),
                e.get("precision", "second"),
            ),
        )
    return file_id


def add_group(conn: sqlite3.Connection, kind: str, members: list[int], keeper: int) -> int:
    now = utc_now()
    group_id = conn.execute(
        "INSERT INTO dup_groups (class, representative_id, keeper_id, keeper_reason, created_at, updated_at)"
        " VALUES (?, ?, ?, 'it has the most pixels', ?, ?)",
        (kind, members[0], keeper, now, now),
    ).lastrowid
    conn.executemany(
        "INSERT INTO dup_members (group_id, file_id, class, distance) VALUES (?, ?, ?, 0)",
        [(group_id, m, kind) for m in members],
    )
    return group_id


def build(conn: sqlite3.Connection) -> Library:
    """Holiday/ (4 files, two needing review, one with a name date), Scans/ (no dates), groups, tags."""
    lib = Library()
    with transaction(conn):
        lib.import_id = conn.execute(
            "INSERT INTO imports (kind, root, label, state, created_at)"
            " VALUES ('folder', '/nowhere', 'Test', 'done', ?)",
            (utc_now(),),
        ).lastrowid

        def add(path: str, **kw) -> None:
            lib.ids[path] = add_file(conn, lib.import_id, path, **kw)

        add("Holiday/IMG_0001.jpg", taken="2019-07-14T10:00:00")
        add(
            "Holiday/IMG_0002.jpg",
            taken="2019-07-14T10:05:00",
            confidence="low",
            conflict=True,
            evidence=[
                {"source": "EXIF:ExifIFD:DateTimeOriginal", "local_time": "2019-07-14T10:05:00"},
                {
                    "source": "Name:YYYYMMDD_HHMMSS",
                    "local_time": "2019-07-14T11:05:00",
                    "raw": "20190714_110500",
                },
                {"source": "Composite:GPSDateTime", "local_time": "2019-07-14T09:05:00", "is_utc": True},
            ],
        )
        add(
            "Holiday/IMG_0003.jpg",
            taken="2019-07-14T10:09:00",
            confidence="low",
            conflict=True,
            evidence=[
                {"source": "EXIF:ExifIFD:DateTimeOriginal", "local_time": "2019-07-14T10:09:00"},
                {
                    "source": "Name:YYYYMMDD_HHMMSS",
                    "local_time": "2019-07-14T11:09:00",
                    "raw": "20190714_110900",
                },
            ],
        )
        add("Holiday/IMG_0004.jpg", taken="2019-07-15T08:00:00")
        add("Scans/scan 1.jpg", taken=None, confidence="none", camera=(None, None))
        add("Scans/<b>bold</b>.jpg", taken="1990-01-01", confidence="low", camera=(None, None))
        add(
            "Broken/bad.jpg", taken=None, status="error", reason="JPEG data ends early: the file is truncated"
        )
        add("Video/clip.mp4", taken="2020-01-01T12:00:00", mime="video/mp4", size=50_000)
        add("Copies/IMG_0001.jpg", taken="2019-07-14T10:00:00", size=900)
        add("Copies/IMG_0004 small.jpg", taken="2019-07-15T08:00:00", size=300)
        add("Similar/a.jpg", taken="2018-01-01T10:00:00")
        add("Similar/b.jpg", taken="2018-01-01T10:00:02")
        ids = lib.ids
        lib.groups["exact"] = add_group(
            conn,
            "exact",
            [ids["Holiday/IMG_0001.jpg"], ids["Copies/IMG_0001.jpg"]],
            ids["Holiday/IMG_0001.jpg"],
        )
        lib.groups["same"] = add_group(
            conn,
            "same",
            [ids["Holiday/IMG_0004.jpg"], ids["Copies/IMG_0004 small.jpg"]],
            ids["Holiday/IMG_0004.jpg"],
        )
        lib.groups["similar"] = add_group(
            conn, "similar", [ids["Similar/a.jpg"], ids["Similar/b.jpg"]], ids["Similar/a.jpg"]
        )
        conn.execute("INSERT INTO tags (name) VALUES ('Holiday')")
        conn.execute(
            "INSERT INTO file_tags (file_id, tag_id, origin) SELECT id, 1, 'folder' FROM files"
            " WHERE rel_path LIKE 'Holiday/%'"
        )
    return lib
