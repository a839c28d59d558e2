"""Duplicate groups from stored facts: exact copies, the same picture in other bytes, similar pictures.

Three classes, each a stricter promise than the next:

- **exact**: identical bytes (same SHA-256).
- **same picture**: one capture stored differently (re-encoded, resized, another format, metadata
  stripped, rotated by its EXIF orientation, a 3-5% crop or border). Safe to offer for discard.
- **similar**: different captures of one moment or scene (burst frames, a retake, an edit with
  another crop). Shown side by side, never offered for bulk discard.

Signals decide together: pHash and dHash of the orientation-corrected picture, the displayed aspect
ratio, and the camera-original capture time (two files with different original times are different
captures, never the same picture; equal times let the hashes differ a little more). Videos are the
same when durations agree and the frame hashes match.

Groups never chain: every member is within threshold of its group's representative, the best file
to keep, so A~B~C with A and C unrelated cannot end in one group. A file sits in at most one group
of each class. Byte-identical files count as one for the other classes, and the members of a
same-picture group count as one for similarity: each class groups what the previous one left.

Pure: items in, groups out. The caller loads the facts from SQLite and stores the groups. When the
thresholds or the preferred folder change it calls `group` on everything; when files arrive,
`group_new`; when a person separates a pair or files are deleted, `regroup_around`. The last two
return the slice of stored groups to replace, and give what a full `group` would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from jobs.similarity import as_hashes, close_pairs, pair_distances

STILL = frozenset({"image", "raw"})
VIDEO = "video"


@dataclass(frozen=True)
class Item:
    """What grouping needs to know about one file (hashes are signed 64-bit, as SQLite stores them)."""

    id: int
    sha256: str | None
    phash: int | None  # of the orientation-corrected picture; a video's frame hash
    dhash: int | None
    width: int | None  # displayed, orientation applied
    height: int | None
    kind: str  # "image" | "video" | "raw"
    duration: float | None  # seconds, videos only
    original_time: str | None  # camera-original capture time, ISO, sub-seconds when known
    # About the file itself. `keeper_key` uses size, has_original_date, path and imported_at (with
    # the pixels above); the rest travel along for the page that shows the group.
    size: int
    real_type: str
    has_original_date: bool
    camera: str | None
    software: str | None
    tags: int
    imported_at: str  # ISO, one format for all files so text order is time order
    path: str  # folder/relative path, for the preferred folder


@dataclass(frozen=True)
class Thresholds:
    """Largest Hamming distances (of 64 bits) and tolerances for each class."""

    same_phash: int
    same_dhash: int
    similar_phash: int
    similar_dhash: int
    aspect_tolerance: float  # relative: 0.03 lets 4:3 (1.333) meet 1.373 at most
    video_duration_tolerance: float  # seconds
    # Equal camera-original times are strong evidence of one capture: the same-picture distances
    # are multiplied by this for such pairs (a heavy re-encode or a border moves a few more bits).
    same_time_factor: float = 1.5


# Starting points, calibrated by bench/duplicates_quality.py against the distance distributions of
# real same-picture pairs, bursts and unrelated pictures. Change them there, with its numbers.
# Calibrated by bench/duplicates_quality.py on tests/dup_fixtures.py (re-encodes, resizes, format
# changes, stripped and EXIF-rotated copies, 3-5% crops and borders vs bursts and look-alikes): the
# middle of the region where same-picture recall >= 98% at 100% precision and no burst frame or
# different picture is ever called the same picture (3 steps from the nearest failing value).
DEFAULTS = Thresholds(
    same_phash=17,
    same_dhash=19,
    similar_phash=18,
    similar_dhash=24,
    aspect_tolerance=0.07,
    video_duration_tolerance=0.5,
    same_time_factor=1.0,
)


@dataclass
class Group:
    kind: str  # "exact" | "same" | "similar"
    representative: int
    members: list[tuple[int, int]]  # (file id, pHash distance to the representative), representative first
    keeper: int  # the representative: each group is built around its best file
    keeper_reason: str  # why this file is the one to keep, for a person to read


@dataclass(frozen=True)
class Regroup:
    """An incremental update: replace every stored group holding one of `files` with `groups`.

    `files` is closed: no stored group mixes files inside and outside it, so the rest stays valid.
    """

    files: frozenset[int]
    groups: list[Group]


# The keeper ----------------------------------------------------------------------------------------


def keeper_key(item: Item, preferred_folder: str | None = None) -> tuple:
    """Sort key, best file to keep first: most pixels, then the camera's original date, then the
    larger file (less compressed), then the preferred folder, then the earliest import, then id.

    The preferred folder only breaks ties: it never makes a person keep a smaller or stripped copy.
    It decides between byte-identical copies, the usual case of one photo in two folders.
    """
    return (
        -_pixels(item),
        not item.has_original_date,
        -item.size,
        not _in_folder(item.path, preferred_folder),
        item.imported_at,
        item.id,
    )


def keeper_reason(keeper: Item, runner_up: Item, preferred_folder: str | None = None) -> str:
    """The first rule of `keeper_key` that puts `keeper` before `runner_up`, as a short sentence."""
    if _pixels(keeper) != _pixels(runner_up):
        return f"most pixels ({keeper.width} x {keeper.height})"
    if keeper.has_original_date != runner_up.has_original_date:
        return "same pixels; has the camera's original date"
    if keeper.size != runner_up.size:
        return f"same pixels and dates; larger file ({_size_text(keeper.size)})"
    if _in_folder(keeper.path, preferred_folder) != _in_folder(runner_up.path, preferred_folder):
        return "all else equal; in your preferred folder"
    return "all else equal; imported first"


def _pixels(item: Item) -> int:
    return item.width * item.height if item.width and item.height else 0


def _in_folder(path: str, folder: str | None) -> bool:
    if not folder or not folder.strip("/"):
        return False
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def _size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.0f} KB"
    return f"{size} bytes"


# Grouping everything -------------------------------------------------------------------------------


def group(
    items: list[Item],
    thresholds: Thresholds = DEFAULTS,
    preferred_folder: str | None = None,
    separate: AbstractSet[frozenset[int]] = frozenset(),
) -> list[Group]:
    """Every exact, same-picture and similar group among `items`: exact groups first, then same,
    then similar, each ordered by representative id. `separate` holds pairs of ids a person declared
    not duplicates: they never share a group of any class."""
    ordered = sorted(items, key=lambda item: item.id)
    if len({item.id for item in ordered}) != len(ordered):
        raise ValueError("item ids must be unique")

    def key(item: Item) -> tuple:
        return keeper_key(item, preferred_folder)

    apart = _apart(separate)
    exact, stand = _exact_groups(ordered, key, apart, preferred_folder)
    units = [item for item in ordered if item.id not in stand]
    same, similar = _look_alike_groups(units, thresholds, key, _carry(apart, stand), preferred_folder)
    return [
        *sorted(exact, key=_by_representative),
        *sorted(same, key=_by_representative),
        *sorted(similar, key=_by_representative),
    ]


def _by_representative(found: Group) -> int:
    return found.representative


def _apart(separate: AbstractSet[frozenset[int]]) -> dict[int, set[int]]:
    apart: dict[int, set[int]] = {}
    for pair in separate:
        if len(pair) != 2:
            continue
        first, second = sorted(pair)
        apart.setdefault(first, set()).add(second)
        apart.setdefault(second, set()).add(first)
    return apart


def _carry(apart: dict[int, set[int]], stand: dict[int, int]) -> dict[int, set[int]]:
    # A file folded into its group's representative passes its "not duplicates" pairs on to it:
    # if X is not a duplicate of Y, neither is an identical copy (or the same picture) of X.
    if not stand:
        return apart
    carried: dict[int, set[int]] = {}
    for first, others in apart.items():
        for second in others:
            carried.setdefault(stand.get(first, first), set()).add(stand.get(second, second))
    return carried


def _conflicts(candidate: int, group_ids: list[int], apart: dict[int, set[int]]) -> bool:
    others = apart.get(candidate)
    return bool(others) and any(member in others for member in group_ids)


def _exact_groups(
    ordered: list[Item],
    key: Callable[[Item], tuple],
    apart: dict[int, set[int]],
    preferred_folder: str | None,
) -> tuple[list[Group], dict[int, int]]:
    """Groups of identical bytes, and which representative stands for each other member."""
    by_sha: dict[str, list[Item]] = {}
    for item in ordered:
        if item.sha256:
            by_sha.setdefault(item.sha256, []).append(item)
    groups: list[Group] = []
    stand: dict[int, int] = {}
    for copies in by_sha.values():
        if len(copies) < 2:
            continue
        left = sorted(copies, key=key)
        # Usually one group; more only when a person separated some of these copies.
        while len(left) > 1:
            keeper, ids, rest = left[0], [left[0].id], []
            for item in left[1:]:
                if _conflicts(item.id, ids, apart):
                    rest.append(item)
                else:
                    ids.append(item.id)
            if len(ids) > 1:
                groups.append(_make_group("exact", keeper, [(i, 0) for i in ids[1:]], left, preferred_folder))
                stand.update((i, keeper.id) for i in ids[1:])
            left = rest
    return groups, stand


def _make_group(
    kind: str, keeper: Item, others: list[tuple[int, int]], ranked: list[Item], preferred_folder: str | None
) -> Group:
    # `ranked` is in keeper order, so the runner-up is the first other member found in it.
    member_ids = {member for member, _ in others}
    runner_up = next(item for item in ranked if item.id in member_ids)
    return Group(
        kind=kind,
        representative=keeper.id,
        members=[(keeper.id, 0), *others],
        keeper=keeper.id,
        keeper_reason=keeper_reason(keeper, runner_up, preferred_folder),
    )


# Same picture and similar ----------------------------------------------------------------------------


def _bounds(thresholds: Thresholds) -> tuple[int, int, int, int, int, int]:
    """(loosened same pHash, dHash) for equal times, then the widest pHash, dHash a still or a video
    pair may need: candidate pairs are searched within these, then judged."""
    same_phash = int(thresholds.same_phash * thresholds.same_time_factor)
    same_dhash = int(thresholds.same_dhash * thresholds.same_time_factor)
    return (
        same_phash,
        same_dhash,
        max(same_phash, thresholds.similar_phash),
        max(same_dhash, thresholds.similar_dhash),
        same_phash,
        same_dhash,
    )


def _is_still(item: Item) -> bool:
    return item.kind in STILL and item.phash is not None and item.dhash is not None


def _is_video(item: Item) -> bool:
    return (
        item.kind == VIDEO and item.phash is not None and item.dhash is not None and item.duration is not None
    )


def _hash_arrays(items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
    return as_hashes([item.phash for item in items]), as_hashes([item.dhash for item in items])


def _candidates(items: list[Item], max_phash: int, max_dhash: int) -> tuple[np.ndarray, ...]:
    """(i, j, pHash distance, dHash distance) of every pair within the widest distances."""
    phash, dhash = _hash_arrays(items)
    i, j, distance = close_pairs(phash, None, max_phash, a2=dhash, max_distance2=max_dhash)
    return i, j, distance.astype(np.int64), pair_distances(dhash, dhash, i, j).astype(np.int64)


def _look_alike_groups(
    units: list[Item],
    thresholds: Thresholds,
    key: Callable[[Item], tuple],
    apart: dict[int, set[int]],
    preferred_folder: str | None,
) -> tuple[list[Group], list[Group]]:
    _, _, still_phash, still_dhash, video_phash, video_dhash = _bounds(thresholds)
    stills = [item for item in units if _is_still(item)]
    videos = [item for item in units if _is_video(item)]
    still_pairs = _candidates(stills, still_phash, still_dhash)
    video_pairs = _candidates(videos, video_phash, video_dhash)

    # Only files with a candidate pair matter from here on; they are ranked in keeper order once and
    # named by rank, so "best first" is plain integer order.
    still_involved = np.unique(np.concatenate(still_pairs[:2]))
    video_involved = np.unique(np.concatenate(video_pairs[:2]))
    ranked = sorted([stills[k] for k in still_involved] + [videos[k] for k in video_involved], key=key)
    rank = {item.id: position for position, item in enumerate(ranked)}
    still_rank = np.full(len(stills), -1, dtype=np.intp)
    still_rank[still_involved] = [rank[stills[k].id] for k in still_involved]
    video_rank = np.full(len(videos), -1, dtype=np.intp)
    video_rank[video_involved] = [rank[videos[k].id] for k in video_involved]
    i = np.concatenate([still_rank[still_pairs[0]], video_rank[video_pairs[0]]])
    j = np.concatenate([still_rank[still_pairs[1]], video_rank[video_pairs[1]]])
    phash = np.concatenate([still_pairs[2], video_pairs[2]])
    dhash = np.concatenate([still_pairs[3], video_pairs[3]])
    is_video = np.arange(len(i)) >= len(still_pairs[0])

    times = [_capture_time(item.original_time) for item in ranked]
    same = _same_pictures(ranked, times, i, j, phash, dhash, is_video, thresholds)
    nearest = _nearest_dated(i[same], j[same], phash[same], times)
    same_found = _cluster(i[same], j[same], phash[same], len(ranked), _clash(ranked, apart, times, nearest))
    folded = np.zeros(len(ranked), dtype=bool)
    stand: dict[int, int] = {}
    for representative, members in same_found:
        for member, _ in members:
            folded[member] = True
            stand[ranked[member].id] = ranked[representative].id

    # Similar: stills only, among what same-picture grouping left (its members count as their
    # representative). Pairs judged "same" but left out of a group (chain, separation) may land here.
    similar = (
        ~is_video
        & (phash <= thresholds.similar_phash)
        & (dhash <= thresholds.similar_dhash)
        & ~folded[i]
        & ~folded[j]
    )
    similar_found = _cluster(
        i[similar], j[similar], phash[similar], len(ranked), _clash(ranked, _carry(apart, stand))
    )

    def build(kind: str, found: list[tuple[int, list[tuple[int, int]]]]) -> list[Group]:
        return [
            _make_group(
                kind,
                ranked[representative],
                [(ranked[member].id, distance) for member, distance in members],
                [ranked[representative], *(ranked[member] for member, _ in sorted(members))],
                preferred_folder,
            )
            for representative, members in found
        ]

    return build("same", same_found), build("similar", similar_found)


def _same_pictures(
    ranked: list[Item],
    times: list[tuple[int, int, int] | None],
    i: np.ndarray,
    j: np.ndarray,
    phash: np.ndarray,
    dhash: np.ndarray,
    is_video: np.ndarray,
    thresholds: Thresholds,
) -> np.ndarray:
    """Which candidate pairs are one capture: both hashes close (closer still unless the original
    times are equal), no different original times, and the same shape (stills) or length (videos)."""
    loose_phash, loose_dhash, *_ = _bounds(thresholds)
    facts = _facts(ranked, times)
    equal, differ = _times_agree(facts, i, j)
    close = (
        (phash <= np.where(equal, loose_phash, thresholds.same_phash))
        & (dhash <= np.where(equal, loose_dhash, thresholds.same_dhash))
        & ~differ
    )
    fits = np.where(
        is_video,
        np.abs(facts["duration"][i] - facts["duration"][j]) <= thresholds.video_duration_tolerance + 1e-9,
        _aspects_agree(facts["aspect"], i, j, thresholds.aspect_tolerance),
    )
    return close & fits


def _facts(ranked: list[Item], times: list[tuple[int, int, int] | None]) -> dict[str, np.ndarray]:
    return {
        "aspect": np.array(
            [item.width / item.height if item.width and item.height else np.nan for item in ranked],
            dtype=float,
        ),
        "duration": np.array(
            [item.duration if item.duration is not None else np.nan for item in ranked], dtype=float
        ),
        "known": np.array([time is not None for time in times], dtype=bool),
        "second": np.array([time[0] if time else 0 for time in times], dtype=np.int64),
        "micro": np.array([time[1] if time else 0 for time in times], dtype=np.int64),
        "digits": np.array([time[2] if time else 0 for time in times], dtype=np.int64),
    }


_SECONDS = re.compile(r"\d\d:\d\d:\d\d")
_FRACTION = re.compile(r"\d\d:\d\d:\d\d[.,](\d+)")


def _capture_time(text: str | None) -> tuple[int, int, int] | None:
    """(wall-clock second, microseconds, digits of sub-second written), or None when unknown.

    Wall clock, not the instant: a camera writes local time, and a copy may gain or lose an offset.
    """
    # A day or a minute is no evidence of one capture: only times given to the second count.
    if not text or not _SECONDS.search(text):
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    fraction = _FRACTION.search(text)
    digits = min(len(fraction.group(1)), 6) if fraction else 0
    second = moment.toordinal() * 86_400 + moment.hour * 3_600 + moment.minute * 60 + moment.second
    return second, moment.microsecond, digits


def _times_agree(facts: dict[str, np.ndarray], i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(equal, different) original times per pair; neither when a side has none.

    Compared at the coarser precision of the two: a copy that kept .12 of .123 s, or dropped the
    sub-seconds, still carries the same time.
    """
    both = facts["known"][i] & facts["known"][j]
    digits = np.minimum(facts["digits"][i], facts["digits"][j])
    unit = 10 ** (6 - digits)
    equal = (
        both
        & (facts["second"][i] == facts["second"][j])
        & (facts["micro"][i] // unit == facts["micro"][j] // unit)
    )
    return equal, both & ~equal


def _aspects_agree(aspect: np.ndarray, i: np.ndarray, j: np.ndarray, tolerance: float) -> np.ndarray:
    # Unknown sizes (NaN) never agree: a same-picture claim needs the shape as a second signal.
    wide, narrow = np.maximum(aspect[i], aspect[j]), np.minimum(aspect[i], aspect[j])
    with np.errstate(invalid="ignore"):
        return wide / narrow - 1 <= tolerance + 1e-9


def _cluster(
    i: np.ndarray,
    j: np.ndarray,
    distance: np.ndarray,
    size: int,
    clash: Callable[[int, list[int]], bool],
) -> list[tuple[int, list[tuple[int, int]]]]:
    """Non-chaining groups over ranks 0..size-1 (0 best), from the pairs (i, j) close enough.

    Ranks are visited best first; a rank not yet taken becomes a representative and takes every
    untaken rank paired with it, nearest first, unless it clashes with the group so far. Closeness
    is only ever tested against the representative, so groups cannot chain.
    """
    if not len(i):
        return []
    source = np.concatenate([i, j])
    target = np.concatenate([j, i])
    far = np.concatenate([distance, distance])
    order = np.lexsort((target, far, source))
    source, target, far = source[order], target[order], far[order]
    starts = np.flatnonzero(np.r_[True, source[1:] != source[:-1]])
    ends = np.r_[starts[1:], len(source)]
    sources, targets, fars = source.tolist(), target.tolist(), far.tolist()
    taken = bytearray(size)
    found = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        representative = sources[start]
        if taken[representative]:
            continue
        chosen = [representative]
        members = []
        for member, gap in zip(targets[start:end], fars[start:end], strict=True):
            if taken[member] or clash(member, chosen):
                continue
            taken[member] = 1
            chosen.append(member)
            members.append((member, gap))
        if members:
            taken[representative] = 1
            found.append((representative, members))
    return found


def _clash(
    ranked: list[Item],
    apart: dict[int, set[int]],
    times: list[tuple[int, int, int] | None] | None = None,
    nearest: dict[int, tuple[int, int]] | None = None,
) -> Callable[[int, list[int]], bool]:
    """Whether a candidate may not join a group: a person separated it from a member, or, with
    `times` for same-picture groups, it and a member are not one capture by their times:

    - both have original times, and they differ. This matters when the representative has no time
      of its own: two different captures could otherwise both match it;
    - one has no time and looks more like a file captured at another time (`nearest`) than like
      the other. A stripped copy of a photo belongs with that photo, not with a burst frame.

    Symmetric, so a file that may not join a group may not gather that group's files either.
    """
    known = times or [None] * len(ranked)
    nearest = nearest or {}

    def other_time(a: int, b: int) -> bool:
        first, second = known[a], known[b]
        if first is None or second is None:
            return False
        unit = 10 ** (6 - min(first[2], second[2]))
        return first[0] != second[0] or first[1] // unit != second[1] // unit

    def apart_in_time(a: int, b: int) -> bool:
        if known[a] is not None and known[b] is not None:
            return other_time(a, b)
        undated, dated = (a, b) if known[a] is None else (b, a)
        closer = nearest.get(undated)
        return (
            closer is not None
            and known[dated] is not None
            and other_time(closer[1], dated)
            and closer[0] < _hamming(ranked[undated].phash, ranked[dated].phash)
        )

    def clash(candidate: int, chosen: list[int]) -> bool:
        others = apart.get(ranked[candidate].id)
        if others and any(ranked[member].id in others for member in chosen):
            return True
        return bool(times) and any(apart_in_time(candidate, member) for member in chosen)

    return clash


def _hamming(a: int, b: int) -> int:
    # The low 64 bits of a ^ b are the same whether either side is stored signed or unsigned.
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def _nearest_dated(
    i: np.ndarray, j: np.ndarray, gap: np.ndarray, times: list[tuple[int, int, int] | None]
) -> dict[int, tuple[int, int]]:
    """For each rank without an original time: (gap, rank) of its nearest paired rank with one."""
    known = np.array([time is not None for time in times], dtype=bool)
    undated, dated, far = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([gap, gap])
    keep = ~known[undated] & known[dated]
    undated, dated, far = undated[keep], dated[keep], far[keep]
    order = np.lexsort((dated, far, undated))
    undated, dated, far = undated[order], dated[order], far[order]
    first = np.r_[True, undated[1:] != undated[:-1]] if len(undated) else np.zeros(0, dtype=bool)
    return dict(
        zip(
            undated[first].tolist(), zip(far[first].tolist(), dated[first].tolist(), strict=True), strict=True
        )
    )


# Incremental updates -------------------------------------------------------------------------------


def group_new(
    new: list[Item],
    existing: list[Item],
    thresholds: Thresholds = DEFAULTS,
    preferred_folder: str | None = None,
    separate: AbstractSet[frozenset[int]] = frozenset(),
) -> Regroup:
    """The groups to replace after `new` files joined `existing` ones (the library before them).

    Replace every stored group holding one of `Regroup.files` with `Regroup.groups`; the result is
    exactly what `group(existing + new)` would give. Cost: one scan of the new files' hashes against
    the library, then one of each file they reach, so about (new + reached) / library of a full regroup.
    """
    return regroup_around(
        [item.id for item in new], [*existing, *new], thresholds, preferred_folder, separate
    )


def regroup_around(
    seeds: Iterable[int],
    items: list[Item],
    thresholds: Thresholds = DEFAULTS,
    preferred_folder: str | None = None,
    separate: AbstractSet[frozenset[int]] = frozenset(),
) -> Regroup:
    """Regroup only the part of the library `seeds` can reach: ids of new or changed files, of a pair
    a person just separated, or of the group-mates of a deleted file. `items` is the whole library.

    Grouping decides each cluster of linked files (same bytes, or hashes within the widest distance
    any class uses) on its own, so regrouping the clusters holding the seeds gives the same answer
    as regrouping everything. Seeds no longer among `items` are kept in `files`, so their old groups
    are dropped.
    """
    ordered = sorted(items, key=lambda item: item.id)
    seed_ids = set(seeds)
    ids = np.array([item.id for item in ordered], dtype=np.int64)
    wanted = np.array(sorted(seed_ids), dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
    frontier = at[ids[at] == wanted] if len(ids) else np.empty(0, np.intp)
    reached = np.zeros(len(ordered), dtype=bool)
    reached[frontier] = True

    # Columns, built once: per-round work is then numpy only.
    phash = [item.phash for item in ordered]
    dhash = [item.dhash for item in ordered]
    hashed = np.array(
        [p is not None and d is not None for p, d in zip(phash, dhash, strict=True)], dtype=bool
    )
    phash_all = as_hashes([p or 0 for p in phash])
    dhash_all = as_hashes([d or 0 for d in dhash])
    kind = np.array([item.kind for item in ordered])
    timed = np.array([item.duration is not None for item in ordered], dtype=bool)
    codes: dict[str, int] = {}
    sha = np.array([codes.setdefault(item.sha256, len(codes)) if item.sha256 else -1 for item in ordered])

    _, _, still_phash, still_dhash, video_phash, video_dhash = _bounds(thresholds)
    families = []
    for inside, max_phash, max_dhash in (
        (hashed & np.isin(kind, list(STILL)), still_phash, still_dhash),
        (hashed & (kind == VIDEO) & timed, video_phash, video_dhash),
    ):
        members = np.flatnonzero(inside)
        families.append((members, inside, phash_all[members], dhash_all[members], max_phash, max_dhash))

    while len(frontier):
        copies = sha[frontier]
        found = [np.flatnonzero(np.isin(sha, copies[copies >= 0]))]
        for members, inside, family_phash, family_dhash, max_phash, max_dhash in families:
            asking = frontier[inside[frontier]]
            if len(asking):
                _, j, _ = close_pairs(
                    phash_all[asking],
                    family_phash,
                    max_phash,
                    a2=dhash_all[asking],
                    b2=family_dhash,
                    max_distance2=max_dhash,
                )
                found.append(members[j])
        reached_now = np.unique(np.concatenate(found))
        frontier = reached_now[~reached[reached_now]]
        reached[frontier] = True

    cluster = [ordered[k] for k in np.flatnonzero(reached)]
    files = frozenset(item.id for item in cluster) | seed_ids
    return Regroup(files=files, groups=group(cluster, thresholds, preferred_folder, separate))
