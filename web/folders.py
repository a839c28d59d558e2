"""Which server folders a web page may import: inside MEDIAPARSER_IMPORT_ROOTS, checked after
symbolic links and `..` are resolved, so neither a link nor `root/../..` leads out of a root."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from jobs.imports import create_import, start_import
from jobs.scan import is_within


class FolderRefused(ValueError):
    """The sentence to show under the folder field."""


def roots_text(roots: Sequence[Path]) -> str:
    return ", ".join(str(root) for root in roots)


def import_folder(text: str, roots: Sequence[Path]) -> Path:
    """The resolved folder to import for what was typed, or FolderRefused saying why not."""
    typed = text.strip()
    if not roots:
        raise FolderRefused(
            "No folder may be imported from this page: set MEDIAPARSER_IMPORT_ROOTS to the folders "
            "that hold your photos, then restart MediaParser."
        )
    if not typed:
        raise FolderRefused("Type the full path of a folder, for example " + str(roots[0]) + ".")
    if "\0" in typed:
        raise FolderRefused("That path contains a character no folder name can have.")
    path = Path(typed).expanduser()
    if not path.is_absolute():
        raise FolderRefused(f"{typed} is not a full path: it must start with / (for example {roots[0]}).")
    try:
        folder = path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        raise FolderRefused(f"{typed} cannot be read.") from None
    # The roots are checked before existence, so the page does not reveal what exists elsewhere.
    if not any(is_within(folder, root) for root in roots):
        shown = typed if str(folder) == typed else f"{typed} (which is {folder})"
        raise FolderRefused(
            f"{shown} is not inside a folder MediaParser may import from: {roots_text(roots)}. "
            "Set MEDIAPARSER_IMPORT_ROOTS to allow others."
        )
    if not folder.is_dir():
        raise FolderRefused(f"{folder} does not exist or is not a folder.")
    return folder


def start_folder_import(conn: sqlite3.Connection, folder: Path) -> int:
    """Record the import and queue its scan; the scan runs in a worker, never in the web process."""
    import_id = create_import(conn, folder)
    start_import(import_id)
    return import_id
