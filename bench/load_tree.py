"""A big folder of small, real JPEGs for the load benchmark, written in seconds.

A few hundred distinct pictures are encoded once with Pillow (a coarse random colour grid, so their
perceptual hashes differ); every file is one of them with its own EXIF capture time spliced into the
bytes (the template's date replaced in place, same length), so each file has its own SHA-256 and
its own date without another encode. The mix gives every queue content:

- most files: camera EXIF date and model, in folders like `2019-07-04 Beach/` (tags from names);
- every 12th: no EXIF and a name without a date (only the file time: the date-review queue);
- every 25th: an EXIF date that contradicts its `IMG_YYYYMMDD_HHMMSS` name (a conflict: review);
- every 20th: a byte-identical copy of the file before it (exact duplicate groups).
"""

from __future__ import annotations

import io
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image

TEMPLATE_DATE = "2000:01:01 00:00:00"
FIRST = datetime(2012, 1, 1, 9, 0, 0)
PER_FOLDER = 200
PLACES = ("Beach", "Rome", "Garden", "Birthday", "Ski", "Zoo", "Lake", "Wedding")


@dataclass(frozen=True)
class Tree:
    root: Path
    files: int
    undated: int
    conflicting: int
    duplicates: int
    bytes: int


def pictures(count: int, seed: int = 7) -> list[tuple[bytes, bytes]]:
    """(with EXIF, without EXIF) JPEG bytes of `count` distinct 96x72 pictures."""
    rng = random.Random(seed)
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 40D"  # Model
    exif[0x0132] = TEMPLATE_DATE  # DateTime
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = TEMPLATE_DATE  # DateTimeOriginal
    ifd[0x9004] = TEMPLATE_DATE  # DateTimeDigitized
    exif_bytes = exif.tobytes()
    made = []
    for _ in range(count):
        grid = Image.new("RGB", (4, 3))
        grid.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(12)])
        picture = grid.resize((96, 72), Image.Resampling.BILINEAR)
        with_exif, plain = io.BytesIO(), io.BytesIO()
        picture.save(with_exif, "JPEG", quality=80, exif=exif_bytes)
        picture.save(plain, "JPEG", quality=80)
        made.append((with_exif.getvalue(), plain.getvalue()))
    return made


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a JPEG comment segment after SOI: other bytes, same pixels."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def build_tree(root: Path, files: int, distinct: int = 300, start: int = 0) -> Tree:
    """Write `files` JPEGs under `root`; `start` offsets names and dates, so a second tree built
    into another folder holds no file of the first."""
    made = pictures(distinct, seed=7 + start)
    template = TEMPLATE_DATE.encode()
    counts = {"undated": 0, "conflicting": 0, "duplicates": 0}
    total_bytes = 0
    previous: bytes | None = None
    folder: Path | None = None
    for k in range(files):
        n = start + k
        taken = FIRST + timedelta(minutes=37 * n, seconds=n % 53)
        if k % PER_FOLDER == 0:
            folder = root / f"{taken:%Y-%m-%d} {PLACES[(n // PER_FOLDER) % len(PLACES)]}"
            folder.mkdir(parents=True, exist_ok=True)
        assert folder is not None
        dated, plain = made[n % distinct]
        if k % 20 == 19 and previous is not None:
            name, data = f"IMG_{n:06d} copy.jpg", previous
            counts["duplicates"] += 1
        elif k % 12 == 5:
            name, data = f"scan {n:06d}.jpg", with_comment(plain, f"load bench {n}")
            counts["undated"] += 1
        elif k % 25 == 7:
            named = taken + timedelta(days=400)
            name = f"IMG_{named:%Y%m%d_%H%M%S}.jpg"
            data = dated.replace(template, f"{taken:%Y:%m:%d %H:%M:%S}".encode())
            counts["conflicting"] += 1
        else:
            name, data = f"IMG_{n:06d}.jpg", dated.replace(template, f"{taken:%Y:%m:%d %H:%M:%S}".encode())
        path = folder / name
        path.write_bytes(data)
        # A file time near the capture time, as a camera card would give it.
        stamp = taken.timestamp() + 30
        os.utime(path, (stamp, stamp))
        previous = data
        total_bytes += len(data)
    return Tree(root, files, counts["undated"], counts["conflicting"], counts["duplicates"], total_bytes)
