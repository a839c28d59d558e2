"""A large synthetic library written straight into SQLite, for page benchmarks: no files on disk,
only the rows an analysed library holds (imports, files, evidence, hashes, duplicate groups, tags,
decisions) in the proportions a family archive has.

    .venv/bin/python -m bench.library_seed --data-dir /tmp/lib [--files 100000]

Everything is drawn from one seeded RNG, so two runs with the same arguments build the same rows.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storage.db import open_database, transaction
from storage.settings import Settings

START = datetime(2010, 1, 1)
SPAN_SECONDS = 15 * 365 * 86_400
IMPORTED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SEASONS = (
    "Winter",
    "Winter",
    "Spring",
    "Spring",
    "Spring",
    "Summer",
    "Summer",
    "Summer",
    "Autumn",
    "Autumn",
    "Autumn",
    "Winter",
)
# (zone, winter offset, summer offset): most of a family's photos are taken at home, some abroad.
ZONES = [
    ("Europe/Berlin", "+01:00", "+02:00"),
    ("Europe/Berlin", "+01:00", "+02:00"),
    ("Europe/Berlin", "+01:00", "+02:00"),
    ("Europe/Berlin", "+01:00", "+02:00"),
    ("Europe/Lisbon", "+00:00", "+01:00"),
    ("America/New_York", "-05:00", "-04:00"),
    ("Asia/Tokyo", "+09:00", "+09:00"),
]
ERRORS = (
    "exiftool could not read this file: it ends before its last segment (truncated copy?).",
    "The picture could not be decoded: the HEIC decoder reported a corrupt tile.",
    "ffprobe found no video stream in this file.",
)
SKIPPED = (
    ("pdf", "application/pdf", "Not a photo or video (a PDF document)."),
    ("zip", "application/zip", "Not a photo or video (a ZIP archive)."),
    ("text", "text/plain", "Not a photo or video (a text file)."),
)
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
EVENTS = (
    "Birthday",
    "Christmas",
    "Easter",
    "Wedding",
    "Holiday",
    "School",
    "Garden",
    "Hiking",
    "Beach",
    "Skiing",
)


@dataclass
class Seeded:
    """What was written: row counts per table and how long it took."""

    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def flip(rng: random.Random, value: int, bits: int) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def tag_names() -> list[str]:
    names = list(PLACES) + list(PEOPLE) + list(EVENTS)
    names += [f"{event} {person}" for event in EVENTS for person in PEOPLE]
    names += [f"{place} {year}" for place in PLACES for year in range(2010, 2025)]
    return names[:200]


class Paths:
    """Folder layouts of the five imports; every (import, rel_path) is unique, as the schema wants."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, str]] = set()
        self.counter = [0] * 6

    def make(self, import_id: int, kind: str, moment: datetime) -> str:
        self.counter[import_id] += 1
        c = self.counter[import_id]
        ymd, hms = moment.strftime("%Y%m%d"), moment.strftime("%H%M%S")
        if import_id == 1:  # a camera's cards, sorted by year and season
            ext = {"video": "MP4", "heic": "HEIC"}.get(kind, "JPG")
            stem = "MVI" if kind == "video" else "IMG"
            path = f"{moment.year}/{SEASONS[moment.month - 1]}/{stem}_{c:05d}.{ext}"
        elif import_id == 2:  # WhatsApp exports
            if kind == "video":
                path = f"WhatsApp Video/VID-{ymd}-WA{c % 10000:04d}.mp4"
            else:
                path = f"WhatsApp Images/IMG-{ymd}-WA{c % 10000:04d}.jpg"
        elif import_id == 3:  # an iPhone's camera roll
            ext = {"video": "MOV", "heic": "HEIC"}.get(kind, "JPG")
            path = f"DCIM/{100 + c // 1000}APPLE/IMG_{c % 10000:04d}.{ext}"
        elif import_id == 4:  # Google Takeout
            ext = {"video": "mp4", "heic": "HEIC"}.get(kind, "jpg")
            stem = "VID" if kind == "video" else "PXL"
            path = f"Takeout/Google Photos/Photos from {moment.year}/{stem}_{ymd}_{hms}{c % 1000:03d}.{ext}"
        else:  # an old archive, one folder per event
            ext = {"video": "MP4", "heic": "HEIC"}.get(kind, "JPG")
            path = f"Old photos/{moment.year} {EVENTS[c % len(EVENTS)]}/DSC{c:05d}.{ext}"
        while (import_id, path) in self.seen:  # a copy with the same name gets " (1)", as browsers do
            stem, dot, ext = path.rpartition(".")
            path = f"{stem} (1).{ext}"
        self.seen.add((import_id, path))
        return path


IMPORTS = [
    (1, "/photos/Canon", "Canon EOS 600D cards", "Canon", "Canon EOS 600D"),
    (2, "/photos/WhatsApp", "WhatsApp backup", None, None),
    (3, "/photos/iPhone", "Anna's iPhone", "Apple", "iPhone 12"),
    (4, "/photos/Takeout", "Google Takeout", "Google", "Pixel 7"),
    (5, "/photos/Archive", "Old archive (scans and compacts)", "SONY", "DSC-W55"),
]
FILE_COLUMNS = (
    "id",
    "import_id",
    "rel_path",
    "source_path",
    "origin",
    "size",
    "fs_mtime",
    "status",
    "status_reason",
    "real_type",
    "mime",
    "sha256",
    "width",
    "height",
    "duration",
    "orientation",
    "camera_make",
    "camera_model",
    "software",
    "has_original_date",
    "thumb_path",
    "taken_local",
    "taken_offset",
    "taken_zone",
    "taken_precision",
    "taken_source",
    "offset_source",
    "confidence",
    "conflict",
    "reasons",
    "engine_version",
    "discarded",
    "created_at",
    "analysed_at",
)
COL = {name: k for k, name in enumerate(FILE_COLUMNS)}


def file_rows(rng: random.Random, count: int) -> list[list[Any]]:
    paths = Paths()
    created = IMPORTED.isoformat(timespec="milliseconds")
    rows = []
    for file_id in range(1, count + 1):
        import_id = 1 + min(4, int(rng.random() * 5))
        _, root, _, make, model = IMPORTS[import_id - 1]
        roll = rng.random()
        kind = "video" if roll < 0.05 else "heic" if roll < 0.10 else "jpeg"
        moment = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        rel_path = paths.make(import_id, kind, moment)
        if kind == "video":
            real_type, mime, size = "mp4", "video/mp4", rng.randrange(5_000_000, 300_000_000)
            width, height, duration = 1920, 1080, round(rng.uniform(2, 180), 2)
        elif kind == "heic":
            real_type, mime, size = "heic", "image/heic", rng.randrange(1_000_000, 4_000_000)
            width, height, duration = 4032, 3024, None
        else:
            real_type, mime, duration = "jpeg", "image/jpeg", None
            small = import_id == 2
            size = rng.randrange(80_000, 400_000) if small else rng.randrange(1_500_000, 8_000_000)
            width, height = (1600, 1200) if small else rng.choice(((4000, 3000), (3000, 4000), (5184, 3456)))
        status, reason = "processed", None
        status_roll = rng.random()
        if status_roll < 0.01:
            status, reason = "error", rng.choice(ERRORS)
        elif status_roll < 0.015:
            real_type, mime, reason = rng.choice(SKIPPED)
            status, width, height, duration = "skipped", None, None, None
        row: list[Any] = [None] * len(FILE_COLUMNS)
        row[COL["id"]] = file_id
        row[COL["import_id"]] = import_id
        row[COL["rel_path"]] = rel_path
        row[COL["source_path"]] = row[COL["origin"]] = f"{root}/{rel_path}"
        row[COL["size"]] = size
        row[COL["fs_mtime"]] = (moment + timedelta(days=rng.randrange(0, 900))).isoformat() + "+00:00"
        row[COL["status"]] = status
        row[COL["status_reason"]] = reason
        row[COL["real_type"]] = real_type
        row[COL["mime"]] = mime
        row[COL["sha256"]] = f"{rng.getrandbits(256):064x}"
        row[COL["width"]], row[COL["height"]], row[COL["duration"]] = width, height, duration
        row[COL["orientation"]] = 1 if kind != "video" else None
        row[COL["camera_make"]], row[COL["camera_model"]] = make, model
        row[COL["conflict"]] = 0
        row[COL["discarded"]] = 0
        row[COL["created_at"]] = created
        if status == "processed":
            row[COL["analysed_at"]] = created
            row[COL["engine_version"]] = 3
            date_fields(rng, row, moment, import_id, kind)
        rows.append(row)
    return rows


def date_fields(rng: random.Random, row: list[Any], moment: datetime, import_id: int, kind: str) -> None:
    """The dating engine's decision: 70% high, 15% medium, 10% low (a third of them conflicts), 5% none."""
    roll = rng.random()
    zone, winter, summer = rng.choice(ZONES)
    offset = summer if 4 <= moment.month <= 10 else winter
    local = moment.isoformat()
    source = {
        2: "Name:WhatsApp",
        4: "Takeout:photoTakenTime",
        5: "EXIF:ExifIFD:DateTimeOriginal",
    }.get(import_id, "QuickTime:CreationDate" if kind == "video" else "EXIF:ExifIFD:DateTimeOriginal")
    if roll < 0.70:
        confidence, precision, reasons = (
            "high",
            "second",
            [
                f"EXIF DateTimeOriginal {local} agrees with the file name and 2 other sources",
                f"offset {offset} from the camera's OffsetTimeOriginal",
            ],
        )
    elif roll < 0.85:
        confidence, precision, reasons = (
            "medium",
            "second",
            [
                f"{source.split(':')[0]} {local}, no second source to confirm it",
                f"offset {offset}: the default zone {zone}",
            ],
        )
    elif roll < 0.95:
        confidence, precision = "low", "second"
        if rng.random() < 0.3:
            row[COL["conflict"]] = 1
            other = (moment + timedelta(hours=rng.choice((-9, -1, 1, 26, 24 * 365)))).isoformat()
            reasons = [f"EXIF DateTimeOriginal {local} disagrees with the file name ({other})"]
        elif rng.random() < 0.4:
            source, precision, local = "Folder:year_month", "month", local[:7]
            reasons = [f"only the folder name says when: {local}"]
        else:
            source = "File:System:FileModifyDate"
            reasons = ["only the file's modification date: copies change it"]
    else:
        row[COL["confidence"]] = "none"
        row[COL["reasons"]] = json.dumps(["no date found in the file, its name, its folder or a sidecar"])
        row[COL["has_original_date"]] = 0
        return
    row[COL["has_original_date"]] = int(source.startswith(("EXIF:", "QuickTime:")))
    row[COL["taken_local"]] = local
    row[COL["taken_offset"]] = offset
    row[COL["taken_zone"]] = zone
    row[COL["taken_precision"]] = precision
    row[COL["taken_source"]] = source
    row[COL["offset_source"]] = "EXIF OffsetTimeOriginal" if confidence == "high" else "default zone"
    row[COL["confidence"]] = confidence
    row[COL["reasons"]] = json.dumps(reasons)


def in_date_queue(row: list[Any]) -> bool:
    return (
        row[COL["status"]] == "processed"
        and not row[COL["discarded"]]
        and (row[COL["confidence"]] in ("low", "none") or row[COL["conflict"]] == 1)
    )


def evidence_rows(rng: random.Random, row: list[Any]) -> list[tuple[Any, ...]]:
    """About five timestamp candidates, as the import writes them."""
    file_id = row[COL["id"]]
    local = row[COL["taken_local"]] or (START + timedelta(seconds=rng.randrange(SPAN_SECONDS))).isoformat()
    local = local if len(local) == 19 else local[:7] + "-01T00:00:00"
    moment = datetime.fromisoformat(local)
    offset = row[COL["taken_offset"]] or "+01:00"
    found = [
        (
            "EXIF:ExifIFD:DateTimeOriginal",
            local.replace("-", ":", 2).replace("T", " "),
            local,
            None,
            0,
            "second",
        ),
        ("EXIF:ExifIFD:CreateDate", local.replace("-", ":", 2).replace("T", " "), local, None, 0, "second"),
        ("EXIF:ExifIFD:OffsetTimeOriginal", offset, None, offset, 0, None),
        (
            "File:System:FileModifyDate",
            row[COL["fs_mtime"]],
            row[COL["fs_mtime"]][:19],
            "+00:00",
            1,
            "second",
        ),
    ]
    if row[COL["conflict"]]:
        other = (moment + timedelta(hours=rng.choice((-9, 1, 26)))).isoformat()
        found.append(("Name:IMG_date", row[COL["rel_path"]].rsplit("/", 1)[-1], other, None, 0, "second"))
    else:
        found.append(("Folder:year", row[COL["rel_path"]].split("/", 1)[0], local[:4], None, 0, "year"))
    if row[COL["confidence"]] == "none":
        found = found[3:4]  # only the file date, and the engine did not trust it
    return [
        (file_id, s, raw, lt, off, utc, prec, json.dumps({"group": s.split(":")[0]}))
        for s, raw, lt, off, utc, prec in found
    ]


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


def hash_rows(
    rng: random.Random, rows: list[list[Any]], members: list[tuple[Any, ...]], flips: dict[int, int]
) -> list[tuple[int, str, int]]:
    """phash and dhash of every analysed image (a frame_phash for videos); group members lie within
    their planted distance of the group's first member."""
    base: dict[int, tuple[int, int]] = {}
    for row in rows:
        if row[COL["status"]] == "processed":
            base[row[COL["id"]]] = (rng.getrandbits(64), rng.getrandbits(64))
    rep_of: dict[int, int] = {}
    first: dict[int, int] = {}
    for group_id, file_id, _, _ in members:
        rep_of[file_id] = first.setdefault(group_id, file_id)
    for file_id, rep in rep_of.items():
        if file_id != rep:
            bits = flips[file_id]
            ph, dh = base[rep]
            base[file_id] = (flip(rng, ph, bits), flip(rng, dh, bits))
    out = []
    for row in rows:
        file_id = row[COL["id"]]
        if file_id in base:
            ph, dh = base[file_id]
            if row[COL["real_type"]] == "mp4":
                out.append((file_id, "frame_phash", signed64(ph)))
            else:
                out.append((file_id, "phash", signed64(ph)))
                out.append((file_id, "dhash", signed64(dh)))
    return out


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


def seed_library(db_path: Path, files: int = 100_000, evidence_files: int = 20_000, seed: int = 1) -> Seeded:
    """Write the synthetic library into a fresh (migrated) database at db_path."""
    started = time.perf_counter()
    rng = random.Random(seed)
    scale = files / 100_000
    rows = file_rows(rng, files)
    groups, members, flips = dup_groups(
        rng, rows, round(3000 * scale), round(2000 * scale), round(1500 * scale)
    )
    decisions = decision_rows(rng, rows, groups, max(20, round(2000 * scale)))
    hashes = hash_rows(rng, rows, members, flips)
    tags, links = tag_rows(rng, rows)
    evidence = []
    for row in rows:
        if row[COL["status"]] == "processed" and (row[COL["id"]] <= evidence_files or in_date_queue(row)):
            evidence.extend(evidence_rows(rng, row))

    conn = open_database(db_path)
    try:
        decision_columns = [r["name"] for r in conn.execute("PRAGMA table_info(decisions)")]
        decision_columns = [
            c
            for c in (
                "id",
                "kind",
                "file_id",
                "group_id",
                "payload",
                "undoes",
                "actor",
                "created_at",
                "batch",
            )
            if c in decision_columns
        ]
        conn.execute("PRAGMA cache_size=-262144")
        with transaction(conn):
            conn.executemany(
                "INSERT INTO imports (id, kind, root, label, state, created_at, started_at, finished_at,"
                " files_total, files_done, scan_complete) VALUES (?, 'folder', ?, ?, 'done', ?, ?, ?, ?, ?, 1)",
                [
                    (
                        i,
                        root,
                        label,
                        IMPORTED.isoformat(),
                        IMPORTED.isoformat(),
                        IMPORTED.isoformat(),
                        sum(1 for r in rows if r[1] == i),
                        sum(1 for r in rows if r[1] == i),
                    )
                    for i, root, label, _, _ in IMPORTS
                ],
            )
            marks = ", ".join("?" * len(FILE_COLUMNS))
            conn.executemany(f"INSERT INTO files ({', '.join(FILE_COLUMNS)}) VALUES ({marks})", rows)
            conn.executemany(
                "INSERT INTO evidence (file_id, source, raw, local_time, utc_offset, is_utc, precision, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                evidence,
            )
            conn.executemany("INSERT INTO hashes (file_id, kind, value) VALUES (?, ?, ?)", hashes)
            conn.executemany(
                "INSERT INTO dup_groups (id, class, representative_id, keeper_id, keeper_reason, resolution,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                groups,
            )
            conn.executemany(
                "INSERT INTO dup_members (group_id, file_id, class, distance) VALUES (?, ?, ?, ?)", members
            )
            conn.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", tags)
            conn.executemany("INSERT INTO file_tags (file_id, tag_id, origin) VALUES (?, ?, ?)", links)
            conn.executemany(
                f"INSERT INTO decisions ({', '.join(decision_columns)})"
                f" VALUES ({', '.join(':' + c for c in decision_columns)})",
                decisions,
            )
        # Start the server on a checkpointed file, as a library that has been idle a while is.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "files",
                "evidence",
                "hashes",
                "dup_groups",
                "dup_members",
                "tags",
                "file_tags",
                "decisions",
            )
        }
    finally:
        conn.close()
    return Seeded(files=files, counts=counts, seconds=time.perf_counter() - started)


def fresh_database(data_dir: Path) -> Path:
    """The database path of `data_dir`, with any earlier database (and its WAL) removed."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = Settings(data_dir=data_dir).database_path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument(
        "--evidence-files",
        type=int,
        default=20_000,
        help="files (by id, plus every file in the date queue) that get evidence rows",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    seeded = seed_library(fresh_database(args.data_dir), args.files, args.evidence_files, args.seed)
    print(f"seeded {seeded.files:,} files in {seeded.seconds:.1f} s: {seeded.counts}")


if __name__ == "__main__":
    try:
        main()
    except sqlite3.Error as error:
        raise SystemExit(f"seeding failed: {error}") from error
