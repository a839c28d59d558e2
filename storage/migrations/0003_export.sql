-- Export, resumable: each planned copy is a row a worker claims, writes, verifies and marks.
-- No export has run before this migration (nothing wrote export_items), so the table is made
-- again rather than altered: a held-back file has no destination, and copies of the same bytes
-- share one.
DROP TABLE export_items;

CREATE TABLE export_items (
    export_id       INTEGER NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    file_id         INTEGER NOT NULL REFERENCES files (id),
    -- Relative to the export's dest; NULL for a file held back for date review.
    dest_rel_path   TEXT,
    -- planned: to copy; verified: copied and checked by hash; existing: the same bytes with the same
    -- metadata are already there (an earlier run, or an identical file in this one); held: in date
    -- review, not exported; failed: says why in `error`.
    state           TEXT NOT NULL DEFAULT 'planned'
                    CHECK (state IN ('planned', 'verified', 'existing', 'held', 'failed')),
    -- What the copy is: the source's SHA-256 plus what was to be written into it. The same
    -- fingerprint at the same place later means nothing needs copying again.
    fingerprint     TEXT,
    -- What the copy gets, decided with the plan: {"assign": {exiftool tag: value}, "mtime": epoch,
    -- "not_written": why}. Written as planned, so the fingerprint always describes the copy.
    planned         TEXT,
    sha256_out      TEXT,                        -- set just before the rename; checked on resume
    size_out        INTEGER,
    metadata_written TEXT,                       -- JSON: {"tags": [...]} or {"not_written": "why"}
    error           TEXT,
    claimed_by      TEXT,                        -- worker (hostname:pid) copying it right now
    finished_at     TEXT,
    -- What happened to the original afterwards, when the person asked: trashed or deleted.
    source_action   TEXT CHECK (source_action IN ('trashed', 'deleted')),
    source_action_at TEXT,
    PRIMARY KEY (export_id, file_id)
);
-- One writer per destination name; an 'existing' row may point at the name another row writes.
CREATE UNIQUE INDEX export_items_dest ON export_items (export_id, dest_rel_path)
    WHERE state IN ('planned', 'verified', 'failed');
CREATE INDEX export_items_todo ON export_items (export_id, state, file_id);
-- Earlier outputs in a destination, to recognise a copy that is already there.
CREATE INDEX export_items_done ON export_items (dest_rel_path, fingerprint) WHERE state = 'verified';
CREATE INDEX exports_dest ON exports (dest, id);
-- What the plan found, for the dry-run page: counts per year, held back, collisions... (JSON).
ALTER TABLE exports ADD COLUMN plan_summary TEXT;
