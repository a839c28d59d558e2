"""An export's plan: which files go, which are held back for date review, where each one lands,
and what is written into its copy. Reads the library and lists the destination; writes nothing.

A copy is identified by its fingerprint: the source's SHA-256 plus the metadata planned for it. A
destination path that an earlier run filled with the same fingerprint (and still holds a file of
that size) is "existing", not copied again; so is a file at a wanted name whose bytes are exactly
the original's. Any other file at a wanted name keeps it, and the new copy takes the next `_1`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path, PurePosixPath
from typing import Any

from jobs.export_copy import sha256_of
from jobs.export_metadata import Capture, capture_epoch, metadata_tags
from jobs.naming import NO_DATE_FOLDER, Item, plan, slot

FILES_SQL = """
SELECT f.id, f.rel_path, f.source_path, f.sha256, f.size, f.real_type, f.taken_local, f.taken_offset,
       f.taken_precision, f.confidence, f.conflict,
       (SELECT max(e.raw) FROM evidence e
        WHERE e.file_id = f.id AND e.source LIKE 'EXIF:%:SubSecTimeOriginal') AS subsec
FROM files f
WHERE f.status = 'processed' AND f.discarded = 0 AND f.sha256 IS NOT NULL
  AND (:import_id IS NULL OR f.import_id = :import_id)
ORDER BY f.id
"""
TAGS_SQL = """
SELECT ft.file_id, t.name FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
WHERE :import_id IS NULL OR ft.file_id IN (SELECT id FROM files WHERE import_id = :import_id)
ORDER BY ft.file_id, t.name COLLATE NOCASE
"""
# The newest verified copy at each path of this destination, from every earlier run.
EARLIER_SQL = """
SELECT i.dest_rel_path, i.fingerprint, i.sha256_out, i.size_out
FROM export_items i JOIN exports x ON x.id = i.export_id
WHERE x.dest = ? AND x.dry_run = 0 AND i.state = 'verified'
ORDER BY i.finished_at
"""
COUNTER_IN_NAME = re.compile(r"(\d+)\D*$")
SUFFIX = re.compile(r"_\d+$")


@dataclass
class PlannedFile:
    file_id: int
    dest_rel_path: str | None
    state: str  # planned, existing or held
    fingerprint: str | None = None
    planned: dict[str, Any] = field(default_factory=dict)
    sha256_out: str | None = None


def needs_review(row: sqlite3.Row) -> bool:
    """The date-review queue's rule (storage.library.NEEDS_DATE_REVIEW), for one row."""
    return row["confidence"] in ("low", "none") or bool(row["conflict"])


def fingerprint(sha256: str, planned: dict[str, Any]) -> str:
    text = json.dumps([sha256, planned.get("assign", {})], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def planned_metadata(row: sqlite3.Row, keywords: list[str], zone: tzinfo) -> dict[str, Any]:
    capture = Capture(row["taken_local"], row["taken_offset"], row["taken_precision"], row["subsec"])
    assign, not_written = metadata_tags(row["real_type"], capture, keywords)
    planned: dict[str, Any] = {"assign": assign, "mtime": capture_epoch(capture, zone)}
    if not_written:
        planned["not_written"] = not_written
    return planned


def burst_number(name: str) -> int | None:
    """A camera's counter in the name (IMG_4031 -> 4031): frames of one second in shooting order
    when they carry no sub-seconds."""
    found = COUNTER_IN_NAME.search(PurePosixPath(name).stem)
    return int(found.group(1)[-9:]) if found else None


def earlier_copies(conn: sqlite3.Connection, dest: Path) -> dict[str, tuple[str, str]]:
    """{path: (fingerprint, sha256_out)} of earlier copies still there at their recorded size."""
    found: dict[str, tuple[str, str]] = {}
    for path, print_, sha_out, size in conn.execute(EARLIER_SQL, (str(dest),)):
        try:
            if (dest / path).stat().st_size == size:
                found[path] = (print_, sha_out)
                continue
        except OSError:
            pass
        found.pop(path, None)
    return found


def listing(folder: Path) -> list[str]:
    try:
        return [e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
    except OSError:
        return []


def foreign_files(dest: Path, wanted: dict[tuple[str, str], list[Item]], known: set[str]) -> dict[str, str]:
    """Files we did not write that sit at (or beside, with a `_n`) a wanted name: {path: sha256}."""
    stems = {base for base, _ in wanted}
    folders = {PurePosixPath(base).parent.as_posix() for base in stems}
    found: dict[str, str] = {}
    for folder in folders:
        prefix = "" if folder == "." else folder + "/"
        for name in listing(dest / folder):
            rel = prefix + name
            pure = PurePosixPath(rel)
            if rel in known or name.startswith("."):
                continue
            # The stamp itself ends in _HHMMSS, so both the name and the name less a `_n` are tried.
            bases = {prefix + pure.stem, prefix + SUFFIX.sub("", pure.stem)}
            if not any((base, pure.suffix) in wanted for base in bases):
                continue
            try:
                found[rel] = sha256_of(dest / rel)
            except OSError:
                found[rel] = f"unreadable:{rel}"  # never equal to any file's hash: the name stays taken
    return found


def make_plan(
    conn: sqlite3.Connection,
    dest: Path,
    import_id: int | None,
    template: str,
    include_review: bool,
    zone: tzinfo,
) -> tuple[list[PlannedFile], dict[str, Any]]:
    """Every file of the library (or one import) with where it goes, and the dry run's numbers."""
    keywords: dict[int, list[str]] = {}
    for file_id, name in conn.execute(TAGS_SQL, {"import_id": import_id}):
        keywords.setdefault(file_id, []).append(name)
    rows = conn.execute(FILES_SQL, {"import_id": import_id}).fetchall()
    held = [r for r in rows if not include_review and needs_review(r)]
    going = [r for r in rows if include_review or not needs_review(r)]

    planned = {r["id"]: planned_metadata(r, keywords.get(r["id"], []), zone) for r in going}
    prints = {r["id"]: fingerprint(r["sha256"], planned[r["id"]]) for r in going}
    items = [
        Item(
            id=r["id"],
            local=r["taken_local"],
            precision=r["taken_precision"],
            real_type=r["real_type"],
            name=PurePosixPath(r["rel_path"]).name,
            sha256=prints[r["id"]],
            subsec=(r["subsec"] or "").strip() or None,
            burst=burst_number(r["rel_path"]),
        )
        for r in going
    ]
    earlier = earlier_copies(conn, dest)
    wanted: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        wanted.setdefault(slot(item, template), []).append(item)
    existing = {path: print_ for path, (print_, _) in earlier.items()}
    out_sha = {path: sha for path, (_, sha) in earlier.items()}
    by_source = {r["sha256"]: prints[r["id"]] for r in going}
    # An original that already sits at a wanted name (exporting into the imported folder) is the
    # source itself, never a copy of it: it takes the name, and the export does not claim it.
    sources = {r["source_path"] for r in rows}
    for path, sha in foreign_files(dest, wanted, set(earlier)).items():
        if str(dest / path) in sources:
            existing[path] = f"original:{path}"
            continue
        # The original's exact bytes already there count as that file's copy.
        existing[path] = by_source.get(sha, sha)
        out_sha[path] = sha
    placed = plan(items, template, existing)

    result = [PlannedFile(r["id"], None, "held") for r in held]
    writers: dict[str, int] = {}
    for r in going:  # in id order: the first file of identical copies writes, the rest share it
        path = placed[r["id"]]
        state = "existing" if path in existing or path in writers else "planned"
        writers.setdefault(path, r["id"])
        result.append(PlannedFile(r["id"], path, state, prints[r["id"]], planned[r["id"]], out_sha.get(path)))
    return result, summarise(going, held, result)


def summarise(going: list[sqlite3.Row], held: list[sqlite3.Row], result: list[PlannedFile]) -> dict[str, Any]:
    rows = {r["id"]: r for r in going}
    years: Counter[str] = Counter()
    to_copy = existing = collisions = renamed = not_written = size = 0
    for entry in result:
        if entry.state == "held":
            continue
        row = rows[entry.file_id]
        years[(row["taken_local"] or "")[:4] or NO_DATE_FOLDER] += 1
        if entry.state == "planned":
            to_copy += 1
            size += row["size"] or 0
        else:
            existing += 1
        stem = PurePosixPath(entry.dest_rel_path or "").stem
        if row["taken_local"] and SUFFIX.search(stem) and stem.count("_") >= 2:
            collisions += 1
        # A real type the name hid (a PNG called .jpg); upper-case extensions are only lowered.
        if PurePosixPath(row["rel_path"]).suffix.lower() != PurePosixPath(entry.dest_rel_path or "").suffix:
            renamed += 1
        if entry.planned.get("not_written"):
            not_written += 1
    return {
        "years": dict(sorted(years.items())),
        "files": len(going),
        "to_copy": to_copy,
        "bytes": size,
        "existing": existing,
        "held": len(held),
        "same_second": collisions,
        "extension_changed": renamed,
        "metadata_not_written": not_written,
    }
