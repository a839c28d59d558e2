"""The dating scenario suite: one file per kind of date evidence, quirk, zone, DST day and conflict,
each with the answer a careful person would give.

Files are built by code from the real corpus (shared/corpus/real) and ffmpeg videos, with tags
written by exiftool, so the engine sees exactly what it sees in a real library. The expectations
come from the product rules, not from the engine's output:

- a file whose capture time can be known gets that exact local (wall-clock) time;
- no wrong time is ever "high";
- a file whose time cannot be known goes to review (confidence low or none).

The default zone is Europe/Berlin (set MEDIAPARSER_TIMEZONE to DEFAULT_ZONE when importing), so
an assumed offset is +02:00 in summer and +01:00 in winter. Every scenario has its own day (or
its own hours), so the end-of-import pass that lends a GPS zone to files taken within a few hours
of each other cannot couple two scenarios that were not built to be neighbours.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from tests.corpus import CORPUS
from tests.trees import make_video

DEFAULT_ZONE = "Europe/Berlin"
CLASSES = ("high", "medium", "review")
REVIEW = ("low", "none")
# Clean camera JPEGs to strip and re-tag; rotated so the suite is not one picture 60 times.
PICTURES = (
    "jpg/Canon_40D.jpg",
    "jpg/Nikon_D70.jpg",
    "jpg/Pentax_K10D.jpg",
    "jpg/Sony_HDR-HC3.jpg",
    "jpg/Olympus_C8080WZ.jpg",
    "jpg/Fujifilm_FinePix_E500.jpg",
)
MUMBAI = ("-GPSLatitude=19.076", "-GPSLatitudeRef=N", "-GPSLongitude=72.8777", "-GPSLongitudeRef=E")
# What a device writes when it has no fix: not a position.
NULL_ISLAND = ("-GPSLatitude=0", "-GPSLatitudeRef=N", "-GPSLongitude=0", "-GPSLongitudeRef=E")
TOKYO = ("-GPSLatitude=35.6812", "-GPSLatitudeRef=N", "-GPSLongitude=139.7671", "-GPSLongitudeRef=E")
SYDNEY = ("-GPSLatitude=33.8688", "-GPSLatitudeRef=S", "-GPSLongitude=151.2093", "-GPSLongitudeRef=E")
NEW_YORK = (40.7128, -74.0060)
# The Live Photo id of the corpus iPhone HEIC (Apple MediaGroupUUID), for the video half of the pair.
LIVE_PHOTO_ID = "570F1469-09C7-4E50-9875-05F21D5BD166"
# exiftool reads Keys:ContentIdentifier but this version cannot write it without being told the key.
KEYS_CONFIG = """%Image::ExifTool::UserDefined = (
    'Image::ExifTool::QuickTime::Keys' => {
        'com.apple.quicktime.content.identifier' => { Name => 'ContentIdentifier' },
    },
);
1;
"""

Builder = Callable[[Path], None]


@dataclass(frozen=True)
class Scenario:
    rel_path: str
    tests: str  # what it tests, for a person reading a failure
    taken: str | None  # expected local time at `precision`; None: not checked
    precision: str | None  # second | minute | day | month | year; None: not checked
    confidence: str  # "high" | "medium" | "review" (review = low or none)
    knowable: bool  # whether the exact capture time can be known from what the file carries
    offset: str | None = None  # "+02:00"; None: not checked
    zone: str | None = None  # IANA name; None: not checked
    conflict: bool | None = None  # None: not checked
    reasons: tuple[str, ...] = ()  # fragments the decision's reasons must contain
    note: str | None = None  # fragment of the file's status reason (a sidecar problem)
    build: Builder | None = field(default=None, repr=False, compare=False)


# Building files -----------------------------------------------------------------------------------


def exiftool(target: Path, *args: str, config: Path | None = None) -> None:
    subprocess.run(
        [
            "exiftool",
            *(["-config", str(config)] if config else []),
            "-q",
            "-q",
            "-overwrite_original",
            *args,
            str(target),
        ],
        check=True,
        timeout=60,
        capture_output=True,
    )


def set_mtime(target: Path, mtime: datetime | None) -> None:
    """None means "now": a fresh copy, whose file date the engine must ignore."""
    stamp = mtime.timestamp() if mtime else time.time()
    os.utime(target, (stamp, stamp))


def picture_for(target: Path) -> Path:
    return CORPUS / PICTURES[zlib.crc32(target.name.encode()) % len(PICTURES)]


def photo(*tags: str, strip: bool = True, mtime: datetime | None = None) -> Builder:
    """A real camera JPEG with its metadata removed (`-all=`) and only `tags` written back. The
    comment makes every file's bytes unique: identical copies would be imported as known."""

    def build(target: Path) -> None:
        shutil.copyfile(picture_for(target), target)
        exiftool(
            target,
            *(("-all=",) if strip else ()),
            f"-Comment=scenario {target.parent.name}/{target.name}",
            *tags,
        )
        set_mtime(target, mtime)

    return build


def corpus_file(relative: str) -> Builder:
    """A corpus file exactly as the camera wrote it."""

    def build(target: Path) -> None:
        shutil.copyfile(CORPUS / relative, target)
        set_mtime(target, None)

    return build


def png(mtime: datetime | None = None) -> Builder:
    """A screenshot: a PNG with no date inside, only its name."""

    def build(target: Path) -> None:
        crc = zlib.crc32(target.name.encode())
        Image.new("RGB", (64, 48), (crc & 255, crc >> 8 & 255, crc >> 16 & 255)).save(target, "PNG")
        set_mtime(target, mtime)

    return build


def video(*tags: str, content_id: str | None = None, mtime: datetime | None = None) -> Builder:
    """An ffmpeg MP4 or MOV (its own QuickTime dates are zero, which means unset) with `tags`
    written, and the Apple Live Photo id when given."""

    def build(target: Path) -> None:
        make_video(target)
        title = f"-XMP-dc:Title=scenario {target.parent.name}/{target.name}"
        with tempfile.TemporaryDirectory() as scratch:
            config = Path(scratch) / "keys.config"
            config.write_text(KEYS_CONFIG, encoding="utf-8")
            extra = (f"-Keys:ContentIdentifier={content_id}",) if content_id else ()
            exiftool(target, title, *tags, *extra, config=config)
        set_mtime(target, mtime)

    return build


def with_sidecar(media: Builder, json_name: str, text: str) -> Builder:
    def build(target: Path) -> None:
        media(target)
        (target.parent / json_name).write_text(text, encoding="utf-8")

    return build


def takeout_json(title: str, taken_utc: datetime | None, position: tuple[float, float] = (0.0, 0.0)) -> str:
    """A Google Takeout sidecar as exported: epoch seconds as strings, 0,0 for "no position", and a
    creationTime that is the upload (years later), not the capture."""
    lat, lon = position
    geo = {"latitude": lat, "longitude": lon, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0}
    uploaded = datetime(2023, 1, 15, 9, 0, 0, tzinfo=UTC)
    data: dict[str, Any] = {
        "title": title,
        "description": "",
        "imageViews": "3",
        "creationTime": {
            "timestamp": str(int(uploaded.timestamp())),
            "formatted": "Jan 15, 2023, 9:00:00 AM UTC",
        },
        "geoData": geo,
        "geoDataExif": geo,
        "url": "https://photos.google.com/photo/AF1QipExample",
        "googlePhotosOrigin": {"mobileUpload": {"deviceType": "ANDROID_PHONE"}},
    }
    if taken_utc is not None:
        data["photoTakenTime"] = {
            "timestamp": str(int(taken_utc.timestamp())),
            "formatted": taken_utc.strftime("%b %d, %Y, %I:%M:%S %p UTC"),
        }
    return json.dumps(data, indent=2)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: str = DEFAULT_ZONE) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def epoch_ms(text: str) -> int:
    """Milliseconds since 1970 of a UTC time, as Facebook and Messenger name their downloads."""
    return round(utc(text).timestamp() * 1000)


# The scenarios ------------------------------------------------------------------------------------


def scenarios() -> list[Scenario]:
    """Every scenario with its expectation (no file is written here)."""
    s = Scenario
    # fmt: off
    fb_summer = epoch_ms("2019-07-18T16:30:45.123")  # 18:30:45 in Berlin
    fb_new_year = epoch_ms("2019-12-31T23:00:00")  # midnight in Berlin: already 2020 there
    return [
        # Embedded dates ---------------------------------------------------------------------------
        s("exif/offset.jpg", "EXIF DateTimeOriginal with OffsetTimeOriginal: exact, the file's own offset",
          "2019-07-01T18:30:45", "second", "high", True, offset="+05:30",
          build=photo("-DateTimeOriginal=2019:07:01 18:30:45", "-OffsetTimeOriginal=+05:30")),
        s("exif/no_offset.jpg", "EXIF DateTimeOriginal without offset: exact local time, default zone's offset",
          "2019-07-02T18:30:45", "second", "high", True, offset="+02:00",
          build=photo("-DateTimeOriginal=2019:07:02 18:30:45")),
        s("exif/iptc.jpg", "IPTC DateCreated joined with TimeCreated and its offset",
          "2019-07-03T10:11:12", "second", "high", True, offset="-03:00",
          build=photo("-IPTC:DateCreated=2019:07:03", "-IPTC:TimeCreated=10:11:12-03:00")),
        s("zones/gps_tokyo.jpg", "EXIF local time + GPS position in Tokyo: zone and offset from the position",
          "2019-05-04T18:30:45", "second", "high", True, offset="+09:00", zone="Asia/Tokyo",
          build=photo("-DateTimeOriginal=2019:05:04 18:30:45", *TOKYO)),
        s("zones/gps_sydney.jpg", "GPS position in the southern hemisphere: June is winter, no DST",
          "2019-06-04T09:15:00", "second", "high", True, offset="+10:00", zone="Australia/Sydney",
          build=photo("-DateTimeOriginal=2019:06:04 09:15:00", *SYDNEY)),
        s("zones/gps_utc_pair.jpg", "EXIF local + GPS UTC time, no position: offset from the pair (-04:00)",
          "2019-07-05T18:30:45", "second", "high", True, offset="-04:00",
          build=photo("-DateTimeOriginal=2019:07:05 18:30:45", "-GPSDateStamp=2019:07:05",
                      "-GPSTimeStamp=22:30:45")),
        s("zones/gps_utc_pair_next_day.jpg", "GPS UTC already on the next day: the pair still gives -04:00",
          "2019-07-06T21:30:00", "second", "high", True, offset="-04:00",
          build=photo("-DateTimeOriginal=2019:07:06 21:30:00", "-GPSDateStamp=2019:07:07",
                      "-GPSTimeStamp=01:30:00")),
        s("zones/gps_mumbai.jpg", "GPS position in India: a half-hour zone (+05:30)",
          "2019-09-08T18:30:45", "second", "high", True, offset="+05:30", zone="Asia/Kolkata",
          build=photo("-DateTimeOriginal=2019:09:08 18:30:45", *MUMBAI)),
        s("zones/gps_null_island.jpg", "GPS 0,0 is no position: the default zone",
          "2019-09-09T18:30:45", "second", "high", True, offset="+02:00", zone=DEFAULT_ZONE,
          build=photo("-DateTimeOriginal=2019:09:09 18:30:45", *NULL_ISLAND)),
        s("zones/PXL_20190906_163045000.jpg", "EXIF local time and a UTC Pixel name: offset from the pair",
          "2019-09-06T12:30:45", "second", "high", True, offset="-04:00",
          build=photo("-DateTimeOriginal=2019:09:06 12:30:45")),
        s("exif/xmp_only.jpg", "only an XMP photoshop:DateCreated with offset (an edited export)",
          "2019-09-10T18:30:45", "second", "high", True, offset="+03:00",
          build=photo("-XMP-photoshop:DateCreated=2019:09:10 18:30:45+03:00")),
        s("zones/offset_kathmandu.jpg", "a quarter-hour offset in the file (+05:45)",
          "2019-07-08T18:30:45", "second", "high", True, offset="+05:45",
          build=photo("-DateTimeOriginal=2019:07:08 18:30:45", "-OffsetTimeOriginal=+05:45")),
        # Real camera files as they are ------------------------------------------------------------
        s("corpus/Canon_40D.jpg", "real Canon EOS 40D file: DateTimeOriginal, no offset, no GPS",
          "2008-05-30T15:56:01", "second", "high", True, offset="+02:00",
          build=corpus_file("jpg/Canon_40D.jpg")),
        # DSCN0010's GPS date is a day after its DateTimeOriginal although the times of day match
        # (UTC+2): GPS dates are weak as capture times, the camera's date stands; the position
        # (Tuscany) gives the zone.
        s("corpus/DSCN0010.jpg", "real Nikon COOLPIX P6000 file with GPS in Italy: zone from the position",
          "2008-10-22T16:28:39", "second", "high", True, offset="+02:00", zone="Europe/Rome",
          build=corpus_file("jpg/gps/DSCN0010.jpg")),
        s("corpus/Nikon_D70.jpg", "real Nikon D70 file: EXIF date without offset, XMP date with -04:00",
          "2008-03-15T09:52:01", "second", "high", True, offset="-04:00",
          build=corpus_file("jpg/Nikon_D70.jpg")),
        s("corpus/IMG_5195.HEIC", "real iPhone 11 Pro Max HEIC: OffsetTimeOriginal -05:00 and GPS in Missouri",
          "2021-04-11T15:47:53", "second", "high", True, offset="-05:00", zone="America/Chicago",
          build=corpus_file("heic/IMG_5195.HEIC")),
        # Quirks -----------------------------------------------------------------------------------
        s("quirks/reset/IMG_20190709_183045.jpg", "camera reset date 2000-01-01 in EXIF, real date in the name",
          "2019-07-09T18:30:45", "second", "medium", True, offset="+02:00",
          build=photo("-DateTimeOriginal=2000:01:01 00:00:00")),
        s("quirks/reset/VID_20190731_183045.mp4", "video whose QuickTime date is a camera reset (2000-01-01)",
          "2019-07-31T18:30:45", "second", "medium", True, offset="+02:00",
          build=video("-QuickTime:CreateDate=2000:01:01 00:00:00", "-QuickTime:MediaCreateDate=2000:01:01 00:00:00")),
        s("quirks/reset_only.jpg", "camera reset date 2000-01-01 00:00:00 and nothing else: evidence of nothing",
          None, None, "review", False,
          build=photo("-DateTimeOriginal=2000:01:01 00:00:00")),
        s("quirks/epoch_zero.jpg", "EXIF 1970-01-01 00:00:00 only (an empty clock)",
          None, None, "review", False,
          build=photo("-DateTimeOriginal=1970:01:01 00:00:00")),
        s("quirks/future.jpg", "EXIF date in the future only",
          None, None, "review", False,
          build=photo("-DateTimeOriginal=2091:05:05 12:00:00")),
        # exiftool refuses to write month 00 through its date parser; '#' writes the raw value.
        s("quirks/zero_date.jpg", "EXIF 0000:00:00 00:00:00 only",
          None, None, "review", False,
          build=photo("-DateTimeOriginal#=0000:00:00 00:00:00")),
        s("quirks/modify_date_only.jpg", "only IFD0 ModifyDate: when it was edited, not taken",
          None, None, "review", False,
          build=photo("-IFD0:ModifyDate=2019:07:10 12:00:00")),
        # Names only (no EXIF) ---------------------------------------------------------------------
        s("names/IMG_20190711_183045.jpg", "Android camera name, local time",
          "2019-07-11T18:30:45", "second", "medium", True, offset="+02:00", build=photo()),
        s("names/20190712_183045_002.jpg", "Samsung burst name, local time",
          "2019-07-12T18:30:45", "second", "medium", True, offset="+02:00", build=photo()),
        s("names/PXL_20210704_183045123.jpg", "Pixel name is UTC: local time is it shifted to the default zone",
          "2021-07-04T20:30:45", "second", "medium", True, offset="+02:00", build=photo()),
        s("names/Screenshot_20190713-183045.png", "Android screenshot name",
          "2019-07-13T18:30:45", "second", "medium", True, offset="+02:00", build=png()),
        s("names/Screen Shot 2019-07-14 at 6.30.45 PM.png", "macOS screenshot name, 12-hour clock",
          "2019-07-14T18:30:45", "second", "medium", True, offset="+02:00", build=png()),
        s("names/IMG-20190715-WA0001.jpg", "WhatsApp name: the day only, so a person must look",
          "2019-07-15", "day", "review", False, build=photo()),
        s("names/whatsapp_mtime/IMG-20190716-WA0002.jpg", "WhatsApp day refined by a file date on that day",
          "2019-07-16T18:30:45", "second", "medium", True, offset="+02:00",
          build=photo(mtime=local("2019-07-16T18:30:45"))),
        s("names/whatsapp_mtime/IMG-20190717-WA0003.jpg", "WhatsApp day with a file date on another day",
          "2019-07-17", "day", "review", False,
          build=photo(mtime=local("2019-07-20T10:00:00"))),
        # 00:30 in Berlin is still the previous day in UTC: the file date must be compared locally.
        s("names/whatsapp_mtime/IMG-20190911-WA0004.jpg", "WhatsApp day refined by a file date just after midnight",
          "2019-09-11T00:30:00", "second", "medium", True, offset="+02:00",
          build=photo(mtime=local("2019-09-11T00:30:00"))),
        s("names/Screenshot 2019-09-05 at 12.05.00 AM.png", "macOS screenshot name, 12 AM is midnight",
          "2019-09-05T00:05:00", "second", "medium", True, offset="+02:00", build=png()),
        s(f"names/FB_IMG_{fb_summer}.jpg", "Facebook name: epoch milliseconds, UTC",
          "2019-07-18T18:30:45", "second", "medium", True, offset="+02:00", build=photo()),
        s("names/[FORCE] IMG_20190719_183045.jpg", "[FORCE] in the name beats a disagreeing EXIF date",
          "2019-07-19T18:30:45", "second", "high", True, offset="+02:00",
          build=photo("-DateTimeOriginal=2018:01:01 10:00:00")),
        # Folders ----------------------------------------------------------------------------------
        s("2015/Summer 2015/no_exif.jpg", "folder names give the year only",
          "2015", "year", "review", False, build=photo()),
        s("2016-08 Holiday/no_exif.jpg", "folder name gives the month only",
          "2016-08", "month", "review", False, build=photo()),
        s("2019-07-04 Beach/no_exif.jpg", "folder name gives the day only",
          "2019-07-04", "day", "review", False, build=photo()),
        # Google Takeout ---------------------------------------------------------------------------
        s("takeout/IMG_0001.jpg", "Takeout photoTakenTime (UTC) with geoData in New York",
          "2019-07-22T18:30:45", "second", "medium", True, offset="-04:00", zone="America/New_York",
          build=with_sidecar(photo(), "IMG_0001.jpg.json",
                             takeout_json("IMG_0001.jpg", utc("2019-07-22T22:30:45"), NEW_YORK))),
        s("takeout/Family picnic by the lake at dusk.jpg", "Takeout supplemental-metadata JSON clipped to 51 chars",
          "2019-07-23T18:30:45", "second", "medium", True, offset="+02:00",
          build=with_sidecar(photo(), "Family picnic by the lake at dusk.jpg.suppleme.json",
                             takeout_json("Family picnic by the lake at dusk.jpg", utc("2019-07-23T16:30:45")))),
        s("takeout/IMG_0002.jpg", "Takeout original beside a duplicate: its own IMG_0002.jpg.json",
          "2019-07-24T12:00:00", "second", "medium", True, offset="+02:00",
          build=with_sidecar(photo(), "IMG_0002.jpg.json",
                             takeout_json("IMG_0002.jpg", utc("2019-07-24T10:00:00")))),
        s("takeout/IMG_0002(1).jpg", "Takeout duplicate IMG_0002(1).jpg takes IMG_0002.jpg(1).json",
          "2019-07-24T18:30:45", "second", "medium", True, offset="+02:00",
          build=with_sidecar(photo(), "IMG_0002.jpg(1).json",
                             takeout_json("IMG_0002.jpg", utc("2019-07-24T16:30:45")))),
        s("takeout/IMG_0008-edited.jpg", "Google Photos edit: no sidecar of its own, the original's applies",
          "2019-07-26T18:30:45", "second", "medium", True, offset="+02:00",
          build=with_sidecar(photo(), "IMG_0008.jpg.json",
                             takeout_json("IMG_0008.jpg", utc("2019-07-26T16:30:45")))),
        s("takeout/IMG_0003.jpg", "Takeout sidecar that is not JSON: said so, EXIF still dates the file",
          "2019-07-25T18:30:45", "second", "high", True, offset="+02:00", note="not valid JSON",
          build=with_sidecar(photo("-DateTimeOriginal=2019:07:25 18:30:45"), "IMG_0003.jpg.json",
                             "<html><body>Service unavailable</body></html>")),
        # Videos -----------------------------------------------------------------------------------
        s("videos/keys_offset.mp4", "QuickTime CreateDate in UTC and Keys:CreationDate with its offset",
          "2019-07-27T01:30:45", "second", "high", True, offset="+09:00",
          build=video("-QuickTime:CreateDate=2019:07:26 16:30:45", "-QuickTime:MediaCreateDate=2019:07:26 16:30:45",
                      "-Keys:CreationDate=2019:07:27 01:30:45+09:00", "-Make=Apple", "-Model=iPhone 8")),
        s("videos/apple_utc.mp4", "Apple MP4 with only QuickTime CreateDate (UTC): default zone, medium",
          "2019-07-28T18:30:45", "second", "medium", True, offset="+02:00",
          build=video("-QuickTime:CreateDate=2019:07:28 16:30:45", "-QuickTime:MediaCreateDate=2019:07:28 16:30:45",
                      "-Make=Apple", "-Model=iPhone 8")),
        s("videos/canon_local.mp4", "Canon MP4 whose QuickTime CreateDate holds local time (flagged)",
          "2019-07-29T18:30:45", "second", "medium", True, offset="+02:00", reasons=("local time",),
          build=video("-QuickTime:CreateDate=2019:07:29 18:30:45", "-QuickTime:MediaCreateDate=2019:07:29 18:30:45",
                      "-Make=Canon", "-Model=Canon EOS 80D")),
        s("videos/VID_20190730_183045.mp4", "video name (local) and QuickTime UTC of the same moment: -04:00",
          "2019-07-30T18:30:45", "second", "high", True, offset="-04:00",
          build=video("-QuickTime:CreateDate=2019:07:30 22:30:45", "-QuickTime:MediaCreateDate=2019:07:30 22:30:45")),
        s("videos/VID_20190912_183045.mp4", "camera video whose QuickTime date matches its local-time name",
          "2019-09-12T18:30:45", "second", "high", True, offset="+02:00", reasons=("local time",),
          build=video("-QuickTime:CreateDate=2019:09:12 18:30:45", "-QuickTime:MediaCreateDate=2019:09:12 18:30:45")),
        s("videos/apple_gps_tokyo.mov", "Apple MOV: QuickTime UTC date and a position in Tokyo",
          "2019-09-01T12:30:45", "second", "high", True, offset="+09:00", zone="Asia/Tokyo",
          build=video("-QuickTime:CreateDate=2019:09:01 03:30:45", "-Keys:GPSCoordinates=35.6812, 139.7671, 40",
                      "-Make=Apple", "-Model=iPhone 8")),
        # The video half of the corpus HEIC's Live Photo: its UTC date alone would put it in Berlin.
        s("corpus/IMG_5195.MOV", "Live Photo video takes its still's time and zone (same content id)",
          "2021-04-11T15:47:53", "second", "high", True, offset="-05:00", zone="America/Chicago",
          build=video("-QuickTime:CreateDate=2021:04:11 20:47:53", "-Make=Apple", "-Model=iPhone 11 Pro Max",
                      content_id=LIVE_PHOTO_ID)),
        s("videos/clip.mp4", "video with zeroed QuickTime dates and a neutral name",
          None, None, "review", False, build=video()),
        # Daylight saving time in the default zone ---------------------------------------------------
        # 02:30 on 31 March 2019 never happened in Berlin: the camera clock had not been moved on, or
        # the zone is not Berlin. The reading is kept as taken; the offset is a guess, so not high.
        s("dst/spring_gap.jpg", "local time inside the skipped hour (2019-03-31 02:30, Berlin)",
          "2019-03-31T02:30:00", "second", "medium", True, reasons=("skipped",),
          build=photo("-DateTimeOriginal=2019:03:31 02:30:00")),
        # 02:30 on 27 October 2019 happened twice: the wall-clock time is exact, only the offset is
        # ambiguous (either is honest if the reasons say so).
        s("dst/autumn_fold.jpg", "local time inside the repeated hour (2019-10-27 02:30, Berlin)",
          "2019-10-27T02:30:00", "second", "high", True, reasons=("repeated",),
          build=photo("-DateTimeOriginal=2019:10:27 02:30:00")),
        s("dst/autumn_fold_offset.jpg", "repeated hour with the offset in the file: no ambiguity",
          "2019-10-27T02:30:00", "second", "high", True, offset="+01:00",
          build=photo("-DateTimeOriginal=2019:10:27 02:30:00", "-OffsetTimeOriginal=+01:00")),
        s("dst/PXL_20190331_010000000.jpg", "UTC name at the very instant clocks went forward",
          "2019-03-31T03:00:00", "second", "medium", True, offset="+02:00", build=photo()),
        s("dst/PXL_20191027_003000000.jpg", "UTC name in the first pass of the repeated hour",
          "2019-10-27T02:30:00", "second", "medium", True, offset="+02:00", build=photo()),
        s("dst/PXL_20191027_013000000.jpg", "UTC name in the second pass of the repeated hour",
          "2019-10-27T02:30:00", "second", "medium", True, offset="+01:00", build=photo()),
        # New Year's Eve ---------------------------------------------------------------------------
        s("newyear/PXL_20191231_233000000.jpg", "UTC name on New Year's Eve is already 2020 in Berlin",
          "2020-01-01T00:30:00", "second", "medium", True, offset="+01:00", build=photo()),
        s(f"newyear/FB_IMG_{fb_new_year}.jpg", "epoch name at 23:00 UTC on New Year's Eve: midnight in Berlin",
          "2020-01-01T00:00:00", "second", "medium", True, offset="+01:00", build=photo()),
        s("newyear/offset_new_york.jpg", "one second before midnight in New York (already 2020 in UTC)",
          "2019-12-31T23:59:59", "second", "high", True, offset="-05:00",
          build=photo("-DateTimeOriginal=2019:12:31 23:59:59", "-OffsetTimeOriginal=-05:00")),
        # Conflicts --------------------------------------------------------------------------------
        s("conflicts/IMG_20190801_120000.jpg", "EXIF and a precise name 3 days apart: a person decides",
          None, None, "review", False, conflict=True, reasons=("2019-08-01", "2019-08-04"),
          build=photo("-DateTimeOriginal=2019:08:04 12:00:00")),
        # Local 18:30:45 and UTC 16:30:45 are the same instant in Berlin in summer: a whole-zone
        # difference is a zone, not a disagreement. Two independent sources agree.
        s("conflicts/two_hours/IMG_0004.jpg", "EXIF local vs Takeout UTC exactly 2 hours apart: the zone",
          "2019-08-05T18:30:45", "second", "high", True, offset="+02:00", conflict=False,
          build=with_sidecar(photo("-DateTimeOriginal=2019:08:05 18:30:45"), "IMG_0004.jpg.json",
                             takeout_json("IMG_0004.jpg", utc("2019-08-05T16:30:45")))),
        s("conflicts/five_hours/IMG_0005.jpg", "EXIF local vs Takeout UTC 5 hours apart: a -05:00 zone",
          "2019-08-06T18:30:45", "second", "high", True, offset="-05:00", conflict=False,
          build=with_sidecar(photo("-DateTimeOriginal=2019:08:06 18:30:45"), "IMG_0005.jpg.json",
                             takeout_json("IMG_0005.jpg", utc("2019-08-06T23:30:45")))),
        # The camera says +02:00 (its zone still set to home), the position says Tokyo: the moment is
        # known, but whether the wall clock there read 18:30 or 01:30 is for a person to say.
        s("conflicts/offset_vs_gps.jpg", "OffsetTimeOriginal +02:00 but a GPS position in Tokyo",
          None, None, "review", False,
          build=photo("-DateTimeOriginal=2019:09:03 18:30:45", "-OffsetTimeOriginal=+02:00", *TOKYO)),
        s("conflicts/days/IMG_0006.jpg", "EXIF vs Takeout photoTakenTime 3 days apart",
          None, None, "review", False, conflict=True, reasons=("2019-08-07", "2019-08-10"),
          build=with_sidecar(photo("-DateTimeOriginal=2019:08:07 18:30:45"), "IMG_0006.jpg.json",
                             takeout_json("IMG_0006.jpg", utc("2019-08-10T16:30:45")))),
        # Nothing ----------------------------------------------------------------------------------
        s("nothing/scan_0001.jpg", "no date anywhere; the file date is the copy's",
          None, None, "review", False, build=photo()),
        s("nothing/scan_0002.jpg", "only an old file date (2012-05-05)",
          None, None, "review", False, build=photo(mtime=local("2012-05-05T14:00:00"))),
        # Neighbours: files with an assumed zone take a GPS zone from the same import within hours --
        s("neighbours/gps_tokyo.jpg", "GPS in Tokyo on 2019-08-20 12:00",
          "2019-08-20T12:00:00", "second", "high", True, offset="+09:00", zone="Asia/Tokyo",
          build=photo("-DateTimeOriginal=2019:08:20 12:00:00", *TOKYO)),
        s("neighbours/IMG_20190820_130000.jpg", "name-only an hour after a Tokyo GPS photo: Tokyo's zone",
          "2019-08-20T13:00:00", "second", "medium", True, offset="+09:00", zone="Asia/Tokyo", build=photo()),
        s("neighbours/IMG_20190820_230000.jpg", "name-only 11 hours after it: too far, the default zone",
          "2019-08-20T23:00:00", "second", "medium", True, offset="+02:00", zone=DEFAULT_ZONE, build=photo()),
    ]
    # fmt: on


def build_scenarios(root: Path) -> list[Scenario]:
    """Write every scenario's file (and sidecar) under `root`; returns the scenarios."""
    found = scenarios()
    for scenario in found:
        target = root / scenario.rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        assert scenario.build is not None, scenario.rel_path
        scenario.build(target)
    return found


# Judging an outcome -------------------------------------------------------------------------------


def outcome_class(record: dict[str, Any] | None) -> str:
    confidence = (record or {}).get("confidence") or "none"
    return "review" if confidence in REVIEW else confidence


def problems(scenario: Scenario, record: dict[str, Any] | None) -> list[str]:
    """What differs between the expectation and the outcome; empty when the outcome is right."""
    if record is None:
        return ["the file is not in the library"]
    if record["status"] != "processed":
        return [f"status {record['status']}: {record['reason']}"]
    found = []
    for name, want, got in (
        ("taken", scenario.taken, record["taken"]),
        ("precision", scenario.precision, record["precision"]),
        ("offset", scenario.offset, record["offset"]),
        ("zone", scenario.zone, record["zone"]),
        ("conflict", scenario.conflict, record["conflict"]),
    ):
        if want is not None and got != want:
            found.append(f"{name}: expected {want!r}, got {got!r}")
    if outcome_class(record) != scenario.confidence:
        found.append(f"confidence: expected {scenario.confidence}, got {record['confidence']}")
    said = " | ".join(record["reasons"] or []).lower()
    found += [f"reasons do not mention {part!r}" for part in scenario.reasons if part.lower() not in said]
    if scenario.note and scenario.note.lower() not in (record["reason"] or "").lower():
        found.append(f"status reason does not mention {scenario.note!r}: {record['reason']!r}")
    return found


def exact(scenario: Scenario, record: dict[str, Any] | None) -> bool:
    """The expected local time (and offset, where one is expected) at the expected precision."""
    return (
        record is not None
        and record["taken"] == scenario.taken
        and record["precision"] == scenario.precision
        and (scenario.offset is None or record["offset"] == scenario.offset)
    )


def wrong_but_high(scenario: Scenario, record: dict[str, Any] | None) -> bool:
    """High confidence on a time other than the expected one. (High on a file that cannot be dated
    breaks the review rule instead.)"""
    if record is None or record["confidence"] != "high":
        return False
    return scenario.taken is not None and not exact(scenario, record)


def describe(scenario: Scenario, record: dict[str, Any] | None) -> str:
    """Scenario, expectation and outcome with its reasons, for an assertion message or a report."""
    want = f"{scenario.taken or '(any)'} {scenario.offset or ''} {scenario.precision or ''} {scenario.confidence}"
    lines = [f"{scenario.rel_path}: {scenario.tests}", f"  expected: {' '.join(want.split())}"]
    if record is None:
        return "\n".join([*lines, "  got: nothing (file missing from the library)"])
    got = (
        f"{record['taken']} {record['offset']} {record['zone']} {record['precision']} "
        f"{record['confidence']} conflict={record['conflict']} "
        f"(date from {record['date_source']}, offset from {record['offset_source']})"
    )
    lines.append(f"  got: {got}")
    if record["status"] != "processed" or record["reason"]:
        lines.append(f"  status: {record['status']} {record['reason'] or ''}".rstrip())
    lines += [f"  - {reason}" for reason in record["reasons"] or []]
    return "\n".join(lines)
