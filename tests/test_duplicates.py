"""Duplicate groups in the database: built from stored hashes, stable ids, and a person's decisions
(keep, keep all, not duplicates) that no regroup undoes."""

from __future__ import annotations

import json

import pytest

from jobs.duplicates import keep, keep_all, not_duplicates, regroup
from jobs.hashing import to_signed64
from storage.db import open_database, utc_now
from storage.settings import Settings

BASE = 0x0F0F_F0F0_3C3C_C3C3
OTHER = 0xA5A5_5A5A_F00F_0FF0  # 32 bits from BASE: a different picture


def flip(value: int, bits: int) -> int:
    """The hash with its lowest `bits` bits flipped: a copy `bits` apart."""
    return value ^ ((1 << bits) - 1)


@pytest.fixture
def library(tmp_path):
    settings = Settings(data_dir=tmp_path, timezone="UTC")
    conn = open_database(settings.database_path)
    conn.execute(
        "INSERT INTO imports (kind, root, state, created_at) VALUES ('folder', '/p', 'done', ?)", (utc_now(),)
    )
    return settings, conn


def add(
    conn,
    name: str,
    phash: int,
    dhash: int,
    sha: str,
    size: int = 1000,
    width: int = 4000,
    height: int = 3000,
    original: str | None = None,
) -> int:
    file_id = conn.execute(
        "INSERT INTO files (import_id, rel_path, source_path, origin, status, sha256, size, width, height, mime,"
        " real_type, has_original_date, created_at) VALUES (1, ?, ?, ?, 'processed', ?, ?, ?, ?, 'image/jpeg',"
        " 'jpeg', ?, ?)",
        (name, f"/p/{name}", f"/p/{name}", sha, size, width, height, int(original is not None), utc_now()),
    ).lastrowid
    conn.executemany(
        "INSERT INTO hashes (file_id, kind, value) VALUES (?, ?, ?)",
        [(file_id, "phash", to_signed64(phash)), (file_id, "dhash", to_signed64(dhash))],
    )
    if original:
        conn.execute(
            "INSERT INTO evidence (file_id, source, raw, local_time, is_utc, precision) VALUES"
            " (?, 'EXIF:ExifIFD:DateTimeOriginal', ?, ?, 0, 'second')",
            (file_id, original, original),
        )
    return file_id


def groups(conn) -> dict[str, list[set[int]]]:
    found: dict[str, list[set[int]]] = {}
    for g in conn.execute("SELECT id, class FROM dup_groups ORDER BY id"):
        members = {
            r[0] for r in conn.execute("SELECT file_id FROM dup_members WHERE group_id = ?", (g["id"],))
        }
        found.setdefault(g["class"], []).append(members)
    return found


def test_exact_copies_and_re_encodes_are_grouped_and_a_different_picture_is_not(library):
    _, conn = library
    a = add(conn, "a.jpg", BASE, BASE, "s1", original="2019-07-04T18:30:45")
    b = add(conn, "copy/a.jpg", BASE, BASE, "s1", original="2019-07-04T18:30:45")
    c = add(conn, "a_q50.jpg", flip(BASE, 2), flip(BASE, 3), "s2", size=400, original="2019-07-04T18:30:45")
    add(conn, "other.jpg", OTHER, OTHER, "s3")
    regroup(conn)
    found = groups(conn)
    assert found["exact"] == [{a, b}]
    assert any({a, c} <= g for g in found["same"])
    assert all(len(g) >= 2 for kind in found.values() for g in kind)


def test_group_ids_survive_a_regroup_and_decisions_are_never_undone(library):
    settings, conn = library
    a = add(conn, "a.jpg", BASE, BASE, "s1", original="2019-07-04T18:30:45")
    b = add(conn, "b.jpg", flip(BASE, 2), flip(BASE, 2), "s2", size=500, original="2019-07-04T18:30:45")
    regroup(conn)
    [(group_id, keeper)] = conn.execute(
        "SELECT id, keeper_id FROM dup_groups WHERE class = 'same'"
    ).fetchall()
    assert keeper == a, "larger file with the same pixels is suggested"
    regroup(conn)
    assert conn.execute("SELECT id FROM dup_groups WHERE class = 'same'").fetchone()[0] == group_id

    conn.execute("INSERT INTO tags (name) VALUES ('beach')")
    conn.execute("INSERT INTO file_tags (file_id, tag_id, origin) VALUES (?, 1, 'user')", (b,))
    assert keep(conn, settings, group_id, a, "anna") == [b]
    assert conn.execute("SELECT discarded FROM files WHERE id = ?", (b,)).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM file_tags WHERE file_id = ?", (a,)).fetchone()[0] == 1
    merged = conn.execute(
        "SELECT count(*) FROM evidence WHERE file_id = ? AND merged_from = ?", (a, b)
    ).fetchone()
    assert merged[0] == 1, "the discarded copy's evidence moved to the kept file"
    regroup(conn)
    assert conn.execute("SELECT resolution FROM dup_groups WHERE id = ?", (group_id,)).fetchone()[0] == "kept"
    history = conn.execute("SELECT kind, payload, actor FROM decisions").fetchall()
    assert [(h["kind"], json.loads(h["payload"])["discarded"], h["actor"]) for h in history] == [
        ("keep", [b], "anna")
    ]


def test_not_duplicates_keeps_them_apart_for_good_and_keep_all_is_remembered(library):
    _, conn = library
    a = add(conn, "a.jpg", BASE, BASE, "s1", original="2019-07-04T18:30:45")
    add(conn, "b.jpg", flip(BASE, 2), flip(BASE, 2), "s2", original="2019-07-04T18:30:45")
    c = add(conn, "c.jpg", flip(OTHER, 1), flip(OTHER, 1), "s3")
    d = add(conn, "d.jpg", flip(OTHER, 2), flip(OTHER, 2), "s4")
    regroup(conn)
    same = {frozenset(g) for g in groups(conn).get("same", [])}
    ab = next(conn.execute("SELECT group_id FROM dup_members WHERE file_id = ? AND class = 'same'", (a,)))[0]
    not_duplicates(conn, ab, "ben")
    cd = conn.execute("SELECT group_id, class FROM dup_members WHERE file_id = ?", (c,)).fetchone()
    keep_all(conn, cd["group_id"], "ben")
    regroup(conn)
    after = groups(conn)
    assert not any(a in g and len(g) > 1 for kind in after.values() for g in kind), "never grouped again"
    assert {c, d} <= next(g for g in after[cd["class"]] if c in g)
    resolution = conn.execute(
        "SELECT resolution FROM dup_groups g JOIN dup_members m ON m.group_id = g.id WHERE m.file_id = ?",
        (c,),
    ).fetchone()[0]
    assert resolution == "keep_all"
    assert same  # there was a group to separate
