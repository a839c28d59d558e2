"""What exiftool writes into an exported copy: the decided capture time and the person's tags, as
plain tag assignments, and the instant the copy's file time is set to. Pure: no files, no exiftool.

An assignment of "" (or []) removes the tag from the copy: a camera's leftover sub-seconds or
offset must not attach themselves to a time we changed. Values are raw (exiftool runs with -n), so
dates are written exactly as "YYYY:MM:DD HH:MM:SS".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from jobs.zones import format_offset, parse_offset

Assignments = dict[str, str | list[str]]


@dataclass(frozen=True)
class Capture:
    local: str | None  # "YYYY-MM-DDTHH:MM:SS", or shorter at a coarser precision ("2019-07")
    offset: str | None  # "+02:00", "-05:00"; None when unknown
    precision: str | None  # 'second', 'minute', 'hour', 'day', 'month', 'year'; None means second
    subsec: str | None = None  # digits after the second, e.g. "123"


# Characters of "YYYY-MM-DDTHH:MM:SS" a precision keeps; the rest is filled from FILL.
LOCAL_LENGTH = {"second": 19, "minute": 16, "hour": 13, "day": 10, "month": 7, "year": 4}
FILL = "0000-01-01T00:00:00"
LOCAL = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?)?)?$")

# Which formats exiftool 12.57 writes (`exiftool -listwf`) and what each can hold. BMP, AVI, MKV,
# WebM, MPEG-TS, MPEG-PS and WMV are read-only in exiftool; so is Sony's SRF.
RAW_TYPES = frozenset({"dng", "cr2", "cr3", "nef", "nrw", "arw", "orf", "rw2", "raf", "pef", "sr2", "srw"})
EXIF_IMAGES = frozenset({"jpeg", "tiff", "heic", "heif", "avif", "webp", "png"}) | RAW_TYPES
XMP_ONLY_IMAGES = frozenset({"gif"})  # GIF has nowhere to put EXIF, only an XMP application block
VIDEOS = frozenset({"mp4", "mov", "m4v", "3gp", "3g2"})
IPTC_TYPES = frozenset({"jpeg", "tiff"})
READ_ONLY_MEDIA = frozenset({"bmp", "avi", "mkv", "webm", "mts", "mpeg", "wmv", "srf"})

IPTC_KEYWORD_BYTES = 64  # the IIM limit for one keyword (2:25)
IPTC_UTF8 = "\x1b%G"  # ISO 2022 escape that CodedCharacterSet holds for UTF-8 (raw value, as -n writes)


def metadata_tags(
    real_type: str | None, capture: Capture, keywords: Sequence[str]
) -> tuple[Assignments, str | None]:
    """exiftool assignments for the copy and None, or ({}, why) when exiftool cannot write this format.

    The copy gets exactly the decided time: sub-seconds and offsets we do not know are removed
    rather than left from the camera. Keywords replace the file's own; with no keywords the file's
    own are left alone (no tags in the library means none were added, not that they were removed).
    """
    kind = (real_type or "").lower()
    if kind not in EXIF_IMAGES | XMP_ONLY_IMAGES | VIDEOS:
        label = f"{kind.upper()} files" if kind in READ_ONLY_MEDIA else "files of this kind"
        return {}, f"exiftool cannot write {label}; the name and the file time carry the date"
    moment = _moment(capture)
    offset = _offset(capture.offset)
    subsec = _subsec(capture) if moment is not None else None
    assign: Assignments = {}
    if moment is not None:
        if kind in VIDEOS:
            assign.update(_video_dates(moment, offset))
        else:
            if kind in EXIF_IMAGES:
                assign.update(_exif_dates(moment, offset, subsec))
            assign.update(_xmp_dates(moment, offset, subsec, exif_too=kind in EXIF_IMAGES))
    assign.update(_keywords(kind, keywords))
    return assign, None


def capture_epoch(capture: Capture, fallback_zone: tzinfo) -> float | None:
    """The capture instant as a POSIX timestamp for the copy's mtime: local+offset; when the offset
    is unknown, the local time read in fallback_zone; None when there is no date."""
    moment = _moment(capture)
    if moment is None:
        return None
    offset = _offset(capture.offset)
    if subsec := _subsec(capture):
        moment += timedelta(seconds=float("0." + subsec))
    zone = fallback_zone if offset is None else timezone(offset)
    return moment.replace(tzinfo=zone).timestamp()


def _moment(capture: Capture) -> datetime | None:
    """The decided wall-clock time, a coarse one filled to its first moment (July 2019 -> 1 July 00:00)."""
    if not capture.local:
        return None
    local = capture.local.strip().replace(" ", "T")
    if not LOCAL.match(local):
        raise ValueError(f"not a decided local time: {capture.local!r}")
    local = local[: LOCAL_LENGTH.get(capture.precision or "second", 19)]
    return datetime.fromisoformat(local + FILL[len(local) :])


def _subsec(capture: Capture) -> str | None:
    """The sub-second digits, when the time is precise to the second and they are digits at all."""
    digits = str(capture.subsec or "").strip()
    return digits if digits.isascii() and digits.isdigit() and capture.precision in (None, "second") else None


def _offset(text: str | None) -> timedelta | None:
    return parse_offset(text) if text else None


def _exif(moment: datetime) -> str:
    return moment.strftime("%Y:%m:%d %H:%M:%S")


def _exif_dates(moment: datetime, offset: timedelta | None, subsec: str | None) -> Assignments:
    # Apple Photos, Google Photos, Immich and digiKam all take an image's capture time from EXIF
    # DateTimeOriginal first, and its zone from OffsetTimeOriginal. CreateDate (digitized) is kept
    # equal as cameras write it. OffsetTime belongs to ModifyDate, which we leave as the camera or
    # editor wrote it; it gets the decided offset too, as the issue asks, so no offset in the copy
    # contradicts the decision. Unknown offsets and sub-seconds are removed ("") rather than left.
    stamp = _exif(moment)
    zone = format_offset(offset) if offset is not None else ""
    return {
        "EXIF:DateTimeOriginal": stamp,
        "EXIF:CreateDate": stamp,
        "EXIF:OffsetTimeOriginal": zone,
        "EXIF:OffsetTimeDigitized": zone,
        "EXIF:OffsetTime": zone,
        "EXIF:SubSecTimeOriginal": subsec or "",
        "EXIF:SubSecTimeDigitized": subsec or "",
    }


def _xmp_dates(
    moment: datetime, offset: timedelta | None, subsec: str | None, *, exif_too: bool
) -> Assignments:
    # XMP's two MWG counterparts of the EXIF dates, with the offset inside the value. iPhones write
    # both into every HEIC, and digiKam and Adobe read them, so a stale pair would contradict the new
    # EXIF date; Apple's own PNG screenshots carry their date only as photoshop:DateCreated. Where
    # EXIF cannot go (GIF) XMP-exif:DateTimeOriginal is added too: exiftool-based readers (Immich)
    # and digiKam look for DateTimeOriginal first. Where EXIF is present MWG says not to duplicate it.
    stamp = _exif(moment) + (f".{subsec}" if subsec else "")
    if offset is not None:
        stamp += format_offset(offset)
    dates: Assignments = {"XMP-photoshop:DateCreated": stamp, "XMP-xmp:CreateDate": stamp}
    if not exif_too:
        dates["XMP-exif:DateTimeOriginal"] = stamp
    return dates


def _video_dates(moment: datetime, offset: timedelta | None) -> Assignments:
    # QuickTime's movie, track and media dates are UTC by definition (players and Google Photos
    # convert them to local time). They are computed here rather than with exiftool's QuickTimeUTC
    # option so the assignment says exactly what lands in the file. Without an offset the instant is
    # unknown: a wall-clock time written there would be off by the zone in every reader, so they are
    # left as the camera wrote them and only Keys:CreationDate (Apple's local date, which Apple
    # Photos and Immich read first) carries the time, without a zone. ModifyDate stays: it says
    # when the file was last changed, and no reader takes the capture time from it.
    local = _exif(moment)
    if offset is None:
        return {"Keys:CreationDate": local}
    utc = _exif(moment - offset)
    return {
        "QuickTime:CreateDate": utc,
        "QuickTime:TrackCreateDate": utc,  # exiftool writes it into every track
        "QuickTime:MediaCreateDate": utc,
        "Keys:CreationDate": local + format_offset(offset),
    }


def _keywords(kind: str, keywords: Sequence[str]) -> Assignments:
    clean = list(dict.fromkeys(k for k in (_one_line(k) for k in keywords) if k))
    if not clean:
        return {}
    assign: Assignments = {"XMP-dc:Subject": clean}
    if kind in IPTC_TYPES:
        if all(len(k.encode("utf-8")) <= IPTC_KEYWORD_BYTES for k in clean):
            assign["IPTC:CodedCharacterSet"] = IPTC_UTF8
            assign["IPTC:Keywords"] = clean
        else:
            # IPTC would cut the long keyword short, so XMP alone carries them; the file's old IPTC
            # keywords go, or readers that prefer IPTC would show those instead of ours.
            assign["IPTC:Keywords"] = []
    return assign


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("\x00", "").strip()
