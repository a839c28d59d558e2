"""Every pair of 64-bit hashes within a Hamming distance, without a Python loop over the pairs.

Pure numpy: XOR, `np.bitwise_count` (numpy >= 2.0) and a threshold, one tile of the pair matrix at a
time. Memory stays bounded by the tile, never n x n: the result holds only the close pairs. numpy
releases the GIL inside these ufuncs, so tiles run on several threads at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

BITS = 64
# Pairs per tile. About half a million (4 MB of XOR, 0.5 MB of counts) stays in cache and measured
# fastest on this machine's 2 cores; much larger tiles spill and run up to 2.5x slower.
TILE = 1 << 19
_MASK = (1 << BITS) - 1

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def as_hashes(values: np.ndarray | Sequence[int]) -> np.ndarray:
    """Hashes as a uint64 array: SQLite's signed int64 (or plain ints, signed or not) reinterpreted,
    same bits, no copy for an int64 or uint64 array."""
    if isinstance(values, np.ndarray):
        if values.dtype == np.uint64:
            return values
        if values.dtype == np.int64:
            return values.view(np.uint64)
        raise TypeError(f"hashes must be int64 or uint64, not {values.dtype}")
    try:
        return np.asarray(values, dtype=np.int64).view(np.uint64)
    except OverflowError:
        # Some values are unsigned above 2**63: mask each to its 64 bits (the slow path, rare).
        return np.array([value & _MASK for value in values], dtype=np.uint64)


def pair_distances(a: np.ndarray, b: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Hamming distance of each listed pair (a[i[k]], b[j[k]]), as uint8."""
    return np.bitwise_count(as_hashes(a)[i] ^ as_hashes(b)[j])


def close_pairs(
    a: np.ndarray,
    b: np.ndarray | None,
    max_distance: int,
    block: int = 64,
    *,
    a2: np.ndarray | None = None,
    b2: np.ndarray | None = None,
    max_distance2: int | None = None,
    workers: int | None = None,
) -> Pairs:
    """Every pair with Hamming distance <= `max_distance`, as (i, j, distance) arrays sorted by (i, j).

    `i` indexes `a`, `j` indexes `b`; with `b` None, pairs within `a` with i < j. `a2`/`b2` are a
    second hash of the same files (dHash beside pHash): a pair is kept only when that distance is
    also <= `max_distance2`. It is checked on the survivors of the first test only, so it costs
    nothing measurable. `block` rows of `a` are compared at a time against at most TILE // block
    columns of `b`, so temporary memory is about 10 bytes x TILE per worker thread whatever the sizes.
    """
    if not 0 <= max_distance <= BITS:
        raise ValueError(f"max_distance must be within 0..{BITS}, not {max_distance}")
    if block < 1:
        raise ValueError(f"block must be at least 1, not {block}")
    left = as_hashes(a)
    right = left if b is None else as_hashes(b)
    second = _second_hashes(left, right, b is None, a2, b2, max_distance2)
    threads = workers or len(os.sched_getaffinity(0))
    if workers is None and len(left) * len(right) < 4 * TILE:
        threads = 1  # a few milliseconds of work: starting threads would cost more than it saves
    # A few rows against many (new files against the library): thinner blocks so that every thread
    # gets some; the tile keeps its size through more columns.
    block = max(1, min(block, -(-len(left) // threads)))
    columns = max(1, TILE // block)

    def rows(start: int) -> Pairs:
        return _block_pairs(
            left, right, start, min(start + block, len(left)), b is None, max_distance, columns
        )

    starts = range(0, len(left), block)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(min(threads, len(starts))) as pool:
            parts = list(pool.map(rows, starts))
    else:
        parts = [rows(start) for start in starts]
    i, j, distance = _concatenate(parts)
    if second is not None:
        a2_hashes, b2_hashes, limit = second
        keep = np.bitwise_count(a2_hashes[i] ^ b2_hashes[j]) <= limit
        i, j, distance = i[keep], j[keep], distance[keep]
    order = np.lexsort((j, i))
    return i[order], j[order], distance[order]


def _second_hashes(
    left: np.ndarray,
    right: np.ndarray,
    within: bool,
    a2: np.ndarray | None,
    b2: np.ndarray | None,
    max_distance2: int | None,
) -> tuple[np.ndarray, np.ndarray, int] | None:
    if a2 is None and b2 is None and max_distance2 is None:
        return None
    if a2 is None or max_distance2 is None or (b2 is None) != within:
        raise ValueError("the second filter needs a2 and max_distance2, and b2 exactly when b is given")
    first = as_hashes(a2)
    second = first if b2 is None else as_hashes(b2)
    if len(first) != len(left) or len(second) != len(right):
        raise ValueError("a2 and b2 must be as long as a and b")
    return first, second, max_distance2


def _block_pairs(
    left: np.ndarray, right: np.ndarray, start: int, stop: int, within: bool, limit: int, columns: int
) -> Pairs:
    rows = left[start:stop, None]
    width = min(columns, len(right))
    xor = np.empty((stop - start, width), dtype=np.uint64)
    count = np.empty(xor.shape, dtype=np.uint8)
    close = np.empty(xor.shape, dtype=bool)
    found: list[Pairs] = []
    # Within one array, only columns from the block's first row on: the pair (j, i) is (i, j) again.
    for first in range(start if within else 0, len(right), columns):
        tile = right[None, first : first + columns]
        n = tile.shape[1]
        # Preallocated outputs: allocating each tile afresh costs about 15% of the whole run.
        np.bitwise_xor(rows, tile, out=xor[:, :n])
        np.bitwise_count(xor[:, :n], out=count[:, :n])
        np.less_equal(count[:, :n], limit, out=close[:, :n])
        if not close[:, :n].any():
            continue
        row, column = np.divmod(np.flatnonzero(close[:, :n]), n)
        i, j, distance = row + start, column + first, count[row, column]
        if within and first < stop:
            above = j > i
            i, j, distance = i[above], j[above], distance[above]
        found.append((i, j, distance))
    return _concatenate(found)


def _concatenate(parts: list[Pairs]) -> Pairs:
    if not parts:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.uint8)
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))  # type: ignore[return-value]
