"""Evidence from around a file rather than inside it: its name, its folders, and sidecars beside
it (Google Takeout JSON). Reads at most one small sidecar per file; the parsing is pure and lives
in jobs.names and jobs.sidecars."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from jobs.exif import read_metadata
from jobs.metadata import date_evidence
from jobs.names import folder_evidence, name_evidence
from jobs.sidecars import (
    find_sidecar,
    find_takeout_json,
    takeout_evidence,
    takeout_problem,
    xmp_sidecar_candidates,
)

MAX_SIDECAR_BYTES = 1 << 20


def folder_listing(folder: str) -> frozenset[str]:
    try:
        return _listing(folder, os.stat(folder).st_mtime_ns)
    except OSError:
        return frozenset()


@lru_cache(maxsize=64)
def _listing(folder: str, mtime_ns: int) -> frozenset[str]:
    """Cached by the folder's mtime: a Takeout folder of 5,000 photos is listed once, not 5,000
    times, and a folder that changed since is listed again."""
    return frozenset(os.listdir(folder))


def surrounding_evidence(path: Path, rel_path: str, scratch: Path) -> tuple[list[dict[str, Any]], str | None]:
    """(evidence rows, a note about a sidecar that could not be used)."""
    rows = name_evidence(path.name)
    parent = rel_path.rsplit("/", 1)[0] if "/" in rel_path else ""
    rows += folder_evidence(parent)
    siblings = folder_listing(str(path.parent))
    rows += xmp_sidecar_evidence(path, siblings, scratch)
    sidecar = find_takeout_json(path.name, siblings)
    if sidecar is None:
        return rows, None
    try:
        with open(path.parent / sidecar, "rb") as handle:
            text = handle.read(MAX_SIDECAR_BYTES + 1).decode("utf-8", "replace")
    except OSError as error:
        return rows, f"sidecar {sidecar} cannot be read: {error.strerror or error}"
    if len(text) > MAX_SIDECAR_BYTES:
        return rows, f"sidecar {sidecar} is too large to be a Takeout sidecar"
    problem = takeout_problem(text)
    if problem:
        return rows, f"{problem} ({sidecar})"
    return rows + takeout_evidence(text), None


def xmp_sidecar_evidence(path: Path, siblings: frozenset[str], scratch: Path) -> list[dict[str, Any]]:
    """Dates in NAME.xmp / NAME.ext.xmp (darktable, Lightroom, digiKam), marked as sidecar evidence."""
    name = find_sidecar(xmp_sidecar_candidates(path.name), set(siblings))
    if name is None:
        return []
    [tags] = read_metadata([path.parent / name], scratch)
    if isinstance(tags, str):
        return []
    return [{**row, "source": f"Sidecar:{row['source']}"} for row in date_evidence(tags)]
