-- The whole library in one schema. Times are UTC ISO-8601 text with offset unless the column
-- name says "local" (a wall-clock time where the picture was taken, with its offset beside it).

-- An import: one folder scan or one browser upload session, processed as a job.
CREATE TABLE imports (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('folder', 'upload')),
    root            TEXT NOT NULL,               -- absolute folder the files are relative to
    label           TEXT,
    -- receiving: a browser upload in progress; scanning: walking a server folder.
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'receiving', 'scanning', 'analysing', 'paused', 'cancelled',
                                     'done', 'failed')),
    paused_from     TEXT,                        -- the state to go back to on resume
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    rate_since      TEXT,                        -- files/s is measured from here (reset on resume)
    rate_base       INTEGER NOT NULL DEFAULT 0,  -- files finished before rate_since
    finished_at     TEXT,
    -- Counters are kept on the row, updated per batch, so a progress poll reads one row.
    files_total     INTEGER NOT NULL DEFAULT 0,
    files_done      INTEGER NOT NULL DEFAULT 0,
    files_known     INTEGER NOT NULL DEFAULT 0,  -- already in the library at the same path and content
    files_skipped   INTEGER NOT NULL DEFAULT 0,
    files_error     INTEGER NOT NULL DEFAULT 0,
    scan_complete   INTEGER NOT NULL DEFAULT 0,
    current_path    TEXT,
    error           TEXT
);
CREATE INDEX imports_state ON imports (state);

-- One row per file we know of. Originals are never changed; this row describes them.
CREATE TABLE files (
    id              INTEGER PRIMARY KEY,
    import_id       INTEGER NOT NULL REFERENCES imports (id),
    rel_path        TEXT NOT NULL,               -- relative to the import root
    source_path     TEXT NOT NULL,               -- absolute path of the original (or stored upload)
    origin          TEXT NOT NULL,               -- where it came from: the folder path, or upload:REL_PATH;
                                                 -- re-imports skip a known origin with the same SHA-256
    size            INTEGER,
    fs_mtime        TEXT,
    browser_mtime   TEXT,                        -- lastModified sent by the browser, if uploaded
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processed', 'error', 'skipped')),
    status_reason   TEXT,                        -- a sentence a person understands
    real_type       TEXT,                        -- sniffed from the bytes: jpeg, heic, png, mp4...
    mime            TEXT,
    sha256          TEXT,
    width           INTEGER,
    height          INTEGER,
    duration        REAL,
    orientation     INTEGER,
    camera_make     TEXT,
    camera_model    TEXT,
    software        TEXT,
    has_original_date INTEGER,
    content_id      TEXT,                        -- Apple ContentIdentifier, pairs Live Photos
    thumb_path      TEXT,                        -- relative to the data dir
    -- The timestamp engine's current decision, copied here so pages filter and sort on it.
    taken_local     TEXT,                        -- YYYY-MM-DDTHH:MM:SS
    taken_offset    TEXT,                        -- +HH:MM
    taken_zone      TEXT,
    taken_precision TEXT CHECK (taken_precision IN ('second', 'minute', 'hour', 'day', 'month', 'year')),
    taken_source    TEXT,
    offset_source   TEXT,
    confidence      TEXT CHECK (confidence IN ('high', 'medium', 'low', 'none')),
    conflict        INTEGER NOT NULL DEFAULT 0,
    reasons         TEXT,                        -- JSON list of short sentences
    engine_version  INTEGER,
    discarded       INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    analysed_at     TEXT,
    claimed_by      TEXT,                        -- worker (hostname:pid) analysing it right now
    UNIQUE (import_id, rel_path)
);
CREATE INDEX files_pending ON files (import_id, id) WHERE status = 'pending';
CREATE INDEX files_origin ON files (origin, sha256);
CREATE INDEX files_sha256 ON files (sha256);
CREATE INDEX files_import_status ON files (import_id, status);
CREATE INDEX files_taken ON files (taken_local, id);
CREATE INDEX files_confidence ON files (confidence, taken_local, id);

-- Everything exiftool reported, kept for the file page and for re-running engines offline.
CREATE TABLE file_metadata (
    file_id         INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
    tags            TEXT NOT NULL                -- JSON object, "Group:Tag" -> value
);

-- Every timestamp candidate with where it came from.
CREATE TABLE evidence (
    id              INTEGER PRIMARY KEY,
    file_id         INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    source          TEXT NOT NULL,               -- e.g. EXIF:DateTimeOriginal, name, folder, takeout, fs_mtime
    raw             TEXT NOT NULL,               -- exactly what the source said
    local_time      TEXT,                        -- parsed wall-clock time, NULL if unparseable
    utc_offset      TEXT,                        -- +HH:MM when the source carries one
    is_utc          INTEGER NOT NULL DEFAULT 0,  -- the source is UTC by definition (GPS, QuickTime, epoch)
    precision       TEXT,
    detail          TEXT,                        -- JSON for anything else worth showing
    merged_from     INTEGER REFERENCES files (id) -- set when a discarded duplicate's evidence moved here
);
CREATE INDEX evidence_file ON evidence (file_id);

-- Perceptual and other hashes, one row per kind, 64-bit values as signed integers.
CREATE TABLE hashes (
    file_id         INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,               -- phash, dhash, frame_phash, preview_phash...
    value           INTEGER NOT NULL,
    PRIMARY KEY (file_id, kind)
) WITHOUT ROWID;
CREATE INDEX hashes_kind ON hashes (kind);

CREATE TABLE dup_groups (
    id              INTEGER PRIMARY KEY,
    class           TEXT NOT NULL CHECK (class IN ('exact', 'same', 'similar')),
    representative_id INTEGER REFERENCES files (id),
    keeper_id       INTEGER REFERENCES files (id),  -- suggested keeper
    keeper_reason   TEXT,
    resolution      TEXT CHECK (resolution IN ('kept', 'keep_all', 'not_duplicates')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX dup_groups_class ON dup_groups (class, resolution);

CREATE TABLE dup_members (
    group_id        INTEGER NOT NULL REFERENCES dup_groups (id) ON DELETE CASCADE,
    file_id         INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    class           TEXT NOT NULL,               -- copy of the group's class: one group per class per file
    distance        INTEGER,                     -- to the representative
    PRIMARY KEY (group_id, file_id),
    UNIQUE (file_id, class)
);

CREATE TABLE tags (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE file_tags (
    file_id         INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    tag_id          INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    origin          TEXT NOT NULL CHECK (origin IN ('folder', 'name', 'user', 'merged')),
    PRIMARY KEY (file_id, tag_id)
);
CREATE INDEX file_tags_tag ON file_tags (tag_id, file_id);

-- Every user decision, append-only: a correction is a new row (undo names the row it undoes).
CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,               -- date, shift, discard, undiscard, keep, keep_all, not_duplicates, tag, untag, undo
    file_id         INTEGER REFERENCES files (id),
    group_id        INTEGER REFERENCES dup_groups (id),
    payload         TEXT NOT NULL DEFAULT '{}',  -- JSON: the value chosen and what it replaced
    undoes          INTEGER REFERENCES decisions (id),
    actor           TEXT NOT NULL,               -- who decided
    created_at      TEXT NOT NULL
);
CREATE INDEX decisions_file ON decisions (file_id, id);
CREATE INDEX decisions_group ON decisions (group_id, id);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only');
END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only');
END;

CREATE TABLE exports (
    id              INTEGER PRIMARY KEY,
    dest            TEXT NOT NULL,
    import_id       INTEGER REFERENCES imports (id),  -- NULL: the whole library
    dry_run         INTEGER NOT NULL DEFAULT 0,
    options         TEXT NOT NULL DEFAULT '{}',  -- JSON: layout template, include-unreviewed...
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'planning', 'copying', 'paused', 'cancelled', 'done', 'failed')),
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    files_total     INTEGER NOT NULL DEFAULT 0,
    files_done      INTEGER NOT NULL DEFAULT 0,
    files_error     INTEGER NOT NULL DEFAULT 0,
    bytes_done      INTEGER NOT NULL DEFAULT 0,
    error           TEXT
);

CREATE TABLE export_items (
    export_id       INTEGER NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    file_id         INTEGER NOT NULL REFERENCES files (id),
    dest_rel_path   TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'planned'
                    CHECK (state IN ('planned', 'verified', 'existing', 'held', 'failed')),
    sha256_out      TEXT,
    metadata_written TEXT,                       -- JSON list of tags written, or why none
    error           TEXT,
    finished_at     TEXT,
    PRIMARY KEY (export_id, file_id),
    UNIQUE (export_id, dest_rel_path)
);

-- Job events and per-file errors, shown on the job page.
CREATE TABLE job_events (
    id              INTEGER PRIMARY KEY,
    import_id       INTEGER REFERENCES imports (id),
    export_id       INTEGER REFERENCES exports (id),
    file_id         INTEGER REFERENCES files (id),
    level           TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    path            TEXT,
    message         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX job_events_import ON job_events (import_id, level, id);
CREATE INDEX job_events_export ON job_events (export_id, level, id);

-- Worker processes say they are alive here; the health fragment reads it.
CREATE TABLE workers (
    id              TEXT PRIMARY KEY,            -- hostname:pid
    hostname        TEXT NOT NULL,
    pid             INTEGER NOT NULL,
    threads         INTEGER NOT NULL,
    broker          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    seen_at         TEXT NOT NULL
);

-- Settings a user changes in the UI (export folder, preferred folder...); env vars are defaults.
CREATE TABLE user_settings (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
