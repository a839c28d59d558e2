"""The import pages, job control and their JSON twins, through the real app, SQLite file and broker.

Rows are inserted directly to put a job in any state; writes made by the pages are checked in the
database and in the broker's queue, which is what a worker would pick up.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from jobs.imports import FANOUT
from storage.db import transaction, utc_now
from web.progress import progress

HTMX = {"HX-Request": "true"}
ACTIVE = ("queued", "receiving", "scanning", "analysing", "paused")
ENDED = ("done", "cancelled", "failed")
Queued = Callable[[], list[tuple[str, list[Any]]]]


def visible_text(html: str) -> str:
    """What a person reads: tags dropped, whitespace (including thin spaces) collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u202f", " ").split())


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def add_import(conn: sqlite3.Connection, **fields: Any) -> int:
    row = {
        "kind": "folder",
        "root": "/photos/2019",
        "label": "2019",
        "state": "queued",
        "created_at": utc_now(),
    }
    row.update(fields)
    with transaction(conn):
        cursor = conn.execute(
            f"INSERT INTO imports ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
    return cursor.lastrowid


def add_file(
    conn: sqlite3.Connection, import_id: int, rel_path: str, status: str = "pending", reason=None
) -> int:
    with transaction(conn):
        cursor = conn.execute(
            "INSERT INTO files (import_id, rel_path, source_path, origin, status, status_reason, size,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, 10, ?)",
            (import_id, rel_path, f"/photos/{rel_path}", f"/photos/{rel_path}", status, reason, utc_now()),
        )
    return cursor.lastrowid


def state_of(conn: sqlite3.Connection, import_id: int) -> str:
    return conn.execute("SELECT state FROM imports WHERE id = ?", (import_id,)).fetchone()[0]


def panel_tag(html: str) -> str:
    """The opening tag of the progress panel, where the polling attributes live."""
    match = re.search(r'<section id="progress"[^>]*>', html)
    assert match, "progress panel missing"
    return match.group(0)


# Importing a server folder ---------------------------------------------------------------------


def test_folder_inside_a_root_is_queued_for_scanning_and_opens_its_job_page(
    web_client: TestClient, library: sqlite3.Connection, import_root: Path, queued: Queued
) -> None:
    (import_root / "2019").mkdir()
    response = web_client.post("/imports", data={"path": f"{import_root}/2019/"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/imports/1"
    row = library.execute("SELECT kind, root, label, state FROM imports").fetchone()
    assert tuple(row) == ("folder", str(import_root / "2019"), "2019", "queued")
    assert queued() == [("scan_import", [1])]
    page = visible_text(web_client.get("/imports/1").text)
    assert "2019" in page and "Waiting for a worker" in page


def test_dotdot_that_stays_inside_the_root_is_resolved_before_it_is_stored(
    web_client: TestClient, library: sqlite3.Connection, import_root: Path
) -> None:
    (import_root / "a").mkdir()
    (import_root / "b").mkdir()
    web_client.post("/imports", data={"path": f"{import_root}/a/../b"})
    assert library.execute("SELECT root FROM imports").fetchone()[0] == str(import_root / "b")


@pytest.mark.parametrize("case", ["etc", "dotdot", "symlink", "sibling", "relative", "empty"])
def test_folders_outside_the_roots_are_refused_and_nothing_is_created(
    case: str,
    web_client: TestClient,
    library: sqlite3.Connection,
    import_root: Path,
    tmp_path: Path,
    queued: Queued,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (import_root / "escape").symlink_to(outside)
    (tmp_path / "photos2").mkdir()  # shares the root's name as a prefix, but is not inside it
    typed = {
        "etc": "/etc",
        "dotdot": f"{import_root}/../..",
        "symlink": f"{import_root}/escape",
        "sibling": str(tmp_path / "photos2"),
        "relative": "photos",
        "empty": "   ",
    }[case]
    response = web_client.post("/imports", data={"path": typed})
    assert response.status_code == 400
    text = visible_text(response.text)
    if case in ("etc", "dotdot", "symlink", "sibling"):
        assert "is not inside a folder MediaParser may import from" in text
        assert str(import_root) in text  # the allowed roots are listed
    # The form comes back with what was typed, marked invalid, so it can be corrected.
    assert 'aria-invalid="true"' in response.text
    assert f'value="{typed}"' in response.text
    assert library.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
    assert queued() == []


def test_a_folder_that_does_not_exist_is_refused(
    web_client: TestClient, library: sqlite3.Connection, import_root: Path
) -> None:
    response = web_client.post("/imports", data={"path": f"{import_root}/nope"})
    assert response.status_code == 400
    assert f"{import_root}/nope does not exist or is not a folder" in visible_text(response.text)
    (import_root / "file.jpg").write_bytes(b"x")
    assert web_client.post("/imports", data={"path": f"{import_root}/file.jpg"}).status_code == 400
    assert library.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_imports_page_lists_newest_first_with_counts_and_offers_both_ways_in(
    web_client: TestClient, library: sqlite3.Connection, import_root: Path
) -> None:
    add_import(library, label="Old phone", state="done", files_total=3, files_done=2, files_error=1)
    add_import(library, label="Holiday", kind="upload", state="receiving", files_total=5)
    html = web_client.get("/imports").text
    text = visible_text(html)
    assert text.index("Holiday") < text.index("Old phone")
    assert "3 of 3 files · 2 analysed · 0 known · 0 skipped · 1 error" in text
    assert "Receiving files" in text and "Done" in text
    assert '<a href="/imports" aria-current="page">Imports</a>' in html
    assert 'name="path"' in html and str(import_root) in text
    assert 'accept="image/*,video/*"' in html and "webkitdirectory" in html


# The job page and its progress panel -----------------------------------------------------------


@pytest.mark.parametrize("state", ACTIVE + ENDED)
def test_job_page_and_fragment_poll_only_while_the_job_can_change(
    state: str, web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = add_import(
        library, state=state, error="the folder cannot be read" if state == "failed" else None
    )
    page = web_client.get(f"/imports/{import_id}")
    fragment = web_client.get(f"/imports/{import_id}/progress", headers=HTMX)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.text and "<html" not in fragment.text
    for html in (page.text, fragment.text):
        tag = panel_tag(html)
        if state in ACTIVE:
            assert f'hx-get="/imports/{import_id}/progress"' in tag
            assert 'hx-trigger="every 1s"' in tag and 'hx-swap="outerHTML"' in tag
        else:
            # Without hx-trigger (and hx-get, or a click would fetch it) htmx stops polling.
            assert "hx-trigger" not in tag and "hx-get" not in tag
    if state == "failed":
        assert "the folder cannot be read" in visible_text(page.text)


def test_plain_request_for_the_fragment_gets_the_whole_page(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = add_import(library, label="Scans")
    html = web_client.get(f"/imports/{import_id}/progress").text
    assert "<html" in html and "<h1>Scans</h1>" in html


def test_panel_shows_the_numbers_a_person_watches(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    now = datetime.now(UTC)
    import_id = add_import(
        library,
        state="analysing",
        scan_complete=1,
        started_at=iso(now - timedelta(seconds=130)),
        rate_since=iso(now - timedelta(seconds=100)),
        files_total=1000,
        files_done=150,
        files_skipped=30,
        files_error=10,
        files_known=10,
        current_path="2019/IMG_0042.jpg",
    )
    html = web_client.get(f"/imports/{import_id}/progress", headers=HTMX).text
    text = visible_text(html)
    assert '<progress class="progress-bar" aria-labelledby="progress-count"' in html
    assert 'max="1000" value="200"' in html
    assert "200 of 1 000 files finished · 20%" in text
    assert "Speed 2.0 files/s" in text
    assert "Time left about 7 min" in text  # 800 left at 2 files/s: 6 min 40 s
    assert "Elapsed 2 min 10 s" in text
    assert "Analysed 150 Already known 10 Skipped 30 Errors 10" in text
    assert "Ended" not in text
    assert "Now: 2019/IMG_0042.jpg" in text
    assert f'href="/imports/{import_id}/errors"' in html


def test_while_scanning_the_panel_says_the_total_is_still_growing(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = add_import(
        library, state="scanning", files_total=40, started_at=utc_now(), rate_since=utc_now()
    )
    text = visible_text(web_client.get(f"/imports/{import_id}/progress", headers=HTMX).text)
    assert "the total is still growing" in text


# The numbers themselves, with a fixed clock ------------------------------------------------------

T0 = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def row(**fields: Any) -> dict[str, Any]:
    base = {
        "state": "analysing",
        "files_total": 0,
        "files_done": 0,
        "files_skipped": 0,
        "files_error": 0,
        "files_known": 0,
        "scan_complete": 1,
        "rate_since": iso(T0),
        "rate_base": 0,
        "started_at": iso(T0),
        "finished_at": None,
        "current_path": None,
    }
    return {**base, **fields}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_progress_rate_eta_elapsed_and_percent() -> None:
    p = progress(
        row(files_total=1000, files_done=150, files_skipped=30, files_error=10, files_known=10), at(100)
    )
    assert (p["finished"], p["remaining"], p["percent"]) == (200, 800, 20.0)
    assert p["rate"] == 2.0
    assert p["eta_seconds"] == 400.0
    assert p["elapsed_seconds"] == 100.0
    assert p["active"] and not p["ended"]


def test_rate_after_a_resume_counts_only_files_finished_since() -> None:
    # 300 files were done before a pause; 60 more in the 30 s since the resume.
    p = progress(row(files_total=1000, files_done=360, rate_since=iso(at(600)), rate_base=300), at(630))
    assert p["rate"] == 2.0
    assert p["eta_seconds"] == 320.0
    assert p["elapsed_seconds"] == 630.0  # elapsed still counts from the start


def test_nothing_finished_yet_or_paused_has_no_rate_and_no_eta() -> None:
    assert progress(row(files_total=50), at(5))["rate"] is None
    paused = progress(row(state="paused", files_total=50, files_done=10), at(60))
    assert (paused["rate"], paused["eta_seconds"]) == (None, None)
    assert paused["active"]


def test_an_ended_job_stops_its_clock_and_reports_its_average() -> None:
    p = progress(row(state="done", files_total=100, files_done=100, finished_at=iso(at(50))), at(5000))
    assert p["elapsed_seconds"] == 50.0
    assert p["rate"] == 2.0
    assert p["eta_seconds"] is None
    assert p["percent"] == 100.0 and p["ended"] and not p["active"]


def test_scanning_total_is_not_final_and_empty_imports_have_sensible_percents() -> None:
    assert progress(row(state="scanning", scan_complete=0, files_total=10), at(1))["total_final"] is False
    assert progress(row(state="done", finished_at=iso(at(1))), at(2))["percent"] == 100.0
    queued = progress(row(state="queued", started_at=None, rate_since=None), at(2))
    assert (queued["percent"], queued["elapsed_seconds"], queued["rate"]) == (None, None, None)


def test_garbled_or_future_timestamps_do_not_break_the_numbers() -> None:
    p = progress(row(files_total=10, files_done=5, started_at="soon", rate_since="never"), at(10))
    assert (p["elapsed_seconds"], p["rate"]) == (None, None)
    ahead = progress(row(files_total=10, files_done=5, started_at=iso(at(30))), at(10))
    assert ahead["elapsed_seconds"] == 0.0


# Job control -------------------------------------------------------------------------------------


def test_pause_resume_cancel_change_the_state_and_answer_htmx_with_the_panel(
    web_client: TestClient, library: sqlite3.Connection, queued: Queued
) -> None:
    import_id = add_import(library, state="analysing", scan_complete=1, files_total=10, files_done=4)

    paused = web_client.post(f"/imports/{import_id}/pause", headers=HTMX)
    assert paused.status_code == 200 and "<html" not in paused.text
    assert state_of(library, import_id) == "paused"
    assert ">Resume</button>" in paused.text and ">Pause</button>" not in paused.text

    resumed = web_client.post(f"/imports/{import_id}/resume", headers=HTMX)
    assert state_of(library, import_id) == "analysing"
    assert ">Pause</button>" in resumed.text
    assert queued() == [("analyse_import", [import_id])] * FANOUT

    cancelled = web_client.post(f"/imports/{import_id}/cancel", headers=HTMX)
    assert state_of(library, import_id) == "cancelled"
    assert "hx-trigger" not in panel_tag(cancelled.text)
    assert "Cancelled" in visible_text(cancelled.text)


def test_resuming_an_import_paused_while_scanning_scans_again(
    web_client: TestClient, library: sqlite3.Connection, queued: Queued
) -> None:
    import_id = add_import(library, state="paused", paused_from="scanning", scan_complete=0)
    web_client.post(f"/imports/{import_id}/resume")
    assert state_of(library, import_id) == "scanning"
    assert queued()[0] == ("scan_import", [import_id])


def test_control_without_javascript_redirects_to_the_job_page(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = add_import(library, state="scanning")
    response = web_client.post(f"/imports/{import_id}/pause", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/imports/{import_id}"
    assert state_of(library, import_id) == "paused"


def test_cancel_asks_first_without_javascript_and_with_it(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = add_import(library, state="analysing", files_total=7, files_done=2)
    job = web_client.get(f"/imports/{import_id}").text
    cancel_form = re.search(r'<form method="get" action="/imports/\d+/cancel"[^>]*>', job).group(0)
    assert f'hx-post="/imports/{import_id}/cancel"' in cancel_form and "hx-confirm=" in cancel_form
    confirm = web_client.get(f"/imports/{import_id}/cancel")
    assert "the other 5 files will not be analysed" in visible_text(confirm.text)
    assert f'<form method="post" action="/imports/{import_id}/cancel">' in confirm.text
    assert state_of(library, import_id) == "analysing"  # asking changed nothing


def test_a_click_that_no_longer_applies_changes_nothing(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = add_import(library, state="done")
    response = web_client.post(f"/imports/{import_id}/pause", headers=HTMX)
    assert response.status_code == 200
    assert state_of(library, import_id) == "done"
    assert "Done" in visible_text(response.text)


def test_unknown_import_is_a_404_page_and_a_json_404(web_client: TestClient) -> None:
    page = web_client.get("/imports/999")
    assert page.status_code == 404 and "There is no import #999." in visible_text(page.text)
    assert web_client.post("/imports/999/pause", headers=HTMX).status_code == 404
    api = web_client.get("/api/imports/999")
    assert api.status_code == 404 and api.json() == {"error": "There is no import #999."}


# Errors and skipped files ----------------------------------------------------------------------


def test_errors_page_lists_errors_and_skipped_files_with_reasons(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    import_id = add_import(library, state="done", files_error=1, files_skipped=1)
    add_file(library, import_id, "a/broken.jpg", "error", "JPEG ends after 41% of its data")
    add_file(library, import_id, "a/Thumbs.db", "skipped", "system file (Windows thumbnail cache)")
    add_file(library, import_id, "a/fine.jpg", "processed")
    text = visible_text(web_client.get(f"/imports/{import_id}/errors").text)
    errors, skipped = text.split("Skipped (", 1)
    assert "a/broken.jpg JPEG ends after 41% of its data" in errors
    assert "a/Thumbs.db system file (Windows thumbnail cache)" in skipped
    assert "fine.jpg" not in text


def test_errors_page_pages_by_file_id(web_client: TestClient, library: sqlite3.Connection) -> None:
    import_id = add_import(library, state="done")
    ids = [add_file(library, import_id, f"bad{n:03d}.jpg", "error", "unreadable") for n in range(105)]
    first = web_client.get(f"/imports/{import_id}/errors").text
    assert first.count("bad0") + first.count("bad1") == 100
    assert f'/imports/{import_id}/errors?after={ids[99]}"' in first
    second = visible_text(web_client.get(f"/imports/{import_id}/errors?after={ids[99]}").text)
    assert "bad100.jpg" in second and "bad104.jpg" in second and "bad099.jpg" not in second
    api = web_client.get(f"/api/imports/{import_id}/errors").json()
    assert len(api["errors"]) == 100 and api["next_after"] == ids[99]
    assert api["errors"][0] == {"id": ids[0], "path": "bad000.jpg", "reason": "unreadable"}
    assert web_client.get(f"/api/imports/{import_id}/errors?after={ids[99]}").json()["next_after"] is None
    assert web_client.get(f"/imports/{import_id}/errors?after=soon").status_code == 400


def test_file_names_and_labels_with_html_are_shown_as_text(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    evil = "<script>alert(1)</script>.jpg"
    import_id = add_import(library, label="<b>x</b>", state="analysing", files_error=1, current_path=evil)
    add_file(library, import_id, evil, "error", "<img src=x onerror=alert(2)>")
    for url in (f"/imports/{import_id}", f"/imports/{import_id}/errors", "/imports"):
        html = web_client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in web_client.get(f"/imports/{import_id}/errors").text


# JSON twins ------------------------------------------------------------------------------------


def test_api_imports_lists_newest_first_with_progress(
    web_client: TestClient, library: sqlite3.Connection
) -> None:
    first = add_import(library, label="one", state="done", files_total=2, files_done=2, finished_at=utc_now())
    second = add_import(library, label="two", state="scanning", files_total=4, files_done=1)
    data = web_client.get("/api/imports").json()
    assert [i["id"] for i in data["imports"]] == [second, first]
    assert data["imports"][1]["progress"]["percent"] == 100.0
    assert data["next_before"] is None
    one = web_client.get(f"/api/imports/{second}").json()
    assert (one["label"], one["state"], one["files_total"]) == ("two", "scanning", 4)
    assert one["progress"]["finished"] == 1 and one["progress"]["total_final"] is False


def test_api_files_pages_by_id_and_filters(web_client: TestClient, library: sqlite3.Connection) -> None:
    a = add_import(library, label="a")
    b = add_import(library, label="b")
    ids = [add_file(library, a, f"a{n}.jpg", "processed") for n in range(3)]
    ids.append(add_file(library, b, "b0.jpg", "error", "unreadable"))
    page = web_client.get("/api/files?limit=2").json()
    assert [f["id"] for f in page["files"]] == ids[:2] and page["next_after"] == ids[1]
    rest = web_client.get(f"/api/files?limit=2&after={ids[1]}").json()
    assert [f["id"] for f in rest["files"]] == ids[2:] and rest["next_after"] is None
    only_b = web_client.get(f"/api/files?import={b}").json()["files"]
    assert [(f["path"], f["status"], f["reason"]) for f in only_b] == [("b0.jpg", "error", "unreadable")]
    assert [f["id"] for f in web_client.get("/api/files?status=processed").json()["files"]] == ids[:3]
    bad = web_client.get("/api/files?status=lost")
    assert bad.status_code == 400 and "status must be one of" in bad.json()["error"]
    assert web_client.get("/api/files?after=x").status_code == 400
