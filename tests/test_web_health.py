"""The home page and its worker-health panel, through the real app, lifespan and SQLite file."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from storage.db import connect, transaction, utc_now
from storage.settings import Settings
from web.health import summarise_workers
from web.templating import ago

HTMX_SRC = "/static/vendor/htmx-2.0.11.min.js"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(web_client: TestClient) -> TestClient:
    # The shared client ran the lifespan: data dir, migrations, read connection.
    return web_client


def add_worker(
    settings: Settings, worker_id: str, seen_at: str, hostname: str = "nas", threads: int = 4
) -> None:
    conn = connect(settings.database_path)
    try:
        with transaction(conn):
            conn.execute(
                "INSERT INTO workers (id, hostname, pid, threads, broker, started_at, seen_at)"
                " VALUES (?, ?, ?, ?, 'sqlite', ?, ?)",
                (worker_id, hostname, int(worker_id.rsplit(":", 1)[1]), threads, seen_at, seen_at),
            )
    finally:
        conn.close()


def minutes_ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="milliseconds")


def visible_text(html: str) -> str:
    """What a person reads: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# Pages -----------------------------------------------------------------------------------------


def test_home_page_shows_health_panel_and_loads_htmx(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f'<script src="{HTMX_SRC}" defer></script>' in html
    assert 'name="viewport"' in html
    # The panel is already filled in on first load, so the page works without JavaScript...
    assert "No worker is running" in visible_text(html)
    # ...and it keeps itself current once htmx is there.
    panel = re.search(r'<div id="health"[^>]*>', html)
    assert panel, "health panel missing from the home page"
    for attribute in (
        'hx-get="/fragments/health"',
        'hx-trigger="every 5s"',
        'hx-swap="outerHTML"',
        'role="status"',
        'aria-live="polite"',
    ):
        assert attribute in panel.group(0)


def test_fragment_without_workers_says_how_to_start_one(client: TestClient) -> None:
    response = client.get("/fragments/health", headers=HTMX)
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "No worker is running. Start one with mediaparser worker" in text
    assert "last heartbeat" not in text
    # A fragment, not a page: htmx swaps it in place of the panel.
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="health"')


def test_the_fragment_opened_as_a_link_is_the_whole_home_page(client: TestClient) -> None:
    response = client.get("/fragments/health")
    assert response.status_code == 200
    assert "<html" in response.text and "Needs your attention" in response.text
    assert "No worker is running" in visible_text(response.text)


def test_fresh_heartbeats_count_as_running_processes(client: TestClient, settings: Settings) -> None:
    add_worker(settings, "nas:101", utc_now())
    add_worker(settings, "nas:102", utc_now(), threads=1)
    text = visible_text(client.get("/fragments/health", headers=HTMX).text)
    assert "Worker running — 2 processes, last heartbeat 0 s ago" in text
    assert "nas · pid 101 · 4 threads" in text
    assert "nas · pid 102 · 1 thread" in text
    assert "No worker is running" not in text


def test_one_process_is_singular(client: TestClient, settings: Settings) -> None:
    add_worker(settings, "nas:101", utc_now())
    assert "Worker running — 1 process," in visible_text(client.get("/fragments/health", headers=HTMX).text)


def test_stale_heartbeat_is_not_running_but_says_when_it_was_seen(
    client: TestClient, settings: Settings
) -> None:
    add_worker(settings, "nas:101", minutes_ago(10))
    text = visible_text(client.get("/fragments/health", headers=HTMX).text)
    assert "No worker is running" in text
    assert "The last heartbeat was 10 min ago." in text


def test_only_fresh_workers_are_counted(client: TestClient, settings: Settings) -> None:
    add_worker(settings, "nas:101", utc_now())
    add_worker(settings, "nas:102", minutes_ago(10))
    text = visible_text(client.get("/fragments/health", headers=HTMX).text)
    assert "Worker running — 1 process," in text
    assert "pid 102" not in text


def test_hostnames_are_escaped(client: TestClient, settings: Settings) -> None:
    add_worker(settings, "x:101", utc_now(), hostname="<script>alert(1)</script>")
    html = client.get("/fragments/health", headers=HTMX).text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


# JSON twin -------------------------------------------------------------------------------------


def test_api_health_without_workers(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"alive": False, "workers": [], "last_seen_seconds_ago": None}


def test_api_health_matches_the_fragment(client: TestClient, settings: Settings) -> None:
    add_worker(settings, "nas:101", utc_now())
    add_worker(settings, "nas:102", minutes_ago(10))
    data = client.get("/api/health").json()
    assert data["alive"] is True
    assert [(w["id"], w["hostname"], w["pid"], w["threads"]) for w in data["workers"]] == [
        ("nas:101", "nas", 101, 4)
    ]
    assert 0 <= data["workers"][0]["seen_seconds_ago"] < 15
    assert data["last_seen_seconds_ago"] == data["workers"][0]["seen_seconds_ago"]
    assert f"{len(data['workers'])} process," in visible_text(client.get("/fragments/health", headers=HTMX).text)


# Start-up and assets ---------------------------------------------------------------------------


def test_htmx_is_served_with_its_pinned_version(client: TestClient) -> None:
    response = client.get(HTMX_SRC)
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert 'version:"2.0.11"' in response.text
    assert client.get("/static/style.css").status_code == 200


def test_lifespan_creates_a_migrated_wal_database(client: TestClient, settings: Settings) -> None:
    assert (settings.data_dir / "uploads").is_dir()
    conn = sqlite3.connect(settings.database_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"workers", "schema_migrations"} <= tables
    finally:
        conn.close()


# Pure parts ------------------------------------------------------------------------------------

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def row(seconds_ago: float, worker_id: str = "h:1", seen_at: str | None = None) -> dict[str, object]:
    seen = seen_at or (NOW - timedelta(seconds=seconds_ago)).isoformat()
    return {"id": worker_id, "hostname": "h", "pid": 1, "threads": 2, "seen_at": seen}


@pytest.mark.parametrize(("seconds_ago", "alive"), [(0, True), (14.9, True), (15, True), (15.1, False)])
def test_alive_means_seen_within_three_heartbeats(seconds_ago: float, alive: bool) -> None:
    status = summarise_workers([row(seconds_ago)], NOW, heartbeat_interval=5.0)
    assert status["alive"] is alive
    assert status["last_seen_seconds_ago"] == pytest.approx(seconds_ago)


def test_other_offsets_and_bad_rows_are_handled() -> None:
    rows = [
        row(0, "a:1", seen_at="2024-06-01T13:59:58+02:00"),  # 2 s ago, written in local time
        row(0, "b:2", seen_at="yesterday-ish"),
    ]
    status = summarise_workers(rows, NOW, heartbeat_interval=5.0)
    assert [w["id"] for w in status["workers"]] == ["a:1"]
    assert status["workers"][0]["seen_seconds_ago"] == 2.0


def test_clock_ahead_on_another_host_counts_as_just_now() -> None:
    status = summarise_workers([row(-3)], NOW, heartbeat_interval=5.0)
    assert status["alive"] is True
    assert status["last_seen_seconds_ago"] == 0.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "never"), (3.4, "3 s"), (89, "89 s"), (600, "10 min"), (7200, "2 h"), (86400 * 2, "2 days")],
)
def test_ago_reads_naturally(seconds: float | None, text: str) -> None:
    assert ago(seconds) == text
