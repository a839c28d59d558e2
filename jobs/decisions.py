"""The history of a person's decisions: the one place rows are appended to `decisions`.

Each action gets a batch id, so all the rows one click wrote are undone together. Callers own the
transaction the rows are written in.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator

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
        [(kind, file_id, json.dumps(payload, ensure_ascii=False), actor, now, batch) for file_id, payload in rows],
    )


def record_group(
    conn: sqlite3.Connection, kind: str, group_id: int, payload: dict, actor: str, batch: str | None
) -> int:
    """One decision about a duplicate group; returns its id."""
    return conn.execute(
        "INSERT INTO decisions (kind, group_id, payload, actor, created_at, batch) VALUES (?, ?, ?, ?, ?, ?)",
        (kind, group_id, json.dumps(payload), actor, utc_now(), batch),
    ).lastrowid
