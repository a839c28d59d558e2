"""Which file of a group to keep, and why, in words a person reads. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.grouping import Item


def keeper_key(item: Item, preferred_folder: str | None = None) -> tuple:
    """Sort key, best file to keep first: most pixels, then the camera's original date, then the
    larger file (less compressed), then the preferred folder, then the earliest import, then id.

    The preferred folder only breaks ties: it never makes a person keep a smaller or stripped copy.
    It decides between byte-identical copies, the usual case of one photo in two folders.
    """
    return (
        -pixels(item),
        not item.has_original_date,
        -item.size,
        not in_folder(item.path, preferred_folder),
        item.imported_at,
        item.id,
    )


def keeper_reason(keeper: Item, runner_up: Item, preferred_folder: str | None = None) -> str:
    """The first rule of `keeper_key` that puts `keeper` before `runner_up`, as a short sentence."""
    if pixels(keeper) != pixels(runner_up):
        return f"most pixels ({keeper.width} x {keeper.height})"
    if keeper.has_original_date != runner_up.has_original_date:
        return "same pixels; has the camera's original date"
    if keeper.size != runner_up.size:
        return f"same pixels and dates; larger file ({size_text(keeper.size)})"
    if in_folder(keeper.path, preferred_folder) != in_folder(runner_up.path, preferred_folder):
        return "all else equal; in your preferred folder"
    return "all else equal; imported first"


def pixels(item: Item) -> int:
    return item.width * item.height if item.width and item.height else 0


def in_folder(path: str, folder: str | None) -> bool:
    if not folder or not folder.strip("/"):
        return False
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.0f} KB"
    return f"{size} bytes"
