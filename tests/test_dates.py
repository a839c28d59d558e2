"""The timestamp engine on evidence rows, without files: ranking, zones, agreement, confidence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.dates import Context, decide

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BERLIN = Context(now=NOW, default_zone="Europe/Berlin", imported_at=NOW)


def row(
    source: str,
    local: str | None,
    offset: str | None = None,
    utc: bool = False,
    precision: str = "second",
    raw: str | None = None,
    detail: dict | None = None,
) -> dict:
    return {
        "source": source,
        "raw": raw or local or "",
        "local_time": local,
        "utc_offset": offset,
        "is_utc": int(utc),
        "precision": precision,
        "detail": detail,
    }


DTO = "EXIF:ExifIFD:DateTimeOriginal"


def test_exif_original_with_offset_is_high_and_exact():
    d = decide(
        [
            row(DTO, "2019-07-04T18:30:45"),
            row("EXIF:ExifIFD:OffsetTimeOriginal", None, "+02:00", raw="+02:00"),
        ],
        BERLIN,
    )
    assert (d.local, d.offset, d.confidence, d.conflict) == ("2019-07-04T18:30:45", "+02:00", "high", False)
    assert d.reasons[0].startswith("EXIF DateTimeOriginal 2019-07-04 18:30:45 +02:00")


def test_exif_without_offset_keeps_local_time_and_assumes_the_configured_zone():
    d = decide([row(DTO, "2019-01-04T18:30:45")], BERLIN)
    assert (d.local, d.offset, d.zone, d.confidence) == (
        "2019-01-04T18:30:45",
        "+01:00",
        "Europe/Berlin",
        "high",
    )
    assert d.offset_source.startswith("assumed")


def test_gps_position_gives_the_zone():
    rows = [
        row(DTO, "2019-07-04T18:30:45"),
        row("Composite:GPS:Position", None, raw="35.68,139.76", detail={"lat": 35.68, "lon": 139.76}),
    ]
    d = decide(rows, BERLIN)
    assert (d.zone, d.offset, d.offset_source) == ("Asia/Tokyo", "+09:00", "GPS position")


def test_local_and_utc_in_the_same_file_give_the_offset():
    rows = [
        row(DTO, "2019-07-04T18:30:45"),
        row("EXIF:GPS:GPSDateStamp", "2019-07-04", utc=True, precision="day"),
        row("EXIF:GPS:GPSTimeStamp", None, utc=True, raw="12:30:45"),
    ]
    d = decide(rows, BERLIN)
    assert (d.local, d.offset) == ("2019-07-04T18:30:45", "+06:00")


def test_quicktime_utc_video_with_keys_offset_is_exact():
    rows = [
        row("QuickTime:QuickTime:CreateDate", "2019-07-04T16:30:45", utc=True),
        row("QuickTime:Keys:CreationDate", "2019-07-04T18:30:45", "+02:00"),
    ]
    d = decide(rows, Context(now=NOW, default_zone="America/New_York", kind="video"))
    assert (d.local, d.offset, d.confidence) == ("2019-07-04T18:30:45", "+02:00", "high")


def test_quicktime_utc_only_is_medium_because_the_zone_is_assumed():
    rows = [row("QuickTime:QuickTime:CreateDate", "2019-07-04T16:30:45", utc=True)]
    d = decide(rows, Context(now=NOW, default_zone="Europe/Berlin", kind="video", make="Apple"))
    assert (d.local, d.offset, d.confidence) == ("2019-07-04T18:30:45", "+02:00", "medium")


def test_camera_that_writes_local_time_in_quicktime_is_detected_by_make_and_flagged():
    rows = [row("QuickTime:QuickTime:CreateDate", "2019-07-04T18:30:45", utc=True)]
    d = decide(rows, Context(now=NOW, default_zone="Europe/Berlin", kind="video", make="Canon"))
    assert (d.local, d.confidence) == ("2019-07-04T18:30:45", "medium")
    assert "local time" in d.reasons[0]


def test_quicktime_equal_to_the_name_time_is_local_time():
    rows = [
        row("QuickTime:QuickTime:CreateDate", "2019-07-04T18:30:45", utc=True),
        row("Name:VID_YYYYMMDD_HHMMSS", "2019-07-04T18:30:45", raw="VID_20190704_183045.mp4"),
    ]
    d = decide(rows, BERLIN)
    assert d.local == "2019-07-04T18:30:45" and not d.conflict


def test_video_name_and_utc_quicktime_of_the_same_moment_give_the_offset():
    rows = [
        row("QuickTime:QuickTime:CreateDate", "2019-07-04T12:30:45", utc=True),
        row("Name:VID_YYYYMMDD_HHMMSS", "2019-07-04T18:30:45", raw="VID_20190704_183045.mp4"),
    ]
    d = decide(rows, Context(now=NOW, default_zone="UTC", kind="video", make="Apple"))
    assert (d.local, d.offset, d.conflict) == ("2019-07-04T18:30:45", "+06:00", False)


def test_two_strong_sources_days_apart_are_a_conflict_shown_with_both():
    rows = [row(DTO, "2019-07-04T18:30:45"), row("Name:IMG_YYYYMMDD_HHMMSS", "2019-07-07T10:00:00")]
    d = decide(rows, BERLIN)
    assert d.conflict and d.confidence == "low" and d.needs_review
    assert any("2019-07-07 10:00:00" in r for r in d.reasons)


def test_name_only_is_medium():
    d = decide([row("Name:IMG_YYYYMMDD_HHMMSS", "2019-07-04T18:30:45")], BERLIN)
    assert (d.local, d.confidence, d.needs_review) == ("2019-07-04T18:30:45", "medium", False)


def test_force_marker_wins_outright():
    rows = [
        row(DTO, "2019-07-04T18:30:45"),
        row("Name:IMG_YYYYMMDD_HHMMSS", "2018-01-02T03:04:05", detail={"force": True}),
    ]
    d = decide(rows, BERLIN)
    assert (d.local, d.confidence) == ("2018-01-02T03:04:05", "high")


def test_camera_reset_date_loses_to_anything_else():
    rows = [row(DTO, "2000-01-01T00:00:00"), row("Name:IMG_YYYYMMDD_HHMMSS", "2019-07-04T18:30:45")]
    d = decide(rows, BERLIN)
    assert d.local == "2019-07-04T18:30:45" and d.confidence == "medium"
    assert any("camera clock reset" in r for r in d.reasons)


@pytest.mark.parametrize(
    "local", ["1970-01-01T00:00:00", "1904-01-01T00:00:00", "1800-05-05T10:00:00", "2030-01-01T00:00:00"]
)
def test_implausible_dates_are_evidence_of_nothing(local):
    d = decide([row(DTO, local)], BERLIN)
    assert d.confidence == "none" and d.local is None and d.needs_review


def test_whatsapp_day_refined_by_same_day_last_modified_is_medium():
    rows = [
        row("Name:WhatsApp", "2019-07-04", precision="day", raw="IMG-20190704-WA0001.jpg"),
        row("Browser:lastModified", "2019-07-04T16:30:45", "+00:00", utc=True),
    ]
    d = decide(rows, Context(now=NOW, default_zone="Europe/Berlin", imported_at=NOW))
    assert (d.local, d.precision, d.confidence) == ("2019-07-04T18:30:45", "second", "medium")


def test_day_only_is_routed_to_review():
    d = decide([row("Name:WhatsApp", "2019-07-04", precision="day")], BERLIN)
    assert d.local == "2019-07-04" and d.needs_review


def test_file_date_near_the_import_is_the_copy_date_and_ignored():
    d = decide([row("File:System:FileModifyDate", "2026-11-24T11:00:00", "+00:00", utc=True)], BERLIN)
    assert d.confidence == "none"


def test_dst_gap_is_noted():
    d = decide([row(DTO, "2019-03-31T02:30:00")], BERLIN)
    assert any("skipped" in r for r in d.reasons)


def test_new_years_eve_in_utc_becomes_next_year_locally():
    rows = [row("Name:PXL", "2019-12-31T23:30:00.000", "+00:00", utc=True, raw="PXL_20191231_233000000.jpg")]
    d = decide(rows, BERLIN)
    assert (d.local, d.offset) == ("2020-01-01T00:30:00", "+01:00")


def test_user_decision_beats_everything():
    d = decide(
        [row(DTO, "2019-07-04T18:30:45")],
        Context(now=NOW, default_zone="UTC", user={"local": "2019-07-05T09:00:00", "offset": "+02:00"}),
    )
    assert (d.local, d.confidence, d.source) == ("2019-07-05T09:00:00", "high", "User")


def test_camera_time_zone_setting_in_maker_notes_gives_the_offset_when_there_is_no_gps():
    rows = [
        row(DTO, "2019-07-04T18:30:45"),
        row("MakerNotes:Nikon:TimeZone", None, raw="-300"),
        row("MakerNotes:Nikon:DaylightSavings", None, raw="1"),
    ]
    d = decide(rows, BERLIN)
    assert (d.local, d.offset, d.confidence) == ("2019-07-04T18:30:45", "-04:00", "high")
    assert "maker notes" in d.offset_source
