"""Background re-dating: when the engine's rules change, every file is decided again from its
stored evidence, without reading a photo."""

from __future__ import annotations

import sqlite3

import dramatiq

import jobs.broker  # noqa: F401  (installs the stub broker before the actor below is declared)
from jobs import runtime
from jobs.dates import ENGINE_VERSION
from jobs.dating import redate, redate_import

QUEUE = "maintenance"
REDATE_ACTOR = "redate_stale"

STALE_SQL = "SELECT id, import_id FROM files WHERE status = 'processed' AND coalesce(engine_version, 0) <> ?"


def stale_count(conn: sqlite3.Connection) -> int:
    return conn.execute(f"SELECT count(*) FROM ({STALE_SQL})", (ENGINE_VERSION,)).fetchone()[0]


@dramatiq.actor(actor_name=REDATE_ACTOR, queue_name=QUEUE, max_retries=3)
def redate_stale() -> None:
    conn = runtime.db()
    rows = conn.execute(STALE_SQL, (ENGINE_VERSION,)).fetchall()
    redate(conn, [r["id"] for r in rows], runtime.settings())
    for import_id in sorted({r["import_id"] for r in rows}):
        redate_import(conn, import_id, runtime.settings())
