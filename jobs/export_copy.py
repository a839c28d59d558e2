"""One exported copy, written so that no crash or full disk ever leaves half a file under a final
name: copy to a hidden temp name beside the target, fsync, check its SHA-256 against the
original's, write the metadata into it, set its time, fsync, record its hash, then link it into
place (a link never replaces a file that appeared meanwhile). The original is only read.

Temp files are named `.mediaparser-HOST-PID-TOKEN-RANDOM.ext` (the worker's id, see
runtime.worker_id), so a sweep can tell a dead worker's leftovers from a live one's work in
progress, even when a restarted container hands the dead worker's pid to a new process.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs import runtime
from jobs.exif import write_tags
from storage.atomic import fsync_path, out_of_room

TEMP_PREFIX = ".mediaparser-"
CHUNK = 1 << 20
# Room kept free beyond the file itself: exiftool rewrites the copy once more while adding tags.
HEADROOM = 16 << 20


class DestinationFull(Exception):
    """No room left at the destination: every file after this one would fail the same way."""


class CopyFailed(Exception):
    """This one file could not be exported; the sentence says why."""


@dataclass(frozen=True)
class Copied:
    sha256_out: str
    size_out: int
    written: dict[str, Any]  # {"tags": [...]} or {"not_written": "why"}


def temp_owner() -> str:
    return owner_of(runtime.worker_id())


def owner_of(worker_id: str) -> str:
    """A worker's id as it appears in its temp files' names (no ':' in file names)."""
    return worker_id.replace(":", "-")


def temp_path(final: Path) -> Path:
    # The real extension stays last: exiftool picks how to write a file partly by its name.
    return final.with_name(f"{TEMP_PREFIX}{temp_owner()}-{secrets.token_hex(4)}{final.suffix}")


def sweep_temps(folder: Path, alive_owners: Collection[str]) -> int:
    """Delete temp files (and exiftool's own `_exiftool_tmp` beside them) of workers not alive."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX) or not entry.is_file(follow_symlinks=False):
            continue
        owner = entry.name[len(TEMP_PREFIX) :].rsplit("-", 1)[0]
        if owner in alive_owners:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed += 1
    return removed


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashing(source: Path, target: Path) -> str:
    """Copy and fsync; returns the SHA-256 of the bytes read from the source."""
    digest = hashlib.sha256()
    # O_NOFOLLOW: the original was checked as a regular file at import; a symlink swapped in since
    # is not followed out of the tree.
    fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as reader, open(target, "xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def check_room(folder: Path, size: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < size + HEADROOM:
        raise DestinationFull(
            f"the destination is full: {free // (1 << 20)} MB free, and the next file needs "
            f"{(size + HEADROOM) // (1 << 20)} MB with room to write its metadata"
        )


def place(temp: Path, final: Path) -> bool:
    """Move temp to final without ever replacing a file; False when final already exists."""
    try:
        os.link(temp, final)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.EOPNOTSUPP):
            raise
        # File systems without hard links (FAT, exFAT, some network shares): check, then rename.
        if final.exists():
            return False
        os.rename(temp, final)
        return True
    os.unlink(temp)
    return True


def export_copy(
    source: Path,
    final: Path,
    source_sha256: str,
    size: int,
    planned: dict[str, Any],
    scratch: Path,
    before_place: Callable[[str, int], None],
    recorded_sha256: str | None = None,
) -> Copied:
    """Write one verified copy at `final`. `before_place(sha256_out, size_out)` records the copy's
    hash before it appears under its name, so a crash right after the link is recognised on
    resume (`recorded_sha256`) instead of being taken for someone else's file."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() or final.is_symlink():
        if recorded_sha256 and final.is_file() and sha256_of(final) == recorded_sha256:
            return Copied(recorded_sha256, final.stat().st_size, written_of(planned, None))
        raise CopyFailed(f"another file appeared at {final.name} meanwhile; export again to pick a new name")
    check_room(final.parent, size * (2 if planned.get("assign") else 1))
    temp = temp_path(final)
    try:
        try:
            read_sha = copy_hashing(source, temp)
        except FileNotFoundError:
            raise CopyFailed("the original is gone from where it was imported") from None
        except IsADirectoryError:
            raise CopyFailed("the original is no longer a file") from None
        if read_sha != source_sha256:
            raise CopyFailed("the original changed since it was imported; import it again to export it")
        if sha256_of(temp) != source_sha256:
            raise CopyFailed("the copy read back differs from the original (a disk or network error)")
        error = write_tags(temp, planned["assign"], scratch) if planned.get("assign") else None
        if planned.get("mtime") is not None:
            os.utime(temp, (planned["mtime"], planned["mtime"]))
        fsync_path(temp)
        sha_out, size_out = sha256_of(temp), temp.stat().st_size
        before_place(sha_out, size_out)
        if not place(temp, final):
            raise CopyFailed(
                f"another file appeared at {final.name} meanwhile; export again to pick a new name"
            )
        fsync_path(final.parent)
        return Copied(sha_out, size_out, written_of(planned, error))
    except OSError as error:
        if out_of_room(error) or error.errno == errno.EFBIG:  # EFBIG: FAT's 4 GB limit
            raise DestinationFull(f"the destination is full ({error.strerror})") from error
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        with contextlib.suppress(FileNotFoundError):
            temp.with_name(temp.name + "_exiftool_tmp").unlink()


def written_of(planned: dict[str, Any], error: str | None) -> dict[str, Any]:
    if planned.get("not_written"):
        return {"not_written": planned["not_written"]}
    if error:
        return {"not_written": f"exiftool could not write this file: {error}"}
    # An empty value removes a tag (a camera's stale offset); only what now holds a value was written.
    return {"tags": sorted(tag for tag, value in planned.get("assign", {}).items() if value not in ("", []))}
