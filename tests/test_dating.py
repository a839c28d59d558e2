"""Saving and sharing decisions: Live Photo pairs, and the neighbour-zone search."""

from __future__ import annotations

from datetime import datetime

from jobs.dating import live_photo_pairs, nearest_zone
from storage.db import open_database, utc_now


def add(conn, rel_path: str, mime: str, content_id: str | None = None) -> int:
    return conn.execute(
        "INSERT INTO files (import_id, rel_path, source_path, origin, status, mime, content_id, created_at)"
        " VALUES (1, ?, ?, ?, 'processed', ?, ?, ?)",
        (rel_path, "/x/" + rel_path, "/x/" + rel_path, mime, content_id, utc_now()),
    ).lastrowid


def test_live_photo_videos_pair_with_their_still_by_content_id_or_same_name(tmp_path):
    conn = open_database(tmp_path / "lib.sqlite3")
    conn.execute(
        "INSERT INTO imports (kind, root, state, created_at) VALUES ('folder', '/x', 'done', ?)", (utc_now(),)
    )
    still = add(conn, "trip/IMG_0001.HEIC", "image/heic", "ABC")
    renamed = add(conn, "trip/clip.MOV", "video/quicktime", "ABC")
    still2 = add(conn, "trip/IMG_0002.JPG", "image/jpeg")
    same_stem = add(conn, "trip/IMG_0002.mov", "video/quicktime")
    add(conn, "other/IMG_0002.mov", "video/quicktime")  # another folder: not its pair
    assert sorted(live_photo_pairs(conn, 1)) == sorted([(renamed, still), (same_stem, still2)])


def test_nearest_zone_within_six_hours_only():
    known = [(datetime(2019, 8, 20, 12), "Asia/Tokyo"), (datetime(2019, 8, 25, 12), "Europe/Paris")]
    times = [t for t, _ in known]
    assert nearest_zone(times, known, datetime(2019, 8, 20, 17)) == "Asia/Tokyo"
    assert nearest_zone(times, known, datetime(2019, 8, 20, 19)) is None
    assert nearest_zone(times, known, datetime(2019, 8, 25, 9)) == "Europe/Paris"
