"""Fixtures shared by every test module; keep them small and generic."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from storage.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh, empty data dir; built directly so the real environment cannot leak in."""
    return Settings(data_dir=tmp_path)


# The web app with its real database and real SQLite broker ----------------------------------------


@pytest.fixture
def import_root(tmp_path: Path) -> Path:
    """The one folder the web pages may import from (beside the data dir, so outside it is easy)."""
    root = tmp_path / "photos"
    root.mkdir()
    return root


@pytest.fixture
def web_settings(settings: Settings, import_root: Path) -> Settings:
    # A 1 MB upload limit keeps "too large" tests cheap. Sign-in is off (tests/test_web_access.py
    # covers it); CSRF checks stay on, so the client below sends a token as a page would.
    return replace(settings, import_roots=(import_root,), max_upload_mb=1, auth=False)


def csrf_client(client: Any) -> Any:
    """Give a started TestClient the CSRF cookie and the matching header a page's forms would send."""
    from web import cookies

    nonce = cookies.new_token()
    client.cookies.set(cookies.CSRF_COOKIE, nonce)
    client.headers["X-CSRF-Token"] = cookies.csrf_token(client.app.state.secret_key, nonce)
    return client


@pytest.fixture
def web_client(web_settings: Settings) -> Iterator[Any]:
    """A TestClient whose lifespan ran: data dir, migrations, broker set up, read connection; it
    sends the CSRF token every state-changing request needs (web/guard.py)."""
    # Imported here so a module being rewritten in jobs/ cannot break collection of unrelated tests.
    from starlette.testclient import TestClient

    from web.app import create_app

    # localhost: with sign-in off the app answers only to loopback names.
    with TestClient(create_app(web_settings), base_url="http://localhost") as client:
        yield csrf_client(client)


@pytest.fixture
def library(web_settings: Settings, web_client: Any) -> Iterator[sqlite3.Connection]:
    """A sync connection to the app's migrated database, to arrange rows and check what was written."""
    from storage.db import connect

    conn = connect(web_settings.database_path)
    yield conn
    conn.close()


@pytest.fixture
def queued(web_settings: Settings, web_client: Any) -> Callable[[], list[tuple[str, list[Any]]]]:
    """Reads the messages waiting in the real SQLite broker as (actor name, args), oldest first."""
    from storage.datadir import broker_path

    def read() -> list[tuple[str, list[Any]]]:
        conn = sqlite3.connect(broker_path(web_settings))
        try:
            rows = conn.execute("SELECT body FROM messages WHERE state = 'ready' ORDER BY id").fetchall()
        finally:
            conn.close()
        return [(message["actor_name"], message["args"]) for message in (json.loads(b) for (b,) in rows)]

    return read
