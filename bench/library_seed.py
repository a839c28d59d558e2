"""A large synthetic library written straight into SQLite, for page benchmarks: no files on disk,
only the rows an analysed library holds (imports, files, evidence, hashes, duplicate groups, tags,
decisions) in the proportions a family archive has.

    .venv/bin/python -m bench.library_seed --data-dir /tmp/lib [--files 100000]

Everything is drawn from one seeded RNG, so two runs with the same arguments build the same rows.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.library_curation import decision_rows, dup_groups, tag_rows
from bench.library_files import (
    COL,
    FILE_COLUMNS,
    IMPORTED,
    IMPORTS,
    evidence_rows,
    file_rows,
    hash_rows,
    in_date_queue,
)
from storage.db import open_database, transaction
from storage.settings import Settings


@dataclass
class Seeded:
    """What was written: row counts per table and how long it took."""

    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def seed_library(db_path: Path, files: int = 100_000, evidence_files: int = 20_000, seed: int = 1) -> Seeded:
    """Write the synthetic library into a fresh (migrated) database at db_path."""
    started = time.perf_counter()
    rng = random.Random(seed)
    scale = files / 100_000
    rows = file_rows(rng, files)
    groups, members, flips = dup_groups(
        rng, rows, round(3000 * scale), round(2000 * scale), round(1500 * scale)
    )
    decisions = decision_rows(rng, rows, groups, max(20, round(2000 * scale)))
    hashes = hash_rows(rng, rows, members, flips)
    tags, links = tag_rows(rng, rows)
    evidence = []
    for row in rows:
        if row[COL["status"]] == "processed" and (row[COL["id"]] <= evidence_files or in_date_queue(row)):
            evidence.extend(evidence_rows(rng, row))

    conn = open_database(db_path)
    try:
        decision_columns = [r["name"] for r in conn.execute("PRAGMA table_info(decisions)")]
        decision_columns = [
            c
            for c in (
                "id",
                "kind",
                "file_id",
                "group_id",
                "payload",
                "undoes",
                "actor",
                "created_at",
                "batch",
            )
            if c in decision_columns
        ]
        conn.execute("PRAGMA cache_size=-262144")
        with transaction(conn):
            conn.executemany(
                "INSERT INTO imports (id, kind, root, label, state, created_at, started_at, finished_at,"
                " files_total, files_done, scan_complete) VALUES (?, 'folder', ?, ?, 'done', ?, ?, ?, ?, ?, 1)",
                [
                    (
                        i,
                        root,
                        label,
                        IMPORTED.isoformat(),
                        IMPORTED.isoformat(),
                        IMPORTED.isoformat(),
                        sum(1 for r in rows if r[1] == i),
                        sum(1 for r in rows if r[1] == i),
                    )
                    for i, root, label, _, _ in IMPORTS
                ],
            )
            marks = ", ".join("?" * len(FILE_COLUMNS))
            conn.executemany(f"INSERT INTO files ({', '.join(FILE_COLUMNS)}) VALUES ({marks})", rows)
            conn.executemany(
                "INSERT INTO evidence (file_id, source, raw, local_time, utc_offset, is_utc, precision, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                evidence,
            )
            conn.executemany("INSERT INTO hashes (file_id, kind, value) VALUES (?, ?, ?)", hashes)
            conn.executemany(
                "INSERT INTO dup_groups (id, class, representative_id, keeper_id, keeper_reason, resolution,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                groups,
            )
            conn.executemany(
                "INSERT INTO dup_members (group_id, file_id, class, distance) VALUES (?, ?, ?, ?)", members
            )
            conn.executemany("INSERT INTO tags (id, name) VALUES (?, ?)", tags)
            conn.executemany("INSERT INTO file_tags (file_id, tag_id, origin) VALUES (?, ?, ?)", links)
            conn.executemany(
                f"INSERT INTO decisions ({', '.join(decision_columns)})"
                f" VALUES ({', '.join(':' + c for c in decision_columns)})",
                decisions,
            )
        # Start the server on a checkpointed file, as a library that has been idle a while is.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "files",
                "evidence",
                "hashes",
                "dup_groups",
                "dup_members",
                "tags",
                "file_tags",
                "decisions",
            )
        }
    finally:
        conn.close()
    return Seeded(files=files, counts=counts, seconds=time.perf_counter() - started)


def fresh_database(data_dir: Path) -> Path:
    """The database path of `data_dir`, with any earlier database (and its WAL) removed."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = Settings(data_dir=data_dir).database_path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument(
        "--evidence-files",
        type=int,
        default=20_000,
        help="files (by id, plus every file in the date queue) that get evidence rows",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    seeded = seed_library(fresh_database(args.data_dir), args.files, args.evidence_files, args.seed)
    print(f"seeded {seeded.files:,} files in {seeded.seconds:.1f} s: {seeded.counts}")


if __name__ == "__main__":
    try:
        main()
    except sqlite3.Error as error:
        raise SystemExit(f"seeding failed: {error}") from error
