-- How many worker processes crashed while analysing this file (counted by the supervisor). A file that keeps stopping its worker
-- (a decoder crash, memory exhausted) is set aside with an error instead of stopping the import forever.
ALTER TABLE files ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
