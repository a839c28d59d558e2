"""How well perceptual hashes tell copies from burst frames and look-alikes, and which thresholds to use.

    .venv/bin/python -m bench.duplicates_quality [--draws 4] [--thresholds P,D,SP,SD,ASPECT[,FACTOR]]
                                                 [--no-sweep] [--keep DIR] [--verbose]

Builds the duplicate fixture set (tests/dup_fixtures.py) in a temporary folder, runs the real
analysis (jobs.images.analyse_image) and sha256 on every file, then compares every pair:

1. the pHash / dHash distance and aspect-ratio distributions per relationship (same picture,
   burst frame, edit, look-alike of the same place, unrelated), and per variant against its
   original (and against the file jobs.grouping would keep);
2. recommended thresholds (same_phash, same_dhash, similar_phash, similar_dhash, aspect tolerance)
   with their margins on both sides, checked with a reference grouping that links each copy to
   its original, with and without the original time, to show which signal does the separating;
3. when jobs/grouping.py exists, the real `group()` on every draw: pairwise precision and recall
   per class (exact, same, similar) and the burst / look-alike pairs classed "same", with its
   DEFAULTS and with the recommended thresholds; then maps of where its same and similar
   thresholds meet the targets (the real margins, its groups being centred on the file to keep),
   and the thresholds deepest inside them.

Exits 1 when a product target is missed (by the reference grouping, by jobs.grouping's DEFAULTS,
by the best thresholds the sweep finds, or by --thresholds): exact perfect, same-picture recall
>= 98% with precision >= 99.5%, and no burst frame or look-alike ever classed the same picture.
A run takes about 1.5 minutes per draw on 2 cores, most of it the sweep (--no-sweep: 30 s).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib
import importlib.util
import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from jobs.hashing import hamming
from jobs.images import analyse_image
from tests.dup_fixtures import (
    BURST_SHIFT,
    DIFFERENT,
    EXACT,
    ORIGINAL,
    SAME,
    SIMILAR,
    Fixture,
    build_fixture_set,
    kind_of,
    relation,
    scene_of,
)

SAME_RECALL, SAME_PRECISION = 0.98, 0.995  # the product's targets
CLASSES = (EXACT, SAME, SIMILAR)
STRENGTH = {EXACT: 3, SAME: 2, SIMILAR: 1, DIFFERENT: 0}
# Pair labels for the distributions: a relationship, split where the split matters.
LABELS = ("exact", "same", "burst", "edit", "look-alike", "unrelated")
IMPORTED_AT = "2026-01-01T12:00:00"


@dataclass(frozen=True)
class Record:
    fixture: Fixture
    draw: int  # which build of the set (seed); files of different draws are never paired
    sha256: str
    phash: int
    dhash: int
    width: int  # as displayed, after the EXIF orientation
    height: int
    size: int
    camera: str | None
    software: str | None


@dataclass(frozen=True)
class Pair:
    a: int  # indexes into the records
    b: int
    relation: str  # exact | same | similar | different
    label: str  # one of LABELS
    phash: int
    dhash: int
    aspect: float  # relative difference of the two width/height ratios
    time: str  # "equal" | "differ" | "unknown" (one side has no original time)


@dataclass(frozen=True)
class Rule:
    """The decision the reference grouping makes; thresholds are inclusive distances."""

    same_phash: int
    same_dhash: int
    similar_phash: int
    similar_dhash: int
    aspect_tolerance: float
    use_time: bool = True  # original times that differ forbid "same"
    similar_seconds: float = 0.0  # original times this close also make "similar" (0: off)...
    similar_time_phash: int = 64  # ...when the pHash is within this
    same_time_factor: float = 1.0  # jobs.grouping's loosening for equal original times (1: none)


# Building and measuring ---------------------------------------------------------------------------


def measure(fixtures: Sequence[Fixture], draw: int) -> list[Record]:
    tags = read_tags([f.path for f in fixtures])
    records = []
    for fixture in fixtures:
        facts = analyse_image(fixture.path, fixture.real_type)
        data = fixture.path.read_bytes()
        found = tags.get(str(fixture.path), {})
        check_time(fixture, found)
        make, model = found.get("Make"), found.get("Model")
        camera = " ".join(str(part) for part in (make, model) if part) or None
        records.append(
            Record(
                fixture=fixture,
                draw=draw,
                sha256=hashlib.sha256(data).hexdigest(),
                phash=facts.hashes["phash"],
                dhash=facts.hashes["dhash"],
                width=facts.width,
                height=facts.height,
                size=len(data),
                camera=camera,
                software=found.get("Software"),
            )
        )
    return records


def read_tags(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """Camera, software and original time as exiftool reads them back, in one run for all files."""
    tags = ["-Make", "-Model", "-Software", "-DateTimeOriginal", "-SubSecTimeOriginal"]
    done = subprocess.run(
        ["exiftool", "-j", "-q", "-q", *tags, *map(str, paths)],
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    return {entry["SourceFile"]: entry for entry in json.loads(done.stdout or "[]")}


def check_time(fixture: Fixture, tags: dict[str, Any]) -> None:
    """The set's expectations lean on original times, so a fixture whose file does not carry the
    time it claims is a broken fixture, not a finding."""
    stamp = tags.get("DateTimeOriginal")
    found = None
    if stamp:
        found = datetime.strptime(str(stamp), "%Y:%m:%d %H:%M:%S")
        subsec = str(tags.get("SubSecTimeOriginal", "0"))
        found = found.replace(microsecond=round(float(f"0.{subsec}") * 1_000_000))
    if found != fixture.original_time:
        raise SystemExit(f"{fixture.path.name}: file carries {found}, fixture says {fixture.original_time}")


def pairs_of(records: Sequence[Record]) -> list[Pair]:
    pairs = []
    for a, b in itertools.combinations(range(len(records)), 2):
        left, right = records[a], records[b]
        if left.draw != right.draw:
            continue
        pairs.append(
            Pair(
                a=a,
                b=b,
                relation=relation(left.fixture, right.fixture),
                label=label_of(left.fixture, right.fixture),
                phash=hamming(left.phash, right.phash),
                dhash=hamming(left.dhash, right.dhash),
                aspect=aspect_difference(left, right),
                time=time_relation(left.fixture.original_time, right.fixture.original_time),
            )
        )
    return pairs


def label_of(a: Fixture, b: Fixture) -> str:
    kind = relation(a, b)
    if kind == SIMILAR:
        return "edit" if "edit" in (a.variant, b.variant) else "burst"
    if kind == DIFFERENT:
        scene = scene_of(a.source_id)
        return "look-alike" if scene is not None and scene == scene_of(b.source_id) else "unrelated"
    return kind


def aspect_difference(a: Record, b: Record) -> float:
    ratio = (a.width / a.height) / (b.width / b.height)
    return max(ratio, 1 / ratio) - 1


def time_relation(a: datetime | None, b: datetime | None) -> str:
    if a is None or b is None:
        return "unknown"
    return "equal" if a == b else "differ"


# Reference grouping -------------------------------------------------------------------------------


def reference_classes(
    records: Sequence[Record], pairs: Sequence[Pair], rule: Rule
) -> dict[tuple[int, int], str]:
    """Exact by sha256; "same" by joining the closest pairs first (single linkage) within the same
    thresholds and aspect tolerance, never into a group that already holds another original time;
    "similar" by joining same-groups within the looser thresholds. Returns the class of each pair
    that is not "different"."""
    parent = list(range(len(records)))
    times: list[set[datetime]] = [
        {r.fixture.original_time} if r.fixture.original_time else set() for r in records
    ]

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    candidates = [
        p
        for p in pairs
        if p.phash <= rule.same_phash
        and p.dhash <= rule.same_dhash
        and p.aspect <= rule.aspect_tolerance
        and not (rule.use_time and p.time == "differ")
    ]
    # Closest first, so a file without a time (a stripped copy) joins its own original's group
    # before a burst frame's, and the time then keeps the frame out.
    for pair in sorted(candidates, key=lambda p: (p.phash + p.dhash, p.a, p.b)):
        a, b = root(pair.a), root(pair.b)
        if a == b or (rule.use_time and len(times[a] | times[b]) > 1):
            continue
        parent[b] = a
        times[a] |= times[b]
    same_root = [root(i) for i in range(len(records))]

    similar_parent = {r: r for r in set(same_root)}

    def similar_root(node: int) -> int:
        while similar_parent[node] != node:
            node = similar_parent[node]
        return node

    for pair in pairs:
        close = pair.phash <= rule.similar_phash and pair.dhash <= rule.similar_dhash
        if not close and rule.similar_seconds and pair.time != "unknown":
            apart = abs(seconds_apart(records[pair.a], records[pair.b]))
            close = apart <= rule.similar_seconds and pair.phash <= rule.similar_time_phash
        if close:
            a, b = similar_root(same_root[pair.a]), similar_root(same_root[pair.b])
            if a != b:
                similar_parent[b] = a

    classes = {}
    for pair in pairs:
        if records[pair.a].sha256 == records[pair.b].sha256:
            classes[(pair.a, pair.b)] = EXACT
        elif same_root[pair.a] == same_root[pair.b]:
            classes[(pair.a, pair.b)] = SAME
        elif similar_root(same_root[pair.a]) == similar_root(same_root[pair.b]):
            classes[(pair.a, pair.b)] = SIMILAR
    return classes


# Scoring ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    precision: dict[str, float]
    recall: dict[str, float]
    counts: dict[str, tuple[int, int, int]]  # class -> (true positives, predicted, expected)
    wrongly_same: dict[str, int]  # pair label -> pairs classed "same" (or exact) that are not
    examples: list[Pair]  # those pairs, for a person to look at
    lost: list[Pair]  # same-picture pairs not classed the same picture (or exact)
    grouped_different: int  # pairs of different pictures put in a group of any class


def score(pairs: Sequence[Pair], predicted: dict[tuple[int, int], str]) -> Score:
    hits: dict[str, int] = defaultdict(int)
    claimed: dict[str, int] = defaultdict(int)
    wanted: dict[str, int] = defaultdict(int)
    wrongly_same: dict[str, int] = defaultdict(int)
    examples, lost = [], []
    for pair in pairs:
        got = predicted.get((pair.a, pair.b), DIFFERENT)
        claimed[got] += 1
        wanted[pair.relation] += 1
        hits[got] += got == pair.relation
        if STRENGTH[got] >= STRENGTH[SAME] and pair.relation in (SIMILAR, DIFFERENT):
            wrongly_same[pair.label] += 1
            examples.append(pair)
        if pair.relation == SAME and STRENGTH[got] < STRENGTH[SAME]:
            lost.append(pair)
    precision = {c: hits[c] / claimed[c] if claimed[c] else 1.0 for c in CLASSES}
    recall = {c: hits[c] / wanted[c] if wanted[c] else 1.0 for c in CLASSES}
    counts = {c: (hits[c], claimed[c], wanted[c]) for c in CLASSES}
    grouped_different = sum(
        1 for p in pairs if p.relation == DIFFERENT and predicted.get((p.a, p.b), DIFFERENT) != DIFFERENT
    )
    return Score(precision, recall, counts, dict(wrongly_same), examples, lost, grouped_different)


def misses(result: Score) -> list[str]:
    """The product targets this score breaks, as sentences."""
    problems = []
    if result.precision[EXACT] < 1 or result.recall[EXACT] < 1:
        problems.append("exact copies are not found perfectly")
    if result.recall[SAME] < SAME_RECALL:
        problems.append(f"same-picture recall {result.recall[SAME]:.2%} < {SAME_RECALL:.0%}")
    if result.precision[SAME] < SAME_PRECISION:
        problems.append(f"same-picture precision {result.precision[SAME]:.2%} < {SAME_PRECISION:.1%}")
    for label in ("burst", "look-alike", "unrelated"):
        if result.wrongly_same.get(label):
            problems.append(f"{result.wrongly_same[label]} {label} pairs classed the same picture")
    return problems


# Recommending -------------------------------------------------------------------------------------


def to_original(records: Sequence[Record], pairs: Sequence[Pair]) -> list[Pair]:
    """Pairs of a file with its own original."""
    return to_anchor(pairs, originals(records))


def to_anchor(pairs: Sequence[Pair], anchors: set[int]) -> list[Pair]:
    """Pairs of a file with the anchor of its source: the file a copy must reach to join a group
    (the original when groups link freely; the keeper when every member must be near it)."""
    return [p for p in pairs if p.relation != DIFFERENT and (p.a in anchors or p.b in anchors)]


def originals(records: Sequence[Record]) -> set[int]:
    return {i for i, r in enumerate(records) if r.fixture.expected == ORIGINAL}


def keepers(module: Any, records: Sequence[Record]) -> set[int]:
    """The file jobs.grouping would keep among each capture's copies: its same-picture groups are
    stars around that file, so each copy must be near it, not just near the original."""
    best: dict[tuple[int, str], tuple[Any, int]] = {}
    for index, record in enumerate(records):
        if record.fixture.expected in (ORIGINAL, EXACT, SAME):
            source = (record.draw, record.fixture.source_id)
            key = module.keeper_key(as_item(module, index, record))
            if source not in best or key < best[source][0]:
                best[source] = (key, index)
    return {index for _, index in best.values()}


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


def seconds_apart(a: Record, b: Record) -> float:
    if a.fixture.original_time is None or b.fixture.original_time is None:
        return 0.0
    return (a.fixture.original_time - b.fixture.original_time).total_seconds()


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


def stats(values: Iterable[float]) -> dict[str, float]:
    data = np.asarray(list(values), dtype=float)
    if not data.size:
        return {}
    names = {"min": 0, "p1": 1, "p5": 5, "p50": 50, "p95": 95, "p99": 99, "max": 100}
    return {name: float(np.percentile(data, q, method="nearest")) for name, q in names.items()}


def print_distributions(records: Sequence[Record], pairs: Sequence[Pair], anchors: set[int]) -> None:
    by_label: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_label[pair.label].append(pair)
    header = f"{'pairs':<26}{'n':>7}" + "".join(
        f"{h:>6}" for h in ("min", "p1", "p5", "p50", "p95", "p99", "max")
    )
    for name in ("phash", "dhash"):
        print(f"\n{name} distance, every pair")
        print(header)
        for label in LABELS:
            print_row(label, [getattr(p, name) for p in by_label[label]])
        print_row(
            "same, to own original",
            [getattr(p, name) for p in to_original(records, pairs) if p.relation == SAME],
        )
        if anchors != originals(records):
            keeper = [getattr(p, name) for p in to_anchor(pairs, anchors) if p.relation == SAME]
            print_row("same, to grouping's keeper", keeper)
    print("\naspect difference (%), every pair")
    print(header)
    for label in ("same", "burst", "edit"):
        print_row(label, [100 * p.aspect for p in by_label[label]], digits=1)
    print("\nper variant, distance to its own original (max over sources; burst by camera shift)")
    print(f"{'variant':<26}{'n':>7}{'phash':>14}{'dhash':>14}{'aspect %':>10}{'time':>10}")
    rows: dict[str, list[Pair]] = defaultdict(list)
    for pair in to_original(records, pairs):
        other = records[pair.b] if records[pair.a].fixture.variant == "original" else records[pair.a]
        rows[variant_row(other.fixture)].append(pair)
    for name, group in sorted(rows.items(), key=lambda item: max(p.phash for p in item[1])):
        phashes, dhashes = [p.phash for p in group], [p.dhash for p in group]
        when = {p.time for p in group}
        print(
            f"{name:<26}{len(group):>7}{spread(phashes):>14}{spread(dhashes):>14}"
            f"{100 * max(p.aspect for p in group):>10.1f}{'/'.join(sorted(when)):>10}"
        )


def variant_row(fixture: Fixture) -> str:
    if fixture.variant == "edit":
        return f"edit, {fixture.detail.split(',')[0]}"
    if kind_of(fixture) != "burst":
        return fixture.variant
    shift = float(re.search(r"shift ([\d.]+)%", fixture.detail).group(1))  # type: ignore[union-attr]
    low = min(int(shift), round(BURST_SHIFT[1] * 100) - 1)  # 4.01% from rounding pixels is 3-4%
    return f"burst, shift {low}-{low + 1}%"


def spread(values: Sequence[int]) -> str:
    """median / max, the two numbers a threshold is read from."""
    return f"{int(np.median(values))} / {max(values)}"


def print_row(label: str, values: Sequence[float], digits: int = 0) -> None:
    summary = stats(values)
    cells = "".join(f"{summary[k]:>6.{digits}f}" for k in ("min", "p1", "p5", "p50", "p95", "p99", "max"))
    print(f"{label:<26}{len(values):>7}{cells if summary else ''}")


def print_score(records: Sequence[Record], title: str, result: Score) -> None:
    print(f"\n{title}")
    for name in CLASSES:
        hits, claimed, wanted = result.counts[name]
        print(
            f"  {name:<8} precision {result.precision[name]:>8.2%} ({hits}/{claimed})"
            f"   recall {result.recall[name]:>8.2%} ({hits}/{wanted})"
        )
    wrong = ", ".join(f"{label} {n}" for label, n in sorted(result.wrongly_same.items())) or "none"
    print(f"  pairs classed the same picture that are not: {wrong}")
    print(f"  pairs of different pictures grouped in any class: {result.grouped_different}")
    if result.lost:
        variants: dict[str, int] = defaultdict(int)
        for pair in result.lost:
            for index in (pair.a, pair.b):
                variants[records[index].fixture.variant] += 1
        common = ", ".join(f"{name} {n}" for name, n in sorted(variants.items(), key=lambda v: -v[1])[:6])
        print(f"  same-picture pairs missed: {len(result.lost)}; the variants in them most often: {common}")


def print_examples(records: Sequence[Record], pairs: Sequence[Pair], limit: int) -> None:
    for pair in pairs[:limit]:
        print(f"    {describe(records, pair)}")


def print_closest(records: Sequence[Record], pairs: Sequence[Pair], verbose: bool) -> None:
    limit = 10 if verbose else 4
    different = sorted((p for p in pairs if p.relation == DIFFERENT), key=lambda p: (p.phash, p.dhash))
    print("\nclosest different pictures")
    print_examples(records, different, limit)
    linking = [p for p in to_original(records, pairs) if p.relation == SAME]
    print("farthest copies from their original")
    print_examples(records, sorted(linking, key=lambda p: (-p.phash, -p.dhash)), limit)


# The real grouping (jobs/grouping.py), when it exists ----------------------------------------------


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


def as_item(module: Any, index: int, record: Record) -> Any:
    fixture = record.fixture
    when = fixture.original_time
    return module.Item(
        id=index,
        sha256=record.sha256,
        phash=record.phash,
        dhash=record.dhash,
        width=record.width,
        height=record.height,
        kind="image",
        duration=None,
        original_time=time_text(when),
        size=record.size,
        real_type=fixture.real_type,
        has_original_date=when is not None,
        camera=record.camera,
        software=record.software,
        tags=0,
        imported_at=IMPORTED_AT,
        path=f"{fixture.path.parent.name}/{fixture.path.name}",
    )


def time_text(when: datetime | None) -> str | None:
    """As jobs.duplicates.load_items writes it: the local time, then SubSecTimeOriginal's digits."""
    if when is None:
        return None
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 10_000:02d}"


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--keep", type=Path, help="build the set in this folder and leave it there")
    parser.add_argument(
        "--draws",
        type=int,
        default=1,
        help="build the set this many times with other burst shifts, edits and times (seeds 0..N-1) "
        "and calibrate on all of them: a threshold that fits one draw may owe it to luck",
    )
    parser.add_argument(
        "--thresholds",
        metavar="P,D,SP,SD,ASPECT[,FACTOR]",
        help="evaluate these (same_phash, same_dhash, similar_phash, similar_dhash, aspect tolerance "
        "as a fraction, jobs.grouping's same_time_factor) instead of the recommended ones",
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the threshold maps of jobs.grouping")
    parser.add_argument("--verbose", action="store_true", help="list more of the pairs behind each number")
    args = parser.parse_args(argv)
    shown = 10 if args.verbose else 4

    records: list[Record] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dup-fixtures-") as scratch:
        for draw in range(args.draws):
            root = (args.keep or Path(scratch)) / f"draw{draw}"
            records += measure(build_fixture_set(root, draw), draw)
    fixtures = [r.fixture for r in records]
    sources = len({f.source_id for f in fixtures})
    heic = sum(f.real_type == "heic" for f in fixtures)
    print(
        f"{len(fixtures)} files from {sources} photos in {args.draws} draw(s) ({heic} HEIC copies), "
        f"built and analysed in {time.monotonic() - started:.0f} s"
    )
    pairs = pairs_of(records)
    count: dict[str, int] = defaultdict(int)
    for pair in pairs:
        count[pair.label] += 1
    print("pairs: " + ", ".join(f"{label} {count[label]}" for label in LABELS))

    module = real_grouping()
    # jobs.grouping centres each same-picture group on the file it would keep, so there a copy has
    # to be near that file, not just near the original: shown beside the original's distances.
    kept = keepers(module, records) if module and hasattr(module, "keeper_key") else originals(records)
    if module:
        names = ", ".join(sorted({records[i].fixture.variant for i in kept}))
        print(f"jobs.grouping would keep, of each capture's copies: {names}")
    print_distributions(records, pairs, kept)
    print_closest(records, pairs, args.verbose)

    rule, notes = recommend(records, pairs, originals(records))
    print("\nrecommended thresholds, for groups that link each copy to its original (inclusive distances)")
    for note in notes:
        print(f"  {note}")
    if module and hasattr(module.DEFAULTS, "same_time_factor"):
        print(
            "  same_time_factor = 1.0: edits keep the capture time, so an equal time does not prove one "
            "capture; loosening the same thresholds for it lets same-shape edits in (see the maps)"
        )
    if args.thresholds:
        values = args.thresholds.split(",")
        rule = dataclasses.replace(
            rule,
            same_phash=int(values[0]),
            same_dhash=int(values[1]),
            similar_phash=int(values[2]),
            similar_dhash=int(values[3]),
            aspect_tolerance=float(values[4]),
            same_time_factor=float(values[5]) if len(values) > 5 else rule.same_time_factor,
        )
    chosen = "given" if args.thresholds else "recommended"
    print(
        f"\nevaluated ({chosen}): same {rule.same_phash}/{rule.same_dhash}, similar "
        f"{rule.similar_phash}/{rule.similar_dhash} (phash/dhash), aspect {rule.aspect_tolerance:.1%}"
    )

    problems: list[str] = []
    hashes_only = dataclasses.replace(rule, use_time=False, similar_seconds=0.0)
    print_score(
        records,
        "reference grouping (links copies freely), hashes and aspect only",
        score(pairs, reference_classes(records, pairs, hashes_only)),
    )
    with_time = score(
        pairs, reference_classes(records, pairs, dataclasses.replace(rule, similar_seconds=0.0))
    )
    print_score(records, "reference grouping, hashes, aspect and original time", with_time)
    print_examples(records, with_time.examples, shown)
    problems += [f"reference grouping: {p}" for p in misses(with_time)]
    windowed = score(pairs, reference_classes(records, pairs, rule))
    print_score(
        records,
        f"the same, plus similar by time: within {rule.similar_seconds:.0f} s and "
        f"phash <= {rule.similar_time_phash}",
        windowed,
    )

    if module is None:
        print("\njobs/grouping.py not found: the real grouping was not measured")
    else:
        own = score(pairs, grouping_classes(module, records, module.DEFAULTS))
        print_score(records, f"jobs.grouping.group with its DEFAULTS {module.DEFAULTS}", own)
        print_examples(records, own.examples, shown)
        problems += [f"jobs.grouping DEFAULTS: {p}" for p in misses(own)]
        given = thresholds_for(module, rule)
        real = score(pairs, grouping_classes(module, records, given))
        print_score(records, f"jobs.grouping.group with the {chosen} thresholds {given}", real)
        print_examples(records, real.examples, shown)
        if args.thresholds:
            problems += [f"jobs.grouping, given thresholds: {p}" for p in misses(real)]
        if not args.thresholds and not args.no_sweep and hasattr(given, "same_time_factor"):
            swept = report_sweeps(module, records, pairs, given)
            if swept is None:
                problems.append("jobs.grouping: no same_phash / same_dhash meets the targets on this set")
            else:
                final = score(pairs, grouping_classes(module, records, swept))
                print_score(records, f"jobs.grouping.group with the swept thresholds {swept}", final)
                print_examples(records, final.examples, shown)
                problems += [f"jobs.grouping, swept thresholds: {p}" for p in misses(final)]

    print()
    for problem in problems:
        print(f"TARGET MISSED: {problem}")
    print("all targets met" if not problems else f"{len(problems)} target(s) missed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
