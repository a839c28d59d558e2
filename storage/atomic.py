"""Atomic file writes: a crash leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def temp_name_for(path: Path) -> Path:
    # Same folder as the target so the final rename never crosses file systems.
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")


def fsync_path(path: Path) -> None:
    """Flush a file another program wrote (exiftool rewrites our temp copy) before it is named, or a
    folder after a rename into it, so the new name survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "wb") -> Iterator[IO]:
    """Yield a file to write; on success it is flushed, fsynced and renamed onto `path`."""
    path = Path(path)
    tmp = temp_name_for(path)
    try:
        with open(tmp, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_path(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def out_of_room(error: BaseException) -> bool:
    """A write failed because its disk (or the user's quota) is full: no file's fault, and the next
    write there fails the same way. SQLite says so in words ("database or disk is full")."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(error, sqlite3.OperationalError) and "full" in str(error)
