"""The files of the synthetic library (bench/library_seed.py): the five imports and their folder layouts,
one row per file with what the dating engine decided, the timestamp evidence behind each date, and the
perceptual hashes (members of a duplicate group lie within their planted distance of its first member).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

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


def signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def flip(rng: random.Random, value: int, bits: int) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


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
