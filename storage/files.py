"""The library's file list as plain data: one query, shared by `GET /api/files` and
`mediaparser files --json`, paged by id (keyset) so page 1,000 costs what page 1 does."""

from __future__ import annotations

from typing import Any

FILES_PAGE_SQL = """
SELECT f.id, f.import_id, f.rel_path, f.status, f.status_reason, f.size, f.real_type, f.mime, f.sha256,
       f.width, f.height, f.duration, f.camera_make, f.camera_model,
       -- For a video, the hashes of the frame its thumbnail shows.
       (SELECT value FROM hashes h WHERE h.file_id = f.id AND h.kind IN ('phash', 'frame_phash')) AS phash,
       (SELECT value FROM hashes h WHERE h.file_id = f.id AND h.kind IN ('dhash', 'frame_dhash')) AS dhash
FROM files f
WHERE f.id > :after AND (:import_id IS NULL OR f.import_id = :import_id)
  AND (:status IS NULL OR f.status = :status)
ORDER BY f.id
LIMIT :limit
"""

MAX_PAGE = 1000


def page_params(
    after: int = 0, limit: int = 100, import_id: int | None = None, status: str | None = None
) -> dict[str, Any]:
    return {
        "after": max(after, 0),
        "limit": min(max(limit, 1), MAX_PAGE),
        "import_id": import_id,
        "status": status,
    }


def hex64(value: int | None) -> str | None:
    """Hashes are stored signed; people and other tools expect 16 hex digits."""
    return None if value is None else f"{value & 0xFFFFFFFFFFFFFFFF:016x}"


def file_record(row: Any) -> dict[str, Any]:
    """One API row: what a file is, where it came from, and what analysis found."""
    return {
        "id": row["id"],
        "import_id": row["import_id"],
        "path": row["rel_path"],
        "status": row["status"],
        "reason": row["status_reason"],
        "size": row["size"],
        "type": row["real_type"],
        "mime": row["mime"],
        "sha256": row["sha256"],
        "phash": hex64(row["phash"]),
        "dhash": hex64(row["dhash"]),
        "width": row["width"],
        "height": row["height"],
        "duration": row["duration"],
        "camera": " ".join(p for p in (row["camera_make"], row["camera_model"]) if p) or None,
    }
