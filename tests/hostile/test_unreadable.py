"""Files and folders the importing user may not read. The tests run as root, whom permissions do
not stop, so the CLI and the worker run here without root's power to bypass them (setpriv drops
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), as an ordinary user would run MediaParser. The folder
holds a file without read permission, a folder without any permission and one that can be listed
but not entered (no x), beside a good photo."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.conftest import HostileApp, changes, snapshot
from tests.trees import jpeg_bytes


def test_unreadable_files_and_folders_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    base = tmp_path
    photos = base / "photos"
    (photos / "locked").mkdir(parents=True)
    (photos / "listable").mkdir()
    (photos / "good.jpg").write_bytes(jpeg_bytes((10, 120, 30), (320, 240)))
    (photos / "private.jpg").write_bytes(jpeg_bytes((200, 20, 30), (320, 240)))
    (photos / "locked/inside.jpg").write_bytes(jpeg_bytes((1, 2, 3)))
    (photos / "listable/hidden-by-x.jpg").write_bytes(jpeg_bytes((4, 5, 6)))
    (photos / "private.jpg").chmod(0o000)
    (photos / "locked").chmod(0o000)
    (photos / "listable").chmod(0o644)  # names can be read, the files behind them cannot be reached
    app = HostileApp(base / "app", unprivileged=True)
    try:
        app.start_worker(processes=1)
        before = snapshot(base, {app.data})
        result = app.cli("import", str(photos), "--wait", timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        files = app.files()
        [job] = app.query("SELECT state FROM imports")
    finally:
        app.stop()

    assert job["state"] == "done"
    assert files["good.jpg"]["status"] == "processed" and files["good.jpg"]["width"] == 320
    assert (files["private.jpg"]["status"], files["private.jpg"]["reason"]) == (
        "error",
        "the file cannot be read: permission denied",
    )
    assert (files["locked"]["status"], files["locked"]["reason"]) == (
        "skipped",
        "folder cannot be read: permission denied",
    )
    assert (files["listable/hidden-by-x.jpg"]["status"], files["listable/hidden-by-x.jpg"]["reason"]) == (
        "skipped",
        "file cannot be read: permission denied",
    )
    assert set(files) == {"good.jpg", "private.jpg", "locked", "listable/hidden-by-x.jpg"}
    assert changes(before, snapshot(base, {app.data})) == []
    for folder in (photos / "locked", photos / "listable"):  # so pytest can clean up
        folder.chmod(0o755)
