"""Clustering candidate pairs into groups that never chain: each file joins the best
representative it is close to, and a group never holds two different captures or a pair a person
separated. Pure, over index arrays from the pair search."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jobs.grouping import Item


def cluster(
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


def clash(
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
            and closer[0] < hamming_of(ranked[undated].phash, ranked[dated].phash)
        )

    def clash(candidate: int, chosen: list[int]) -> bool:
        others = apart.get(ranked[candidate].id)
        if others and any(ranked[member].id in others for member in chosen):
            return True
        return bool(times) and any(apart_in_time(candidate, member) for member in chosen)

    return clash


def hamming_of(a: int, b: int) -> int:
    # The low 64 bits of a ^ b are the same whether either side is stored signed or unsigned.
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def nearest_dated(
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
