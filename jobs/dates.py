"""The timestamp engine: evidence in, one decision out, with the reasons a person can check.

Not "earliest wins". Sources are ranked (your decision > [FORCE] name > embedded camera date with
offset > embedded date > sidecar > precise name > folder or coarse name > file dates); the best
one is chosen, then checked against the others. Confidence is honest: **high** only when a strong
source stands uncontradicted or two independent ones agree; **medium** when the choice rests on
one weaker source, an assumed zone for a UTC-only time, or a refinement; **low** when weak or
conflicting; **none** when nothing is known. Pure: the caller passes the clock and the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from jobs.evidence import (
    COARSE,
    EMBEDDED,
    EMBEDDED_OFFSET,
    FILE_DATE,
    FORCED,
    NAME,
    SIDECAR,
    USER,
    Candidate,
    candidates,
    maker_note_offset,
    tag_priority,
)
from jobs.reasons import explain, fmt_local, local_of, show
from jobs.zones import format_offset, offset_from_pair, parse_offset, resolve_offset, utc_to_local, zone_at

ENGINE_VERSION = 1
AGREE = timedelta(seconds=60)
EARLIEST = datetime(1826, 1, 1)
# Cameras reset to these when their clock battery dies; evidence of nothing when anything disagrees.
RESET_DATES = {datetime(2000, 1, 1), datetime(2001, 1, 1)}
# File dates this close to the import are the copy's, not the capture's.
COPY_WINDOW = timedelta(hours=36)
# Makes whose cameras write local time into QuickTime dates, against the specification's UTC.
QUICKTIME_LOCAL_MAKES = (
    "canon",
    "nikon",
    "sony",
    "panasonic",
    "olympus",
    "om digital",
    "fujifilm",
    "gopro",
    "ricoh",
    "pentax",
    "leica",
    "kodak",
    "casio",
    "jvc",
    "dji",
)


@dataclass(frozen=True)
class Context:
    now: datetime  # aware UTC
    default_zone: str
    kind: str = "image"
    make: str | None = None
    imported_at: datetime | None = None  # aware UTC
    neighbour_zone: str | None = None
    user: dict | None = (
        None  # the latest date decision: {"local": iso, "offset": "+HH:MM"|None, "zone": str|None}
    )


@dataclass
class Decision:
    local: str | None = None  # "YYYY-MM-DDTHH:MM:SS" (or shorter at coarser precision)
    offset: str | None = None
    zone: str | None = None
    precision: str | None = None
    source: str | None = None
    offset_source: str | None = None
    confidence: str = "none"
    conflict: bool = False
    reasons: list[str] = field(default_factory=list)
    version: int = ENGINE_VERSION

    @property
    def needs_review(self) -> bool:
        return self.confidence in ("low", "none") or self.conflict


def decide(rows: list[dict], ctx: Context) -> Decision:
    if ctx.user:
        return from_user(ctx.user)
    found, positions, _ = candidates(rows)
    plausible, dropped = [], []
    for cand in found:
        problem = implausible(cand, ctx)
        (dropped if problem else plausible).append((cand, problem))
    cands = [c for c, _ in plausible]
    cands = drop_resets(cands, dropped)
    if not cands:
        decision = Decision(reasons=["no date found in the file, its name, its folder or a sidecar"])
        decision.reasons += [f"{c.label} {show(c)} ignored: {why}" for c, why in dropped]
        return decision
    quicktime_local(cands, ctx)
    cands.sort(key=lambda c: (c.tier, rank_precision(c.precision), tag_priority(c.source)))
    best = cands[0]
    decision = Decision(source=best.source, precision=best.precision)
    zone_note = place_in_zone(best, cands, positions, ctx, decision, rows)
    established = parse_offset(decision.offset) if decision.offset else None
    agree, disagree = compare(best, cands[1:], established)
    decision.local = fmt_local(best.local, best.precision)
    decision.confidence = confidence(best, agree, disagree, decision)
    decision.conflict = decision.conflict or (
        best.tier > FORCED and strong(best) and any(strong(c) for c in disagree)
    )
    if decision.conflict:
        decision.confidence = "low"
    elif zone_note and "skipped" in zone_note and decision.confidence == "high":
        # A wall-clock time that never existed there: the camera clock or the zone is off.
        decision.confidence = "medium"
    refine(best, cands, decision)
    decision.reasons = explain(best, agree, disagree, decision, zone_note, dropped)
    return decision


def strong(c: Candidate) -> bool:
    """Sources whose disagreement is a conflict a person must settle (not file dates or folders)."""
    return c.precise and c.tier <= NAME


def from_user(user: dict) -> Decision:
    return Decision(
        local=user["local"],
        offset=user.get("offset"),
        zone=user.get("zone"),
        precision=user.get("precision", "second"),
        source="User",
        offset_source="your decision",
        confidence="high",
        reasons=[f"set by you: {user['local']} {user.get('offset') or ''}".strip()],
    )


def implausible(c: Candidate, ctx: Context) -> str | None:
    moment = c.local or (c.instant.replace(tzinfo=None) if c.instant else None)
    if moment is None:
        return "no time"
    if moment < EARLIEST:
        return "before photography existed"
    if moment > ctx.now.replace(tzinfo=None) + timedelta(days=1):
        return "in the future"
    if moment.date() in (
        datetime(1970, 1, 1).date(),
        datetime(1969, 12, 31).date(),
        datetime(1904, 1, 1).date(),
    ):
        return "an empty clock (epoch zero)"
    if (
        c.tier == FILE_DATE
        and ctx.imported_at
        and c.instant
        and abs(c.instant - ctx.imported_at) < COPY_WINDOW
    ):
        return "set when the file was copied"
    return None


def drop_resets(cands: list[Candidate], dropped: list) -> list[Candidate]:
    """2000-01-01 00:00 / 2001-01-01 00:00 count only when nothing else disagrees."""

    def moment(c: Candidate) -> datetime | None:
        return c.local if c.local else (c.instant.replace(tzinfo=None) if c.instant else None)

    resets = [c for c in cands if moment(c) and moment(c).replace(second=0, microsecond=0) in RESET_DATES]
    others = [c for c in cands if c not in resets and c.tier < FILE_DATE]
    if resets and others:
        dropped.extend((c, "a camera clock reset date") for c in resets)
        return [c for c in cands if c not in resets]
    for c in resets:
        c.detail["reset"] = True  # alone, it may be right, but it is what a dead clock battery writes
    return cands


def quicktime_local(cands: list[Candidate], ctx: Context) -> None:
    """QuickTime dates are UTC by the specification, but many cameras write local time. Detect it
    from a local-time source in the same file, else from the make; mark it in the candidate."""
    for c in cands:
        if not (c.source.startswith("QuickTime:") and c.detail.get("utc")):
            continue
        naive = c.instant.replace(tzinfo=None)
        locals_ = [o for o in cands if o is not c and o.local and o.precise and o.tier <= NAME]
        if any(abs(o.local - naive) <= AGREE for o in locals_):
            wrote = "matches the local time in the file"
        elif not locals_ and ctx.make and ctx.make.lower().startswith(QUICKTIME_LOCAL_MAKES):
            wrote = f"{ctx.make} cameras write local time here"
        else:
            continue
        c.local, c.instant, c.detail["wrote_local"] = naive, None, wrote
        del c.detail["utc"]


def rank_precision(precision: str) -> int:
    return ("second", "minute", "day", "month", "year").index(precision)


def place_in_zone(
    best: Candidate,
    cands: list[Candidate],
    positions: list[Candidate],
    ctx: Context,
    decision: Decision,
    rows: list[dict],
) -> str | None:
    """Fill best.local/offset and the decision's zone, recording how the offset was found."""
    zone, how = None, None
    for p in positions:
        zone = zone_at(p.detail["lat"], p.detail["lon"])
        if zone:
            how = "GPS position"
            break
    if best.offset is None and best.local is not None:
        # Another tag of the same moment that states its offset (XMP-exif:DateTimeOriginal +09:00
        # beside EXIF DateTimeOriginal) dates this one too.
        twin = next(
            (
                c
                for c in cands
                if c.offset is not None
                and c.local
                and c.tier <= SIDECAR
                and abs(c.local - best.local) <= timedelta(seconds=1)
            ),
            None,
        )
        if twin is not None:
            best.offset = twin.offset
            best.instant = (best.local - twin.offset).replace(tzinfo=UTC)
            best.detail["offset_from"] = twin.label
    camera_offset = maker_note_offset(rows)
    if best.offset is None and camera_offset is not None and not zone and best.local is not None:
        # No GPS: the camera's own zone setting beats assuming the configured one.
        best.offset = camera_offset
        best.instant = (best.local - camera_offset).replace(tzinfo=UTC)
        best.detail["offset_from"] = "the camera's time-zone setting (maker notes)"
    if best.offset is not None:
        decision.offset = format_offset(best.offset)
        decision.offset_source = best.detail.get("offset_from", best.label)
        if best.local is None:
            best.local = (best.instant + best.offset).replace(tzinfo=None)
        if zone and best.instant is not None:
            expected = best.instant.astimezone(ZoneInfo(zone)).utcoffset()
            if expected != best.offset:
                decision.conflict = True
                return (
                    f"the offset in the file ({decision.offset}) does not match the GPS position's zone "
                    f"{zone} ({format_offset(expected)})"
                )
        decision.zone = zone
        return None
    if not zone and best.precise:
        # The same moment written once as local time and once as UTC gives the offset.
        for other in cands:
            gps = other.source.endswith("GPSDateStamp")  # weak as a capture time, exact as UTC
            if other is best or not other.precise or (other.tier > NAME and not gps):
                continue
            local, utc = (best, other) if not best.detail.get("utc") else (other, best)
            if (
                local.detail.get("utc")
                or local.local is None
                or utc.instant is None
                or not utc.detail.get("utc")
            ):
                continue
            delta = offset_from_pair(local.local, utc.instant.replace(tzinfo=None))
            if delta is not None:
                decision.offset = format_offset(delta)
                decision.offset_source = f"{local.label} vs {utc.label} (UTC)"
                if best.local is None:
                    best.local = (best.instant + delta).replace(tzinfo=None)
                return None
    if not zone and ctx.neighbour_zone:
        zone, how = ctx.neighbour_zone, "neighbouring files of this import"
    if not zone:
        zone, how = ctx.default_zone, f"assumed: {ctx.default_zone} is the configured zone"
    decision.zone, decision.offset_source = zone, how
    if best.local is None and best.instant is not None:
        # A UTC moment has exactly one offset in a zone, even in the repeated autumn hour.
        best.local = utc_to_local(best.instant, zone)
        decision.offset = format_offset(best.instant.astimezone(ZoneInfo(zone)).utcoffset())
        return None
    if best.local is not None and best.precision in ("second", "minute", "day"):
        offset, note = resolve_offset(best.local, zone)
        decision.offset = offset
        return note
    return None


def compare(best: Candidate, others: list[Candidate], offset: timedelta | None) -> tuple[list, list]:
    agree, disagree = [], []
    for other in others:
        verdict = agrees(best, other, offset)
        if verdict is True:
            agree.append(other)
        elif verdict is False:
            disagree.append(other)
    return agree, disagree


def agrees(a: Candidate, b: Candidate, offset: timedelta | None = None) -> bool | None:
    """True/False, or None when b is too coarse or too weak to say. `offset` is the zone offset
    already established (a tag, GPS): a local-vs-UTC pair must then differ by exactly it."""
    if not b.precise or not a.precise:
        coarse = b if not b.precise else a
        fine = a if coarse is b else b
        fine_local = fine.local or (fine.instant.replace(tzinfo=None) if fine.instant else None)
        if fine_local is None or coarse.local is None:
            return None
        same = fmt_local(fine_local, coarse.precision) == fmt_local(coarse.local, coarse.precision)
        return True if same else (None if coarse.tier >= COARSE else False)
    a_pinned = a.detail.get("utc") or a.offset is not None
    b_pinned = b.detail.get("utc") or b.offset is not None
    if a_pinned and b_pinned and a.instant and b.instant:
        return abs(a.instant - b.instant) <= AGREE
    if not a.detail.get("utc") and not b.detail.get("utc") and a.local and b.local:
        return abs(a.local - b.local) <= AGREE
    local, utc = (a, b) if not a.detail.get("utc") else (b, a)
    if local.local is None or utc.instant is None:
        return None
    # A local time and a UTC time of the same moment differ by a whole zone offset.
    pair = offset_from_pair(local.local, utc.instant.replace(tzinfo=None))
    return pair is not None and (offset is None or pair == offset)


def confidence(best: Candidate, agree: list[Candidate], disagree: list[Candidate], decision: Decision) -> str:
    independent = {c.source.split(":")[0] for c in agree if c.tier < FILE_DATE} - {best.source.split(":")[0]}
    assumed_zone = (decision.offset_source or "").startswith("assumed")
    if best.tier in (USER, FORCED):
        return "high"
    if best.detail.get("reset"):
        return "low"
    if best.tier in (EMBEDDED_OFFSET, EMBEDDED) and best.precise:
        if best.detail.get("utc") and assumed_zone and not independent:
            return "medium"  # the moment is known, the local time rests on an assumed zone
        if best.detail.get("wrote_local") and not independent:
            return "medium"
        return "high"
    if best.precise and independent:
        return "high"
    if best.tier in (SIDECAR, NAME) and best.precise:
        return "medium"
    return "low"


def refine(best: Candidate, cands: list[Candidate], decision: Decision) -> None:
    """A finer weak time inside a coarse strong date gives the time (medium at best)."""
    if best.precise or best.local is None:
        return
    for c in cands:
        if c is best or not c.precise:
            continue
        finer = c.local if not c.detail.get("utc") else local_of(c.instant, decision)
        if finer is None:
            continue
        if fmt_local(finer, best.precision) == fmt_local(best.local, best.precision):
            decision.local, decision.precision = fmt_local(finer, "second"), "second"
            if decision.zone and c.detail.get("utc"):
                decision.offset = format_offset(c.instant.astimezone(ZoneInfo(decision.zone)).utcoffset())
            elif decision.zone:
                decision.offset, _ = resolve_offset(finer, decision.zone)
            decision.confidence = "low" if decision.conflict else "medium"
            decision.source = f"{best.source}+{c.source}"
            c.detail["refines"] = True
            return
