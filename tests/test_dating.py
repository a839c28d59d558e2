"""Saving and sharing decisions: Live Photo pairs, and the neighbour-zone search."""

from __future__ import annotations

from datetime import datetime

import pytest

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


def test_a_persons_date_wins_is_kept_in_history_and_can_be_undone(tmp_path):
    from jobs.dating import redate
    from jobs.review import set_dates, undo
    from storage.settings import Settings

    settings = Settings(data_dir=tmp_path, timezone="Europe/Berlin")
    conn = open_database(settings.database_path)
    conn.execute(
        "INSERT INTO imports (kind, root, state, created_at) VALUES ('folder', '/x', 'done', ?)", (utc_now(),)
    )
    file_id = add(conn, "IMG_20190704_183045.jpg", "image/jpeg")
    conn.execute(
        "INSERT INTO evidence (file_id, source, raw, local_time, is_utc, precision)"
        " VALUES (?, 'Name:IMG_YYYYMMDD_HHMMSS', 'IMG_20190704_183045.jpg', '2019-07-04T18:30:45', 0, 'second')",
        (file_id,),
    )
    redate(conn, [file_id], settings)
    engine = tuple(conn.execute("SELECT taken_local, confidence FROM files").fetchone())
    assert engine == ("2019-07-04T18:30:45", "medium")

    payload = {"local": "2019-07-05T09:00:00", "offset": "+02:00", "zone": "Europe/Berlin"}
    batch = set_dates(conn, settings, {file_id: payload}, "anna")
    decision = conn.execute("SELECT id FROM decisions WHERE batch = ?", (batch,)).fetchone()[0]
    row = conn.execute("SELECT taken_local, taken_offset, confidence, taken_source FROM files").fetchone()
    assert tuple(row) == ("2019-07-05T09:00:00", "+02:00", "high", "User")

    undo(conn, settings, decision, "anna")
    assert tuple(conn.execute("SELECT taken_local, confidence FROM files").fetchone()) == engine
    kinds = [r[0] for r in conn.execute("SELECT kind FROM decisions ORDER BY id")]
    assert kinds == ["date", "undo"], "both rows stay in the history"


def test_a_date_decision_is_recorded_and_applied_together_or_not_at_all(tmp_path, monkeypatch):
    """A worker or web process killed between writing the decision and applying it must not leave a
    decision in the history that the file does not show (the fault suite's kill -9 case)."""
    import jobs.review
    from jobs.review import set_dates
    from storage.settings import Settings

    settings = Settings(data_dir=tmp_path, timezone="Europe/Berlin")
    conn = open_database(settings.database_path)
    conn.execute(
        "INSERT INTO imports (kind, root, state, created_at) VALUES ('folder', '/x', 'done', ?)", (utc_now(),)
    )
    file_id = add(conn, "IMG_1.jpg", "image/jpeg")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("the process dies here")

    monkeypatch.setattr(jobs.review, "redate", killed)
    payload = {"local": "2019-07-05T09:00:00", "offset": "+02:00", "zone": "Europe/Berlin"}
    with pytest.raises(KeyboardInterrupt):
        set_dates(conn, settings, {file_id: payload}, "anna")
    assert conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
    assert not conn.in_transaction
