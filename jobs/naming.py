"""Where each file goes in an export, as plain data: `YYYY/YYYYMMDD_HHMMSS.ext` from its decided
local time, a folder template, a "no date" folder, the extension of what the bytes really are, and
`_1`, `_2` for files taken in the same second, ordered by sub-seconds then burst number.

A name is never given to different content: a destination file already holding the same bytes
(same SHA-256) is reused, and any other name already taken is skipped. No file system here: the
caller passes what the destination holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

DEFAULT_TEMPLATE = "YYYY/"
NO_DATE_FOLDER = "no date"
# What the bytes are (jobs/sniff.py's names) -> the extension the copy gets.
EXTENSIONS = {
    "jpeg": ".jpg",
    "png": ".png",
    "gif": ".gif",
    "webp": ".webp",
    "heic": ".heic",
    "heif": ".heif",
    "avif": ".avif",
    "tiff": ".tif",
    "bmp": ".bmp",
    "mp4": ".mp4",
    "mov": ".mov",
    "m4v": ".m4v",
    "3gp": ".3gp",
    "avi": ".avi",
    "mkv": ".mkv",
    "webm": ".webm",
    "mts": ".mts",
    "mpeg": ".mpg",
    "dng": ".dng",
    "cr2": ".cr2",
    "cr3": ".cr3",
    "nef": ".nef",
    "arw": ".arw",
    "orf": ".orf",
    "rw2": ".rw2",
    "raf": ".raf",
    "3g2": ".3g2",
    "wmv": ".wmv",
    "nrw": ".nrw",
    "pef": ".pef",
    "sr2": ".sr2",
    "srf": ".srf",
    "srw": ".srw",
}
STAMP_WIDTH = {"year": 4, "month": 6, "day": 8, "hour": 11, "minute": 13, "second": 15}
TEMPLATE_TOKENS = re.compile(r"YYYY|MM|DD")
UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"\\|?*]')


class BadTemplate(ValueError):
    """A folder template a person typed that cannot make safe folders."""


@dataclass(frozen=True)
class Item:
    """One file to place: its decided local time (None: no date) and what is needed to order it."""

    id: int
    local: str | None  # "YYYY-MM-DDTHH:MM:SS" or shorter at coarser precision
    precision: str | None
    real_type: str | None
    name: str  # the original file name, for its extension and for files without a date
    sha256: str
    subsec: str | None = None  # sub-seconds of the capture, digits
    burst: int | None = None


def check_template(template: str) -> str:
    """A folder template such as "YYYY/", "YYYY/YYYY-MM/" or "" (all in one folder)."""
    template = template.strip()
    if template and not template.endswith("/"):
        template += "/"
    parts = template[:-1].split("/") if template else []
    if any(p in ("", ".", "..") for p in parts) or template.startswith("/") or UNSAFE.search(template):
        raise BadTemplate(f"{template!r} is not a folder layout like YYYY/ or YYYY/YYYY-MM/")
    return template


def extension(item: Item) -> str:
    """Lower-case, and the real type's: a PNG named .jpg leaves as .png."""
    real = EXTENSIONS.get((item.real_type or "").lower())
    if real:
        return real
    suffix = PurePosixPath(item.name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def stamp(local: str, precision: str | None) -> str:
    """ "2019-07-14T15:03:09" -> "20190714_150309"; coarser times stay as coarse as they are known."""
    digits = re.sub(r"\D", "", local)
    width = STAMP_WIDTH.get(precision or "second", 15)
    text = (digits[:8] + "_" + digits[8:]) if len(digits) > 8 else digits
    return text[:width].rstrip("_")


def folder(item: Item, template: str) -> str:
    if not item.local:
        return NO_DATE_FOLDER + "/"
    values = {"YYYY": item.local[:4], "MM": item.local[5:7] or "00", "DD": item.local[8:10] or "00"}
    return TEMPLATE_TOKENS.sub(lambda m: values[m.group(0)], template)


def undated_stem(name: str) -> str:
    stem = UNSAFE.sub("_", PurePosixPath(name).stem).strip(" .") or "file"
    return stem[:120]


def slot(item: Item, template: str) -> tuple[str, str]:
    """The name a file wants before any `_1` suffix: (folder + stem, extension)."""
    base = stamp(item.local, item.precision) if item.local else undated_stem(item.name)
    return folder(item, template) + base, extension(item)


def plan(
    items: Iterable[Item], template: str = DEFAULT_TEMPLATE, existing: dict[str, str] | None = None
) -> dict[int, str]:
    """{file id: destination path relative to the export root}.

    `existing` maps paths already at the destination to their SHA-256: the same bytes keep their
    name (nothing is copied twice), other bytes keep theirs and the new file takes the next suffix.
    """
    template = check_template(template)
    existing = dict(existing or {})
    by_content = {sha: path for path, sha in existing.items()}
    placed: dict[int, str] = {}
    buckets: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        buckets.setdefault(slot(item, template), []).append(item)
    for (base, ext), group in sorted(buckets.items()):
        group.sort(key=lambda i: (subsec_key(i.subsec), i.burst if i.burst is not None else 1 << 30, i.id))
        suffix = 0
        for item in group:
            if item.sha256 in by_content:
                placed[item.id] = by_content[item.sha256]
                continue
            while True:
                path = f"{base}{f'_{suffix}' if suffix else ''}{ext}"
                suffix += 1
                if path not in existing:
                    break
            existing[path] = item.sha256
            by_content[item.sha256] = path
            placed[item.id] = path
    return placed


def subsec_key(subsec: str | None) -> float:
    """ "5" and "50" are both half a second: compare as fractions, unknown last."""
    return float(f"0.{subsec}") if subsec and subsec.isdigit() else 1.0
