"""The state layer: schema from empty, pragmas on both connection kinds, atomic writes, settings."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from storage.atomic import atomic_write_bytes, atomic_writer
from storage.db import (
    connect,
    connect_async,
    latest_version,
    migrate,
    open_database,
    schema_version,
    split_statements,
    transaction,
    utc_now,
)
from storage.files import camera_name
from storage.settings import Settings, load_settings

TABLES = {
    "imports",
    "files",
    "file_metadata",
    "evidence",
    "hashes",
    "dup_groups",
    "dup_members",
    "tags",
    "file_tags",
    "decisions",
    "exports",
    "export_items",
    "job_events",
    "workers",
    "user_settings",
    "schema_migrations",
}


def test_migrations_build_the_whole_schema_from_an_empty_file(tmp_path):
    conn = open_database(tmp_path / "lib.sqlite3")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert names >= TABLES
    assert schema_version(conn) == latest_version() >= 1
    assert migrate(conn) == latest_version()  # running again changes nothing
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == latest_version()


def _migrate_in_process(path: str) -> None:
    open_database(Path(path)).close()


def test_web_and_workers_migrating_at_the_same_moment_apply_each_migration_once(tmp_path):
    path = str(tmp_path / "lib.sqlite3")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_migrate_in_process, args=(path,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    conn = connect(Path(path))
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == latest_version()


def test_sync_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path):
    conn = open_database(tmp_path / "lib.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute(
            "INSERT INTO files (import_id, rel_path, source_path, origin, created_at)"
            " VALUES (999, 'a.jpg', '/a.jpg', '/a.jpg', ?)",
            (utc_now(),),
        )


def test_async_connections_use_the_same_pragmas(tmp_path):
    open_database(tmp_path / "lib.sqlite3").close()

    async def read_pragmas():
        conn = await connect_async(tmp_path / "lib.sqlite3")
        try:
            values = []
            for pragma in ("journal_mode", "busy_timeout", "foreign_keys"):
                async with conn.execute(f"PRAGMA {pragma}") as cursor:
                    values.append((await cursor.fetchone())[0])
            return values
        finally:
            await conn.close()

    mode, timeout, fks = asyncio.run(read_pragmas())
    assert (mode, fks) == ("wal", 1) and timeout >= 5000


def test_decisions_are_append_only(tmp_path):
    conn = open_database(tmp_path / "lib.sqlite3")
    with transaction(conn):
        conn.execute(
            "INSERT INTO decisions (kind, actor, created_at) VALUES ('date', 'anna', ?)", (utc_now(),)
        )
    for statement in ("UPDATE decisions SET actor = 'mallory'", "DELETE FROM decisions"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert conn.execute("SELECT actor FROM decisions").fetchall()[0][0] == "anna"


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    conn = open_database(tmp_path / "lib.sqlite3")
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO tags (name) VALUES ('beach')")
        raise RuntimeError("crash mid-write")
    assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 0


def test_utc_timestamps_are_iso_8601_with_offset():
    assert utc_now().endswith("+00:00") and "T" in utc_now()


def test_statement_splitter_keeps_trigger_bodies_whole():
    script = (
        "CREATE TABLE a (x);\nCREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
    )
    assert len(split_statements(script)) == 2


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "thumb.webp"
    atomic_write_bytes(target, b"old")
    with pytest.raises(OSError), atomic_writer(target) as handle:
        handle.write(b"half of the new")
        raise OSError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["thumb.webp"], "no temp file left behind"
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"


def test_settings_have_defaults_that_need_no_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={}, env_file=tmp_path / "missing.env")
    assert settings.data_dir == tmp_path / "data"
    assert (settings.host, settings.port, settings.broker_url) == ("127.0.0.1", 8000, "")


def test_environment_beats_dotenv_and_both_are_read(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\nMEDIAPARSER_PORT=9000\nMEDIAPARSER_DATA_DIR='/srv/photos data'\n"
        "export MEDIAPARSER_TIMEZONE=Europe/Berlin\nOTHER=1\n"
    )
    settings = load_settings(environ={"MEDIAPARSER_PORT": "8123"}, env_file=env_file)
    assert settings.port == 8123
    assert settings.data_dir == Path("/srv/photos data")
    assert settings.timezone == "Europe/Berlin"
    assert isinstance(settings, Settings)


@pytest.mark.parametrize(
    ("make", "model", "name"),
    [
        ("Canon", "Canon EOS 80D", "Canon EOS 80D"),  # the make repeated in the model is said once
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        ("Apple", "iPhone 12", "Apple iPhone 12"),
        ("samsung", "SM-G991B", "samsung SM-G991B"),
        (None, "DMC-TZ7", "DMC-TZ7"),
        ("Sony", None, "Sony"),
        (None, None, None),
    ],
)
def test_a_camera_is_named_once(make: str | None, model: str | None, name: str | None) -> None:
    assert camera_name(make, model) == name
