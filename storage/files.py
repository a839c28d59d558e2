"""The library's file list as plain data: one query, shared by `GET /api/files` and
`mediaparser files --json`, paged by id (keyset) so page 1,000 costs what page 1 does."""

from __future__ import annotations

import json
from typing import Any

# A file's perceptual hashes as two columns; for a video, those of the frame its thumbnail shows.
HASH_COLUMNS = """(SELECT value FROM hashes h WHERE h.file_id = f.id AND h.kind IN ('phash', 'frame_phash')) AS phash,
       (SELECT value FROM hashes h WHERE h.file_id = f.id AND h.kind IN ('dhash', 'frame_dhash')) AS dhash"""

FILES_PAGE_SQL = f"""
SELECT f.id, f.import_id, f.rel_path, f.status, f.status_reason, f.size, f.real_type, f.mime, f.sha256,
       f.width, f.height, f.duration, f.camera_make, f.camera_model,
       f.taken_local, f.taken_offset, f.taken_zone, f.taken_precision, f.taken_source, f.offset_source,
       f.confidence, f.conflict, f.reasons,
       (SELECT json_group_array(t.name) FROM file_tags ft JOIN tags t ON t.id = ft.tag_id
        WHERE ft.file_id = f.id) AS tags,
       (SELECT group_id FROM dup_members m WHERE m.file_id = f.id AND m.class = 'exact') AS exact_group,
       (SELECT group_id FROM dup_members m WHERE m.file_id = f.id AND m.class = 'same') AS same_group,
       (SELECT group_id FROM dup_members m WHERE m.file_id = f.id AND m.class = 'similar') AS similar_group,
       EXISTS (SELECT 1 FROM dup_groups g WHERE g.keeper_id = f.id) AS suggested_keeper, f.discarded,
       {HASH_COLUMNS}
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


def core_record(row: Any) -> dict[str, Any]:
    """What every listing says about a file: what it is, where it came from, and its date."""
    return {
        "id": row["id"],
        "import_id": row["import_id"],
        "path": row["rel_path"],
        "status": row["status"],
        "reason": row["status_reason"],
        "size": row["size"],
        "type": row["real_type"],
        "mime": row["mime"],
        "taken": row["taken_local"],
        "offset": row["taken_offset"],
        "zone": row["taken_zone"],
        "precision": row["taken_precision"],
        "date_source": row["taken_source"],
        "confidence": row["confidence"],
        "conflict": bool(row["conflict"]),
        "discarded": bool(row["discarded"]),
    }


def camera_name(make: str | None, model: str | None) -> str | None:
    """How a person names a camera: "Canon EOS 80D", not "Canon Canon EOS 80D" (many makers repeat
    their name in Model), and "NIKON CORPORATION" + "NIKON D750" reads as "NIKON D750"."""
    make, model = (make or "").strip(), (model or "").strip()
    if not model:
        return make or None
    brand = make.split()[0].lower() if make else ""
    if not brand or model.lower().startswith(brand):
        return model
    return f"{make} {model}"


def file_record(row: Any) -> dict[str, Any]:
    """One API row: the core record with the hashes, facts and groups analysis found."""
    return {
        **core_record(row),
        "sha256": row["sha256"],
        "phash": hex64(row["phash"]),
        "dhash": hex64(row["dhash"]),
        "width": row["width"],
        "height": row["height"],
        "duration": row["duration"],
        "camera": camera_name(row["camera_make"], row["camera_model"]),
        "offset_source": row["offset_source"],
        "reasons": json.loads(row["reasons"]) if row["reasons"] else [],
        "tags": json.loads(row["tags"]) if row["tags"] else [],
        "exact_group": row["exact_group"],
        "same_group": row["same_group"],
        "similar_group": row["similar_group"],
        "suggested_keeper": bool(row["suggested_keeper"]),
    }
