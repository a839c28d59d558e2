"""The export pages over real HTTP: settings checked and saved, a dry run that writes nothing, an
export with its summary and manifest, and the confirmed step that moves originals to the trash.
The work the pages queue runs here in-process, through the actors' own functions."""

from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from jobs import runtime
from storage.db import utc_now
from storage.settings import Settings


def jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def photos(library: sqlite3.Connection, import_root: Path) -> dict[str, Any]:
    """A folder import of three real files: two sure of their date, one waiting for review."""
    import_id = library.execute(
        "INSERT INTO imports (kind, root, label, state, created_at) VALUES ('folder', ?, 'Summer', 'done', ?)",
        (str(import_root), utc_now()),
    ).lastrowid
    ids = {}
    for index, (name, taken, confidence) in enumerate(
        [
            ("beach/IMG_0001.jpg", "2019-07-14T15:03:09", "high"),
            ("beach/IMG_0002.jpg", "2021-01-02T08:00:00", "high"),
            ("beach/IMG-20190715-WA0001.jpg", "2019-07-15", "low"),
        ]
    ):
        data = jpeg((index * 60, 10, 10))
        path = import_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        ids[name] = library.execute(
            "INSERT INTO files (import_id, rel_path, source_path, origin, size, status, real_type, sha256,"
            " taken_local, taken_offset, taken_precision, confidence, created_at)"
            " VALUES (?, ?, ?, ?, ?, 'processed', 'jpeg', ?, ?, '+02:00', ?, ?, ?)",
            (
                import_id,
                name,
                str(path),
                str(path),
                len(data),
                hashlib.sha256(data).hexdigest(),
                taken,
                "second" if confidence == "high" else "day",
                confidence,
                utc_now(),
            ),
        ).lastrowid
    library.commit()
    return {"import_id": import_id, "ids": ids, "root": import_root}


@pytest.fixture
def work(web_settings: Settings):
    """Runs what a worker would: plan, copy, or act on originals."""
    from jobs.export_actors import copy_export, export_sources, plan_export

    runtime.configure(web_settings)

    def run(export_id: int, sources: tuple[str, str] | None = None) -> None:
        plan_export.fn(export_id)
        copy_export.fn(export_id)
        if sources:
            export_sources.fn(export_id, *sources, "test")

    return run


def test_settings_are_checked_and_saved(web_client, web_settings: Settings, tmp_path: Path) -> None:
    page = web_client.get("/export")
    assert page.status_code == 200
    assert str(web_settings.data_dir / "export") in page.text

    relative = web_client.post("/export/settings", data={"dest": "photos/out", "layout": "YYYY/"})
    assert relative.status_code == 400 and "not a full path" in relative.text
    ours = web_client.post(
        "/export/settings", data={"dest": str(web_settings.data_dir / "thumbs"), "layout": ""}
    )
    assert ours.status_code == 400 and "own data; choose another one" in ours.text
    layout = web_client.post(
        "/export/settings", data={"dest": str(tmp_path / "archive"), "layout": "../YYYY"}
    )
    assert layout.status_code == 400 and "not a folder layout" in layout.text

    saved = web_client.post(
        "/export/settings",
        data={"dest": str(tmp_path / "archive"), "layout": "YYYY/YYYY-MM/", "include_review": "1"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = web_client.get(saved.headers["location"])
    assert "Settings saved" in page.text and str(tmp_path / "archive") in page.text
    assert 'value="YYYY/YYYY-MM/"' in page.text and "exported too" in page.text


def test_a_dry_run_shows_the_plan_and_writes_nothing(web_client, photos, work, queued, web_settings) -> None:
    created = web_client.post("/exports", data={"dry_run": "1"}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/exports/1"
    assert ("plan_export", [1]) in queued()
    work(1)
    page = web_client.get("/exports/1")
    assert "Nothing was written" in page.text
    assert "beach/IMG_0001.jpg" in page.text and "2019/20190714_150309.jpg" in page.text
    assert "<td>2021</td>" in page.text
    assert 'href="/exports/1/held"' in page.text
    held = web_client.get("/exports/1/held")
    assert "IMG-20190715-WA0001.jpg" in held.text and "IMG_0001" not in held.text
    export_dir = web_settings.data_dir / "export"
    assert not export_dir.exists() or not any(export_dir.iterdir())
    api = web_client.get("/api/exports/1").json()
    assert api["dry_run"] and api["plan"]["held"] == 1 and api["plan"]["years"] == {"2019": 1, "2021": 1}


def test_an_export_ends_with_a_summary_a_manifest_and_offers_the_originals(
    web_client, photos, work, web_settings, library
) -> None:
    web_client.post("/exports", data={"dry_run": "0"})
    work(1)
    page = web_client.get("/exports/1")
    assert "Summary" in page.text and "2 files in" in page.text
    manifest = web_client.get("/exports/1/manifest.csv")
    assert manifest.status_code == 200
    rows = list(csv.DictReader(io.StringIO(manifest.text)))
    assert sorted(r["output_path"] for r in rows) == ["2019/20190714_150309.jpg", "2021/20210102_080000.jpg"]
    assert f"scope=import:{photos['import_id']}" in page.text

    confirm = web_client.get(f"/exports/1/sources?action=trash&scope=import:{photos['import_id']}")
    assert "Move 2 originals to the trash?" in confirm.text and str(photos["root"]) in confirm.text
    stale = web_client.post(
        "/exports/1/sources",
        data={"action": "trash", "scope": f"import:{photos['import_id']}", "count": "3"},
        follow_redirects=False,
    )
    assert "stale=1" in stale.headers["location"]
    assert (photos["root"] / "beach/IMG_0001.jpg").exists()


def test_trashing_moves_only_originals_whose_copies_verify(
    web_client, photos, work, web_settings, library
) -> None:
    web_client.post("/exports", data={"dry_run": "0"})
    work(1)
    # One copy is damaged after the export: its original must stay.
    damaged = web_settings.data_dir / "export/2021/20210102_080000.jpg"
    damaged.write_bytes(b"changed")
    confirmed = web_client.post(
        "/exports/1/sources",
        data={"action": "trash", "scope": f"import:{photos['import_id']}", "count": "2"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    work(
        1, sources=("trash", f"import:{photos['import_id']}")
    )  # planning and copying are over: only this runs
    root = photos["root"]
    assert not (root / "beach/IMG_0001.jpg").exists()
    trashed = web_settings.data_dir / f"trash/export-1/import-{photos['import_id']}/beach/IMG_0001.jpg"
    assert trashed.is_file()
    assert (root / "beach/IMG_0002.jpg").exists()  # its copy no longer verifies
    assert (root / "beach/IMG-20190715-WA0001.jpg").exists()  # held back, never exported
    kinds = [r[0] for r in library.execute("SELECT kind FROM decisions")]
    assert kinds == ["source_trashed"]
    page = web_client.get("/exports/1")
    assert "1 moved to MediaParser’s trash" in page.text.replace("&#39;", "’")


def test_a_second_export_to_the_same_folder_joins_the_running_one(web_client, photos) -> None:
    first = web_client.post("/exports", data={"dry_run": "0"}, follow_redirects=False)
    second = web_client.post("/exports", data={"dry_run": "0"}, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"] == "/exports/1"


def test_a_dry_run_never_acts_on_originals(web_client, photos, work) -> None:
    web_client.post("/exports", data={"dry_run": "0"})
    work(1)
    # A dry run after it finds both copies already there, and must still not touch an original.
    web_client.post("/exports", data={"dry_run": "1"})
    work(2, sources=("delete", f"import:{photos['import_id']}"))
    answer = web_client.post(
        "/exports/2/sources",
        data={"action": "delete", "scope": f"import:{photos['import_id']}", "count": "2"},
        follow_redirects=False,
    )
    assert "stale=1" in answer.headers["location"]
    assert (photos["root"] / "beach/IMG_0001.jpg").exists() and (photos["root"] / "beach/IMG_0002.jpg").exists()
