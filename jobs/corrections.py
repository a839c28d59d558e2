"""A person's date corrections as plain data: what they typed, a candidate they picked, or a camera
clock shifted by minutes, each turned into the decision payload the timestamp engine takes as
"set by you" ({"local", "offset", "zone", "precision"}). No database, no clock: tested directly.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from jobs.zones import format_offset, is_zone, parse_offset, resolve_offset, utc_to_local

TYPED = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
SHIFT = re.compile(r"^\s*([+\-\u2212]?)\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$")
LOCAL_FORMAT = {"second": 19, "minute": 16, "hour": 13, "day": 10, "month": 7, "year": 4}


class BadCorrection(ValueError):
    """Input a person can fix; the message says how."""


def typed_time(text: str, zone_or_offset: str, current_zone: str | None, current_offset: str | None) -> dict:
    """ "2019-07-14 15:03" in "Europe/Rome" (or "+02:00") -> a payload. Without a zone the file keeps
    the zone (or offset) it has: a person fixing the clock time rarely means to move it in space."""
    match = TYPED.match(text or "")
    if not match:
        raise BadCorrection(f"type the date as 2019-07-14 15:03 (seconds optional), not {text!r}")
    y, mo, d, h, mi, s = match.groups()
    precision = "second" if s else ("minute" if mi else "day")
    try:
        local = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError as error:
        raise BadCorrection(f"{text.strip()} is not a real date ({error})") from None
    return placed(local, precision, (zone_or_offset or "").strip(), current_zone, current_offset)


def placed(
    local: datetime, precision: str, zone_or_offset: str, current_zone: str | None, current_offset: str | None
) -> dict:
    zone, offset = None, None
    if zone_or_offset:
        if is_zone(zone_or_offset):
            zone = zone_or_offset
        elif (delta := parse_offset(zone_or_offset)) is not None:
            offset = format_offset(delta)
        else:
            raise BadCorrection(f"{zone_or_offset!r} is neither a time zone (Europe/Rome) nor an offset (+02:00)")
    else:
        zone, offset = current_zone, current_offset
    if zone and precision in ("second", "minute", "hour"):
        offset, _ = resolve_offset(local, zone)
    return {"local": fmt(local, precision), "offset": offset, "zone": zone, "precision": precision}


def shift_minutes(text: str) -> int:
    """ "+1h03m", "-63", "1 h 3 min", "-2d" -> signed minutes (a bare number is minutes)."""
    text = (text or "").strip()
    if re.fullmatch(r"[+\-\u2212]?\d+", text):
        return int(text.replace("\u2212", "-"))
    match = SHIFT.match(text)
    if not text or not match or not any(match.groups()[1:]):
        raise BadCorrection(f"type a shift like +1h03m or -45m, not {text!r}")
    sign, days, hours, minutes, seconds = match.groups()
    total = int(days or 0) * 1440 + int(hours or 0) * 60 + int(minutes or 0) + round(int(seconds or 0) / 60)
    return -total if sign in ("-", "\u2212") else total


def shifted(local: str, offset: str | None, zone: str | None, precision: str | None, minutes: int) -> dict:
    """The camera's clock was `minutes` off: move the wall-clock time, keep where it was taken."""
    moved = datetime.fromisoformat(pad(local)) + timedelta(minutes=minutes)
    precision = precision or "second"
    if zone and precision in ("second", "minute", "hour"):
        offset, _ = resolve_offset(moved, zone)
    return {"local": fmt(moved, precision), "offset": offset, "zone": zone, "precision": precision}


def from_evidence(
    local_time: str, utc_offset: str | None, is_utc: bool, precision: str | None, zone: str | None
) -> dict:
    """A candidate picked from the list. A UTC source (GPS, QuickTime) is shown and kept in the file's
    zone when it has one, else as UTC, so the chosen moment is exactly the one the source said."""
    precision = precision or "second"
    moment = datetime.fromisoformat(pad(local_time)).replace(tzinfo=None)
    if is_utc:
        if zone:
            moment = utc_to_local(moment, zone)
            offset, _ = resolve_offset(moment, zone)
            return {"local": fmt(moment, precision), "offset": offset, "zone": zone, "precision": precision}
        return {"local": fmt(moment, precision), "offset": "+00:00", "zone": None, "precision": precision}
    if utc_offset:
        return {"local": fmt(moment, precision), "offset": utc_offset, "zone": None, "precision": precision}
    return placed(moment, precision, "", zone, None)


def pad(local: str) -> str:
    """ "2019-07" -> "2019-07-01": coarse engine times parse as their first moment."""
    return local + "-01-01"[len(local) - 4 :] if len(local) < 10 else local


def fmt(moment: datetime, precision: str) -> str:
    return moment.isoformat(timespec="seconds")[: LOCAL_FORMAT.get(precision, 19)]
