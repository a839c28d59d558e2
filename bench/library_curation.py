"""What sits on top of the synthetic library's files (bench/library_files.py): duplicate groups and
their members, tags with a long tail, and the decision log a reviewer leaves.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.library_files import COL, EVENTS, IMPORTED, in_date_queue

PLACES = (
    "Paris",
    "Berlin",
    "Lisbon",
    "Rome",
    "Vienna",
    "Prague",
    "Oslo",
    "Madrid",
    "Tokyo",
    "Kyoto",
    "New York",
    "Boston",
    "Baltic Sea",
    "Alps",
    "Garda",
    "Sylt",
    "Hamburg",
    "Munich",
    "Zurich",
    "Porto",
)
PEOPLE = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grandma", "Grandpa", "Hanna", "Jonas")


def tag_names() -> list[str]:
    names = list(PLACES) + list(PEOPLE) + list(EVENTS)
    names += [f"{event} {person}" for event in EVENTS for person in PEOPLE]
    names += [f"{place} {year}" for place in PLACES for year in range(2010, 2025)]
    return names[:200]


def dup_groups(
    rng: random.Random, rows: list[list[Any]], exact: int, same: int, similar: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], dict[int, int]]:
    """Groups over disjoint processed images; exact copies share bytes, resolved "kept" groups set
    their other members aside. Returns (groups, members, file id -> the hash distance to flip)."""
    images = [r for r in rows if r[COL["status"]] == "processed" and r[COL["real_type"]] != "mp4"]
    rng.shuffle(images)
    groups, members, flips = [], [], {}
    now = IMPORTED.isoformat(timespec="milliseconds")
    pool = iter(images)
    group_id = 0
    for cls, count, sizes, resolved_share, bits in (
        ("exact", exact, (2, 2, 3), 0.15, (0, 0)),
        ("same", same, (2, 3), 0.2, (1, 4)),
        ("similar", similar, (2, 3, 4), 0.25, (5, 12)),
    ):
        for _ in range(count):
            try:
                group = [next(pool) for _ in range(rng.choice(sizes))]
            except StopIteration:
                break
            group_id += 1
            rep = group[0]
            if cls == "exact":
                for other in group[1:]:
                    for name in ("sha256", "size", "real_type", "mime", "width", "height"):
                        other[COL[name]] = rep[COL[name]]
            keeper = max(group, key=lambda r: (r[COL["size"]], -r[COL["id"]]))
            resolution = None
            if rng.random() < resolved_share:
                resolution = "kept" if cls == "exact" else rng.choice(("kept", "keep_all", "not_duplicates"))
            if resolution == "kept":
                for other in group:
                    other[COL["discarded"]] = int(other is not keeper)
            groups.append(
                (
                    group_id,
                    cls,
                    rep[COL["id"]],
                    keeper[COL["id"]],
                    "the largest file with the original date",
                    resolution,
                    now,
                    now,
                )
            )
            for member in group:
                distance = 0 if member is rep else rng.randint(*bits)
                flips[member[COL["id"]]] = distance
                members.append((group_id, member[COL["id"]], cls, distance))
    return groups, members, flips


def tag_rows(
    rng: random.Random, rows: list[list[Any]]
) -> tuple[list[tuple[int, str]], list[tuple[Any, ...]]]:
    """200 tags with a long tail (a few on thousands of files, most on dozens); 60% of files tagged."""
    names = tag_names()
    tags = list(enumerate(names, start=1))
    weights = [1 / (rank + 1) for rank in range(len(names))]
    links = []
    for row in rows:
        if row[COL["status"]] == "skipped" or rng.random() >= 0.6:
            continue
        chosen = set(rng.choices(range(1, len(names) + 1), weights=weights, k=rng.randint(1, 3)))
        for tag_id in chosen:
            origin = rng.choices(("folder", "name", "user"), weights=(5, 1, 4))[0]
            links.append((row[COL["id"]], tag_id, origin))
    return tags, links


def decision_rows(
    rng: random.Random, rows: list[list[Any]], groups: list[tuple[Any, ...]], target: int
) -> list[dict[str, Any]]:
    """About `target` decisions: dates set in the queue (those files now read high / User), shifts in
    batches, discards, group resolutions, tags, and a few undos. Oldest first."""
    out: list[dict[str, Any]] = []
    queue = [r for r in rows if in_date_queue(r)]
    rng.shuffle(queue)
    processed = [r for r in rows if r[COL["status"]] == "processed"]
    clock = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)

    def add(
        kind: str,
        file_id: int | None,
        group_id: int | None,
        payload: dict[str, Any],
        batch: str | None = None,
        undoes: int | None = None,
    ) -> None:
        nonlocal clock
        clock += timedelta(seconds=rng.randrange(1, 90))
        out.append(
            {
                "id": len(out) + 1,
                "kind": kind,
                "file_id": file_id,
                "group_id": group_id,
                "payload": json.dumps(payload),
                "undoes": undoes,
                "actor": "anna",
                "created_at": clock.isoformat(timespec="milliseconds"),
                "batch": batch,
            }
        )

    for row in queue[: target * 45 // 100]:
        local = row[COL["taken_local"]] or "2015-07-14T12:00:00"
        chosen = (local[:10] + "T12:00:00") if len(local) < 19 else local
        add(
            "date",
            row[COL["id"]],
            None,
            {"local": chosen, "offset": "+02:00", "previous": {"local": row[COL["taken_local"]]}},
        )
        row[COL["taken_local"]], row[COL["taken_offset"]], row[COL["taken_zone"]] = chosen, "+02:00", None
        row[COL["taken_precision"]], row[COL["taken_source"]] = "second", "User"
        row[COL["offset_source"]], row[COL["confidence"]], row[COL["conflict"]] = "your decision", "high", 0
        row[COL["reasons"]] = json.dumps([f"set by you: {chosen} +02:00"])
    batches = 0
    while sum(1 for d in out if d["kind"] == "shift") < target // 5:
        batches += 1
        start = rng.randrange(len(processed))
        for row in processed[start : start + rng.randint(5, 60)]:
            add("shift", row[COL["id"]], None, {"minutes": 60}, batch=f"b{batches}")
    for row in rng.sample(processed, target // 15):
        add("discard", row[COL["id"]], None, {})
        row[COL["discarded"]] = 1
    for group in [g for g in groups if g[5]][: target // 6]:
        kind = {"kept": "keep", "keep_all": "keep_all", "not_duplicates": "not_duplicates"}[group[5]]
        add(kind, group[3] if kind == "keep" else None, group[0], {"keeper": group[3]})
    for row in rng.sample(processed, target // 10):
        add(rng.choice(("tag", "tag", "tag", "untag")), row[COL["id"]], None, {"tag": "Holiday"})
    for victim in rng.sample(out, min(len(out), target // 60)):
        add("undo", victim["file_id"], victim["group_id"], {}, undoes=victim["id"])
    return out
