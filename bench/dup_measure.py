"""The duplicate fixture set measured: every file hashed by the real analysis, every pair with its
distances, times and expected relationship, and pairwise precision and recall. Used by
bench/duplicates_quality.py."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jobs.hashing import hamming
from jobs.images import analyse_image
from tests.dup_fixtures import (
    DIFFERENT,
    EXACT,
    ORIGINAL,
    SAME,
    SIMILAR,
    Fixture,
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


def seconds_apart(a: Record, b: Record) -> float:
    if a.fixture.original_time is None or b.fixture.original_time is None:
        return 0.0
    return (a.fixture.original_time - b.fixture.original_time).total_seconds()


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
