"""The history of a person's decisions: the one place rows are appended to `decisions`.

Each action gets a batch id, so all the rows one click wrote are undone together. Callers own the
transaction the rows are written in.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Collection, Iterable, Iterator

from storage.db import utc_now

IN_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


def new_batch() -> str:
    return uuid.uuid4().hex


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """The ids, each once, in lists short enough for one IN (...)."""
    distinct = list(dict.fromkeys(ids))
    for start in range(0, len(distinct), IN_CHUNK):
        yield distinct[start : start + IN_CHUNK]


def record_files(
    conn: sqlite3.Connection,
    kind: str,
    rows: Iterable[tuple[int, dict]],
    actor: str,
    batch: str | None,
    now: str | None = None,
) -> None:
    """One decision per (file id, payload); `now` lets one action written in parts keep one time."""
    now = now or utc_now()
    conn.executemany(
        "INSERT INTO decisions (kind, file_id, payload, actor, created_at, batch) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (kind, file_id, json.dumps(payload, ensure_ascii=False), actor, now, batch)
            for file_id, payload in rows
        ],
    )


def record_group(
    conn: sqlite3.Connection, kind: str, group_id: int, payload: dict, actor: str, batch: str | None
) -> int:
    """One decision about a duplicate group; returns its id."""
    return conn.execute(
        "INSERT INTO decisions (kind, group_id, payload, actor, created_at, batch) VALUES (?, ?, ?, ?, ?, ?)",
        (kind, group_id, json.dumps(payload), actor, utc_now(), batch),
    ).lastrowid


# Reading the history back -----------------------------------------------------------------------

# A decision is in force while no undo row names it (alias the decision `d`).
IN_FORCE = "NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)"
GROUP_KINDS = ("keep", "keep_all", "not_duplicates")

# Every decision in force that set one of these files aside or brought it back: a person's discard
# or undiscard, or a duplicate group decision naming the file in its "discarded" / "undiscarded".
ASIDE_SQL = f"""
SELECT d.id, d.file_id, d.kind = 'discard' AS aside, d.group_id, d.payload FROM decisions d
WHERE d.kind IN ('discard', 'undiscard') AND d.file_id IN ({{marks}}) AND {IN_FORCE}
UNION ALL
SELECT d.id, j.value, lists.key = 'discarded', d.group_id, d.payload
FROM decisions d, json_each(d.payload) AS lists, json_each(lists.value) AS j
WHERE d.kind IN {GROUP_KINDS} AND lists.key IN ('discarded', 'undiscarded') AND j.value IN ({{marks}})
  AND {IN_FORCE}
"""


def aside_deciders(
    conn: sqlite3.Connection, ids: Iterable[int], ignoring: Collection[int] = ()
) -> dict[int, sqlite3.Row]:
    """For each file, the latest decision in force about whether it is set aside (row: id, file_id,
    aside, group_id, payload), the ids in `ignoring` counted as undone. A file no such decision
    names is absent: it is not set aside."""
    latest: dict[int, sqlite3.Row] = {}
    for chunk in chunks(ids):
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(ASIDE_SQL.format(marks=marks), (*chunk, *chunk)):
            if row["id"] in ignoring:
                continue
            if row["file_id"] not in latest or latest[row["file_id"]]["id"] < row["id"]:
                latest[row["file_id"]] = row
    return latest
