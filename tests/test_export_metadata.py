"""What an exported copy gets written into it: the pure assignments, and the real exiftool writing
them into JPEG, HEIC, PNG, MP4 and MOV copies (read back by a separate exiftool run)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pi_heif
import pytest
from PIL import Image

from jobs.exif import exiftool_process, write_tags
from jobs.export_metadata import RAW_TYPES, Capture, capture_epoch, metadata_tags
from tests.corpus import CORPUS
from tests.trees import make_video

pi_heif.register_heif_opener()

SUMMER = Capture("2019-07-14T15:03:09", "+02:00", "second", "123")
TAGS = ["Oma & Opa – Zürich", "Strand"]
UNWRITABLE = ["bmp", "avi", "mkv", "webm", "mts", "mpeg", "wmv", "srf"]


def date_keys(assign: dict[str, Any]) -> set[str]:
    return {k for k in assign if "Date" in k or "Offset" in k or "SubSec" in k}


# --- the assignments ------------------------------------------------------------------------------


def test_jpeg_gets_exif_xmp_dates_and_both_keyword_lists() -> None:
    assign, why = metadata_tags("jpeg", SUMMER, TAGS)
    assert why is None
    assert assign == {
        "EXIF:DateTimeOriginal": "2019:07:14 15:03:09",
        "EXIF:CreateDate": "2019:07:14 15:03:09",
        "EXIF:OffsetTimeOriginal": "+02:00",
        "EXIF:OffsetTimeDigitized": "+02:00",
        "EXIF:OffsetTime": "+02:00",
        "EXIF:SubSecTimeOriginal": "123",
        "EXIF:SubSecTimeDigitized": "123",
        "XMP-photoshop:DateCreated": "2019:07:14 15:03:09.123+02:00",
        "XMP-xmp:CreateDate": "2019:07:14 15:03:09.123+02:00",
        "XMP-dc:Subject": TAGS,
        "IPTC:CodedCharacterSet": "\x1b%G",
        "IPTC:Keywords": TAGS,
    }


def test_unknown_offset_and_subsec_are_removed_not_left_from_the_camera() -> None:
    assign, _ = metadata_tags("heic", Capture("2019-07-14T15:03:09", None, "second"), [])
    assert assign["EXIF:DateTimeOriginal"] == "2019:07:14 15:03:09"
    for tag in ("OffsetTimeOriginal", "OffsetTimeDigitized", "OffsetTime", "SubSecTimeOriginal"):
        assert assign[f"EXIF:{tag}"] == ""
    assert assign["XMP-photoshop:DateCreated"] == "2019:07:14 15:03:09"  # no zone in the value
    assert not any(k.startswith(("IPTC", "XMP-dc")) for k in assign)  # no keywords: left alone


def test_negative_and_half_hour_offsets() -> None:
    assign, _ = metadata_tags("tiff", Capture("2020-01-02T03:04:05", "-05:00", "second"), [])
    assert assign["EXIF:OffsetTimeOriginal"] == "-05:00"
    assert assign["XMP-xmp:CreateDate"] == "2020:01:02 03:04:05-05:00"
    video, _ = metadata_tags("mp4", Capture("2019-07-14T01:30:00", "+05:30", "second"), [])
    assert video["QuickTime:CreateDate"] == "2019:07:13 20:00:00"  # the day before, in UTC
    assert video["Keys:CreationDate"] == "2019:07:14 01:30:00+05:30"


@pytest.mark.parametrize(
    ("local", "precision", "stamp"),
    [
        ("2019", "year", "2019:01:01 00:00:00"),
        ("2019-07", "month", "2019:07:01 00:00:00"),
        ("2019-07-14", "day", "2019:07:14 00:00:00"),
        ("2019-07-14T15", "hour", "2019:07:14 15:00:00"),
        ("2019-07-14T15:03", "minute", "2019:07:14 15:03:00"),
        ("2019-07-14T15:03:09", "day", "2019:07:14 00:00:00"),  # the precision wins over stray digits
        ("2019-07-14T15:03:09", None, "2019:07:14 15:03:09"),
    ],
)
def test_coarse_times_fill_with_the_first_moment(local: str, precision: str | None, stamp: str) -> None:
    assign, _ = metadata_tags("jpeg", Capture(local, "+01:00", precision, "5"), [])
    assert assign["EXIF:DateTimeOriginal"] == stamp
    # Sub-seconds belong to a time known to the second only.
    assert assign["EXIF:SubSecTimeOriginal"] == ("5" if precision in (None, "second") else "")


def test_no_date_writes_only_keywords() -> None:
    for kind in ("jpeg", "mov", "gif"):
        assign, why = metadata_tags(kind, Capture(None, None, None), TAGS)
        assert why is None
        assert not date_keys(assign)
        assert assign["XMP-dc:Subject"] == TAGS
    assert metadata_tags("png", Capture(None, "+02:00", None), []) == ({}, None)


def test_video_with_offset_gets_utc_quicktime_dates_and_local_keys_date() -> None:
    for kind in ("mp4", "mov", "m4v", "3gp", "3g2"):
        assign, why = metadata_tags(kind, SUMMER, TAGS)
        assert why is None
        assert assign == {
            "QuickTime:CreateDate": "2019:07:14 13:03:09",
            "QuickTime:TrackCreateDate": "2019:07:14 13:03:09",
            "QuickTime:MediaCreateDate": "2019:07:14 13:03:09",
            "Keys:CreationDate": "2019:07:14 15:03:09+02:00",
            "XMP-dc:Subject": TAGS,
        }


def test_video_without_offset_writes_no_utc_dates() -> None:
    assign, _ = metadata_tags("mov", Capture("2019-07-14T15:03:09", None, "second"), [])
    assert assign == {"Keys:CreationDate": "2019:07:14 15:03:09"}


def test_iptc_falls_back_to_xmp_only_when_a_keyword_is_over_64_bytes() -> None:
    fits = "ü" * 32  # 64 bytes
    too_long = "ü" * 33  # 33 characters (a valid tag) but 66 bytes
    assign, _ = metadata_tags("jpeg", SUMMER, ["a", fits])
    assert assign["IPTC:Keywords"] == ["a", fits]
    assign, _ = metadata_tags("jpeg", SUMMER, ["a", too_long])
    assert assign["XMP-dc:Subject"] == ["a", too_long]
    assert assign["IPTC:Keywords"] == []  # the file's old IPTC list goes
    assert "IPTC:CodedCharacterSet" not in assign


def test_keywords_are_one_line_each_and_distinct() -> None:
    assign, _ = metadata_tags("png", SUMMER, [" a ", "b\nc", "a", "", "\r\n"])
    assert assign["XMP-dc:Subject"] == ["a", "b c"]
    assert not any(k.startswith("IPTC") for k in assign)  # PNG holds no IPTC


def test_what_each_writable_format_gets() -> None:
    png, _ = metadata_tags("png", SUMMER, [])
    assert "EXIF:DateTimeOriginal" in png and "XMP-photoshop:DateCreated" in png
    assert "XMP-exif:DateTimeOriginal" not in png  # EXIF is there; MWG says not to duplicate it
    gif, _ = metadata_tags("gif", SUMMER, TAGS)
    assert not any(k.startswith(("EXIF", "IPTC")) for k in gif)
    assert gif["XMP-exif:DateTimeOriginal"] == "2019:07:14 15:03:09.123+02:00"
    for kind in sorted(RAW_TYPES | {"heic", "heif", "avif", "webp"}):
        assign, why = metadata_tags(kind, SUMMER, TAGS)
        assert why is None and assign["EXIF:DateTimeOriginal"] == "2019:07:14 15:03:09", kind
        assert "IPTC:Keywords" not in assign and assign["XMP-dc:Subject"] == TAGS


@pytest.mark.parametrize("kind", UNWRITABLE)
def test_formats_exiftool_cannot_write(kind: str) -> None:
    assert metadata_tags(kind, SUMMER, TAGS) == (
        {},
        f"exiftool cannot write {kind.upper()} files; the name and the file time carry the date",
    )


@pytest.mark.parametrize("kind", [None, "unknown", "pdf", ""])
def test_unknown_kinds_are_not_written(kind: str | None) -> None:
    assign, why = metadata_tags(kind, SUMMER, TAGS)
    assert assign == {}
    assert why == "exiftool cannot write files of this kind; the name and the file time carry the date"


def test_a_malformed_local_time_is_refused() -> None:
    with pytest.raises(ValueError):
        metadata_tags("jpeg", Capture("14.07.2019", None, "day"), [])


def test_capture_epoch() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    expected = datetime(2019, 7, 14, 13, 3, 9, 123000, tzinfo=UTC).timestamp()
    assert capture_epoch(SUMMER, UTC) == pytest.approx(expected)
    # Unknown offset: the wall-clock time read in the fallback zone (summer time in Berlin).
    assert capture_epoch(Capture("2019-07-14T15:03:09", None, "second"), berlin) == pytest.approx(
        datetime(2019, 7, 14, 13, 3, 9, tzinfo=UTC).timestamp()
    )
    assert capture_epoch(Capture("2019-01-14T15:03:09", None, None), berlin) == pytest.approx(
        datetime(2019, 1, 14, 14, 3, 9, tzinfo=UTC).timestamp()
    )
    assert capture_epoch(Capture("2019-07", "-05:00", "month", "9"), berlin) == pytest.approx(
        datetime(2019, 7, 1, 5, 0, tzinfo=UTC).timestamp()
    )
    assert capture_epoch(Capture(None, "+02:00", None), berlin) is None


# --- the real exiftool ----------------------------------------------------------------------------


def read_back(path: Path) -> dict[str, Any]:
    """Tags as a separate exiftool run sees them (printed values, family 1 groups)."""
    out = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", "-api", "QuickTimeUTC=0", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    [entry] = json.loads(out)
    return entry


def copy_of(source: Path, tmp_path: Path) -> Path:
    if not source.exists():
        pytest.skip(f"{source} is not in the corpus here")
    target = tmp_path / f"copy{source.suffix.lower()}"
    shutil.copyfile(source, target)  # never write into the corpus
    return target


def written(path: Path, kind: str, capture: Capture = SUMMER, keywords: list[str] = TAGS) -> dict[str, Any]:
    assign, why = metadata_tags(kind, capture, keywords)
    assert why is None
    assert write_tags(path, assign, path.parent / "scratch") is None
    return read_back(path)


def as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def assert_image_tags(tags: dict[str, Any], iptc: bool) -> None:
    assert tags["ExifIFD:DateTimeOriginal"] == "2019:07:14 15:03:09"
    assert tags["ExifIFD:CreateDate"] == "2019:07:14 15:03:09"
    assert tags["ExifIFD:OffsetTimeOriginal"] == "+02:00"
    assert str(tags["ExifIFD:SubSecTimeOriginal"]) == "123"
    assert tags["Composite:SubSecDateTimeOriginal"] == "2019:07:14 15:03:09.123+02:00"
    assert tags["XMP-photoshop:DateCreated"] == "2019:07:14 15:03:09.123+02:00"
    assert as_list(tags["XMP-dc:Subject"]) == TAGS
    if iptc:
        assert as_list(tags["IPTC:Keywords"]) == TAGS
        assert tags["IPTC:CodedCharacterSet"] == "UTF8"
    else:
        assert "IPTC:Keywords" not in tags


def test_jpeg_round_trip(tmp_path: Path) -> None:
    path = copy_of(CORPUS / "jpg" / "Canon_40D.jpg", tmp_path)
    assert_image_tags(written(path, "jpeg"), iptc=True)
    with Image.open(path) as image:
        image.load()
        assert image.size == (100, 68)


def test_jpeg_keyword_too_long_for_iptc_replaces_the_old_iptc_list(tmp_path: Path) -> None:
    path = copy_of(CORPUS / "jpg" / "Canon_40D.jpg", tmp_path)
    written(path, "jpeg", keywords=["old"])
    long = "Großeltern " * 6  # 66 bytes
    tags = written(path, "jpeg", keywords=[long.strip(), "Zürich"])
    assert as_list(tags["XMP-dc:Subject"]) == [long.strip(), "Zürich"]
    assert "IPTC:Keywords" not in tags


def test_heic_round_trip_replaces_the_iphone_dates(tmp_path: Path) -> None:
    path = copy_of(CORPUS / "heic" / "IMG_5195.HEIC", tmp_path)
    before = read_back(path)
    assert before["ExifIFD:OffsetTimeOriginal"] == "-05:00"  # what the iPhone wrote
    tags = written(path, "heic")
    assert_image_tags(tags, iptc=False)
    assert tags["ExifIFD:OffsetTime"] == "+02:00"
    assert str(tags["ExifIFD:SubSecTimeDigitized"]) == "123"  # not the iPhone's "054"
    assert tags["XMP-xmp:CreateDate"] == "2019:07:14 15:03:09.123+02:00"
    with Image.open(path) as image:
        image.load()
        assert image.size == (before["File:ImageWidth"], before["File:ImageHeight"])


def test_heic_without_offset_drops_the_iphone_offset(tmp_path: Path) -> None:
    path = copy_of(CORPUS / "heic" / "IMG_5195.HEIC", tmp_path)
    tags = written(path, "heic", capture=Capture("2019-07-14T15:03:09", None, "second"), keywords=[])
    assert tags["ExifIFD:DateTimeOriginal"] == "2019:07:14 15:03:09"
    assert not any(k.endswith(("OffsetTimeOriginal", "SubSecTimeOriginal")) for k in tags)


def test_png_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "drawing.png"
    Image.new("RGB", (40, 30), (10, 200, 30)).save(path)
    assert_image_tags(written(path, "png"), iptc=False)
    with Image.open(path) as image:
        assert image.convert("RGB").getpixel((5, 5)) == (10, 200, 30)


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_video_round_trip(tmp_path: Path, suffix: str) -> None:
    path = make_video(tmp_path / f"clip{suffix}")
    tags = written(path, suffix[1:])
    assert tags["QuickTime:CreateDate"] == "2019:07:14 13:03:09"  # UTC
    assert tags["Track1:TrackCreateDate"] == "2019:07:14 13:03:09"
    assert tags["Track1:MediaCreateDate"] == "2019:07:14 13:03:09"
    assert tags["Keys:CreationDate"] == "2019:07:14 15:03:09+02:00"
    assert as_list(tags["XMP-dc:Subject"]) == TAGS
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:format_tags=creation_time", "-of", "json",
         str(path)],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    fmt = json.loads(probe)["format"]
    assert float(fmt["duration"]) == pytest.approx(1.0, abs=0.2)
    assert fmt["tags"]["creation_time"].startswith("2019-07-14T13:03:09")


def test_video_without_offset_keeps_the_quicktime_dates(tmp_path: Path) -> None:
    path = make_video(tmp_path / "clip.mov")
    before = read_back(path)["QuickTime:CreateDate"]
    tags = written(path, "mov", capture=Capture("2019-07-14T15:03:09", None, "second"), keywords=[])
    assert tags["Keys:CreationDate"] == "2019:07:14 15:03:09"
    assert tags["QuickTime:CreateDate"] == before


def test_write_failure_is_a_sentence_and_the_process_still_works(tmp_path: Path) -> None:
    fake = tmp_path / "fake.jpg"
    Image.new("RGB", (8, 8)).save(fake, "PNG")
    original = fake.read_bytes()
    error = write_tags(fake, {"XMP-dc:Subject": ["x"]}, tmp_path / "scratch")
    assert error == "Not a valid JPG (looks more like a PNG)"
    assert fake.read_bytes() == original
    assert write_tags(tmp_path / "missing.jpg", {"XMP-dc:Subject": ["x"]}, tmp_path) == "File not found"
    path = tmp_path / "ok.png"
    Image.new("RGB", (8, 8)).save(path)
    assert write_tags(path, {"XMP-dc:Subject": ["a\nb", "-c"]}, tmp_path / "scratch") is None
    assert as_list(read_back(path)["XMP-dc:Subject"]) == ["a b", "-c"]
    assert exiftool_process().running


def test_nothing_to_write_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "ok.png"
    Image.new("RGB", (8, 8)).save(path)
    before = path.read_bytes()
    assert write_tags(path, {}, tmp_path) is None
    assert path.read_bytes() == before


def test_a_name_with_a_newline_is_written_through_the_link(tmp_path: Path) -> None:
    path = tmp_path / "two\nlines.png"
    Image.new("RGB", (8, 8)).save(path)
    scratch = tmp_path / "scratch"
    assert write_tags(path, {"XMP-dc:Subject": ["x"]}, scratch) is None
    assert not path.is_symlink()
    link_free = tmp_path / "plain.png"
    shutil.copyfile(path, link_free)
    assert as_list(read_back(link_free)["XMP-dc:Subject"]) == ["x"]
    assert list(scratch.iterdir()) == []
