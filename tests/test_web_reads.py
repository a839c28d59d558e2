"""The web's read side (storage.db.connect_async): every page read sees what was committed before it began,
even while another page's result is still being consumed, and it cannot write."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from storage.db import connect, connect_async


def _library(path):
    conn = connect(path)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    return conn


def test_a_read_sees_a_commit_made_while_an_earlier_result_is_still_open(tmp_path):
    writer = _library(tmp_path / "lib.sqlite3")

    async def scenario():
        # One thread, one connection: the case where an open statement would pin the snapshot.
        reader = await connect_async(tmp_path / "lib.sqlite3", readers=1)
        try:
            earlier = await reader.execute("SELECT x FROM t ORDER BY x")
            assert (await earlier.fetchone())["x"] == 1  # half read, like a page mid-render
            writer.execute("INSERT INTO t VALUES (3)")  # a decision committed meanwhile
            async with reader.execute("SELECT count(*) FROM t") as cursor:
                seen = (await cursor.fetchone())[0]
            rest = [row["x"] for row in await earlier.fetchall()]
            return seen, rest
        finally:
            await reader.close()

    seen, rest = asyncio.run(scenario())
    assert seen == 3
    assert rest == [2]  # the earlier result is whole and unchanged


def test_the_read_side_refuses_to_write(tmp_path):
    _library(tmp_path / "lib.sqlite3").close()

    async def scenario():
        reader = await connect_async(tmp_path / "lib.sqlite3")
        try:
            await reader.execute("INSERT INTO t VALUES (4)")
        finally:
            await reader.close()

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(scenario())
