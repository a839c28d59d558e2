"""close_pairs: every pair within a Hamming distance, checked against a plain Python reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jobs.similarity as similarity
from jobs.hashing import hamming, to_signed64, to_unsigned64
from jobs.similarity import as_hashes, close_pairs, pair_distances


def clustered(rng: np.random.Generator, count: int, centres: int = 5, spread: int = 12) -> np.ndarray:
    """Signed 64-bit hashes around a few centres, so that many pairs fall within small distances
    (uniform random hashes sit about 32 bits apart and would test almost nothing)."""
    base = rng.integers(0, 2**64, size=centres, dtype=np.uint64)
    values = base[rng.integers(0, centres, size=count)]
    for k in range(count):
        for bit in rng.choice(64, size=int(rng.integers(0, spread)), replace=False):
            values[k] ^= np.uint64(1) << np.uint64(bit)
    return values.view(np.int64)


def reference(a, b, limit, a2=None, b2=None, limit2=None) -> list[tuple[int, int, int]]:
    """The definition, one pair at a time."""
    a, a2 = [int(v) for v in a], None if a2 is None else [int(v) for v in a2]
    within = b is None
    b = a if within else [int(v) for v in b]
    b2 = a2 if b2 is None else [int(v) for v in b2]
    found = []
    for i, first in enumerate(a):
        for j, second in enumerate(b):
            if within and j <= i:
                continue
            distance = hamming(first, second)
            if distance > limit or (a2 is not None and hamming(a2[i], b2[j]) > limit2):
                continue
            found.append((i, j, distance))
    return found


def as_list(pairs) -> list[tuple[int, int, int]]:
    i, j, distance = pairs
    return list(zip(i.tolist(), j.tolist(), distance.tolist(), strict=True))


@pytest.mark.parametrize("count", [0, 1, 2, 17, 150])
@pytest.mark.parametrize("limit", [0, 4, 10, 20, 64])
@pytest.mark.parametrize("block", [1, 7, 64])
def test_pairs_within_one_array_match_the_reference(count: int, limit: int, block: int) -> None:
    hashes = clustered(np.random.default_rng(count * 100 + limit), count)
    assert as_list(close_pairs(hashes, None, limit, block)) == reference(hashes, None, limit)


@pytest.mark.parametrize(("left", "right"), [(0, 5), (5, 0), (1, 1), (13, 140), (140, 13)])
@pytest.mark.parametrize("limit", [0, 6, 16])
@pytest.mark.parametrize("block", [1, 5, 2048])
def test_pairs_across_two_arrays_match_the_reference(left: int, right: int, limit: int, block: int) -> None:
    rng = np.random.default_rng(left * 1000 + right + limit)
    both = clustered(rng, left + right)
    a, b = both[:left], both[left:]
    assert as_list(close_pairs(a, b, limit, block)) == reference(a, b, limit)


@pytest.mark.parametrize("tile", [1, 8, 100])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_tiles_smaller_than_the_arrays_and_threads_change_nothing(
    monkeypatch: pytest.MonkeyPatch, tile: int, workers: int
) -> None:
    # A tiny TILE forces many column tiles per row block, including ones straddling the diagonal.
    monkeypatch.setattr(similarity, "TILE", tile)
    rng = np.random.default_rng(tile + workers)
    hashes, other = clustered(rng, 90), clustered(rng, 70)
    assert as_list(close_pairs(hashes, None, 12, 4, workers=workers)) == reference(hashes, None, 12)
    assert as_list(close_pairs(hashes, other, 12, 4, workers=workers)) == reference(hashes, other, 12)


@pytest.mark.parametrize(("limit", "limit2"), [(10, 0), (10, 8), (16, 20), (64, 64)])
def test_second_hash_filters_the_pairs(limit: int, limit2: int) -> None:
    rng = np.random.default_rng(limit + limit2)
    phash, dhash = clustered(rng, 120), clustered(rng, 120, centres=3, spread=16)
    got = close_pairs(phash, None, limit, 16, a2=dhash, max_distance2=limit2)
    assert as_list(got) == reference(phash, None, limit, dhash, None, limit2)
    a, b = slice(0, 40), slice(40, 120)
    got = close_pairs(phash[a], phash[b], limit, 16, a2=dhash[a], b2=dhash[b], max_distance2=limit2)
    assert as_list(got) == reference(phash[a], phash[b], limit, dhash[a], dhash[b], limit2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40),
    st.integers(0, 64),
    st.integers(1, 50),
)
def test_any_signed_hashes(left: list[int], right: list[int], limit: int, block: int) -> None:
    a, b = np.array(left, dtype=np.int64), np.array(right, dtype=np.int64)
    assert as_list(close_pairs(a, b, limit, block)) == reference(left, right, limit)
    assert as_list(close_pairs(a, None, limit, block)) == reference(left, None, limit)


def test_signed_and_unsigned_hashes_are_the_same_bits() -> None:
    unsigned = [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 0xDEADBEEF_CAFEBABE]
    signed = [to_signed64(value) for value in unsigned]
    assert as_hashes(np.array(signed, dtype=np.int64)).tolist() == unsigned
    assert as_hashes(signed).tolist() == unsigned
    assert as_hashes(unsigned).tolist() == unsigned  # above 2**63: the masked slow path
    assert as_hashes(np.array(unsigned, dtype=np.uint64)).tolist() == unsigned
    assert [to_unsigned64(value) for value in signed] == unsigned
    stored = np.array(signed, dtype=np.int64)
    assert as_hashes(stored).base is stored  # a view, not a copy
    from_signed = as_list(close_pairs(stored, None, 64))
    from_unsigned = as_list(close_pairs(np.array(unsigned, dtype=np.uint64), None, 64))
    assert from_signed == from_unsigned
    assert all(distance == hamming(signed[i], signed[j]) for i, j, distance in from_signed)


def test_pair_distances_and_output_types() -> None:
    hashes = np.array([to_signed64(0), to_signed64(0b1011), to_signed64(2**64 - 1)], dtype=np.int64)
    i, j, distance = close_pairs(hashes, None, 64)
    assert (i.tolist(), j.tolist(), distance.tolist()) == ([0, 0, 1], [1, 2, 2], [3, 64, 61])
    assert distance.dtype == np.uint8 and i.dtype == np.intp
    assert pair_distances(hashes, hashes, i, j).tolist() == [3, 64, 61]


def test_wrong_arguments_are_refused() -> None:
    hashes = np.zeros(3, dtype=np.int64)
    with pytest.raises(ValueError, match="max_distance"):
        close_pairs(hashes, None, 65)
    with pytest.raises(ValueError, match="block"):
        close_pairs(hashes, None, 3, 0)
    with pytest.raises(ValueError, match="second filter"):
        close_pairs(hashes, None, 3, a2=hashes)
    with pytest.raises(ValueError, match="second filter"):
        close_pairs(hashes, None, 3, a2=hashes, b2=hashes, max_distance2=3)
    with pytest.raises(ValueError, match="as long"):
        close_pairs(hashes, None, 3, a2=hashes[:2], max_distance2=3)
    with pytest.raises(TypeError):
        as_hashes(np.zeros(3, dtype=np.float64))
