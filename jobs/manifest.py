"""The manifest beside an export: `manifest.csv` and `manifest.jsonl`, one row per copy written,
appended run after run, so the archive says forever where each file came from and what was
written into it.

Appending is a rewrite of the whole file through a temp name: a crash leaves the old manifest or
the new one, never a torn last line. A run's rows replace any rows of that same run already there,
so finishing twice (two workers, or a crash just after writing) never lists a copy twice.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from storage.atomic import atomic_write_bytes

CSV_NAME, JSONL_NAME = "manifest.csv", "manifest.jsonl"
COLUMNS = (
    "export",
    "exported_at",
    "source_path",
    "output_path",
    "sha256_source",
    "sha256_output",
    "taken_local",
    "offset",
    "source",
    "confidence",
    "tags",
    "written",
)
ROWS_SQL = """
SELECT i.export_id, i.finished_at, f.source_path, i.dest_rel_path, f.sha256, i.sha256_out,
       f.taken_local, f.taken_offset, f.taken_source, f.confidence, i.metadata_written,
       (SELECT group_concat(name, ';') FROM (SELECT t.name FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
         WHERE ft.file_id = f.id ORDER BY t.name COLLATE NOCASE)) AS tags
FROM export_items i JOIN files f ON f.id = i.file_id
WHERE i.export_id = ? AND i.state = 'verified'
ORDER BY i.dest_rel_path
"""


def written_text(metadata_written: str | None) -> str:
    """ "EXIF:DateTimeOriginal, XMP-dc:Subject" or "not written: why" for a person reading the CSV."""
    data = json.loads(metadata_written or "{}")
    if data.get("not_written"):
        return f"not written: {data['not_written']}"
    return ", ".join(data.get("tags", [])) or "nothing to write"


def manifest_rows(conn: sqlite3.Connection, export_id: int) -> list[dict[str, Any]]:
    return [
        {
            "export": r[0],
            "exported_at": r[1],
            "source_path": r[2],
            "output_path": r[3],
            "sha256_source": r[4],
            "sha256_output": r[5],
            "taken_local": r[6] or "",
            "offset": r[7] or "",
            "source": r[8] or "",
            "confidence": r[9] or "",
            "tags": [t for t in (r[11] or "").split(";") if t],
            "written": written_text(r[10]),
        }
        for r in conn.execute(ROWS_SQL, (export_id,))
    ]


def _other_runs_csv(path: Path, export_id: int) -> list[list[str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return [row for row in rows[1:] if row and row[0] != str(export_id)]


def _other_runs_jsonl(path: Path, export_id: int) -> list[str]:
    if not path.exists():
        return []
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line).get("export") == export_id:
                continue
        except ValueError:
            pass  # a line someone edited by hand stays as it was
        kept.append(line)
    return kept


def write_manifest(conn: sqlite3.Connection, export_id: int, dest: Path) -> int:
    """Append this run's copies to both manifests; returns how many rows it has."""
    rows = manifest_rows(conn, export_id)
    csv_path, jsonl_path = dest / CSV_NAME, dest / JSONL_NAME
    if not rows:
        return 0  # a run that wrote nothing (everything was already there) leaves the files alone
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_other_runs_csv(csv_path, export_id))
    writer.writerows([*(row[c] if c != "tags" else ";".join(row[c]) for c in COLUMNS)] for row in rows)
    atomic_write_bytes(csv_path, text.getvalue().encode("utf-8"))
    lines = _other_runs_jsonl(jsonl_path, export_id)
    lines += [json.dumps(row, ensure_ascii=False) for row in rows]
    atomic_write_bytes(jsonl_path, "".join(line + "\n" for line in lines).encode("utf-8"))
    return len(rows)
