"""How a decision reads to a person: the sentences under each date, times written at their
precision, and sizes. Pure formatting over the engine's candidates and decision."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from jobs.evidence import FILE_DATE, Candidate
from jobs.zones import format_offset, parse_offset, utc_to_local

if TYPE_CHECKING:
    from jobs.dates import Decision


def local_of(instant: datetime | None, decision: Decision) -> datetime | None:
    """A UTC moment as wall-clock time in the decision's zone (or at its fixed offset)."""
    if instant is None:
        return None
    if decision.zone:
        return utc_to_local(instant, decision.zone)
    offset = parse_offset(decision.offset) if decision.offset else None
    return (instant + offset).replace(tzinfo=None) if offset is not None else None


def explain(
    best: Candidate,
    agree: list[Candidate],
    disagree: list[Candidate],
    decision: Decision,
    zone_note: str | None,
    dropped: list,
) -> list[str]:
    first = f"{best.label} {show(best)}"
    if best.detail.get("reset"):
        first += "; a camera clock reset date, with nothing else to confirm it"
    if best.detail.get("wrote_local"):
        first += f"; taken as local time: {best.detail['wrote_local']}"
    reasons = [first]
    if agree:
        reasons.append(", ".join(c.label for c in agree) + (" agrees" if len(agree) == 1 else " agree"))
    for c in disagree:
        reasons.append(f"{c.label} says {show(c)}")
    for c in [c for c in [*agree, *disagree] if c.detail.get("refines")]:
        reasons.append(f"time of day from {c.label}")
    if decision.offset_source and decision.offset_source.startswith("assumed"):
        reasons.append(
            f"offset {decision.offset} {decision.offset_source}"
            if decision.offset
            else f"zone {decision.offset_source}"
        )
    elif decision.offset_source:
        reasons.append(f"offset {decision.offset or '?'} from {decision.offset_source}")
    if zone_note:
        reasons.append(zone_note)
    reasons += [f"{c.label} {show(c)} ignored: {why}" for c, why in dropped if c.tier < FILE_DATE]
    return reasons


def show(c: Candidate) -> str:
    """What the source itself says: a UTC source in UTC, even after the engine placed it in a zone."""
    if c.detail.get("utc") and c.instant is not None:
        return f"{fmt_local(c.instant.replace(tzinfo=None), c.precision).replace('T', ' ')} (UTC)"
    moment = c.local or (c.instant.replace(tzinfo=None) if c.instant else None)
    text = fmt_local(moment, c.precision).replace("T", " ") if moment else "?"
    return f"{text} {format_offset(c.offset)}" if c.offset is not None else text


def fmt_local(moment: datetime | None, precision: str) -> str | None:
    if moment is None:
        return None
    patterns = {
        "second": "%Y-%m-%dT%H:%M:%S",
        "minute": "%Y-%m-%dT%H:%M:00",
        "day": "%Y-%m-%d",
        "month": "%Y-%m",
        "year": "%Y",
    }
    return moment.strftime(patterns[precision])


def human_size(size: int | None) -> str:
    """Bytes as people read them: 812 bytes, 3.4 MB, 1.2 GB."""
    if size is None:
        return "—"
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB", "TB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
