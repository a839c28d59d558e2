"""Names that exiftool, ffprobe or ffmpeg could take for options or split in two, given to the
real tools directly (the import test covers reading; here the export's write path and relative
names), and a check that no code path hands a command to a shell."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from jobs.exif import read_metadata, write_tags
from jobs.video import analyse_video
from tests.hostile.conftest import changes, snapshot
from tests.trees import jpeg_bytes, make_video

REPO = Path(__file__).resolve().parents[2]
NAMES = [
    "-ver.jpg",
    "-execute.jpg",
    "#comment.jpg",
    "new\nline.jpg",
    "trailing .jpg ",
    " leading.jpg",
    "-@.jpg",
]
SHELL = re.compile(
    r"shell\s*=\s*True|os\.system\(|os\.popen\(|subprocess\.getoutput|subprocess\.getstatusoutput"
)


@pytest.mark.parametrize("name", NAMES)
def test_exiftool_writes_into_the_named_file_and_nowhere_else(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "copies"
    folder.mkdir()
    target = folder / name
    target.write_bytes(jpeg_bytes((30, 60, 90)))
    scratch = tmp_path / "scratch"
    before = snapshot(folder, set())
    error = write_tags(
        target, {"XMP-dc:Subject": ["Strand"], "DateTimeOriginal": "2019:07:14 15:03:09"}, scratch
    )
    assert error is None
    [tags] = read_metadata([target], scratch)
    assert isinstance(tags, dict) and tags["EXIF:ExifIFD:DateTimeOriginal"] == "2019:07:14 15:03:09"
    assert tags["XMP:XMP-dc:Subject"] == "Strand"
    # Only the file itself changed; a link made for a newline name is gone again.
    assert changes(before, snapshot(folder, set()))[0].startswith(f"changed {name!r}")
    assert len(changes(before, snapshot(folder, set()))) == 1
    assert not scratch.exists() or not any(p for p in scratch.iterdir())


def test_relative_names_starting_with_a_dash_are_read_as_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("-ver.jpg").write_bytes(jpeg_bytes((1, 2, 3)))
    Path("#x.jpg").write_bytes(jpeg_bytes((3, 2, 1)))
    results = read_metadata([Path("-ver.jpg"), Path("#x.jpg")], tmp_path / "scratch")
    assert [r["File:System:FileName"] for r in results] == ["-ver.jpg", "#x.jpg"]  # type: ignore[index]


@pytest.mark.parametrize("name", ["-i.mp4", "-y.mp4", "video\nline.mp4", "pipe:1.mp4", "http:x.mp4"])
def test_ffprobe_and_ffmpeg_read_odd_names_as_files(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / name)
    before = snapshot(tmp_path, set())
    facts = analyse_video(Path(name))
    assert (facts.width, facts.height) == (320, 240) and facts.thumbnail
    assert changes(before, snapshot(tmp_path, set())) == []


def test_no_command_is_ever_given_to_a_shell() -> None:
    found = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for folder in ("jobs", "web", "storage", "mediaparser")
        for path in (REPO / folder).rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if SHELL.search(line)
    ]
    assert found == []
    assert os.path.exists(REPO / "jobs/video.py")  # the search looked where the code is
