"""Analysing a batch of files: bytes, type, metadata, pixels. No database here.

`read_file` hashes and sniffs in one streaming pass; `analyse_batch` then asks exiftool about the
whole batch at once and decodes each picture or video frame. Every failure is a MediaError with a
sentence for a person, recorded on that file only.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.errors import MediaError
from jobs.exif import GaveUp, read_metadata, read_preview
from jobs.images import ImageFacts, analyse_image
from jobs.metadata import camera_facts, date_evidence, position_evidence
from jobs.reasons import human_size
from jobs.sniff import HEAD_BYTES, Sniffed, extension_mismatch, sniff
from jobs.video import analyse_video
from storage.atomic import atomic_write_bytes
from storage.datadir import THUMBS, scratch_dir

CHUNK = 1 << 20


@dataclass
class FileReading:
    """What one streaming read of the file gives: size, SHA-256, real type."""

    size: int
    mtime: float
    sha256: str | None  # None for a file that is no photo or video: only its first bytes were read
    sniffed: Sniffed
    identity: tuple[int, int, int] = (0, 0, 0)  # (inode, size, mtime_ns) when read, to notice a change


@dataclass
class Analysis:
    """Everything learnt about one file, ready to be written in the batch's transaction."""

    status: str  # processed | error | skipped
    reason: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    hashes: dict[str, int] = field(default_factory=dict)
    tags: dict[str, Any] | None = None


def read_file(path: Path) -> FileReading:
    """Hash and sniff in one pass, never following a symlink and never blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise MediaError("the file is gone (moved or deleted since the scan)") from None
    except PermissionError:
        raise MediaError("the file cannot be read: permission denied") from None
    except OSError as error:
        raise MediaError(f"the file cannot be opened: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MediaError("not a regular file")
        if info.st_size == 0:
            raise MediaError("empty file (0 bytes)")
        try:
            head = handle.read(HEAD_BYTES)
        except OSError as error:
            raise MediaError(f"reading the file failed: {error.strerror or error}") from None
        sniffed = sniff(head, path.name)
        if sniffed.kind == "other":
            # Its verdict needs only the first bytes: a 10 GB disk image costs no full read.
            return FileReading(info.st_size, info.st_mtime, None, sniffed, _identity(info))
        _refuse_sparse(fd, info.st_size)
        handle.seek(len(head))
        digest = hashlib.sha256(head)
        size = len(head)
        try:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        except OSError as error:
            raise MediaError(f"reading the file failed: {error.strerror or error}") from None
        after = os.fstat(fd)
    if size != info.st_size or _identity(after) != _identity(info):
        raise MediaError(CHANGED_WHILE_READ)
    return FileReading(size, info.st_mtime, digest.hexdigest(), sniffed, _identity(info))


CHANGED_WHILE_READ = "the file changed while it was being read; it will be read again on the next import"
CHANGED_WHILE_ANALYSED = (
    "the file changed while it was being analysed (is it still being copied?); "
    "it will be read again on the next import"
)
# Files at least this large are checked for holes before their bytes are read and hashed.
SPARSE_MIN = 64 << 20
MAX_EXTENTS = 4096


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return info.st_ino, info.st_size, info.st_mtime_ns


def _refuse_sparse(fd: int, size: int) -> None:
    """A photo or video whose bytes are mostly holes (a sparse file: a preallocated, unfinished
    download, or a hostile file claiming 10 GB) is refused before minutes go into hashing zeros."""
    if size < SPARSE_MIN:
        return
    stored = _stored_bytes(fd, size)
    if stored * 2 < size:
        raise MediaError(
            f"the file is mostly empty space: only {human_size(stored)} of its {human_size(size)} hold data "
            "(a sparse file, such as an unfinished download); it is not read"
        )


def _stored_bytes(fd: int, size: int) -> int:
    """Bytes in the file's data extents; `size` when the file system cannot tell data from holes."""
    stored = offset = 0
    try:
        for _ in range(MAX_EXTENTS):
            start = os.lseek(fd, offset, os.SEEK_DATA)
            offset = os.lseek(fd, start, os.SEEK_HOLE)
            stored += offset - start
            if offset >= size:
                return stored
    except OSError as error:
        if error.errno == errno.ENXIO:  # no data after `offset`
            return stored
    return size  # too fragmented to count, or no SEEK_DATA here: treated as all data


def changed_since_read(path: Path, reading: FileReading) -> bool:
    """Whether the file is not the one that was read (rewritten, grown, replaced, gone)."""
    try:
        return _identity(os.stat(path, follow_symlinks=False)) != reading.identity
    except OSError:
        return True


def thumbnail_path(file_id: int) -> str:
    """Relative to the data dir; spread over 256 folders so none grows huge."""
    return f"{THUMBS}/{file_id % 256:02x}/{file_id}.webp"


def write_thumbnail(data_dir: Path, file_id: int, data: bytes) -> str:
    relative = thumbnail_path(file_id)
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)
    return relative


def analyse_media(
    file_id: int, path: Path, reading: FileReading, tags: dict[str, Any] | str, data_dir: Path
) -> Analysis:
    """Decode and describe one photo or video whose bytes were already read."""
    kind = reading.sniffed.kind
    columns: dict[str, Any] = {"real_type": reading.sniffed.real_type, "mime": reading.sniffed.mime}
    if kind == "other":
        if extension_mismatch(path.name, reading.sniffed):
            # Named like a photo, so the person expects one: that is an error, not a quiet skip.
            reason = f"named like a photo or video ({path.suffix}) but the contents are {reading.sniffed.description}"
            return Analysis("error", reason, columns=columns)
        return Analysis("skipped", f"not a photo or video ({reading.sniffed.description})", columns=columns)
    if isinstance(tags, GaveUp):
        return Analysis("error", str(tags), columns=columns)  # exiftool hung or died on this file
    evidence: list[dict[str, Any]] = []
    if isinstance(tags, dict):
        facts = camera_facts(tags)
        columns.update({k: v for k, v in facts.items() if k not in ("width", "height")})
        evidence = date_evidence(tags) + position_evidence(tags)
    else:
        facts = {}
    try:
        if kind == "video":
            video = analyse_video(path, facts.get("duration"))
            columns.update(
                width=video.width, height=video.height, duration=video.duration or facts.get("duration")
            )
            hashes, thumb = video.hashes, video.thumbnail
        elif kind == "image":
            image = analyse_image(path, reading.sniffed.real_type)
            columns.update(width=image.width, height=image.height, orientation=image.orientation)
            hashes, thumb = image.hashes, image.thumbnail
        else:
            # RAW: no RAW decoder; the JPEG it embeds is the picture to hash and show.
            columns.update(width=facts.get("width"), height=facts.get("height"))
            preview = analyse_preview(path, scratch_dir(data_dir))
            hashes, thumb = preview.hashes, preview.thumbnail
    except MediaError as error:
        return Analysis(
            "error",
            error.reason,
            columns=columns,
            evidence=evidence,
            tags=tags if isinstance(tags, dict) else None,
        )
    if thumb:
        columns["thumb_path"] = write_thumbnail(data_dir, file_id, thumb)
    return Analysis(
        "processed",
        None if isinstance(tags, dict) else tags,
        columns=columns,
        evidence=evidence,
        hashes=hashes,
        tags=tags if isinstance(tags, dict) else None,
    )


def analyse_preview(path: Path, scratch: Path) -> ImageFacts:
    data = read_preview(path, scratch)
    if data is None:
        raise MediaError("a RAW file without an embedded preview: it cannot be shown or compared")
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = scratch / f"preview-{os.getpid()}-{path.stem[:40]}.jpg"
    tmp.write_bytes(data)
    try:
        return analyse_image(tmp, "jpeg")
    finally:
        tmp.unlink(missing_ok=True)


def analyse_batch(items: list[tuple[int, Path, FileReading]], data_dir: Path) -> dict[int, Analysis]:
    """Metadata for the whole batch in one exiftool call, then each file's pixels."""
    media = [(file_id, path, reading) for file_id, path, reading in items if reading.sniffed.kind != "other"]
    tags = read_metadata([path for _, path, _ in media], scratch_dir(data_dir)) if media else []
    by_id = {file_id: t for (file_id, _, _), t in zip(media, tags, strict=True)}
    results = {}
    for file_id, path, reading in items:
        analysis = analyse_media(file_id, path, reading, by_id.get(file_id, {}), data_dir)
        if reading.sha256 is not None and changed_since_read(path, reading):
            # The hash, the tags and the pixels may each come from different contents.
            if analysis.columns.get("thumb_path"):
                (data_dir / analysis.columns["thumb_path"]).unlink(missing_ok=True)
            analysis = Analysis(
                "error", CHANGED_WHILE_ANALYSED, columns={"real_type": reading.sniffed.real_type}
            )
        results[file_id] = analysis
    return results
