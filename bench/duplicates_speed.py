"""How fast duplicate grouping runs on a large synthetic library, against the old all-pairs loop.

    .venv/bin/python -m bench.duplicates_speed [--files 100000] [--new 1000] [--repeat 3]

Builds a library of random hashes with planted look-alikes (byte-identical copies, re-encoded copies
of one capture, burst frames, videos, a clump of near-identical dark shots), then measures:

- a full `group()` over the library (what runs when thresholds change), target under 5 s;
- `group_new()` for a batch of new files against the library (what runs after each import),
  target under 0.5 s, with the bare `close_pairs(new, library)` scan beside it;
- peak memory of a full regroup (tracemalloc, which sees numpy's buffers), against the
  n x n matrix it avoids;
- the old tool's approach, a Python double loop over every pair, timed on 2,000 files and
  extrapolated (it grows with the square of the library).

Times are the best of `--repeat` runs (wall clock; CPU seconds beside it: on a shared machine, CPU
close to wall means one core did all the work). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from jobs.grouping import Item, group
from jobs.hashing import hamming, to_signed64
from jobs.regrouping import group_new
from jobs.similarity import close_pairs

FULL_TARGET = 5.0
NEW_TARGET = 0.5
OLD_SAMPLE = 2_000
SIZES = [(4032, 3024), (3024, 4032), (4000, 3000), (1600, 1200), (1920, 1080), (1080, 1920), (2048, 1536)]


def flip(rng: np.random.Generator, value: int, bits: int) -> int:
    """`value` (unsigned 64-bit) with `bits` distinct bits flipped."""
    for bit in rng.choice(64, size=bits, replace=False).tolist():
        value ^= 1 << bit
    return value


def random_hash(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**64, dtype=np.uint64))


def base_item(rng: np.random.Generator, file_id: int) -> Item:
    width, height = SIZES[int(rng.integers(len(SIZES)))]
    dated = rng.random() < 0.7
    second = int(rng.integers(0, 10 * 365 * 86_400))
    return Item(
        id=file_id,
        sha256=f"{file_id:064x}",
        phash=to_signed64(random_hash(rng)),
        dhash=to_signed64(random_hash(rng)),
        width=width,
        height=height,
        kind="image",
        duration=None,
        original_time=_iso(second, int(rng.integers(1000))) if dated else None,
        size=int(rng.integers(300_000, 8_000_000)),
        real_type="jpeg",
        has_original_date=dated,
        camera="Pixel 7" if dated else None,
        software=None,
        tags=int(rng.integers(5, 120)),
        imported_at=f"2024-01-{1 + file_id % 28:02d}T10:00:00",
        path=f"{['Takeout', 'Phone', 'Archive'][file_id % 3]}/{file_id}.jpg",
    )


def _iso(second: int, millis: int) -> str:
    moment = np.datetime64("2012-01-01T00:00:00") + np.timedelta64(second, "s") + np.timedelta64(millis, "ms")
    return str(moment)


def variant(rng: np.random.Generator, item: Item, file_id: int, kind: str) -> Item:
    """A planted look-alike of `item`: an exact copy, the same capture re-encoded, or a burst frame."""
    phash, dhash = item.phash & (2**64 - 1), item.dhash & (2**64 - 1)
    if kind == "exact":
        return replace(item, id=file_id, path=f"Copies/{file_id}.jpg")
    if kind == "same":
        return replace(
            item,
            id=file_id,
            sha256=f"{file_id:064x}",
            phash=to_signed64(flip(rng, phash, int(rng.integers(0, 5)))),
            dhash=to_signed64(flip(rng, dhash, int(rng.integers(0, 6)))),
            width=item.width // 2,
            height=item.height // 2,
            size=item.size // 3,
            original_time=item.original_time if rng.random() < 0.5 else None,
            has_original_date=False,
            path=f"WhatsApp/{file_id}.jpg",
        )
    base = item.original_time or _iso(int(rng.integers(0, 10 * 365 * 86_400)), 0)
    later = str(np.datetime64(base) + np.timedelta64(500 * int(rng.integers(1, 4)), "ms"))
    return replace(
        item,
        id=file_id,
        sha256=f"{file_id:064x}",
        phash=to_signed64(flip(rng, phash, int(rng.integers(5, 13)))),
        dhash=to_signed64(flip(rng, dhash, int(rng.integers(5, 15)))),
        original_time=later,
        has_original_date=True,
    )


def library(count: int, seed: int = 1) -> list[Item]:
    """`count` files: about 85% unrelated, the rest planted look-alikes and videos."""
    rng = np.random.default_rng(seed)
    items: list[Item] = []
    clump = random_hash(rng)
    while len(items) < count:
        file_id = len(items) + 1
        roll = rng.random()
        if roll < 0.01 and items:
            # Dark pocket shots and the like: many files near one hash, a stress for non-chaining.
            item = base_item(rng, file_id)
            items.append(replace(item, phash=to_signed64(flip(rng, clump, int(rng.integers(4, 12))))))
        elif roll < 0.03:
            video = base_item(rng, file_id)
            items.append(
                replace(
                    video, kind="video", duration=float(rng.integers(3, 300)), path=f"Videos/{file_id}.mp4"
                )
            )
        elif roll < 0.13 and items:
            source = items[int(rng.integers(len(items)))]
            kind = ["exact", "same", "same", "burst"][int(rng.integers(4))]
            if source.kind == "video" and kind != "exact":
                items.append(
                    replace(source, id=file_id, sha256=f"{file_id:064x}", duration=source.duration + 0.2)
                )
            else:
                items.append(variant(rng, source, file_id, kind))
        else:
            items.append(base_item(rng, file_id))
    return items


def new_batch(existing: list[Item], count: int, seed: int = 2) -> list[Item]:
    """Half unrelated new photos, half look-alikes of files already in the library."""
    rng = np.random.default_rng(seed)
    first = max(item.id for item in existing) + 1
    batch = []
    for k in range(count):
        file_id = first + k
        if k % 2:
            source = existing[int(rng.integers(len(existing)))]
            kind = "exact" if source.kind == "video" else ["exact", "same", "burst"][k % 3]
            batch.append(variant(rng, source, file_id, kind))
        else:
            batch.append(base_item(rng, file_id))
    return batch


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """(best wall seconds, median wall seconds, CPU seconds of the best run, last result)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    best = walls.index(min(walls))
    return walls[best], statistics.median(walls), cpus[best], result


def old_all_pairs(items: list[Item], max_distance: int) -> int:
    """The old tool: every pair compared in Python."""
    found = 0
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            if hamming(first.phash, second.phash) <= max_distance:
                found += 1
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0))
    print(f"numpy {np.__version__}, {cores} cores; building {args.files:,} synthetic files...", flush=True)
    existing = library(args.files)
    new = new_batch(existing, args.new)
    phash = np.array([item.phash for item in existing], dtype=np.int64)
    new_phash = np.array([item.phash for item in new], dtype=np.int64)

    full, full_median, full_cpu, groups = timed(lambda: group(existing), args.repeat)
    counts = {kind: sum(1 for g in groups if g.kind == kind) for kind in ("exact", "same", "similar")}
    print(
        f"(a) full group() of {len(existing):,} files: {full:.2f} s best, {full_median:.2f} s median "
        f"({full_cpu:.2f} s CPU, so {full_cpu / full:.1f} of {cores} cores were ours); groups: {counts}"
    )
    half = existing[: len(existing) // 2]
    half_time, _, _, _ = timed(lambda: group(half), args.repeat)
    print(f"    full group() of {len(half):,} files: {half_time:.2f} s")

    scan, _, _, _ = timed(lambda: close_pairs(new_phash, phash, 16), args.repeat * 2)
    incremental, inc_median, inc_cpu, update = timed(lambda: group_new(new, existing), args.repeat * 2)
    print(
        f"(b) group_new() of {len(new):,} new files against {len(existing):,}: {incremental:.3f} s best, "
        f"{inc_median:.3f} s median ({inc_cpu:.3f} s CPU); regrouped {len(update.files):,} files into "
        f"{len(update.groups):,} groups; the bare close_pairs scan: {scan:.3f} s"
    )

    tracemalloc.start()
    group(existing)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    matrix = len(existing) ** 2
    print(
        f"(c) peak memory allocated by a full regroup: {peak / 1e6:.0f} MB "
        f"(an n x n uint8 matrix would be {matrix / 1e9:.0f} GB); process peak RSS "
        f"{_max_rss_mb():.0f} MB including the {len(existing):,} items themselves"
    )

    sample = existing[:OLD_SAMPLE]
    old, _, _, _ = timed(lambda: old_all_pairs(sample, 16), 1)
    for size, ours in ((len(half), half_time), (len(existing), full)):
        projected = old * (size / OLD_SAMPLE) ** 2
        print(
            f"(d) old Python all-pairs loop: {old:.2f} s for {OLD_SAMPLE:,} files, so about "
            f"{projected / 60:.0f} min for {size:,}: {projected / ours:,.0f}x the new full regroup"
        )

    ok = full < FULL_TARGET and incremental < NEW_TARGET
    print(
        f"targets: full < {FULL_TARGET} s {'ok' if full < FULL_TARGET else 'MISSED'}, "
        f"incremental < {NEW_TARGET} s {'ok' if incremental < NEW_TARGET else 'MISSED'}"
    )
    return 0 if ok else 1


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
