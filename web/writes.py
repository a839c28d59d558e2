"""The web's one write path: a sync job-control function on its own short-lived connection, in a
worker thread, so a write waiting for SQLite's lock (or the broker's) never stalls the event loop.

Pages read through the aiosqlite Reader (storage.db); nothing else in web/ writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from storage.db import connect

T = TypeVar("T")


async def write(app: Starlette, fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(conn, *args)` in the threadpool on a fresh connection, closed afterwards.

    `fn` commits its own transaction(s), as the jobs.imports functions do; a connection per call
    keeps threads from sharing one, and costs little next to the fsync of a commit.
    """
    path = app.state.settings.database_path

    def run() -> T:
        conn: sqlite3.Connection = connect(path)
        try:
            return fn(conn, *args)
        finally:
            conn.close()

    return await run_in_threadpool(run)
