"""jobs/scan.py on real trees: every file is either a candidate or skipped with a reason."""

from __future__ import annotations

import inspect
import itertools
import os
import shutil
import socket
import unicodedata
from pathlib import Path

import pytest

from jobs import scan
from jobs.scan import Entry, is_within, walk


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def reasons(root: Path) -> dict[str, str | None]:
    entries = list(walk(root))
    assert len({e.rel_path for e in entries}) == len(entries), "a path was reported twice"
    return {e.rel_path: e.skip_reason for e in entries}


NFC = unicodedata.normalize("NFC", "Café.jpg")
NFD = unicodedata.normalize("NFD", "Café.jpg")


def test_every_file_is_a_candidate_or_skipped_with_a_reason(tmp_path):
    root = tmp_path / "import"
    touch(root / "2019" / "IMG_0001.jpg")
    touch(root / "2019" / "IMG_0001.jpg.json", b"{}")
    touch(root / "2019" / "IMG_0001.AAE")
    touch(root / "2019" / "IMG_0001.xmp")
    touch(root / "2019" / "._IMG_0001.jpg")
    touch(root / "2019" / ".DS_Store")
    touch(root / "2019" / "Thumbs.db")
    touch(root / "2019" / "desktop.ini")
    touch(root / "2019" / "ehthumbs.db")
    touch(root / "2019" / "Icon\r")
    touch(root / "2019" / "@eaDir" / "IMG_0001.jpg" / "SYNOFILE_THUMB_M.jpg")
    touch(root / ".hidden.jpg")
    touch(root / ".git" / "config")
    touch(root / ".@__thumb" / "IMG_0001.jpg")
    touch(root / "$RECYCLE.BIN" / "deleted.jpg")
    touch(root / "#recycle" / "deleted.jpg")
    touch(root / "System Volume Information" / "IndexerVolumeGuid")
    touch(root / ".Trashes" / "501" / "deleted.jpg")
    touch(root / ".Spotlight-V100" / "store.db")
    touch(root / ".fseventsd" / "fseventsd-uuid")
    (root / "lost+found").mkdir()
    touch(root / "empty.jpg", b"")
    touch(root / "my holiday (1).jpg")
    touch(root / "-rf.jpg")
    touch(root / "line\nbreak.jpg")
    touch(root / NFC)
    touch(root / NFD)
    touch(root / "notes.weird-extension")

    assert reasons(root) == {
        "2019/IMG_0001.jpg": None,
        "2019/IMG_0001.jpg.json": None,
        "2019/IMG_0001.AAE": None,
        "2019/IMG_0001.xmp": None,
        "2019/._IMG_0001.jpg": "macOS resource fork (AppleDouble)",
        "2019/.DS_Store": "system file (macOS folder view settings)",
        "2019/Thumbs.db": "system file (Windows thumbnail cache)",
        "2019/desktop.ini": "system file (Windows folder settings)",
        "2019/ehthumbs.db": "system file (Windows Media Center thumbnail cache)",
        "2019/Icon\r": "system file (macOS custom folder icon)",
        "2019/@eaDir": "system folder (Synology thumbnails), not looked into",
        ".hidden.jpg": "hidden file",
        ".git": "hidden folder, not looked into",
        ".@__thumb": "system folder (QNAP thumbnails), not looked into",
        "$RECYCLE.BIN": "system folder (Windows recycle bin), not looked into",
        "#recycle": "system folder (Synology recycle bin), not looked into",
        "System Volume Information": "system folder (Windows system data), not looked into",
        ".Trashes": "system folder (macOS trash), not looked into",
        ".Spotlight-V100": "system folder (macOS Spotlight index), not looked into",
        ".fseventsd": "system folder (macOS file change log), not looked into",
        "lost+found": "system folder (file system recovery), not looked into",
        "empty.jpg": None,  # analysis sniffs it and records "an empty file"
        "my holiday (1).jpg": None,
        "-rf.jpg": None,
        "line\nbreak.jpg": None,
        NFC: None,
        NFD: None,
        "notes.weird-extension": None,
    }


def test_candidates_carry_size_mtime_and_a_path_that_opens(tmp_path):
    root = tmp_path / "import"
    photo = touch(root / "a" / "b" / NFD, b"12345")
    os.utime(photo, (1_561_234_567.5, 1_561_234_567.5))
    touch(root / "zero.jpg", b"")
    entries = {e.rel_path: e for e in walk(root)}
    assert entries[f"a/b/{NFD}"].size == 5
    assert entries[f"a/b/{NFD}"].mtime == 1_561_234_567.5
    assert Path(entries[f"a/b/{NFD}"].path).read_bytes() == b"12345"  # NFD kept as the disk has it
    assert entries["zero.jpg"] == Entry(
        "zero.jpg", str(root / "zero.jpg"), 0, entries["zero.jpg"].mtime, None
    )
    for entry in entries.values():
        assert os.path.isabs(entry.path)


def test_skipped_folders_are_one_entry_without_a_size(tmp_path):
    root = tmp_path / "import"
    touch(root / "@eaDir" / "a.jpg")
    [entry] = walk(root)
    assert entry == Entry("@eaDir", str(root / "@eaDir"), None, None, entry.skip_reason)


def test_symbolic_links_are_reported_and_never_followed(tmp_path):
    root = tmp_path / "photos"
    outside = tmp_path / "photos2"  # shares the root's name as a prefix: still outside
    touch(outside / "secret.jpg")
    touch(root / "album" / "a.jpg")
    (root / "album" / "inside.jpg").symlink_to("a.jpg")
    (root / "album" / "outside.jpg").symlink_to(outside / "secret.jpg")
    (root / "album" / "dangling.jpg").symlink_to("missing.jpg")
    (root / "album" / "self").symlink_to("self")
    (root / "linked_album").symlink_to("album", target_is_directory=True)
    (root / "linked_outside").symlink_to(outside, target_is_directory=True)
    (root / "loop_a").mkdir()
    (root / "loop_b").mkdir()
    (root / "loop_a" / "to_b").symlink_to("../loop_b", target_is_directory=True)
    (root / "loop_b" / "to_a").symlink_to("../loop_a", target_is_directory=True)

    inside = "symbolic link (its target is imported where it lives)"
    outside_reason = "symbolic link pointing outside the imported folder"
    assert reasons(root) == {
        "album/a.jpg": None,
        "album/dangling.jpg": "broken symbolic link",
        "album/inside.jpg": inside,
        "album/outside.jpg": outside_reason,
        "album/self": "broken symbolic link (it loops back on itself)",
        "linked_album": inside,
        "linked_outside": outside_reason,
        "loop_a/to_b": inside,
        "loop_b/to_a": inside,
    }


def test_a_root_given_through_a_symbolic_link_still_knows_what_is_inside(tmp_path):
    touch(tmp_path / "real" / "a.jpg")
    (tmp_path / "real" / "b.jpg").symlink_to(tmp_path / "real" / "a.jpg")
    (tmp_path / "via").symlink_to(tmp_path / "real", target_is_directory=True)
    assert reasons(tmp_path / "via") == {
        "a.jpg": None,
        "b.jpg": "symbolic link (its target is imported where it lives)",
    }


def test_pipes_and_sockets_are_not_regular_files_and_do_not_block(tmp_path):
    root = tmp_path / "import"
    touch(root / "a.jpg")
    os.mkfifo(root / "pipe.jpg")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(root / "sock"))
        assert reasons(root) == {
            "a.jpg": None,
            "pipe.jpg": "not a regular file (named pipe)",
            "sock": "not a regular file (socket)",
        }
    finally:
        server.close()


def test_names_that_are_not_utf8_are_skipped_with_a_displayable_path(tmp_path):
    root = tmp_path / "import"
    touch(root / "ok.jpg")
    base = os.fsencode(root)
    os.close(os.open(base + b"/caf\xe9.jpg", os.O_CREAT | os.O_WRONLY, 0o644))  # Latin-1 from an old PC
    os.mkdir(base + b"/vacances \xe9t\xe9")
    os.close(os.open(base + b"/vacances \xe9t\xe9/a.jpg", os.O_CREAT | os.O_WRONLY, 0o644))
    entries = {e.rel_path: e for e in walk(root)}
    assert {path: e.skip_reason for path, e in entries.items()} == {
        "caf\\xe9.jpg": "file name is not valid UTF-8",
        "ok.jpg": None,
        "vacances \\xe9t\\xe9": "folder name is not valid UTF-8, not looked into",
    }
    for rel_path in entries:
        rel_path.encode("utf-8")  # storable as text
    # The stored path is text too: storing the raw bytes' surrogates once failed the whole import.
    entries["caf\\xe9.jpg"].path.encode("utf-8")


def test_an_unreadable_folder_is_one_entry_and_the_walk_carries_on(tmp_path):
    root = tmp_path / "import"
    touch(root / "a.jpg")
    touch(root / "locked" / "inside.jpg")
    touch(root / "z.jpg")
    (root / "locked").chmod(0)
    try:
        try:
            os.listdir(root / "locked")
            permissions_enforced = False  # running as root: mode 000 does not stop reads
        except PermissionError:
            permissions_enforced = True
        found = reasons(root)
    finally:
        (root / "locked").chmod(0o755)
    if permissions_enforced:
        assert found == {
            "a.jpg": None,
            "locked": "folder cannot be read: permission denied",
            "z.jpg": None,
        }
    else:
        assert found == {"a.jpg": None, "locked/inside.jpg": None, "z.jpg": None}


def test_a_permission_error_from_the_file_system_becomes_an_entry(tmp_path, monkeypatch):
    # The same path as above, forced, so it is covered even when the tests run as root.
    root = tmp_path / "import"
    touch(root / "a.jpg")
    touch(root / "locked" / "inside.jpg")
    touch(root / "z" / "b.jpg")
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(scan.os, "scandir", scandir)
    assert reasons(root) == {
        "a.jpg": None,
        "locked": "folder cannot be read: permission denied",
        "z/b.jpg": None,
    }


def test_an_unreadable_root_raises_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(scan.os, "access", lambda path, mode: False)
    with pytest.raises(PermissionError, match="permission denied"):
        walk(tmp_path)


def test_a_root_that_becomes_unreadable_before_the_walk_starts_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(scan.os, "scandir", lambda path: (_ for _ in ()).throw(PermissionError(13, "no")))
    assert list(walk(tmp_path)) == [
        Entry(".", str(tmp_path), None, None, "folder cannot be read: permission denied")
    ]


def test_a_root_that_is_not_a_folder_raises_at_once(tmp_path):
    file = touch(tmp_path / "a.jpg")
    with pytest.raises(NotADirectoryError, match="a.jpg is not a folder"):
        walk(file)  # raised by the call itself, not on the first next()
    with pytest.raises(NotADirectoryError, match="missing is not a folder"):
        walk(tmp_path / "missing")


def test_the_order_is_depth_first_by_name_and_repeatable(tmp_path):
    root = tmp_path / "import"
    for name in ["b/d/e.jpg", "c.jpg", "b.jpg", "a.jpg", "b/c.jpg", "B.jpg"]:
        touch(root / name)
    order = [e.rel_path for e in walk(root)]
    assert order == ["B.jpg", "a.jpg", "b/c.jpg", "b/d/e.jpg", "b.jpg", "c.jpg"]
    assert [e.rel_path for e in walk(root)] == order


def test_a_big_tree_is_walked_lazily(tmp_path):
    root = tmp_path / "import"
    for folder in range(50):
        (root / f"d{folder:02}").mkdir(parents=True)
        for file in range(100):
            (root / f"d{folder:02}" / f"f{file:03}.jpg").touch()

    entries = walk(root)
    assert inspect.isgenerator(entries)
    assert next(entries).rel_path == "d00/f000.jpg"
    assert [e.rel_path for e in itertools.islice(entries, 2)] == ["d00/f001.jpg", "d00/f002.jpg"]
    # Folders not reached yet are read when reached: changes made now must show.
    shutil.rmtree(root / "d48")
    touch(root / "d49" / "late.jpg")
    rest = {e.rel_path: e.skip_reason for e in entries}
    assert len(rest) == 5000 - 3 - 100 + 2
    assert rest["d49/late.jpg"] is None
    assert rest["d48"] == "folder disappeared during the scan"
    assert not any(path.startswith("d48/") for path in rest)


def test_is_within_compares_whole_path_components(tmp_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    (tmp_path / "photos2").mkdir()
    (tmp_path / "shortcut").symlink_to(photos / "sub", target_is_directory=True)
    (photos / "escape").symlink_to(tmp_path / "photos2", target_is_directory=True)
    assert is_within(photos, photos)
    assert is_within(photos / "sub", photos)
    assert is_within(photos / "sub" / "not-yet-created.jpg", photos)
    assert is_within(tmp_path / "shortcut", photos)
    assert not is_within(tmp_path / "photos2", photos)
    assert not is_within(photos / ".." / "photos2", photos)
    assert not is_within(photos / "escape", photos)
    assert not is_within(tmp_path, photos)
