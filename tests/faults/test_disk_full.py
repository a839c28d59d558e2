"""The data dir's disk fills up during an import (the database and the thumbnails live there): the
import pauses with a sentence saying so, the database stays whole, no file is half-recorded, and
once room is made, resuming finishes the job.

The data dir is a small tmpfs in a private mount namespace held by a `sleep`; the worker, the CLI
and the test's own database reads run inside that namespace (nsenter). (SQLite resolves symbolic
links in a database path, so /proc/PID/root/... would open the folder under the mount instead.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from jobs.import_actors import DATA_HEADROOM
from tests.e2e.conftest import REPO
from tests.faults.conftest import FaultApp, smooth_jpeg
from tests.polling import wait_for

PHOTOS = 40
# Run inside the namespace: query the library (or resume an import) and print JSON.
READER = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1] + "/mediaparser.sqlite3", timeout=30)
conn.row_factory = sqlite3.Row
print(json.dumps([dict(r) for r in conn.execute(sys.argv[2], json.loads(sys.argv[3]))]))
"""
RESUMER = """
import sys
from pathlib import Path
from jobs.broker import setup_broker
from jobs.imports import resume_import
from storage.db import connect
from storage.settings import Settings
setup_broker(Settings(data_dir=Path(sys.argv[1])))
print(resume_import(connect(Path(sys.argv[1]) / "mediaparser.sqlite3"), int(sys.argv[2])))
"""


def can_mount() -> bool:
    if not (shutil.which("unshare") and shutil.which("nsenter")):
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


@pytest.mark.skipif(not can_mount(), reason="needs unshare -m and nsenter to give the data dir a small tmpfs")
def test_a_full_data_disk_pauses_the_import_clearly_and_resuming_after_making_room_finishes(
    fault_app: FaultApp, tmp_path: Path
) -> None:
    app, data = fault_app, fault_app.data
    data.mkdir(parents=True)
    holder = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs -o size=16m tmpfs '{data}' && exec sleep 600"],
        start_new_session=True,
    )
    app.procs.append(holder)
    seen = Path(f"/proc/{holder.pid}/root") / data.relative_to("/")  # for plain file access
    wait_for(lambda: os.path.ismount(seen), timeout=30)

    def inside(*command: str) -> list[str]:
        return ["nsenter", "-t", str(holder.pid), "-m", "--", *command]

    def run(*command: str) -> str:
        done = subprocess.run(inside(*command), cwd=REPO, env=app.env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def query(sql: str, *params: object) -> list[dict]:
        return json.loads(run(sys.executable, "-c", READER, str(data), sql, json.dumps(params)))

    root = tmp_path / "photos"
    for n in range(PHOTOS):
        smooth_jpeg(root / f"IMG_{n:03d}.jpg", 900 + n, datetime(2021, 3, 1, 8) + timedelta(minutes=n), (900, 700))
    worker = subprocess.Popen(
        inside(sys.executable, "-m", "mediaparser", "worker", "--processes", "1", "--threads", "1"),
        cwd=REPO, env=app.env, start_new_session=True,
    )
    app.procs.append(worker)
    wait_for(lambda: (seen / "mediaparser.sqlite3").exists() and query("SELECT id FROM workers"), timeout=60)
    # Leave room beyond the headroom imports keep for a handful of thumbnails, not for 40.
    free = shutil.disk_usage(seen).free
    (seen / "filler").write_bytes(b"\0" * (free - DATA_HEADROOM - 300 * 1024))

    run(sys.executable, "-m", "mediaparser", "import", str(root))
    rows = wait_for(lambda: query("SELECT * FROM imports WHERE state IN ('paused', 'failed', 'done')"), timeout=90)
    row = rows[0]
    assert row["state"] == "paused", row
    assert "is full" in row["error"] and "resume" in row["error"] and "Traceback" not in row["error"]
    assert query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    files = query("SELECT f.*, (SELECT count(*) FROM hashes h WHERE h.file_id = f.id) AS hashes FROM files f")
    processed = [f for f in files if f["status"] == "processed"]
    assert len(processed) < PHOTOS
    assert not [f for f in files if f["status"] == "error"], "a full disk is no file's fault"
    for f in processed:  # whatever was recorded is whole
        assert f["sha256"] and f["hashes"] and f["taken_local"] and (seen / f["thumb_path"]).is_file()
    assert not [f for f in files if f["claimed_by"]]

    (seen / "filler").unlink()
    assert run(sys.executable, "-c", RESUMER, str(data), str(row["id"])).strip() == "True"
    wait_for(lambda: query("SELECT state FROM imports")[0]["state"] == "done", timeout=90, interval=0.5)
    final = query("SELECT * FROM imports")[0]
    assert final["files_done"] == PHOTOS and final["error"] is None
    assert query("SELECT count(*) AS n FROM files WHERE status = 'processed' AND sha256 IS NOT NULL")[0]["n"] == PHOTOS
    assert query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
