"""A file whose analysis kills its worker every time (a decoder crash, the out-of-memory killer):
after a few deaths it is set aside as an error and the import finishes with every other file."""

from __future__ import annotations

import shutil
from pathlib import Path

from jobs.import_actors import MAX_CLAIMS
from tests.hostile.conftest import HostileApp
from tests.trees import corpus

GOOD = ["Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg", "Olympus_C8080WZ.jpg"]


def test_a_file_that_kills_its_worker_is_set_aside_and_the_import_finishes(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    # The poison sorts among the good files, so it is claimed in a batch with some of them.
    for name in GOOD[:2]:
        shutil.copyfile(corpus(f"jpg/{name}"), photos / f"a-{name}")
    shutil.copyfile(corpus("jpg/Canon_40D.jpg"), photos / "poison.jpg")
    for name in GOOD[2:]:
        shutil.copyfile(corpus(f"jpg/{name}"), photos / f"z-{name}")
    app = HostileApp(tmp_path, modules=("tests.faults.poison_worker",))
    try:
        app.start_worker(processes=1, threads=1)
        result = app.cli("import", str(photos), "--wait", timeout=240)
        assert result.returncode == 0, result.stdout + result.stderr
        files = app.files()
        assert files["poison.jpg"]["status"] == "error"
        assert f"stopped MediaParser's worker {MAX_CLAIMS} times" in files["poison.jpg"]["reason"]
        others = {name: f for name, f in files.items() if name != "poison.jpg"}
        assert len(others) == len(GOOD)
        assert all(f["status"] == "processed" for f in others.values()), others
        assert app.query("SELECT state FROM imports")[0]["state"] == "done"
    finally:
        app.stop()
