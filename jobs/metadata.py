"""Pure readings of exiftool's tags: date evidence and the facts a person compares.

Keys look like "EXIF:ExifIFD:DateTimeOriginal" (family 0 and 1 groups, then the tag). This module
keeps every date-like value with where it came from; choosing among them is the timestamp
engine's job, which re-runs over the stored rows without reading files again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

DATE_TAG = re.compile(r"(Date|Time|TimeZone)", re.IGNORECASE)
# Derived, or describing something other than the capture (the colour profile, our copy's inode).
IGNORED_GROUPS = ("ICC_Profile:", "File:System:", "Composite:", "ExifTool:")
IGNORED_TAGS = {
    "ExposureTime",
    "FocalPlaneResolutionUnit",
    "SelfTimer",
    "ExposureTimes",
    "TimeScale",
    "Duration",
    "MediaDuration",
    "TrackDuration",
    "PreviewTime",
    "PosterTime",
    "SelectionTime",
    "CurrentTime",
    "MediaTimeScale",
    "PreviewDuration",
    "SelectionDuration",
    "TimeStamp",
}
# QuickTime dates are UTC by the specification (cameras that ignore that are the engine's problem).
UTC_TAGS = {
    "CreateDate",
    "ModifyDate",
    "MediaCreateDate",
    "MediaModifyDate",
    "TrackCreateDate",
    "TrackModifyDate",
}
# Parts of a time that are not dates by themselves but complete one.
TIME_PARTS = {
    "GPSTimeStamp",
    "SubSecTime",
    "SubSecTimeOriginal",
    "SubSecTimeDigitized",
    "TimeCreated",
    "DigitalCreationTime",
    "DaylightSavings",
}
CAMERA_ORIGINAL = ("DateTimeOriginal", "CreateDate", "DateTimeDigitized", "CreationDate", "DateCreated")
DATETIME = re.compile(
    r"^\s*(?P<y>\d{4})[:\-](?P<mo>\d{2})[:\-](?P<d>\d{2})"
    r"(?:[ T](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?P<frac>\.\d+)?)?)?"
    r"\s*(?P<tz>Z|[+\-]\d{2}:?\d{2})?\s*$"
)
OFFSET = re.compile(r"^\s*(?P<tz>[+\-]\d{2}:?\d{2}|Z)\s*$")


def normalise_offset(text: str | None) -> str | None:
    if not text:
        return None
    if text == "Z":
        return "+00:00"
    text = text.replace(":", "")
    return f"{text[:3]}:{text[3:5]}"


def parse_exif_datetime(raw: str) -> tuple[str | None, str | None, str | None]:
    """ "2019:07:04 18:30:45.12+02:00" -> ("2019-07-04T18:30:45.12", "+02:00", "second").

    Returns (None, None, None) for what is not a real date ("0000:00:00 00:00:00", month 13...).
    """
    match = DATETIME.match(str(raw))
    if not match:
        offset = OFFSET.match(str(raw))
        return (None, normalise_offset(offset.group("tz")), None) if offset else (None, None, None)
    parts = match.groupdict()
    try:
        moment = datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
        )
    except ValueError:
        return None, None, None
    if parts["h"] is None:
        return moment.date().isoformat(), normalise_offset(parts["tz"]), "day"
    local = moment.isoformat() + (parts["frac"] or "")
    return local, normalise_offset(parts["tz"]), "second" if parts["s"] is not None else "minute"


def date_evidence(tags: dict[str, Any]) -> list[dict[str, Any]]:
    """Every date, time or zone tag as an evidence row: source, raw, parsed time, offset."""
    rows = []
    for key, value in tags.items():
        if key.startswith(IGNORED_GROUPS) or not isinstance(value, str | int | float):
            continue
        tag = key.rsplit(":", 1)[-1]
        if not DATE_TAG.search(tag) or tag in IGNORED_TAGS:
            continue
        raw = str(value)
        local, offset, precision = parse_exif_datetime(raw)
        if local is None and offset is None and tag not in TIME_PARTS and "TimeZone" not in tag:
            continue  # a counter or a mode that merely has "Time" in its name
        group0 = key.split(":", 1)[0]
        rows.append(
            {
                "source": key,
                "raw": raw,
                "local_time": local,
                "utc_offset": offset,
                "is_utc": int(group0 == "QuickTime" and tag in UTC_TAGS or tag.startswith("GPS")),
                "precision": precision,
            }
        )
    return rows


def position_evidence(tags: dict[str, Any]) -> list[dict[str, Any]]:
    """Where it was taken (exiftool's signed Composite values, photos and videos alike): the
    timestamp engine turns it into a time zone."""
    lat, lon = tags.get("Composite:GPSLatitude"), tags.get("Composite:GPSLongitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float) or (lat == 0 and lon == 0):
        return []
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return []
    return [
        {
            "source": "Composite:GPS:Position",
            "raw": f"{lat:.6f},{lon:.6f}",
            "local_time": None,
            "utc_offset": None,
            "is_utc": 0,
            "precision": None,
            "detail": {"lat": lat, "lon": lon},
        }
    ]


def timestamp_evidence(source: str, epoch_seconds: float) -> dict[str, Any]:
    """File-system and browser times: precise, UTC, and weak (copies reset them)."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return {
        "source": source,
        "raw": f"{epoch_seconds:.3f}",
        "local_time": moment.replace(tzinfo=None).isoformat(timespec="seconds"),
        "utc_offset": "+00:00",
        "is_utc": 1,
        "precision": "second",
    }


def first(tags: dict[str, Any], *names: str) -> Any:
    """The first present tag among `names`, matched on the tag name whatever its groups."""
    for name in names:
        for key, value in tags.items():
            if key.rsplit(":", 1)[-1] == name and value not in (None, ""):
                return value
    return None


def camera_facts(tags: dict[str, Any]) -> dict[str, Any]:
    """What a person compares between copies, read from the tags."""
    original = any(
        key.rsplit(":", 1)[-1] in CAMERA_ORIGINAL and parse_exif_datetime(str(value))[0]
        for key, value in tags.items()
        if not key.startswith(IGNORED_GROUPS)
    )
    duration = first(tags, "Duration", "MediaDuration", "TrackDuration")
    orientation = first(tags, "Orientation")
    return {
        "camera_make": _text(first(tags, "Make", "AndroidManufacturer")),
        "camera_model": _text(first(tags, "Model", "AndroidModel")),
        "software": _text(first(tags, "Software", "CreatorTool", "HistorySoftwareAgent")),
        "has_original_date": int(original),
        "content_id": _text(first(tags, "ContentIdentifier", "MediaGroupUUID")),
        "duration": float(duration) if isinstance(duration, int | float) else None,
        "orientation": int(orientation) if isinstance(orientation, int | float) else None,
        "width": _int(first(tags, "ImageWidth", "ExifImageWidth", "SourceImageWidth")),
        "height": _int(first(tags, "ImageHeight", "ExifImageHeight", "SourceImageHeight")),
    }


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None
