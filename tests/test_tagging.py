"""jobs/tagging.py: tags proposed from folder and file names, and a person's tag and untag decisions."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from jobs.tagging import (
    GENERIC_FOLDERS,
    MAX_TAG_LENGTH,
    SUGGEST_SQL,
    TAG_COUNTS_SQL,
    add_tags,
    drop_tag,
    proposed_tags,
    remove_tags,
    restore_tag,
    save_proposed_tags,
    strip_dates,
    tag_names,
)
from storage.db import open_database, transaction, utc_now
from tests.corpus import CORPUS

# Pure part ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel_path", "expected"),
    [
        ("IMG_0001 {beach,Anna Maria}.jpg", [("beach", "name"), ("Anna Maria", "name")]),
        ("{holiday}IMG_2.jpg", [("holiday", "name")]),
        ("{holiday}IMG {beach} 3 { sea , }.jpg", [("holiday", "name"), ("beach", "name"), ("sea", "name")]),
        ("IMG {Beach,beach, BEACH}.jpg", [("Beach", "name")]),
        ("IMG {  Anna   Maria  }.jpg", [("Anna Maria", "name")]),
        ("IMG {}{ , ,}.jpg", []),
        ("{a{b}c}.jpg", [("b", "name")]),  # only a whole group, innermost
        ("{unclosed.jpg", []),
        ("closed}.jpg", []),
        ("{2019}.jpg", [("2019", "name")]),  # written on purpose: a person's brace tag is kept as is
        ("IMG_0001.jpg", []),
        ("2019 Summer in Rome/IMG_1.jpg", [("Summer in Rome", "folder")]),
        ("Birthdays/Anna 5/IMG.jpg", [("Birthdays", "folder"), ("Anna 5", "folder")]),
        (
            "Birthdays/Anna 5/IMG {cake}.jpg",
            [("Birthdays", "folder"), ("Anna 5", "folder"), ("cake", "name")],
        ),
        ("beach/IMG {Beach}.jpg", [("beach", "folder")]),  # the first spelling and origin win
    ],
)
def test_proposed_tags(rel_path, expected):
    assert proposed_tags(rel_path) == expected


@pytest.mark.parametrize(
    ("folder", "tag"),
    [
        ("2019 Summer in Rome", "Summer in Rome"),
        ("2019-07-14 - Beach day", "Beach day"),
        ("2019_07_14_Beach_Day", "Beach Day"),
        ("2019.07.14 Beach", "Beach"),
        ("20190714 Rome", "Rome"),
        ("2019-07 Rome", "Rome"),
        ("Rome 2019-07-14", "Rome"),
        ("Rome - 2019", "Rome"),
        ("Rome (2019)", "Rome"),
        ("Rome [2019-07]", "Rome"),
        ("Summer 2015", "Summer"),
        ("14 July 2019 Rome", "Rome"),
        ("14. Juli 2019 - Rom", "Rom"),
        ("July 14th, 2019 - Paris", "Paris"),
        ("14.07.2019 Rome", "Rome"),
        ("2019-07-14 - 2019-07-20 Rome", "Rome"),
        ("Rome 2019-07-14 - 2019-07-20", "Rome"),
        ("2018-2019 School year", "School year"),
        ("Holiday 2017 Italy", "Holiday 2017 Italy"),  # a date inside the words stays
        ("Anna 5", "Anna 5"),  # a number alone is not a date
        ("Anna May", "Anna May"),  # nor is a month name without a year
        ("Anna 5 2019", "Anna 5"),
        ("Top 10", "Top 10"),
        ("Summer_in_Rome", "Summer in Rome"),
        ("Summer_2019_-_Italy", "Summer 2019 - Italy"),
        ("Émile_et_Zoé", "Émile et Zoé"),
        ("家族 2019", "家族"),
        ("Ferien ٢٠١٩", "Ferien ٢٠١٩"),  # other scripts' digits are not read as dates
        ("Birthdays", "Birthdays"),
        ("Camera Club", "Camera Club"),  # only the whole name is generic
        ("My Family", "My Family"),
        ("0F", "0F"),
    ],
)
def test_a_folder_name_becomes_a_tag_without_its_dates(folder, tag):
    assert proposed_tags(f"{folder}/IMG_1.jpg") == [(tag, "folder")]


@pytest.mark.parametrize(
    "folder",
    [
        "DCIM",
        "dcim",
        "100APPLE",
        "100CANON",
        "101_PANA",
        "100NCD90",
        "Camera",
        "Camera Roll",
        "camera roll",
        "Pictures",
        "Photos",
        "Images",
        "Videos",
        "Movies",
        "WhatsApp",
        "WhatsApp Images",
        "WhatsApp Video",
        "Sent",
        "Private",
        "Screenshots",
        "Download",
        "Downloads",
        "Takeout",
        "Google Photos",
        "Photos from 2019",
        "Media",
        "Backup",
        "Backup 2019-07",
        "New folder",
        "New folder (2)",
        "Camera Roll 2",
        "Untitled",
        "Misc",
        "tmp",
        "Export",
        "Exports",
        "iCloud Photos",
        "OneDrive",
        "Dropbox",
        "Camera Uploads",
        "Telegram",
        "Signal",
        "2019",
        "2019-07",
        "2019-07-14",
        "2019_07_14",
        "20190714",
        "14.07.2019",
        "July 2019",
        "2019 Juli",
        "July",
        "07 July",
        "2019-07-14 - 2019-07-20",
        "123",
        "---",
        "(1)",
        "_",
        ".",
        "..",
        "A",
        "7",
        "e3b0c44298fc1c149afbf4c8996fb924",
        "1F9A3C7E-0B6D-4A2B-9C3D-5E6F7A8B9C0D",
        "Photos Library.photoslibrary",
        " ",
        "\t",
    ],
)
def test_generic_and_date_only_folders_give_no_tag(folder):
    assert proposed_tags(f"{folder}/IMG_1.jpg") == []


def test_a_typical_phone_backup_path_gives_only_the_meaningful_folder():
    path = "Backup/Phone/DCIM/Camera/2019/2019-07 Italy trip/Rome/WhatsApp/Media/WhatsApp Images/Sent/x.jpg"
    assert proposed_tags(path) == [("Italy trip", "folder"), ("Rome", "folder")]
    takeout = "Takeout/Google Photos/Photos from 2019/IMG_20190714_101010.jpg"
    assert proposed_tags(takeout) == []


def test_the_generic_list_is_casefolded_and_easy_to_extend():
    assert {"dcim", "camera roll", "whatsapp images", "icloud photos", "new folder"} <= GENERIC_FOLDERS
    assert all(name == name.casefold() == name.strip() and name for name in GENERIC_FOLDERS)


def test_folders_and_names_dedupe_case_insensitively_keeping_the_first_spelling():
    tags = proposed_tags("Rome/rome/ROME 2019/IMG {rome, Paris}.jpg")
    assert tags == [("Rome", "folder"), ("Paris", "name")]
    assert proposed_tags("Straße/STRASSE/x.jpg") == [("Straße", "folder")]  # casefold, not lower


def test_a_comma_in_a_folder_name_makes_two_tags_so_every_tag_can_be_typed():
    assert proposed_tags("Rome, Italy/x.jpg") == [("Rome", "folder"), ("Italy", "folder")]
    assert proposed_tags("July 14, 2019 Rome/x.jpg") == [("Rome", "folder")]
    for name, _ in proposed_tags("a, b, Rome, Italy/{c, d}x.jpg"):
        assert "," not in name


def test_unicode_is_normalised_so_one_name_is_one_tag():
    decomposed = "Cafe\u0301"  # macOS file systems hand out names like this
    assert proposed_tags(f"{decomposed}/x.jpg") == [("Café", "folder")]
    assert proposed_tags(f"Café/{decomposed}/x.jpg") == [("Café", "folder")]
    assert tag_names(decomposed) == ["Café"]
    assert proposed_tags("Zoë 👨‍👩‍👧/x.jpg") == [("Zoë 👨‍👩‍👧", "folder")]  # joiners kept


def test_hostile_text_is_kept_as_text_without_control_characters():
    assert proposed_tags('<b onmouseover="x">Hi&amp;/x.jpg') == [('<b onmouseover="x">Hi&amp;', "folder")]
    assert proposed_tags("<script>alert(1)<%2Fscript>/x.jpg") == [("<script>alert(1)<%2Fscript>", "folder")]
    assert proposed_tags("Say \"hi\" & 'bye'/x.jpg") == [("Say \"hi\" & 'bye'", "folder")]
    assert proposed_tags("Bad\x07Name\x00/x.jpg") == [("BadName", "folder")]
    assert proposed_tags("line\nbreak\ttab\r/x.jpg") == [("line break tab", "folder")]
    assert proposed_tags("IMG {a\u202eevil, b\u200bc}.jpg") == [("aevil", "name"), ("b\u200bc", "name")]
    assert proposed_tags("Lone\udcffSurrogate/x.jpg") == [("LoneSurrogate", "folder")]
    assert proposed_tags("'; DROP TABLE tags; --/x.jpg") == [("'; DROP TABLE tags;", "folder")]


def test_tags_are_at_most_sixty_characters():
    long_folder = "Our wonderful summer holiday with grandma and grandpa at the lake " * 3
    [(name, origin)] = proposed_tags(f"2019 {long_folder}/x.jpg")
    assert len(name) <= MAX_TAG_LENGTH and name.startswith("Our wonderful") and name == name.strip()
    [(name, _)] = proposed_tags("IMG {" + "x" * 500 + "}.jpg")
    assert name == "x" * MAX_TAG_LENGTH
    assert tag_names("y" * 61) == ["y" * MAX_TAG_LENGTH]


def test_odd_paths_do_not_break_anything():
    assert proposed_tags("") == []
    assert proposed_tags("x.jpg") == []
    assert proposed_tags("/x.jpg") == []
    assert proposed_tags("a//b/x.jpg") == []  # empty and one-letter components
    assert proposed_tags("./Rome/../x.jpg") == [("Rome", "folder")]
    deep = "/".join(f"Trip {i} Rome" for i in range(200)) + "/x.jpg"
    assert len(proposed_tags(deep)) == 200


def test_huge_hostile_names_are_quick():
    started = time.perf_counter()
    for folder in (
        "1 " * 100_000,
        " 1" * 100_000 + "x",
        "2019 " * 50_000,
        "x (1)" * 30_000,
        "Rome 2019" * 20_000,
    ):
        assert len(proposed_tags(f"{folder}/x.jpg")) <= 1
    assert len(proposed_tags("IMG {" + "a," * 100_000 + "}.jpg")) == 1
    assert tag_names("a, " * 100_000) == ["a"]
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("beach, Anna, beach", ["beach", "Anna"]),
        ("Beach, BEACH, bEaCh", ["Beach"]),
        ("  beach  ,,  , Anna   Maria ", ["beach", "Anna Maria"]),
        ("", []),
        (" , , ", []),
        ("one", ["one"]),
        ("a\nb\r\nc", ["a", "b", "c"]),  # a pasted list
        ("2019, 100APPLE, DCIM", ["2019", "100APPLE", "DCIM"]),  # a person's choice is not filtered
        ('<b>, "q", a&b', ["<b>", '"q"', "a&b"]),
        ("tab\there", ["tab here"]),
        ("bell\x07", ["bell"]),
        ("Ärger, ärger", ["Ärger"]),
    ],
)
def test_tag_names_parses_what_a_person_types(text, names):
    assert tag_names(text) == names


def test_strip_dates_leaves_names_without_dates_alone():
    for text in ("Rome", "Anna 5", "Anna (5)", "Top 10 Beaches", "Route 66", "", "Rome 2019 x", "(Rome)"):
        assert strip_dates(text) == text
    assert strip_dates("2019 Rome 2019 x") == "Rome 2019 x"
    assert strip_dates("Rome (2019)") == "Rome"
    assert strip_dates("(2019) Rome") == "Rome"
    assert strip_dates("[2019-07] - Rome -") == "Rome"


# Database part -----------------------------------------------------------------------------


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    conn = open_database(tmp_path / "db.sqlite3")
    yield conn
    conn.close()


def add_files(conn: sqlite3.Connection, count: int) -> list[int]:
    """`count` processed files in a new import; generated in SQL so 100,000 rows take a moment."""
    with transaction(conn):
        import_id = conn.execute(
            "INSERT INTO imports (kind, root, created_at) VALUES ('folder', '/photos', ?)", (utc_now(),)
        ).lastrowid
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM files").fetchone()[0]
        conn.execute(
            "WITH RECURSIVE n (i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last)"
            " INSERT INTO files (id, import_id, rel_path, source_path, origin, status, created_at)"
            " SELECT i, :import_id, 'f' || i || '.jpg', '/photos/f' || i || '.jpg', '/photos/f' || i || '.jpg',"
            " 'processed', :now FROM n",
            {"first": first, "last": first + count - 1, "import_id": import_id, "now": utc_now()},
        )
    return list(range(first, first + count))


def file_tags(conn: sqlite3.Connection, file_id: int) -> dict[str, str]:
    rows = conn.execute(
        "SELECT t.name, ft.origin FROM file_tags ft JOIN tags t ON t.id = ft.tag_id WHERE ft.file_id = ?",
        (file_id,),
    )
    return {name: origin for name, origin in rows}


def decisions(conn: sqlite3.Connection) -> list[tuple]:
    return [
        (r["kind"], r["file_id"], json.loads(r["payload"]), r["actor"], r["batch"])
        for r in conn.execute("SELECT * FROM decisions ORDER BY id")
    ]


def test_save_proposed_tags_writes_tags_and_no_decisions(conn):
    [file_id] = add_files(conn, 1)
    with transaction(conn):
        save_proposed_tags(conn, file_id, "2019 Summer in Rome/IMG {beach}.jpg")
        save_proposed_tags(conn, file_id, "2019 Summer in Rome/IMG {beach}.jpg")  # a repeat is harmless
    assert file_tags(conn, file_id) == {"Summer in Rome": "folder", "beach": "name"}
    assert decisions(conn) == []


def test_save_proposed_tags_uses_the_callers_transaction(conn):
    [file_id] = add_files(conn, 1)
    with pytest.raises(RuntimeError), transaction(conn):
        save_proposed_tags(conn, file_id, "Rome/x.jpg")
        raise RuntimeError("the batch failed")
    assert file_tags(conn, file_id) == {}
    assert not conn.in_transaction


def test_save_proposed_tags_reuses_a_tag_whatever_its_case(conn):
    first, second = add_files(conn, 2)
    with transaction(conn):
        save_proposed_tags(conn, first, "Rome/x.jpg")
        save_proposed_tags(conn, second, "ROME/y.jpg")
    assert [tuple(r) for r in conn.execute("SELECT name FROM tags")] == [("Rome",)]
    assert file_tags(conn, second) == {"Rome": "folder"}


def test_add_tags_writes_user_tags_and_one_decision_per_pair(conn):
    ids = add_files(conn, 3)
    assert add_tags(conn, ids[:2], ["beach", "Anna"], actor="web", batch="b1") == 4
    assert file_tags(conn, ids[0]) == {"beach": "user", "Anna": "user"}
    assert file_tags(conn, ids[2]) == {}
    assert sorted(decisions(conn), key=lambda d: (d[1], d[2]["tag"])) == [
        ("tag", ids[0], {"tag": "Anna"}, "web", "b1"),
        ("tag", ids[0], {"tag": "beach"}, "web", "b1"),
        ("tag", ids[1], {"tag": "Anna"}, "web", "b1"),
        ("tag", ids[1], {"tag": "beach"}, "web", "b1"),
    ]
    created = conn.execute("SELECT DISTINCT created_at FROM decisions").fetchall()
    assert len(created) == 1 and created[0][0].endswith("+00:00")


def test_add_tags_is_idempotent_and_skips_files_already_tagged(conn):
    ids = add_files(conn, 3)
    assert add_tags(conn, ids[:1], ["beach"], actor="web") == 1
    assert add_tags(conn, ids, ["beach"], actor="web") == 2
    assert add_tags(conn, ids, ["beach", "BEACH", " beach "], actor="web") == 0
    assert len(decisions(conn)) == 3
    assert add_tags(conn, ids + ids, ["sea"], actor="web") == 3  # a repeated id counts once


def test_add_tags_reuses_an_existing_tag_and_its_spelling(conn):
    ids = add_files(conn, 2)
    with transaction(conn):
        save_proposed_tags(conn, ids[0], "Beach/x.jpg")
    assert add_tags(conn, ids, ["beach"], actor="web") == 1, "the folder tag already counts"
    assert file_tags(conn, ids[0]) == {"Beach": "folder"}, "a person's tag does not replace the origin"
    assert file_tags(conn, ids[1]) == {"Beach": "user"}
    assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 1
    assert decisions(conn) == [("tag", ids[1], {"tag": "Beach"}, "web", None)]


def test_add_tags_with_nothing_to_do_writes_nothing(conn):
    ids = add_files(conn, 2)
    assert add_tags(conn, [], ["beach"], actor="web") == 0
    assert add_tags(conn, ids, [], actor="web") == 0
    assert add_tags(conn, ids, [" ", "\x00"], actor="web") == 0
    assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 0
    assert decisions(conn) == []


def test_add_tags_ignores_ids_of_files_that_do_not_exist(conn):
    ids = add_files(conn, 1)
    assert add_tags(conn, [*ids, 999_999], ["beach"], actor="web") == 1
    assert [d[1] for d in decisions(conn)] == ids


def test_remove_tags_records_the_origin_each_row_had(conn):
    ids = add_files(conn, 4)
    with transaction(conn):
        save_proposed_tags(conn, ids[0], "Beach/x.jpg")
        save_proposed_tags(conn, ids[1], "IMG {beach}.jpg")
        conn.execute(
            "INSERT INTO file_tags (file_id, tag_id, origin) SELECT ?, id, 'merged' FROM tags WHERE name = 'Beach'",
            (ids[2],),
        )
    assert remove_tags(conn, ids, ["BEACH", "never used"], actor="anna", batch="b2") == 3
    assert all(file_tags(conn, i) == {} for i in ids)
    assert sorted(decisions(conn), key=lambda d: d[1]) == [
        ("untag", ids[0], {"tag": "Beach", "origin": "folder"}, "anna", "b2"),
        ("untag", ids[1], {"tag": "Beach", "origin": "name"}, "anna", "b2"),
        ("untag", ids[2], {"tag": "Beach", "origin": "merged"}, "anna", "b2"),
    ]
    assert remove_tags(conn, ids, ["Beach"], actor="anna") == 0, "nothing left to remove"
    assert len(decisions(conn)) == 3


def test_remove_tags_keeps_other_tags_and_other_files(conn):
    ids = add_files(conn, 2)
    add_tags(conn, ids, ["beach", "sea"], actor="web")
    assert remove_tags(conn, ids[:1], ["beach"], actor="web") == 1
    assert file_tags(conn, ids[0]) == {"sea": "user"}
    assert file_tags(conn, ids[1]) == {"beach": "user", "sea": "user"}


def test_undo_helpers_restore_and_drop_inside_the_callers_transaction(conn):
    ids = add_files(conn, 1)
    with transaction(conn):
        save_proposed_tags(conn, ids[0], "Beach/x.jpg")
    remove_tags(conn, ids, ["beach"], actor="web")
    [(_, file_id, payload, _, _)] = decisions(conn)
    with transaction(conn):
        restore_tag(conn, file_id, payload["tag"], payload["origin"])
        restore_tag(conn, file_id, payload["tag"], payload["origin"])  # twice is harmless
    assert file_tags(conn, file_id) == {"Beach": "folder"}
    with transaction(conn):
        drop_tag(conn, file_id, "beach")
        drop_tag(conn, file_id, "no such tag")
    assert file_tags(conn, file_id) == {}
    with transaction(conn):
        restore_tag(conn, file_id, "brand new", "user")
    assert file_tags(conn, file_id) == {"brand new": "user"}


def test_decisions_stay_append_only(conn):
    ids = add_files(conn, 1)
    add_tags(conn, ids, ["beach"], actor="web")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM decisions")


def test_add_and_remove_handle_a_hundred_thousand_files_in_one_go(conn):
    ids = add_files(conn, 100_000)
    started = time.perf_counter()
    assert add_tags(conn, ids, ["everything"], actor="web", batch="big") == 100_000
    assert remove_tags(conn, ids, ["everything"], actor="web", batch="big2") == 100_000
    assert time.perf_counter() - started < 20  # about a second on a laptop; generous for CI
    counts = dict(conn.execute("SELECT kind, count(*) FROM decisions GROUP BY kind").fetchall())
    assert counts == {"tag": 100_000, "untag": 100_000}


def test_suggest_sql_puts_prefix_matches_first_then_the_most_used(conn):
    ids = add_files(conn, 5)
    add_tags(conn, ids[:1], ["Beach"], actor="web")
    add_tags(conn, ids[:3], ["Sunny beach"], actor="web")
    add_tags(conn, ids[:2], ["beachball"], actor="web")
    add_tags(conn, ids[:4], ["Rome"], actor="web")
    with transaction(conn):
        conn.execute("INSERT INTO tags (name) VALUES ('Beaches unused')")
        conn.execute("INSERT INTO tags (name) VALUES ('100%_sure')")

    def suggest(q: str, limit: int = 10) -> list[tuple[str, int]]:
        return [tuple(r) for r in conn.execute(SUGGEST_SQL, {"q": q, "limit": limit})]

    assert suggest("BEA") == [("beachball", 2), ("Beach", 1), ("Beaches unused", 0), ("Sunny beach", 3)]
    assert suggest("bea", limit=1) == [("beachball", 2)]
    assert suggest("%") == [("100%_sure", 0)]
    assert suggest("_") == [("100%_sure", 0)]
    assert suggest("")[0] == ("Rome", 4)
    assert suggest("zzz") == []


def test_tag_counts_sql_counts_files_not_set_aside(conn):
    ids = add_files(conn, 3)
    add_tags(conn, ids, ["beach"], actor="web")
    add_tags(conn, ids[:1], ["Rome"], actor="web")
    with transaction(conn):
        conn.execute("UPDATE files SET discarded = 1 WHERE id = ?", (ids[2],))
    assert [tuple(r) for r in conn.execute(TAG_COUNTS_SQL)] == [("beach", 2), ("Rome", 1)]


# An import writes the proposed tags -------------------------------------------------------


def test_an_import_tags_its_analysed_files_from_their_folders_and_names(tmp_path, monkeypatch):
    from jobs import runtime
    from jobs.import_actors import analyse_claimed, claim_files, insert_entries, write_results
    from jobs.scan import walk
    from storage.settings import Settings

    root = tmp_path / "photos"
    photo = CORPUS / "jpg" / "Canon_40D.jpg"
    for rel in ("DCIM/100CANON/2019-07-14 Rome/IMG {Anna, beach}.jpg", "Birthdays/Anna 5/IMG_1.jpg"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, root / rel)
    (root / "Broken {nope}").mkdir()
    (root / "Broken {nope}" / "bad {x}.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    settings = Settings(data_dir=tmp_path / "data")
    monkeypatch.setattr(runtime, "_settings", settings)
    settings.data_dir.mkdir()
    conn = open_database(settings.database_path)
    with transaction(conn):
        import_id = conn.execute(
            "INSERT INTO imports (kind, root, state, created_at) VALUES ('folder', ?, 'analysing', ?)",
            (str(root), utc_now()),
        ).lastrowid
    insert_entries(conn, import_id, list(walk(root)))
    claimed = claim_files(conn, import_id, "test:1", 10)
    write_results(conn, import_id, claimed, analyse_claimed(conn, claimed))

    rows = conn.execute(
        "SELECT f.rel_path, f.status, t.name, ft.origin FROM files f"
        " LEFT JOIN file_tags ft ON ft.file_id = f.id LEFT JOIN tags t ON t.id = ft.tag_id"
    ).fetchall()
    by_file: dict[str, set] = {}
    for rel_path, status, name, origin in rows:
        by_file.setdefault(f"{rel_path} ({status})", set()).update({(name, origin)} if name else set())
    assert by_file == {
        "DCIM/100CANON/2019-07-14 Rome/IMG {Anna, beach}.jpg (processed)": {
            ("Rome", "folder"),
            ("Anna", "name"),
            ("beach", "name"),
        },
        "Birthdays/Anna 5/IMG_1.jpg (processed)": {("Birthdays", "folder"), ("Anna 5", "folder")},
        "Broken {nope}/bad {x}.jpg (error)": set(),  # not in the library, so no tags proposed
    }
    assert conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
    conn.close()
