"""Walk an import folder one directory at a time, saying why each thing left out was left out.

Only one directory's listing is ever held (sorted, so two scans of the same tree agree), never the
whole tree, and nothing is followed through a symbolic link: a link to a folder inside the import
would count its files twice, and a link outside it would import what the person did not choose.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    rel_path: str  # POSIX separators, relative to the root; "." for the root itself
    path: str  # absolute
    size: int | None
    mtime: float | None
    skip_reason: str | None  # None: a candidate file to analyse


# Lower-cased names; NAS and Windows tools are not consistent about case.
SYSTEM_FILES = {
    "thumbs.db": "system file (Windows thumbnail cache)",
    "ehthumbs.db": "system file (Windows Media Center thumbnail cache)",
    "ehthumbs_vista.db": "system file (Windows Media Center thumbnail cache)",
    "desktop.ini": "system file (Windows folder settings)",
    "icon\r": "system file (macOS custom folder icon)",
    ".ds_store": "system file (macOS folder view settings)",
}
SYSTEM_FOLDERS = {
    "@eadir": "system folder (Synology thumbnails)",
    "#recycle": "system folder (Synology recycle bin)",
    ".@__thumb": "system folder (QNAP thumbnails)",
    "@recycle": "system folder (QNAP recycle bin)",
    "$recycle.bin": "system folder (Windows recycle bin)",
    "recycler": "system folder (Windows recycle bin)",
    "system volume information": "system folder (Windows system data)",
    ".trashes": "system folder (macOS trash)",
    ".spotlight-v100": "system folder (macOS Spotlight index)",
    ".fseventsd": "system folder (macOS file change log)",
    "lost+found": "system folder (file system recovery)",
}


def is_within(path: Path, root: Path) -> bool:
    """True when `path`, symbolic links resolved, is `root` or inside it (/photos2 is not in /photos)."""
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        return False


def walk(root: Path) -> Iterator[Entry]:
    """Yield every file under `root` as a candidate or with the reason it is skipped, lazily."""
    root = Path(os.path.abspath(root))
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder that can be imported")
    # An unreadable root fails the whole import up front; unreadable sub-folders are entries.
    if not os.access(root, os.R_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "permission denied", str(root))
    return _walk(root)


def _walk(root: Path) -> Iterator[Entry]:
    real_root = root.resolve()
    listing = _list(str(root))
    if isinstance(listing, str):
        yield _skipped(".", str(root), listing)
        return
    # One frame per open folder: its relative prefix and the entries still to visit.
    stack = [("", iter(listing))]
    while stack:
        prefix, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        rel_path = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            reason = _folder_reason(entry.name)
            if reason is None:
                listing = _list(entry.path)
                if isinstance(listing, list):
                    stack.append((rel_path + "/", iter(listing)))
                    continue
                reason = listing
            yield _skipped(_displayable(rel_path), entry.path, reason)
        else:
            yield _file_entry(entry, rel_path, real_root)


def _list(folder: str) -> list[os.DirEntry] | str:
    """The folder's entries sorted by name, or the sentence saying why it cannot be read."""
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except PermissionError:
        return "folder cannot be read: permission denied"
    except FileNotFoundError:
        return "folder disappeared during the scan"
    except OSError as exc:
        return f"folder cannot be read: {(exc.strerror or 'unknown error').lower()}"


def _folder_reason(name: str) -> str | None:
    if not _is_utf8(name):
        return "folder name is not valid UTF-8, not looked into"
    known = SYSTEM_FOLDERS.get(name.lower())
    if known:
        return f"{known}, not looked into"
    if name.startswith("."):
        return "hidden folder, not looked into"
    return None


def _file_entry(entry: os.DirEntry, rel_path: str, real_root: Path) -> Entry:
    shown = _displayable(rel_path)
    if not _is_utf8(entry.name):
        return _skipped(shown, entry.path, "file name is not valid UTF-8")
    if entry.is_symlink():
        return _skipped(shown, entry.path, _link_reason(entry.path, real_root))
    try:
        info = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        return _skipped(shown, entry.path, "file disappeared during the scan")
    except OSError as exc:
        return _skipped(shown, entry.path, f"file cannot be read: {(exc.strerror or 'unknown error').lower()}")
    if not stat.S_ISREG(info.st_mode):
        return _skipped(shown, entry.path, f"not a regular file ({_special_kind(info.st_mode)})")
    return Entry(shown, entry.path, info.st_size, info.st_mtime, _file_reason(entry.name))


def _skipped(shown: str, path: str, reason: str) -> Entry:
    # A skipped entry's path is only shown, never opened; an undecodable name (lone surrogates)
    # could not even be stored.
    return Entry(shown, _displayable(path), None, None, reason)


def _file_reason(name: str) -> str | None:
    known = SYSTEM_FILES.get(name.lower())
    if known:
        return known
    if name.startswith("._"):
        return "macOS resource fork (AppleDouble)"
    if name.startswith("."):
        return "hidden file"
    return None


def _link_reason(path: str, real_root: Path) -> str:
    try:
        target = Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "broken symbolic link (it loops back on itself)"
        return "broken symbolic link"
    if target.is_relative_to(real_root):
        return "symbolic link (its target is imported where it lives)"
    return "symbolic link pointing outside the imported folder"


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _is_utf8(name: str) -> bool:
    # os.scandir turns undecodable bytes into lone surrogates, which cannot be encoded strictly.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _displayable(rel_path: str) -> str:
    return os.fsencode(rel_path).decode("utf-8", "backslashreplace")


def path_skip_reason(rel_path: str) -> str | None:
    """The scan's skip rules for a path that arrived another way (a browser upload): a file in a
    system folder, or a system or hidden file, is recorded as skipped just as a scan would."""
    *folders, name = rel_path.split("/")
    for folder in folders:
        reason = _folder_reason(folder)
        if reason:
            return f"inside a {reason.split(',')[0]}"
    return _file_reason(name)
