-- Review: the grid's filters and sort orders, and decisions made in one action (a selection of
-- 212 photos shifted at once) undone as one.

-- One id for the rows a single action wrote, so "undo" reverses all of them together.
ALTER TABLE decisions ADD COLUMN batch TEXT;
CREATE INDEX decisions_batch ON decisions (batch) WHERE batch IS NOT NULL;
CREATE INDEX decisions_kind ON decisions (kind, file_id);
-- "Is this decision still in force?" asks whether an undo names it, on every page that shows one.
CREATE INDEX decisions_undoes ON decisions (undoes) WHERE undoes IS NOT NULL;

-- The date-review queue: analysed, not set aside, and weak or contradicted. The terms must match
-- storage/library.py's NEEDS_DATE_REVIEW exactly for SQLite to use this index.
CREATE INDEX files_date_review ON files (id)
    WHERE status = 'processed' AND discarded = 0 AND (confidence IN ('low', 'none') OR conflict = 1);

-- Sort keys that are never NULL, so a keyset cursor "(key, id) > (?, ?)" is one index range
-- (undated files first by date ascending, unknown sizes smallest). Virtual: computed, not stored.
ALTER TABLE files ADD COLUMN taken_key TEXT GENERATED ALWAYS AS (coalesce(taken_local, '')) VIRTUAL;
ALTER TABLE files ADD COLUMN size_key INTEGER GENERATED ALWAYS AS (coalesce(size, -1)) VIRTUAL;
CREATE INDEX files_taken_key ON files (taken_key, id);
CREATE INDEX files_import_taken_key ON files (import_id, taken_key, id);
CREATE INDEX files_confidence_key ON files (confidence, taken_key, id);
-- Sorted by name, and covering for a name search's count (status and discarded are always asked).
CREATE INDEX files_name ON files (rel_path, id, status, discarded);
-- A file's folder within its import ("a/b/" for "a/b/IMG.jpg"; rtrim of every character but "/"),
-- and indexes that count "all 18,000 files in this folder / from this camera" without reading rows.
ALTER TABLE files ADD COLUMN folder TEXT GENERATED ALWAYS AS (rtrim(rel_path, replace(rel_path, '/', ''))) VIRTUAL;
CREATE INDEX files_folder ON files (import_id, folder, status, discarded);
CREATE INDEX files_camera ON files (camera_make, camera_model, import_id, status, discarded);
CREATE INDEX files_size_key ON files (size_key, id);
CREATE INDEX files_discarded ON files (id) WHERE discarded = 1;
CREATE INDEX files_errors ON files (id) WHERE status = 'error';
CREATE INDEX dup_members_group ON dup_members (group_id);
CREATE INDEX dup_groups_open ON dup_groups (class, id) WHERE resolution IS NULL;
