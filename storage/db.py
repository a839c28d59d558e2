"""SQLite connections (sync for workers and web writes, aiosqlite for web pages) and migrations.

Every connection gets the same pragmas: WAL so readers never block the writer, a busy timeout so
concurrent writers queue instead of failing with "database is locked", and foreign keys on.
Connections run in autocommit mode; writes use `transaction()` (BEGIN IMMEDIATE) so that a
write transaction takes the lock up front instead of failing half-way on upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 30_000
# Read connections for the web: two cores run the pages next to the workers; a third lets a quick
# read (a progress poll) pass two slow ones.
READERS = 3
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    # NORMAL is durable across application crashes in WAL mode; only a power cut may lose the
    # last transactions, never corrupt the file.
    "PRAGMA synchronous=NORMAL",
)


def utc_now() -> str:
    """The current time as ISO-8601 UTC text with offset, the one format stored in the database."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    enable_wal(conn)
    for pragma in PRAGMAS[1:]:
        conn.execute(pragma)
    return conn


def enable_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switching a new file to WAL takes an exclusive lock and can fail with "database is locked"
    without waiting for the busy timeout when several processes open it at the same moment."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


class Rows:
    """A query's whole result, read on a reader thread: awaitable, and an async context manager with
    the cursor methods pages use (fetchone, fetchall, fetchmany, async iteration)."""

    def __init__(self, pending: asyncio.Future[list[sqlite3.Row]]) -> None:
        self._pending = pending
        self._rows: list[sqlite3.Row] = []
        self._at = 0

    async def _load(self) -> Rows:
        self._rows = await self._pending
        return self

    def __await__(self) -> Generator[Any, None, Rows]:
        return self._load().__await__()

    async def __aenter__(self) -> Rows:
        return await self._load()

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __aiter__(self) -> Rows:
        return self

    async def __anext__(self) -> sqlite3.Row:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def fetchone(self) -> sqlite3.Row | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchmany(self, size: int = 1) -> list[sqlite3.Row]:
        rows = self._rows[self._at : self._at + size]
        self._at += len(rows)
        return rows

    async def fetchall(self) -> list[sqlite3.Row]:
        return await self.fetchmany(len(self._rows))

    async def close(self) -> None:
        return None


class Reader:
    """The web's reads: a few aiosqlite connections (each with its own thread), so a slow page query
    never holds up a progress poll behind it, and the event loop never waits on SQLite.

    Every query is read to its last row in one step (`execute_fetchall`). That matters: a statement
    left open (a cursor not yet read to the end while other queries run on the same connection) pins
    the connection's snapshot, so later queries on it do not see newer commits (a session just
    started, the decision just made), and no checkpoint can pass it, so the WAL grows without bound.
    """

    def __init__(self, conns: list[aiosqlite.Connection]) -> None:
        self._conns = conns
        self._pending = [0] * len(conns)

    def execute(self, sql: str, params: Any = ()) -> Rows:
        # The connection with the fewest queries waiting: a quick read passes a slow one.
        index = min(range(len(self._conns)), key=self._pending.__getitem__)
        self._pending[index] += 1

        async def read() -> list[sqlite3.Row]:
            try:
                return list(await self._conns[index].execute_fetchall(sql, params))
            finally:
                self._pending[index] -= 1

        return Rows(asyncio.ensure_future(read()))

    async def close(self) -> None:
        for conn in self._conns:
            await conn.close()


async def connect_async(path: Path, readers: int = READERS) -> Reader:
    """The web's read side (see Reader); same pragmas as every connection, plus query_only."""
    conns = []
    for _ in range(readers):
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        for pragma in (*PRAGMAS, "PRAGMA query_only=ON"):  # the web writes only through web/writes.py
            await conn.execute_fetchall(pragma)
        conns.append(conn)
    return Reader(conns)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One short write transaction; rolled back on any error. Inside another, it joins that one, so
    a caller can make several steps (a decision and its effect) one all-or-nothing write."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# Migrations ---------------------------------------------------------------------------------

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available_migrations(folder: Path = MIGRATIONS_DIR) -> list[tuple[int, str, Path]]:
    found = []
    for path in folder.iterdir():
        match = MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path.stem, path))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number in {folder}")
    return found


def latest_version(folder: Path = MIGRATIONS_DIR) -> int:
    return available_migrations(folder)[-1][0]


def split_statements(script: str) -> list[str]:
    """Split SQL text into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip() and not current.strip().startswith("--"):
        statements.append(current.strip())
    return statements


def schema_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(conn: sqlite3.Connection, folder: Path = MIGRATIONS_DIR) -> int:
    """Apply pending migrations in order, each in its own transaction; returns the new version.

    Safe when the web and several workers start at once: the version is re-read after the write
    lock is taken, so each migration runs exactly once.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    for version, name, path in available_migrations(folder):
        if version <= schema_version(conn):
            continue
        with transaction(conn):
            if version <= schema_version(conn):
                continue
            for statement in split_statements(path.read_text(encoding="utf-8")):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, utc_now()),
            )
    return schema_version(conn)


def open_database(path: Path) -> sqlite3.Connection:
    """Connect and bring the schema up to date."""
    conn = connect(path)
    migrate(conn)
    return conn
