"""Time zones: from a GPS position to a zone, and from a zone to the UTC offset of a wall-clock time.

Every offset comes from the tz database (zoneinfo, with the tzdata package as fallback) so that
daylight saving, historical rule changes and half- and quarter-hour zones are right; no hours are
ever added by hand.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzfpy

# {span} is "hour" almost everywhere, "half hour" on Lord Howe Island.
FOLD_NOTE = "falls in the repeated {span} when clocks went back; the earlier one is assumed"
GAP_NOTE = (
    "falls in the {span} skipped when clocks went forward; the offset from before the change is assumed"
)
# Real zones span UTC-12 to UTC+14; anything past 14 hours is not an offset.
MAX_OFFSET = timedelta(hours=14)
QUARTER_HOUR = timedelta(minutes=15)
# A camera clock drifts a minute or two a year and a GPS fix can be a little stale; a residue above
# 2 minutes means the two times are not the same instant (every zone is a multiple of 15 minutes, so
# the largest possible residue is 7.5 minutes and 2 leaves a clear margin either side).
PAIR_TOLERANCE = timedelta(minutes=2)
OFFSET = re.compile(r"^(?P<sign>[+\-\u2212])(?P<h>\d{2})(?::?(?P<m>\d{2})(?::?(?P<s>\d{2}))?)?$")
ETC = Path("/etc")
# Names that load but are no place: "localtime" is a link to whatever the machine uses.
NOT_ZONES = {"localtime", "Factory", "posixrules"}


def is_zone(name: str) -> bool:
    """Whether `name` is an IANA zone this machine's tz database knows."""
    if not name or name in NOT_ZONES:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Europe"
        return False
    return True


def zone_at(lat: float, lon: float) -> str | None:
    """The IANA zone at a GPS position, looked up offline; None for (0, 0) and impossible positions.

    On the high seas this returns a nautical zone such as "Etc/GMT+3" (note POSIX's inverted sign: that
    is UTC-03:00). It is a real zone that zoneinfo resolves, but weaker evidence than a land zone:
    a ship or a phone aboard often keeps its home port's time. Callers tell them apart by the "Etc/"
    prefix. tzfpy simplifies borders, so a position close to one may get the neighbour's zone.
    """
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # 0,0 is what a device writes when it has no fix
    name = tzfpy.get_tz(lon, lat)  # longitude first
    if is_zone(name):
        return name
    # A zone newer than this machine's tz database would fail later; an overlapping older one will not.
    return next((other for other in tzfpy.get_tzs(lon, lat) if is_zone(other)), None)


def resolve_offset(local: datetime, zone: str) -> tuple[str, str | None]:
    """The UTC offset ("+02:00") of the naive wall-clock time `local` in `zone`, and a note when that
    wall-clock time happened twice (clocks went back) or never (clocks went forward).

    Raises ZoneInfoNotFoundError for an unknown zone and ValueError for an aware `local`.
    """
    if local.tzinfo is not None:
        raise ValueError("resolve_offset takes a wall-clock (naive) time")
    tz = ZoneInfo(zone)
    earlier = local.replace(tzinfo=tz, fold=0)
    later = local.replace(tzinfo=tz, fold=1)
    offset, other = earlier.utcoffset(), later.utcoffset()
    assert offset is not None and other is not None  # a ZoneInfo always has one
    if offset == other:
        return format_offset(offset), None
    # The two folds differ both in a repeated hour and in a skipped one; only a time that happened
    # survives the trip through UTC and back unchanged.
    round_trip = earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    note = FOLD_NOTE if round_trip == local else GAP_NOTE
    return format_offset(offset), note.format(span=_span(abs(offset - other)))


def _span(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    return {60: "hour", 30: "half hour"}.get(minutes, f"{minutes} minutes")


def utc_to_local(utc: datetime, zone: str) -> datetime:
    """The naive wall-clock time in `zone` of a UTC time (naive means UTC; aware is converted)."""
    moment = utc.replace(tzinfo=UTC) if utc.tzinfo is None else utc.astimezone(UTC)
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def format_offset(delta: timedelta) -> str:
    """timedelta(hours=5, minutes=30) -> "+05:30"; zero is "+00:00".

    Seconds are written only when there are some ("+00:53:28"): zones before 1900 used local mean
    time, and rounding it would move old photos by up to half a minute.
    """
    seconds = round(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds else text


def parse_offset(text: str) -> timedelta | None:
    """ "+0200", "+02:00", "+02", "Z", "-03:30" -> timedelta; None for what is not an offset or is
    beyond ±14:00. Any minute is accepted: history has odd offsets (Amsterdam was +00:20)."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text in ("Z", "z"):
        return timedelta(0)
    match = OFFSET.match(text)
    if match is None:
        return None
    minutes, seconds = int(match["m"] or 0), int(match["s"] or 0)
    if minutes >= 60 or seconds >= 60:
        return None
    delta = timedelta(hours=int(match["h"]), minutes=minutes, seconds=seconds)
    if delta > MAX_OFFSET:
        return None
    return -delta if match["sign"] != "+" else delta


def offset_from_pair(
    local: datetime, utc: datetime, tolerance: timedelta = PAIR_TOLERANCE
) -> timedelta | None:
    """The zone offset implied by one instant written both as wall-clock time and as UTC (EXIF
    DateTimeOriginal and GPS time, a camera's local QuickTime date and the phone's UTC one).

    The difference is rounded to the nearest 15 minutes; None when it is further than `tolerance` from
    that (the two are not the same instant) or the result is beyond ±14 hours.
    """
    if not (isinstance(local, datetime) and isinstance(utc, datetime)):
        return None
    wall = local.replace(tzinfo=None)
    universal = utc.replace(tzinfo=None) if utc.tzinfo is None else utc.astimezone(UTC).replace(tzinfo=None)
    difference = wall - universal
    offset = round(difference / QUARTER_HOUR) * QUARTER_HOUR
    if abs(difference - offset) > tolerance or abs(offset) > MAX_OFFSET:
        return None
    return offset


def system_zone(configured: str | None = None, etc: Path = ETC) -> str:
    """The zone to assume: `configured` when it is a real zone, else the machine's, else "UTC".

    The environment is not read here: settings are read once at start-up and passed in.
    """
    if configured and is_zone(configured):
        return configured
    return zone_from_etc(etc) or "UTC"


def zone_from_etc(etc: Path = ETC) -> str | None:
    """The machine's zone from `etc`: the /etc/localtime link's target, else /etc/timezone."""
    try:
        target = (etc / "localtime").readlink().as_posix()
    except OSError:  # missing, or a copied file (common in containers) that names no zone
        target = ""
    if "zoneinfo/" in target:
        name = target.rsplit("zoneinfo/", 1)[1]
        # Some systems link into the "posix/" or "right/" (leap-second) copies of the database.
        for prefix in ("posix/", "right/"):
            name = name.removeprefix(prefix)
        if is_zone(name):
            return name
    try:
        lines = (etc / "timezone").read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return None
    return lines[0] if lines and is_zone(lines[0]) else None
