"""Thresholds for duplicate grouping: the recommendation from the distance distributions, and the
maps that sweep the real grouping over threshold pairs. Used by bench/duplicates_quality.py."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.dup_measure import (
    STRENGTH,
    Pair,
    Record,
    Rule,
    Score,
    as_item,
    misses,
    score,
    seconds_apart,
    to_anchor,
    to_original,
)
from tests.dup_fixtures import (
    DIFFERENT,
    SAME,
    SIMILAR,
)


def recommend(records: Sequence[Record], pairs: Sequence[Pair], anchors: set[int]) -> tuple[Rule, list[str]]:
    """Thresholds with the widest margin on both sides, and the sentences that justify them.

    A pair joins when BOTH distances are within their thresholds, so the two are chosen together
    (a grid search): a look-alike 14 pHash bits away is harmless when its dHash is 30 bits away.
    Copies must reach their source's anchor (see to_anchor)."""
    linking = [p for p in to_anchor(pairs, anchors) if p.relation == SAME]
    similar = [p for p in to_original(records, pairs) if p.relation == SIMILAR]
    different = [p for p in pairs if p.relation == DIFFERENT]
    notes = []

    # The shape first: it parts edits cut to another shape, which hashes cannot (a 20% reframe can
    # be as close in pHash as a 5% trim).
    same_aspect = max(p.aspect for p in linking)
    reframed = [p for p in similar if "reframed" in edit_detail(records, p)]
    edit_aspect = min(p.aspect for p in reframed)
    tolerance = round((same_aspect + edit_aspect) / 2 * 200) / 200  # to the half percent
    notes.append(
        f"aspect_tolerance = {tolerance:.1%}: copies change the shape by at most {same_aspect:.2%} "
        f"(a border on a non-square picture), edits to another shape by at least {edit_aspect:.1%}"
    )

    # Same: every copy must reach its original; no different picture and no edit of the same
    # shape may, on hashes alone. Different pictures count whatever their shape: look-alikes from
    # one camera share it. Edits count against the original and its copies; against a burst
    # frame the time already differs.
    edits = [p for p in pairs if p.label == "edit" and p.time != "differ" and p.aspect <= tolerance]
    outsiders = [*different, *edits]
    same_p, same_d, join_slack, part_slack = widest((0, 0), linking, outsiders)
    notes.append(
        f"same_phash = {same_p}, same_dhash = {same_d}: every copy is within both of its anchor "
        f"with {join_slack} bit(s) to spare; every different picture and every same-shape edit is "
        f"beyond at least one of them by {part_slack + 1} or more (margin {part_slack})"
    )
    tightest = min(linking, key=lambda p: min(same_p - p.phash, same_d - p.dhash))
    nearest = min(outsiders, key=lambda p: max(p.phash - same_p, p.dhash - same_d))
    notes.append(f"  tightest copy: {describe(records, tightest)}")
    notes.append(f"  nearest outsider: {describe(records, nearest)}")
    bursts = [p for p in similar if p.label == "burst"]
    inside = sum(p.phash <= same_p and p.dhash <= same_d for p in bursts)
    notes.append(
        f"  hashes cannot keep burst frames out: {inside} of {len(bursts)} frames are within the same "
        "thresholds of their original, as are 5% trims; only the original time (different for "
        "every frame, kept by copies) can"
    )

    # Similar: as many burst frames and edits as possible, no different picture, one bit spare.
    sim_p, sim_d, recall, part_slack = loosest((same_p, same_d), similar, different)
    notes.append(
        f"similar_phash = {sim_p}, similar_dhash = {sim_d}: the loosest that keeps every different "
        f"picture out with a margin of {part_slack}; {recall:.0%} of burst frames and edits are "
        "within them of their original"
    )
    # Burst frames come seconds apart and edits keep the capture time: a time window finds them
    # where hashes cannot. No different pictures here are that close in time, so the hash bound
    # kept with it is the one that still parts 99% of different pictures on hashes alone.
    span = max(abs(seconds_apart(records[p.a], records[p.b])) for p in similar)
    window = float(np.ceil(span))
    time_phash = int(np.percentile([p.phash for p in different], 1, method="lower")) - 1
    notes.append(
        f"similar by time (not a Thresholds field): original times within {window:.0f} s (bursts "
        f"here span {span:.2f} s; edits keep the time) and phash <= {time_phash}, which 99% of "
        "different pictures exceed"
    )
    rule = Rule(
        same_phash=same_p,
        same_dhash=same_d,
        similar_phash=sim_p,
        similar_dhash=sim_d,
        aspect_tolerance=tolerance,
        similar_seconds=window,
        similar_time_phash=time_phash,
    )
    return rule, notes


def edit_detail(records: Sequence[Record], pair: Pair) -> str:
    return " ".join(
        records[i].fixture.detail for i in (pair.a, pair.b) if records[i].fixture.variant == "edit"
    )


def describe(records: Sequence[Record], pair: Pair) -> str:
    a, b = records[pair.a].fixture, records[pair.b].fixture
    return (
        f"{a.path.parent.name}/{a.path.name} ~ {b.path.name}: {pair.label}, phash {pair.phash}, dhash {pair.dhash}, "
        f"aspect {pair.aspect:.1%}, time {pair.time}"
    )


def distances(pairs: Sequence[Pair]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([p.phash for p in pairs]), np.array([p.dhash for p in pairs])


def widest(floor: tuple[int, int], join: Sequence[Pair], part: Sequence[Pair]) -> tuple[int, int, int, int]:
    """(phash, dhash) thresholds that join every pair of `join` and none of `part` with the
    largest smaller margin; returns them with the join and part margins (bits to spare)."""
    join_p, join_d = distances(join)
    part_p, part_d = distances(part)
    best: tuple[tuple[int, int, int], tuple[int, int, int, int]] | None = None
    for limit_p in range(floor[0], 33):
        for limit_d in range(floor[1], 33):
            join_slack = int(np.min(np.minimum(limit_p - join_p, limit_d - join_d)))
            part_slack = int(np.min(np.maximum(part_p - limit_p, part_d - limit_d))) - 1
            key = (min(join_slack, part_slack), join_slack + part_slack, -(limit_p + limit_d))
            if best is None or key > best[0]:
                best = (key, (limit_p, limit_d, join_slack, part_slack))
    assert best is not None
    return best[1]


def loosest(
    floor: tuple[int, int], join: Sequence[Pair], part: Sequence[Pair]
) -> tuple[int, int, float, int]:
    """(phash, dhash) thresholds joining the most of `join` while every pair of `part` stays out
    by at least one bit; returns them with that share and the part margin."""
    join_p, join_d = distances(join)
    part_p, part_d = distances(part)
    best: tuple[tuple[float, int], tuple[int, int, float, int]] | None = None
    for limit_p in range(floor[0], 33):
        for limit_d in range(floor[1], 33):
            part_slack = int(np.min(np.maximum(part_p - limit_p, part_d - limit_d))) - 1
            if part_slack < 1:
                continue
            share = float(np.mean((join_p <= limit_p) & (join_d <= limit_d)))
            key = (share, part_slack)
            if best is None or key > best[0]:
                best = (key, (limit_p, limit_d, share, part_slack))
    if best is None:  # nothing keeps the negatives out: fall back to the same thresholds
        return floor[0], floor[1], 0.0, 0
    return best[1]


# Reporting ----------------------------------------------------------------------------------------


def real_grouping() -> Any | None:
    if importlib.util.find_spec("jobs.grouping") is None:
        return None
    return importlib.import_module("jobs.grouping")


def grouping_classes(module: Any, records: Sequence[Record], thresholds: Any) -> dict[tuple[int, int], str]:
    """The class `group()` gives each pair: the strongest of the groups holding both. Each draw
    is grouped on its own, as a library of its own."""
    classes: dict[tuple[int, int], str] = {}
    for draw in sorted({r.draw for r in records}):
        items = [as_item(module, i, r) for i, r in enumerate(records) if r.draw == draw]
        # Each class groups what the previous one left: byte copies fold into their exact group's
        # representative, a same group's members into theirs. A representative then stands for
        # every file folded into it, so a similar group holding it holds them too.
        stands: dict[int, set[int]] = {}
        for found in sorted(module.group(items, thresholds), key=lambda g: -STRENGTH[g.kind]):
            members = set().union(*(stands.get(member, {member}) for member, _ in found.members))
            for a, b in itertools.combinations(sorted(members), 2):
                if STRENGTH[found.kind] > STRENGTH[classes.get((a, b), DIFFERENT)]:
                    classes[(a, b)] = found.kind
            stands[found.representative] = members
    return classes


def thresholds_for(module: Any, rule: Rule) -> Any:
    """The module's defaults with the calibrated values in place (other fields kept)."""
    values: dict[str, Any] = {
        "same_phash": rule.same_phash,
        "same_dhash": rule.same_dhash,
        "similar_phash": rule.similar_phash,
        "similar_dhash": rule.similar_dhash,
        "aspect_tolerance": rule.aspect_tolerance,
    }
    if hasattr(module.DEFAULTS, "same_time_factor"):
        values["same_time_factor"] = rule.same_time_factor
    return dataclasses.replace(module.DEFAULTS, **values)


# Sweeping the real grouping ----------------------------------------------------------------------

SWEEP_SAME = (range(8, 29), range(8, 31))  # same_phash (rows), same_dhash (columns) tried
SWEEP_SIMILAR = (range(12, 29), range(12, 33))  # similar_phash, similar_dhash tried (from same up)
MARKS = (
    "# every target met   b a burst frame or a different picture classed the same picture, or"
    " same-picture precision below target   r same-picture recall below target   . both"
)


def sweep_same(
    module: Any, records: Sequence[Record], pairs: Sequence[Pair], base: Any
) -> dict[tuple[int, int], str]:
    """Every same_phash x same_dhash around `base` through the real group(), as map marks."""
    cells = {}
    for same_p in SWEEP_SAME[0]:
        for same_d in SWEEP_SAME[1]:
            tried = dataclasses.replace(
                base,
                same_phash=same_p,
                same_dhash=same_d,
                similar_phash=max(same_p, base.similar_phash),
                similar_dhash=max(same_d, base.similar_dhash),
            )
            cells[(same_p, same_d)] = cell_mark(score(pairs, grouping_classes(module, records, tried)))
    return cells


def sweep_similar(
    module: Any, records: Sequence[Record], pairs: Sequence[Pair], base: Any
) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], float]]:
    """Every similar_phash x similar_dhash (not below the same thresholds): "#" where no different
    pictures are grouped and the same-picture targets hold, with the similar recall of each."""
    cells, recalls = {}, {}
    for sim_p in SWEEP_SIMILAR[0]:
        for sim_d in SWEEP_SIMILAR[1]:
            if sim_p < base.same_phash or sim_d < base.same_dhash:
                continue
            tried = dataclasses.replace(base, similar_phash=sim_p, similar_dhash=sim_d)
            result = score(pairs, grouping_classes(module, records, tried))
            cells[(sim_p, sim_d)] = "#" if not result.grouped_different and not misses(result) else "b"
            recalls[(sim_p, sim_d)] = result.recall[SIMILAR]
    return cells, recalls


def cell_mark(result: Score) -> str:
    problems = misses(result)
    # Edits classed the same picture count through the precision, as in the targets.
    wrong = any("classed the same picture" in p or "precision" in p for p in problems)
    low = any("recall" in p for p in problems)
    return "." if wrong and low else "b" if wrong else "r" if low else "#"


def extent(cells: dict[tuple[int, int], str], point: tuple[int, int], axis: int) -> str:
    """The passing run through `point` along one axis, as "a..b", open-ended ("a..") where it
    reaches the end of the sweep (nothing is known beyond), or "fails" when `point` does not pass."""
    if cells.get(point) != "#":
        return "fails"
    ends: list[int | None] = []
    for step in (-1, 1):
        cell = point
        while True:
            ahead = (cell[0] + step, cell[1]) if axis == 0 else (cell[0], cell[1] + step)
            if ahead not in cells:
                ends.append(None)
                break
            if cells[ahead] != "#":
                ends.append(cell[axis])
                break
            cell = ahead
    low, high = ends
    return f"{'' if low is None else low}..{'' if high is None else high}"


def print_map(cells: dict[tuple[int, int], str], axes: tuple[range, range], point: tuple[int, int]) -> None:
    """The sweep as a grid, rows the pHash threshold, columns the dHash one; the evaluated
    thresholds are the cell in brackets."""
    print("      " + "".join(f"{d:>4}" for d in axes[1]))
    for row in axes[0]:
        if any((row, d) in cells for d in axes[1]):
            marks = "".join(
                f" [{cells[(row, d)]}]" if (row, d) == point else f"{cells.get((row, d), ' '):>4}"
                for d in axes[1]
            )
            print(f"  {row:>3} {marks}")


def report_sweeps(module: Any, records: Sequence[Record], pairs: Sequence[Pair], given: Any) -> Any | None:
    """Where the real grouping meets the targets around the evaluated thresholds: the margins that
    count, as they include its keeper-centred groups and its use of time. Returns the thresholds
    deepest inside the passing region (similar ones chosen on it), None when nothing passes."""
    factors = sorted({given.same_time_factor, module.DEFAULTS.same_time_factor})
    point = (given.same_phash, given.same_dhash)
    deepest: tuple[tuple[int, int], Any] | None = None
    for factor in factors:
        base = dataclasses.replace(given, same_time_factor=factor)
        cells = sweep_same(module, records, pairs, base)
        print(f"\njobs.grouping, same_phash (rows) x same_dhash (columns), same_time_factor {factor}")
        print_map(cells, SWEEP_SAME, point)
        print(
            f"  at same {point[0]}/{point[1]}: same_phash {extent(cells, point, 0)} and same_dhash "
            f"{extent(cells, point, 1)} keep every target"
        )
        for cell, depth in depths(cells).items():
            key = (depth, -(cell[0] + cell[1]))
            if deepest is None or key > deepest[0]:
                deepest = (key, dataclasses.replace(base, same_phash=cell[0], same_dhash=cell[1]))
    print(f"  {MARKS}")
    if deepest is None:
        return None
    chosen = deepest[1]
    margin = deepest[0][0] - 1
    print(
        f"deepest inside: same {chosen.same_phash}/{chosen.same_dhash} at same_time_factor "
        f"{chosen.same_time_factor}, "
        + (f"{margin} step(s) from the nearest failing threshold" if margin else "on the edge: no margin")
    )
    cells, recalls = sweep_similar(module, records, pairs, chosen)
    point = (given.similar_phash, given.similar_dhash)
    print("\njobs.grouping, similar_phash (rows) x similar_dhash (columns): # no different pictures grouped")
    print_map(cells, SWEEP_SIMILAR, point)
    passing = [cell for cell, mark in cells.items() if mark == "#"]
    if passing:
        top = max(passing, key=lambda cell: (recalls[cell], -(cell[0] + cell[1])))
        if point in cells:
            print(
                f"  at similar {point[0]}/{point[1]}: similar recall {recalls[point]:.1%}; similar_phash "
                f"{extent(cells, point, 0)} and similar_dhash {extent(cells, point, 1)} keep different "
                "pictures apart"
            )
        print(f"  the most similar recall that keeps them apart: {recalls[top]:.1%} at {top[0]}/{top[1]}")
        # The most recall, then the most room to the nearest cell that groups different pictures.
        depth = depths(cells)
        best = max(recalls[cell] for cell in depth)
        cell = max((c for c in depth if recalls[c] >= best - 0.005), key=lambda c: (depth[c], recalls[c]))
        chosen = dataclasses.replace(chosen, similar_phash=cell[0], similar_dhash=cell[1])
    return chosen


def depths(cells: dict[tuple[int, int], str]) -> dict[tuple[int, int], int]:
    """For each passing cell, the Chebyshev distance to the nearest failing cell, the end of the
    sweep counting as failing (nothing is known beyond it): 1 on the region's edge."""
    failing = [cell for cell, mark in cells.items() if mark != "#"]
    rows, columns = {c[0] for c in cells}, {c[1] for c in cells}
    result = {}
    for cell, mark in cells.items():
        if mark != "#":
            continue
        near = min((max(abs(cell[0] - f[0]), abs(cell[1] - f[1])) for f in failing), default=99)
        edge = 1 + min(
            cell[0] - min(rows), max(rows) - cell[0], cell[1] - min(columns), max(columns) - cell[1]
        )
        result[cell] = min(near, edge)
    return result


# Main ---------------------------------------------------------------------------------------------
