"""A browser upload whose relative path tries to climb out of its folder (`../`), through the real
HTTP upload API, then analysed by a real worker: the climbing paths are refused with a sentence,
the good file of the same upload is analysed, the import ends 'done', and nothing is written
outside the upload's folder (a decoy where the `../` would land is untouched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.datadir import uploads_dir
from storage.settings import Settings
from tests.hostile.conftest import HostileApp, changes, snapshot
from tests.polling import wait_for
from tests.trees import jpeg_bytes

# From uploads/<id>/: ../ is uploads/, ../../ the data dir, ../../../ the folder holding it.
CLIMBING = [
    "../../../decoy.jpg",
    "../decoy.jpg",
    "Holiday/../../../../decoy.jpg",
    "Holiday/../../decoy.jpg",
    "..\\..\\..\\decoy.jpg",
    "Holiday\\..\\..\\..\\decoy.jpg",
    "/tmp/decoy.jpg",
    "./../../../decoy.jpg",
    "..",
    "Holiday/..",
]


def uploads_listing(settings: Settings) -> tuple[str, ...]:
    return tuple(sorted(p.name for p in uploads_dir(settings).iterdir()))


def test_an_upload_with_dot_dot_in_its_path_cannot_write_outside_its_folder(
    web_client: Any, web_settings: Settings, tmp_path: Path
) -> None:
    data = web_settings.data_dir
    assert data.parent == tmp_path
    decoy = tmp_path / "decoy.jpg"  # where "../../../decoy.jpg" from uploads/<id>/ would land
    decoy.write_bytes(b"decoy, must not change")
    app = HostileApp(tmp_path / "worker")
    app.data = data
    app.env["MEDIAPARSER_DATA_DIR"] = str(data)
    before = snapshot(tmp_path, {data})
    uploads_before = uploads_listing(web_settings)

    import_id = web_client.post("/api/uploads", json={"label": "climbing"}).json()["id"]
    for path in CLIMBING:
        response = web_client.put(
            f"/api/uploads/{import_id}/files", params={"path": path}, content=b"\xff\xd8\xffclimb"
        )
        assert response.status_code == 400, (path, response.status_code, response.text)
        assert response.json()["error"].startswith("Refused:"), path
    good = web_client.put(
        f"/api/uploads/{import_id}/files",
        params={"path": "Holiday/IMG_0001.jpg"},
        content=jpeg_bytes((9, 99, 199), (320, 240)),
    )
    assert good.status_code == 201, good.text
    assert web_client.post(f"/api/uploads/{import_id}/finish").status_code == 200
    try:
        app.start_worker(processes=1)
        wait_for(lambda: web_client.get(f"/api/imports/{import_id}").json()["state"] == "done", timeout=60)
    finally:
        app.stop()

    files = app.files()
    assert list(files) == ["Holiday/IMG_0001.jpg"]
    assert files["Holiday/IMG_0001.jpg"]["status"] == "processed", files
    folder = uploads_dir(web_settings) / str(import_id)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == [
        "Holiday",
        "Holiday/IMG_0001.jpg",
    ]
    assert set(uploads_listing(web_settings)) - set(uploads_before) == {str(import_id)}
    assert changes(before, snapshot(tmp_path, {data})) == []
    assert decoy.read_bytes() == b"decoy, must not change"
