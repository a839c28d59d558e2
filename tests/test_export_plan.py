"""The export plan against a real library file and a real destination folder, and one copy's
write path with real files (faults injected where a disk cannot be made to fail on cue)."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from jobs import export_copy as copying
from jobs.export_copy import CopyFailed, DestinationFull, export_copy, sweep_temps
from jobs.export_plan import make_plan
from storage.db import open_database, utc_now

ROME = ZoneInfo("Europe/Rome")


def jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "JPEG")
    return buffer.getvalue()


def png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "PNG")
    return buffer.getvalue()


class Library:
    def __init__(self, root: Path) -> None:
        self.root = root / "originals"
        self.root.mkdir()
        self.conn = open_database(root / "library.sqlite3")
        self.import_id = self.conn.execute(
            "INSERT INTO imports (kind, root, label, state, created_at) VALUES ('folder', ?, 'test', 'done', ?)",
            (str(self.root), utc_now()),
        ).lastrowid
        self.conn.commit()

    def add(
        self,
        name: str,
        data: bytes,
        taken: str | None = "2019-07-14T15:03:09",
        real_type: str = "jpeg",
        confidence: str = "high",
        offset: str | None = "+02:00",
        tags: tuple[str, ...] = (),
        discarded: bool = False,
    ) -> int:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        file_id = self.conn.execute(
            "INSERT INTO files (import_id, rel_path, source_path, origin, size, status, real_type, sha256,"
            " taken_local, taken_offset, taken_precision, confidence, discarded, created_at)"
            " VALUES (?, ?, ?, ?, ?, 'processed', ?, ?, ?, ?, 'second', ?, ?, ?)",
            (
                self.import_id,
                name,
                str(path),
                str(path),
                len(data),
                real_type,
                hashlib.sha256(data).hexdigest(),
                taken,
                offset if taken else None,
                confidence,
                int(discarded),
                utc_now(),
            ),
        ).lastrowid
        for tag in tags:
            self.conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (tag,))
            tag_id = self.conn.execute("SELECT id FROM tags WHERE name = ?", (tag,)).fetchone()[0]
            self.conn.execute(
                "INSERT INTO file_tags (file_id, tag_id, origin) VALUES (?, ?, 'user')", (file_id, tag_id)
            )
        self.conn.commit()
        return file_id

    def plan(self, dest: Path, include_review: bool = False, template: str = "YYYY/"):
        planned, summary = make_plan(self.conn, dest, None, template, include_review, ROME)
        return {p.file_id: p for p in planned}, summary

    def copy(self, dest: Path, entry, before_place=lambda *a: None, recorded: str | None = None):
        """export_copy for one planned file, as a worker calls it."""
        row = self.conn.execute(
            "SELECT source_path, sha256, size FROM files WHERE id = ?", (entry.file_id,)
        ).fetchone()
        return export_copy(
            Path(row[0]),
            dest / entry.dest_rel_path,
            row[1],
            row[2],
            entry.planned,
            dest.parent / "scratch",
            before_place,
            recorded,
        )

    def remember(self, dest: Path, planned: dict) -> None:
        """Record copies as a finished export run would, after writing them for real."""
        export_id = self.conn.execute(
            "INSERT INTO exports (dest, state, created_at) VALUES (?, 'done', ?)", (str(dest), utc_now())
        ).lastrowid
        for p in planned.values():
            if p.state != "planned":
                continue
            copied = self.copy(dest, p)
            self.conn.execute(
                "INSERT INTO export_items (export_id, file_id, dest_rel_path, state, fingerprint, sha256_out,"
                " size_out, finished_at) VALUES (?, ?, ?, 'verified', ?, ?, ?, ?)",
                (
                    export_id,
                    p.file_id,
                    p.dest_rel_path,
                    p.fingerprint,
                    copied.sha256_out,
                    copied.size_out,
                    utc_now(),
                ),
            )
        self.conn.commit()


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return Library(tmp_path)


def test_names_by_capture_time_with_real_type_extensions_and_a_no_date_folder(
    lib: Library, tmp_path: Path
) -> None:
    a = lib.add("DCIM/IMG_0001.JPG", jpeg((200, 0, 0)))
    b = lib.add("screens/shot.jpg", png((0, 200, 0)), taken="2020-01-02T03:04:05", real_type="png")
    c = lib.add("scans/old photo.jpg", jpeg((0, 0, 200)), taken=None, confidence="high")
    planned, summary = lib.plan(tmp_path / "out")
    assert planned[a].dest_rel_path == "2019/20190714_150309.jpg"
    assert planned[b].dest_rel_path == "2020/20200102_030405.png"
    assert planned[c].dest_rel_path == "no date/old photo.jpg"
    assert summary["years"] == {"2019": 1, "2020": 1, "no date": 1}
    assert summary["extension_changed"] == 1  # the PNG called .jpg; .JPG -> .jpg is only lower-cased


def test_held_back_until_reviewed_unless_the_setting_says_otherwise(lib: Library, tmp_path: Path) -> None:
    sure = lib.add("a.jpg", jpeg((1, 2, 3)))
    unsure = lib.add("b.jpg", jpeg((3, 2, 1)), confidence="low")
    gone = lib.add("c.jpg", jpeg((9, 9, 9)), discarded=True)
    planned, summary = lib.plan(tmp_path / "out")
    assert planned[sure].state == "planned"
    assert planned[unsure].state == "held" and planned[unsure].dest_rel_path is None
    assert gone not in planned
    assert summary["held"] == 1 and summary["files"] == 1
    planned, _ = lib.plan(tmp_path / "out", include_review=True)
    assert planned[unsure].state == "planned"


def test_same_second_files_get_suffixes_and_identical_files_share_one_copy(
    lib: Library, tmp_path: Path
) -> None:
    first = lib.add("IMG_0001.jpg", jpeg((10, 10, 10)))
    second = lib.add("IMG_0002.jpg", jpeg((20, 20, 20)))
    twin = lib.add("copy/IMG_0001.jpg", jpeg((10, 10, 10)))  # the same bytes, not resolved as a duplicate
    planned, summary = lib.plan(tmp_path / "out")
    assert planned[first].dest_rel_path == "2019/20190714_150309.jpg"
    assert planned[second].dest_rel_path == "2019/20190714_150309_1.jpg"
    assert planned[twin].dest_rel_path == planned[first].dest_rel_path
    assert [planned[i].state for i in (first, second, twin)] == ["planned", "planned", "existing"]
    assert summary["same_second"] == 1 and summary["to_copy"] == 2


def test_a_second_run_recognises_its_copies_and_never_reuses_a_taken_name(
    lib: Library, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    first = lib.add("IMG_0001.jpg", jpeg((10, 10, 10)))
    planned, _ = lib.plan(dest)
    lib.remember(dest, planned)
    again, summary = lib.plan(dest)
    assert again[first].state == "existing" and summary["to_copy"] == 0

    # Someone else's file at the next name: the new photo of that second skips it.
    (dest / "2019/20190714_150309_1.jpg").write_bytes(b"not ours")
    newcomer = lib.add("IMG_0002.jpg", jpeg((50, 50, 50)))
    again, _ = lib.plan(dest)
    assert again[newcomer].dest_rel_path == "2019/20190714_150309_2.jpg"

    # A tag added since: the copy there no longer says what it should, so a new copy is made.
    tag_id = lib.conn.execute("INSERT INTO tags (name) VALUES ('Beach')").lastrowid
    lib.conn.execute("INSERT INTO file_tags (file_id, tag_id, origin) VALUES (?, ?, 'user')", (first, tag_id))
    lib.conn.commit()
    again, _ = lib.plan(dest)
    assert again[first].state == "planned" and again[first].dest_rel_path != planned[first].dest_rel_path


def test_an_identical_original_already_at_the_destination_is_not_copied_again(
    lib: Library, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    data = jpeg((70, 80, 90))
    photo = lib.add("IMG_0001.jpg", data)
    (dest / "2019").mkdir(parents=True)
    (dest / "2019/20190714_150309.jpg").write_bytes(data)
    planned, _ = lib.plan(dest)
    assert planned[photo].state == "existing"
    assert planned[photo].dest_rel_path == "2019/20190714_150309.jpg"


def test_a_copy_is_verified_written_and_timed_and_leaves_no_temp(lib: Library, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    photo = lib.add("IMG_0001.jpg", jpeg((1, 1, 1)), tags=("Oma & Opa",))
    source = lib.root / "IMG_0001.jpg"
    before = (source.read_bytes(), source.stat().st_mtime_ns)
    planned, _ = lib.plan(dest)
    lib.remember(dest, planned)
    copy = dest / planned[photo].dest_rel_path
    assert copy.stat().st_mtime == pytest.approx(planned[photo].planned["mtime"])
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before
    assert [p.name for p in copy.parent.iterdir()] == [copy.name]


def test_a_full_disk_raises_and_leaves_no_partial_file(lib: Library, tmp_path: Path, monkeypatch) -> None:
    dest = tmp_path / "out"
    photo = lib.add("IMG_0001.jpg", jpeg((2, 2, 2)))
    planned, _ = lib.plan(dest)
    real_copy = copying.copy_hashing

    def fills_up(source: Path, target: Path) -> str:
        real_copy(source, target)  # half of it lands on disk before the error, as on a real device
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(copying, "copy_hashing", fills_up)
    with pytest.raises(DestinationFull, match="full"):
        lib.copy(dest, planned[photo])
    assert list((dest / "2019").iterdir()) == []


def test_too_little_room_is_refused_before_writing(lib: Library, tmp_path: Path, monkeypatch) -> None:
    dest = tmp_path / "out"
    photo = lib.add("IMG_0001.jpg", jpeg((2, 2, 2)))
    planned, _ = lib.plan(dest)
    monkeypatch.setattr(
        copying.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 1000)
    )
    with pytest.raises(DestinationFull, match="MB free"):
        lib.copy(dest, planned[photo])
    assert not (dest / "2019").exists() or list((dest / "2019").iterdir()) == []


def test_a_changed_original_or_a_foreign_file_at_the_name_fails_that_file_only(
    lib: Library, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    photo = lib.add("IMG_0001.jpg", jpeg((3, 3, 3)))
    planned, _ = lib.plan(dest)
    target = dest / planned[photo].dest_rel_path
    (lib.root / "IMG_0001.jpg").write_bytes(jpeg((4, 4, 4)))
    with pytest.raises(CopyFailed, match="changed since it was imported"):
        lib.copy(dest, planned[photo])
    assert not target.exists()
    target.write_bytes(b"someone else's")
    with pytest.raises(CopyFailed, match="another file"):
        lib.copy(dest, planned[photo])
    assert target.read_bytes() == b"someone else's"


def test_a_crash_after_the_rename_is_recognised_by_the_recorded_hash(lib: Library, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    photo = lib.add("IMG_0001.jpg", jpeg((5, 5, 5)))
    planned, _ = lib.plan(dest)
    recorded: list[str] = []
    first = lib.copy(dest, planned[photo], lambda sha, size: recorded.append(sha))
    # The database never heard "verified": the retry finds the file it placed itself.
    again = lib.copy(dest, planned[photo], recorded=recorded[0])
    assert again.sha256_out == first.sha256_out == recorded[0]


def test_sweeping_removes_dead_workers_temp_files_only(tmp_path: Path) -> None:
    (tmp_path / ".mediaparser-host-1-abcd.jpg").write_bytes(b"x")
    (tmp_path / ".mediaparser-host-1-abcd.jpg_exiftool_tmp").write_bytes(b"x")
    (tmp_path / ".mediaparser-host-2-ef01.jpg").write_bytes(b"x")
    (tmp_path / "20190714_150309.jpg").write_bytes(b"x")
    assert sweep_temps(tmp_path, {"host-2"}) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".mediaparser-host-2-ef01.jpg",
        "20190714_150309.jpg",
    ]


def test_the_fingerprint_follows_what_is_written(lib: Library, tmp_path: Path) -> None:
    photo = lib.add("IMG_0001.jpg", jpeg((6, 6, 6)))
    before, _ = lib.plan(tmp_path / "out")
    lib.conn.execute("UPDATE files SET taken_offset = '+01:00' WHERE id = ?", (photo,))
    after, _ = lib.plan(tmp_path / "out")
    assert before[photo].fingerprint != after[photo].fingerprint
    assert json.dumps(after[photo].planned["assign"]).count("+01:00") >= 1


def test_exporting_into_the_imported_folder_never_takes_an_original_for_its_copy(lib: Library) -> None:
    # A phone folder already names its files like the export does; the export goes into that folder.
    photo = lib.add("2019/20190714_150309.jpg", jpeg((7, 7, 7)))
    planned, _ = lib.plan(lib.root)
    assert planned[photo].state == "planned"
    assert planned[photo].dest_rel_path == "2019/20190714_150309_1.jpg"
