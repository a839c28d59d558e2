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
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from bench.dup_calibrate import (
    describe,
    grouping_classes,
    real_grouping,
    recommend,
    report_sweeps,
    thresholds_for,
)
from bench.dup_measure import (
    CLASSES,
    LABELS,
    Pair,
    Record,
    Score,
    keepers,
    measure,
    misses,
    originals,
    pairs_of,
    reference_classes,
    score,
    to_anchor,
    to_original,
)
from tests.dup_fixtures import (
    BURST_SHIFT,
    DIFFERENT,
    SAME,
    Fixture,
    build_fixture_set,
    kind_of,
)


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
