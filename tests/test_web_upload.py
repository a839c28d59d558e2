"""Browser uploads through the HTTP API (what static/upload.js sends), against the real app, the
real SQLite file and broker, and the real upload folder in the data dir."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from jobs.imports import FANOUT
from storage.datadir import uploads_dir
from storage.settings import Settings
from web import uploads
from web.upload_store import UnsafePath, clean_rel_path, numbered

MB = 1024 * 1024
# 2023-11-14T22:13:20.123Z, as a browser's File.lastModified
LAST_MODIFIED = 1_700_000_000_123


def start(client: TestClient, label: str | None = None) -> int:
    response = client.post("/api/uploads", json={"label": label} if label else None)
    assert response.status_code == 201
    assert response.json()["url"] == f"/imports/{response.json()['id']}"
    return response.json()["id"]


def put(client: TestClient, import_id: int, path: str, body: Any, modified: int = LAST_MODIFIED, **kw: Any):
    return client.put(
        f"/api/uploads/{import_id}/files",
        params={"path": path, "lastModified": str(modified)},
        content=body,
        **kw,
    )


def files_of(conn: sqlite3.Connection, import_id: int) -> list[tuple]:
    return [
        tuple(row)
        for row in conn.execute(
            "SELECT rel_path, size, browser_mtime, status FROM files WHERE import_id = ? ORDER BY id",
            (import_id,),
        )
    ]


def everything_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def folder(web_settings: Settings) -> Callable[[int], Path]:
    """The upload folder of an import: uploads/<id>/ in the data dir."""

    def of(import_id: int) -> Path:
        return uploads_dir(web_settings) / str(import_id)

    return of


# A folder arrives ------------------------------------------------------------------------------


def test_a_dropped_folder_keeps_its_paths_and_same_names_never_overwrite(
    web_client: TestClient, library: sqlite3.Connection, folder: Callable[[int], Path]
) -> None:
    import_id = start(web_client, "Holiday 2019")
    answers = [
        put(web_client, import_id, "Holiday/Day 1/IMG_0001.jpg", b"first day"),
        put(web_client, import_id, "Holiday/Day 2/IMG_0001.jpg", b"second day!", LAST_MODIFIED + 86_400_000),
        # The same name in the same folder again, as from a second drop: kept beside, numbered.
        put(web_client, import_id, "Holiday/Day 1/IMG_0001.jpg", b"another drop"),
        put(web_client, import_id, "Holiday/Day 1/IMG_0001.jpg", b"and a third"),
    ]
    assert [a.status_code for a in answers] == [201] * 4
    stored = [a.json()["path"] for a in answers]
    assert stored == [
        "Holiday/Day 1/IMG_0001.jpg",
        "Holiday/Day 2/IMG_0001.jpg",
        "Holiday/Day 1/IMG_0001 (1).jpg",
        "Holiday/Day 1/IMG_0001 (2).jpg",
    ]
    assert files_of(library, import_id) == [
        ("Holiday/Day 1/IMG_0001.jpg", 9, "2023-11-14T22:13:20.123+00:00", "pending"),
        ("Holiday/Day 2/IMG_0001.jpg", 11, "2023-11-15T22:13:20.123+00:00", "pending"),
        ("Holiday/Day 1/IMG_0001 (1).jpg", 12, "2023-11-14T22:13:20.123+00:00", "pending"),
        ("Holiday/Day 1/IMG_0001 (2).jpg", 11, "2023-11-14T22:13:20.123+00:00", "pending"),
    ]
    root = folder(import_id)
    assert (root / "Holiday/Day 1/IMG_0001.jpg").read_bytes() == b"first day"
    assert (root / "Holiday/Day 2/IMG_0001.jpg").read_bytes() == b"second day!"
    assert (root / "Holiday/Day 1/IMG_0001 (1).jpg").read_bytes() == b"another drop"
    assert everything_under(root) == set(stored)  # no temporary files left behind
    # The stored copy keeps the file's own time, so the analysis does not see "modified today".
    assert (root / "Holiday/Day 2/IMG_0001.jpg").stat().st_mtime == pytest.approx(
        (LAST_MODIFIED + 86_400_000) / 1000
    )
    row = library.execute("SELECT kind, root, label, state, files_total FROM imports").fetchone()
    assert tuple(row) == ("upload", str(root), "Holiday 2019", "receiving", 4)


def test_a_name_taken_on_disk_but_not_yet_recorded_is_not_overwritten(
    web_client: TestClient, library: sqlite3.Connection, folder: Callable[[int], Path]
) -> None:
    # What a concurrent upload of the same name looks like between its rename and its row.
    import_id = start(web_client)
    (folder(import_id) / "a.jpg").write_bytes(b"the other upload")
    assert put(web_client, import_id, "a.jpg", b"this one").json()["path"] == "a (1).jpg"
    assert (folder(import_id) / "a.jpg").read_bytes() == b"the other upload"
    assert [f[0] for f in files_of(library, import_id)] == ["a (1).jpg"]


def test_a_phone_picker_sends_bare_names_and_windows_paths_are_normalised(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = start(web_client)
    assert put(web_client, import_id, "IMG_2001.HEIC", b"x").json()["path"] == "IMG_2001.HEIC"
    assert put(web_client, import_id, "Card\\DCIM\\P001.JPG", b"y").json()["path"] == "Card/DCIM/P001.JPG"
    label = library.execute("SELECT label FROM imports WHERE id = ?", (import_id,)).fetchone()[0]
    assert label == "Upload from a browser"


def test_a_large_body_is_written_in_chunks_and_arrives_whole(
    web_client: TestClient, folder: Callable[[int], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "WRITE_CHUNK", 4096)  # many writes for a modest body
    body = bytes(range(256)) * 3000  # 768 000 bytes, under the 1 MB limit
    import_id = start(web_client)
    response = put(web_client, import_id, "clip.mp4", iter([body[:100_000], body[100_000:]]))
    assert response.status_code == 201 and response.json()["size"] == len(body)
    assert (folder(import_id) / "clip.mp4").read_bytes() == body


# What is refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../x.jpg",
        "/etc/passwd",
        "a/../../x.jpg",
        "a\\..\\..\\x.jpg",
        "./x.jpg",
        "a//x.jpg",
        "",
        "x\0.jpg",
        "a/\n.jpg",
    ],
)
def test_paths_that_could_leave_the_upload_folder_are_refused(
    path: str, web_client: TestClient, library: sqlite3.Connection, tmp_path: Path
) -> None:
    import_id = start(web_client)
    before = everything_under(tmp_path)
    response = put(web_client, import_id, path, b"payload")
    assert response.status_code == 400
    assert response.json()["error"].startswith("Refused:")
    assert files_of(library, import_id) == []
    assert everything_under(tmp_path) == before


def test_over_the_limit_by_content_length_is_413_with_a_sentence_and_no_file(
    web_client: TestClient, library: sqlite3.Connection, folder: Callable[[int], Path]
) -> None:
    import_id = start(web_client)
    response = put(web_client, import_id, "big/video.mov", b"x" * (MB + 1))
    assert response.status_code == 413
    assert response.json() == {"error": "big/video.mov is larger than the 1 MB limit"}
    assert everything_under(folder(import_id)) == set()
    assert files_of(library, import_id) == []


def test_over_the_limit_while_streaming_is_413_and_leaves_no_partial_file(
    web_client: TestClient, library: sqlite3.Connection, folder: Callable[[int], Path]
) -> None:
    import_id = start(web_client)
    chunks = iter([b"x" * (MB // 2)] * 3)  # no Content-Length: only counting the stream can tell
    response = put(web_client, import_id, "video.mov", chunks)
    assert response.status_code == 413
    assert "larger than the 1 MB limit" in response.json()["error"]
    assert everything_under(folder(import_id)) == set()
    assert files_of(library, import_id) == []


def test_an_interrupted_upload_leaves_no_partial_file_and_keeps_what_arrived(
    web_client: TestClient, library: sqlite3.Connection, folder: Callable[[int], Path]
) -> None:
    import_id = start(web_client)
    assert put(web_client, import_id, "done.jpg", b"complete").status_code == 201
    # The browser sends part of the body, then the connection drops (tab closed, Wi-Fi gone).
    messages = [
        {"type": "http.request", "body": b"x" * 70_000, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": f"/api/uploads/{import_id}/files",
        "raw_path": f"/api/uploads/{import_id}/files".encode(),
        "root_path": "",
        "query_string": b"path=half.jpg&lastModified=1700000000123",
        "headers": [
            (b"host", b"localhost"),
            (b"content-length", b"200000"),
            # The token and cookie the page's script sends (see tests/conftest.py csrf_client).
            (b"x-csrf-token", web_client.headers["X-CSRF-Token"].encode()),
            (b"cookie", f"mediaparser_csrf={web_client.cookies['mediaparser_csrf']}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    web_client.portal.call(web_client.app, scope, receive, send)
    assert messages == []  # the handler really read up to the disconnect
    assert everything_under(folder(import_id)) == {"done.jpg"}
    assert [f[0] for f in files_of(library, import_id)] == ["done.jpg"]
    assert (
        library.execute("SELECT state FROM imports WHERE id = ?", (import_id,)).fetchone()[0] == "receiving"
    )


def test_files_for_a_finished_or_unknown_upload_are_refused(
    web_client: TestClient, library: sqlite3.Connection, folder: Callable[[int], Path]
) -> None:
    import_id = start(web_client)
    put(web_client, import_id, "a.jpg", b"a")
    assert web_client.post(f"/api/uploads/{import_id}/finish").status_code == 200
    late = put(web_client, import_id, "b.jpg", b"b")
    assert late.status_code == 409
    assert "no longer takes files (it is analysing)" in late.json()["error"]
    assert everything_under(folder(import_id)) == {"a.jpg"}
    assert web_client.post(f"/api/uploads/{import_id}/finish").status_code == 409
    assert put(web_client, 999, "c.jpg", b"c").status_code == 404
    library.execute(
        "INSERT INTO imports (kind, root, state, created_at) VALUES ('folder', '/x', 'queued', 'now')"
    )
    assert (
        put(web_client, import_id + 1, "c.jpg", b"c").status_code == 404
    )  # a folder import takes no uploads


# Finishing and resuming ------------------------------------------------------------------------


def test_finish_starts_the_analysis(web_client: TestClient, library: sqlite3.Connection, queued: Any) -> None:
    import_id = start(web_client)
    put(web_client, import_id, "a.jpg", b"a")
    put(web_client, import_id, "b.jpg", b"b")
    assert queued() == []  # nothing runs while files are still arriving
    response = web_client.post(f"/api/uploads/{import_id}/finish")
    assert response.json() == {"id": import_id, "url": f"/imports/{import_id}"}
    row = library.execute("SELECT state, scan_complete, files_total FROM imports").fetchone()
    assert tuple(row) == ("analysing", 1, 2)
    assert queued() == [("analyse_import", [import_id])] * FANOUT


def test_an_upload_still_receiving_offers_to_analyse_what_arrived_and_to_add_more(
    web_client: TestClient, library: sqlite3.Connection, queued: Any
) -> None:
    import_id = start(web_client)
    put(web_client, import_id, "a.jpg", b"a")
    put(web_client, import_id, "b.jpg", b"b")
    html = web_client.get(f"/imports/{import_id}").text
    assert "Analyse the 2 files received" in " ".join(html.split())
    assert f'data-import-id="{import_id}"' in html and 'src="/static/upload.js"' in html
    # The button works without JavaScript too.
    response = web_client.post(f"/imports/{import_id}/finish", follow_redirects=False)
    assert response.status_code == 303
    assert library.execute("SELECT state FROM imports").fetchone()[0] == "analysing"
    assert len(queued()) == FANOUT


def test_the_received_list_lets_a_browser_skip_what_already_arrived(web_client: TestClient) -> None:
    import_id = start(web_client)
    put(web_client, import_id, "Day 1/a.jpg", b"abc")
    data = web_client.get(f"/api/uploads/{import_id}").json()
    assert data["state"] == "receiving"
    assert data["files"] == [{"path": "Day 1/a.jpg", "size": 3, "lastModified": LAST_MODIFIED}]


def test_the_upload_area_has_drop_zone_and_both_pickers(web_client: TestClient) -> None:
    html = web_client.get("/imports").text
    assert 'data-max-bytes="1048576"' in html and "Up to 1 MB per file" in html
    assert (
        '<input type="file" id="pick-files" class="visually-hidden" multiple accept="image/*,video/*"' in html
    )
    assert '<input type="file" id="pick-folder" class="visually-hidden" webkitdirectory' in html
    assert '<label for="pick-files"' in html and '<label for="pick-folder"' in html
    assert web_client.get("/static/upload.js").status_code == 200


# Pure parts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("a.jpg", "a.jpg"), ("A\\B\\c.jpg", "A/B/c.jpg"), ("Été/ü.jpg", "Été/ü.jpg"), ("..a/b..", "..a/b..")],
)
def test_clean_rel_path_keeps_plain_names(sent: str, stored: str) -> None:
    assert clean_rel_path(sent) == stored


@pytest.mark.parametrize("sent", ["..", "a/..", "/a", "\\a", "a/", "a/./b", " ", "n\0ul", "x" * 256])
def test_clean_rel_path_refuses_anything_else(sent: str) -> None:
    with pytest.raises(UnsafePath):
        clean_rel_path(sent)


def test_numbered_names_keep_the_folder_and_the_extension() -> None:
    names = numbered("a/IMG 1.tar.gz")
    assert [next(names) for _ in range(3)] == ["a/IMG 1.tar.gz", "a/IMG 1.tar (1).gz", "a/IMG 1.tar (2).gz"]
    assert list(zip(range(2), numbered(".hidden"), strict=False))[1][1] == ".hidden (1)"


def test_browser_time_is_read_as_utc_milliseconds() -> None:
    from web.upload_store import browser_mtime

    assert browser_mtime(str(LAST_MODIFIED)) == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert browser_mtime("soon") is None and browser_mtime(None) is None and browser_mtime("9" * 30) is None


def test_files_half_received_when_the_server_died_are_removed_at_the_next_start(web_settings) -> None:
    from starlette.testclient import TestClient

    from storage.datadir import uploads_dir
    from web.app import create_app

    folder = uploads_dir(web_settings) / "7" / "Holiday"
    folder.mkdir(parents=True)
    partial = folder / ".IMG_1.jpg.a1b2.partial"
    partial.write_bytes(b"half a photo")
    kept = folder / "IMG_0.jpg"
    kept.write_bytes(b"a whole photo")
    with TestClient(create_app(web_settings), base_url="http://localhost"):
        assert not partial.exists()
        assert kept.read_bytes() == b"a whole photo"
