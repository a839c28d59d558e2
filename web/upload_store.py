"""Where a browser upload lands on disk, and the checks that keep it there.

A file is written under a temporary name beside its target, fsynced, and only then given its final
name, so a final name never holds half a file. The final name is taken with a hard link, which
fails instead of overwriting: two uploads of "IMG_0001.jpg" become "IMG_0001.jpg" and
"IMG_0001 (1).jpg", however they race.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from jobs.imports import record_upload
from storage.atomic import fsync_path, temp_name_for

# Most file systems cap one name at 255 bytes; refusing here gives a sentence, not an OSError.
MAX_NAME_BYTES = 255
MAX_NUMBERED = 10_000


class UnsafePath(ValueError):
    """A relative path that could leave the upload folder or cannot be a file name."""


def clean_rel_path(text: str) -> str:
    """The path as stored: '/'-separated, relative, every component a plain name."""
    if "\0" in text:
        raise UnsafePath("the file name contains a NUL character")
    path = text.replace("\\", "/")
    if not path.strip():
        raise UnsafePath("the file has no name")
    if path.startswith("/"):
        raise UnsafePath(f"{text} is an absolute path; only paths inside the dropped folder are accepted")
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise UnsafePath(f"{text} has an empty, '.' or '..' part; only plain folder names are accepted")
        if any(ord(char) < 32 for char in part):
            raise UnsafePath(f"{text!r} contains a control character")
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise UnsafePath(f"{part[:40]}… is longer than a file name can be")
    return "/".join(parts)


def numbered(rel_path: str) -> Iterator[str]:
    """rel_path, then "name (1).ext", "name (2).ext"... in the same folder."""
    yield rel_path
    pure = PurePosixPath(rel_path)
    for n in range(1, MAX_NUMBERED):
        yield str(pure.with_name(f"{pure.stem} ({n}){pure.suffix}"))


def browser_mtime(ms_text: str | None) -> datetime | None:
    """`File.lastModified` (ms since the epoch) as UTC; None when absent or not a real moment."""
    try:
        return datetime.fromtimestamp(int(ms_text or "") / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def open_temp(target: Path) -> tuple[Path, IO[bytes]]:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name_for(target)
    return tmp, open(tmp, "xb")  # noqa: SIM115  (closed by the caller, after streaming)


def seal(handle: IO[bytes], mtime: datetime | None) -> None:
    """Make the received bytes durable; the stored copy keeps the file's own modification time."""
    handle.flush()
    if mtime is not None:
        # The analysis reads the file system's mtime as evidence; upload time would be wrong evidence.
        stamp = mtime.timestamp()
        os.utime(handle.fileno(), (stamp, stamp))
    os.fsync(handle.fileno())
    handle.close()


def _place(tmp: Path, dest: Path) -> bool:
    """Give tmp the name dest unless dest exists; True when placed."""
    try:
        os.link(tmp, dest)
        return True
    except FileExistsError:
        return False
    except OSError:
        # No hard links here (FAT, some network shares): check, then rename. Racy, but only
        # between two uploads of the same name in the same instant.
        if dest.exists():
            return False
        os.rename(tmp, dest)
        return True


def store_upload(
    conn: sqlite3.Connection,
    import_id: int,
    folder: Path,
    rel_path: str,
    tmp: Path,
    size: int,
    mtime: datetime | None,
) -> tuple[int, str]:
    """Name the sealed temp file and record it; returns (file id, the rel_path it got)."""
    taken = "SELECT 1 FROM files WHERE import_id = ? AND rel_path = ?"
    for candidate in numbered(rel_path):
        dest = folder / candidate
        if conn.execute(taken, (import_id, candidate)).fetchone() or not _place(tmp, dest):
            continue
        try:
            iso = None if mtime is None else mtime.isoformat(timespec="milliseconds")
            file_id = record_upload(conn, import_id, candidate, dest, size, iso)
        except BaseException:
            # Unnamed again, so a failed record leaves no file the library does not know about.
            with contextlib.suppress(OSError):
                if tmp.exists():
                    dest.unlink()  # a hard link: tmp still holds the data
                else:
                    os.replace(dest, tmp)  # placed by rename: give the data back to tmp
            raise
        fsync_path(dest.parent)
        return file_id, candidate
    raise FileExistsError(f"{rel_path}: more than {MAX_NUMBERED} files of that name")
