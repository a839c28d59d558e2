"""Evidence rows turned into comparable candidates: what each source says, how strong it is.

A row is what analysis stored (source, raw, local_time, utc_offset, is_utc, precision, detail).
A candidate is the same statement parsed: a wall-clock time and/or an instant, a precision, a
tier. Parts that belong together are joined first (EXIF SubSecTimeOriginal and OffsetTimeOriginal
with DateTimeOriginal, GPS date with GPS time, IPTC date with its time). Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from jobs.zones import parse_offset

# Tiers, strongest first. The engine prefers a lower tier; agreement across tiers raises confidence.
USER, FORCED, EMBEDDED_OFFSET, EMBEDDED, SIDECAR, NAME, COARSE, FILE_DATE = range(8)
PRECISE = ("second", "minute")

# Camera-original capture tags (not edit times), by tag name whatever the group.
ORIGINAL_TAGS = {
    "DateTimeOriginal",
    "CreateDate",
    "DateTimeDigitized",
    "DateCreated",
    "CreationDate",
    "DigitalCreationDate",
    "SubSecDateTimeOriginal",
}
# Joined onto their date tag rather than read alone.
SUBSEC_FOR = {
    "SubSecTimeOriginal": "DateTimeOriginal",
    "SubSecTimeDigitized": "CreateDate",
    "SubSecTime": "ModifyDate",
}
OFFSET_FOR = {
    "OffsetTimeOriginal": "DateTimeOriginal",
    "OffsetTimeDigitized": "CreateDate",
    "OffsetTime": "ModifyDate",
}
QUICKTIME_UTC = {"CreateDate", "MediaCreateDate", "TrackCreateDate"}


@dataclass
class Candidate:
    source: str
    label: str  # how a person reads the source: "EXIF DateTimeOriginal"
    tier: int
    precision: str
    local: datetime | None = None  # naive wall-clock time where it was taken
    instant: datetime | None = None  # aware UTC, when the source pins the moment
    offset: timedelta | None = None  # the offset the source states, if any
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def precise(self) -> bool:
        return self.precision in PRECISE


def parse_local(text: str) -> tuple[datetime, str] | None:
    """ISO text at any precision -> (datetime, precision)."""
    formats = (
        ("%Y-%m-%dT%H:%M:%S.%f", "second"),
        ("%Y-%m-%dT%H:%M:%S", "second"),
        ("%Y-%m-%dT%H:%M", "minute"),
        ("%Y-%m-%d", "day"),
        ("%Y-%m", "month"),
        ("%Y", "year"),
    )
    for fmt, precision in formats:
        try:
            return datetime.strptime(text, fmt), precision
        except ValueError:
            continue
    return None


def label_of(source: str) -> str:
    """ "EXIF:ExifIFD:DateTimeOriginal" -> "EXIF DateTimeOriginal"; "Name:PXL" -> "name (PXL)"."""
    parts = source.split(":")
    if parts[0] == "Name":
        return f"file name ({parts[-1]})"
    if parts[0] == "Folder":
        return f"folder name ({parts[-1]})"
    return f"{parts[0]} {parts[-1]}" if len(parts) > 1 else source


def tier_of(row: dict[str, Any], tag: str, group: str) -> int:
    detail = row.get("detail") or {}
    precise = row.get("precision") in PRECISE
    if group == "Name":
        if detail.get("force"):
            return FORCED
        return NAME if precise else COARSE
    if group == "Folder":
        return COARSE
    if group in ("File", "Browser"):
        return FILE_DATE
    if group in ("Takeout", "Sidecar"):
        return SIDECAR
    if tag in ORIGINAL_TAGS and not source_is_edit_time(row["source"]):
        return EMBEDDED_OFFSET if row.get("utc_offset") and not row.get("is_utc") else EMBEDDED
    return FILE_DATE  # ModifyDate and other edit times: weak, like a file date


def source_is_edit_time(source: str) -> bool:
    """xmp:CreateDate and xmp:MetadataDate are when an editor wrote the file, not the capture."""
    return source.startswith("XMP:XMP-xmp:")


def tag_priority(source: str) -> int:
    """Within a tier: the capture tag itself before its near relatives, EXIF before XMP."""
    tag = source.rsplit(":", 1)[-1]
    order = {
        "DateTimeOriginal": 0,
        "SubSecDateTimeOriginal": 0,
        "CreationDate": 0,
        "DateTimeDigitized": 1,
        "CreateDate": 1,
        "DateCreated": 2,
        "DigitalCreationDate": 3,
    }
    return order.get(tag, 5) * 2 + (0 if source.startswith(("EXIF:", "QuickTime:")) else 1)


def candidates(rows: list[dict[str, Any]]) -> tuple[list[Candidate], list[Candidate], list[str]]:
    """(time candidates, position rows as candidates, notes). Joins split tags first."""
    by_tag: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_tag.setdefault(row["source"].rsplit(":", 1)[-1], row)
    result: list[Candidate] = []
    positions: list[Candidate] = []
    notes: list[str] = []
    for row in rows:
        source = row["source"]
        group, tag = source.split(":", 1)[0], source.rsplit(":", 1)[-1]
        detail = dict(row.get("detail") or {})
        if "lat" in detail:
            positions.append(Candidate(source, label_of(source), SIDECAR, "second", detail=detail))
            continue
        if tag in SUBSEC_FOR or tag in OFFSET_FOR or tag in ("GPSTimeStamp", "TimeCreated"):
            continue  # joined onto its date below
        if not row.get("local_time"):
            continue
        parsed = parse_local(row["local_time"])
        if parsed is None:
            continue
        local, precision = parsed
        precision = row.get("precision") or precision
        offset = parse_offset(row["utc_offset"]) if row.get("utc_offset") else None
        if tag == "GPSDateStamp":
            local, precision = _join_gps(local, by_tag.get("GPSTimeStamp"))
        if tag == "DateCreated" and group == "IPTC":
            local, precision, offset = _join_iptc(local, by_tag.get("TimeCreated"), precision, offset)
        if tag in SUBSEC_FOR.values() and precision == "second":
            local = _with_subseconds(local, by_tag.get(_key_for(SUBSEC_FOR, tag)))
        if offset is None and tag in OFFSET_FOR.values() and group == "EXIF":
            joined = by_tag.get(_key_for(OFFSET_FOR, tag))
            offset = parse_offset(joined["utc_offset"] or joined["raw"]) if joined else None
            if offset is not None:
                row = {**row, "utc_offset": joined["raw"]}
        is_utc = bool(row.get("is_utc")) or (group == "QuickTime" and tag in QUICKTIME_UTC)
        cand = Candidate(source, label_of(source), tier_of(row, tag, group), precision, detail=detail)
        if is_utc:
            cand.instant = local.replace(tzinfo=UTC)
            cand.detail["utc"] = True
        else:
            cand.local = local
            if offset is not None:
                cand.offset = offset
                cand.instant = (local - offset).replace(tzinfo=UTC)
        result.append(cand)
    return result, positions, notes


def _key_for(mapping: dict[str, str], tag: str) -> str:
    return next(k for k, v in mapping.items() if v == tag)


def _join_gps(day: datetime, time_row: dict[str, Any] | None) -> tuple[datetime, str]:
    if not time_row:
        return day, "day"
    try:
        h, m, s = (float(x) for x in str(time_row["raw"]).split(":"))
        return day + timedelta(hours=h, minutes=m, seconds=round(s)), "second"
    except ValueError:
        return day, "day"


def _join_iptc(
    day: datetime, time_row: dict[str, Any] | None, precision: str, offset: timedelta | None
) -> tuple[datetime, str, timedelta | None]:
    if not time_row or len(str(time_row["raw"])) < 8:
        return day, precision, offset
    raw = str(time_row["raw"])
    try:
        h, m, s = int(raw[0:2]), int(raw[3:5]), int(raw[6:8])
    except ValueError:
        return day, precision, offset
    return day.replace(hour=h, minute=m, second=s), "second", parse_offset(raw[8:]) if raw[8:] else offset


def _with_subseconds(local: datetime, row: dict[str, Any] | None) -> datetime:
    digits = str(row["raw"]).strip() if row else ""
    if not digits.isdigit():
        return local
    return local.replace(microsecond=int(digits[:6].ljust(6, "0")))


def maker_note_offset(rows: list[dict[str, Any]]) -> timedelta | None:
    """The camera's own time-zone setting from its maker notes (Canon, Nikon and others, as exiftool
    reads them with -n: minutes east of UTC), plus its daylight-saving switch."""
    zone = dst = None
    for row in rows:
        group, tag = row["source"].split(":", 1)[0], row["source"].rsplit(":", 1)[-1]
        if group != "MakerNotes":
            continue
        raw = str(row["raw"]).strip()
        if tag == "TimeZone":
            parsed = parse_offset(raw) if raw[:1] in "+-" and ":" in raw else None
            if parsed is None and raw.lstrip("+-").isdigit() and abs(int(raw)) <= 14 * 60:
                parsed = timedelta(minutes=int(raw))
            zone = parsed
        elif tag == "DaylightSavings" and raw.isdigit():
            # Nikon writes 0/1 (off/on), Canon 0/60 (minutes).
            dst = timedelta(hours=1) if int(raw) in (1, 60) else timedelta(0)
    return None if zone is None else zone + (dst or timedelta(0))
