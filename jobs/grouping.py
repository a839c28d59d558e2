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

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from jobs.capture_facts import aspects_agree, capture_time, facts_of, times_agree
from jobs.clusters import clash, cluster, nearest_dated
from jobs.keepers import keeper_key, keeper_reason
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


def bounds(thresholds: Thresholds) -> tuple[int, int, int, int, int, int]:
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
    _, _, still_phash, still_dhash, video_phash, video_dhash = bounds(thresholds)
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

    times = [capture_time(item.original_time) for item in ranked]
    same = _same_pictures(ranked, times, i, j, phash, dhash, is_video, thresholds)
    nearest = nearest_dated(i[same], j[same], phash[same], times)
    same_found = cluster(i[same], j[same], phash[same], len(ranked), clash(ranked, apart, times, nearest))
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
    similar_found = cluster(
        i[similar], j[similar], phash[similar], len(ranked), clash(ranked, _carry(apart, stand))
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
    loose_phash, loose_dhash, *_ = bounds(thresholds)
    facts = facts_of(ranked, times)
    equal, differ = times_agree(facts, i, j)
    close = (
        (phash <= np.where(equal, loose_phash, thresholds.same_phash))
        & (dhash <= np.where(equal, loose_dhash, thresholds.same_dhash))
        & ~differ
    )
    fits = np.where(
        is_video,
        np.abs(facts["duration"][i] - facts["duration"][j]) <= thresholds.video_duration_tolerance + 1e-9,
        aspects_agree(facts["aspect"], i, j, thresholds.aspect_tolerance),
    )
    return close & fits
