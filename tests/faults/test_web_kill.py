"""kill -9 of the real web server (`mediaparser serve`) in the middle of a streamed upload and while a
person's decisions are being posted. After a restart the database is whole, no half-received file
is visible or counted, the upload can be resumed, and every decision is either fully recorded (its
history row and the file's state) or not at all; every decision the browser saw acknowledged is there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx2 as httpx

from tests.e2e.conftest import REPO
from tests.faults.conftest import FaultApp, integrity, smooth_jpeg
from tests.faults.test_worker_kill import seed
from tests.polling import wait_for

META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Server:
    def __init__(self, app: FaultApp) -> None:
        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**self.app.env, "MEDIAPARSER_AUTH": "off"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mediaparser", "serve", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.app.procs.append(self.proc)  # killed by the fixture whatever happens
        wait_for(self.answers, timeout=60)

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def client(self) -> httpx.Client:
        """One client (cookies persist) sending the page's CSRF token, when pages carry one."""
        client = httpx.Client(base_url=self.base, timeout=30, follow_redirects=False)
        found = META.search(client.get("/").text)
        if found:
            client.headers["X-CSRF-Token"] = found.group(1)
        return client


def slow_body(data: bytes, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A browser on a slow line: a chunk at a time (the pause is the slowness, not a wait)."""
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]
        time.sleep(0.01)


def test_kill_9_of_the_web_mid_upload_leaves_nothing_half_stored_and_the_upload_resumes(
    fault_app: FaultApp, tmp_path: Path
) -> None:
    server = Server(fault_app)
    server.start()
    client = server.client()
    upload = client.post("/api/uploads", json={"label": "phone"}).json()["id"]
    first = tmp_path / "first.jpg"
    smooth_jpeg(first, 1, datetime(2020, 1, 2, 3, 4, 5))
    sent = client.put(f"/api/uploads/{upload}/files", params={"path": "DCIM/first.jpg"}, content=first.read_bytes())
    assert sent.status_code == 201, sent.text
    big = os.urandom(12 * 1024 * 1024)
    folder = fault_app.data / "uploads" / str(upload)

    def put_big() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it
            client.put(f"/api/uploads/{upload}/files", params={"path": "DCIM/big.mov"}, content=slow_body(big))

    sender = threading.Thread(target=put_big, daemon=True)
    sender.start()
    # Mid-stream: part of the body is on disk under a temp name.
    wait_for(lambda: any(p.stat().st_size >= 1 << 20 for p in folder.rglob("*.partial")), timeout=60, interval=0.01)
    server.kill()
    sender.join(timeout=30)
    assert integrity(fault_app.data / "mediaparser.sqlite3") == "ok"

    server.start()
    client = server.client()
    listed = client.get(f"/api/uploads/{upload}").json()
    assert listed["state"] == "receiving"
    assert [(f["path"], f["size"]) for f in listed["files"]] == [("DCIM/first.jpg", first.stat().st_size)]
    visible = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert visible == ["DCIM/first.jpg"]
    # The browser resumes: sends what the list lacks, then finishes.
    again = client.put(f"/api/uploads/{upload}/files", params={"path": "DCIM/big.mov"}, content=big)
    assert again.status_code == 201, again.text
    assert client.post(f"/api/uploads/{upload}/finish").status_code == 200
    assert hashlib.sha256((folder / "DCIM/big.mov").read_bytes()).digest() == hashlib.sha256(big).digest()
    assert not [p for p in folder.rglob("*") if p.name.endswith(".partial")], "temp files left after finishing"
    rows = fault_app.query("SELECT rel_path, size FROM files WHERE import_id = ? ORDER BY id", upload)
    expected = [("DCIM/first.jpg", first.stat().st_size), ("DCIM/big.mov", len(big))]
    assert [(r["rel_path"], r["size"]) for r in rows] == expected
    server.kill()


def library_to_decide(app: FaultApp, root: Path, count: int) -> list[int]:
    for n in range(count):
        smooth_jpeg(root / f"IMG_{n:02d}.jpg", 500 + n, datetime(2018, 5, 1, 12, n))
    app.start_workers(processes=1)
    result = app.cli("import", str(root), "--wait", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    app.stop()
    return [r[0] for r in app.query("SELECT id FROM files WHERE status = 'processed' ORDER BY id")]


def latest_dates(app: FaultApp) -> dict[int, str]:
    """Per file, the local time of its latest date decision that was not undone."""
    rows = app.query(
        "SELECT d.file_id, d.payload FROM decisions d WHERE d.kind = 'date'"
        " AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) ORDER BY d.id"
    )
    return {r["file_id"]: json.loads(r["payload"])["local"] for r in rows}


def test_kill_9_of_the_web_while_decisions_are_posted_records_each_whole_or_not_at_all(
    fault_app: FaultApp, tmp_path: Path
) -> None:
    rng = random.Random(seed())
    ids = library_to_decide(fault_app, tmp_path / "photos", 6)
    server = Server(fault_app)
    acked: list[tuple[int, str]] = []
    counter = iter(range(10**6))
    for _ in range(5):
        server.start()
        client = server.client()
        stop = threading.Event()

        def post_decisions(client: httpx.Client = client, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                n = next(counter)
                file_id, local = ids[n % len(ids)], f"2005-{1 + n % 12:02d}-{1 + n % 28:02d} 10:{n % 60:02d}:00"
                try:
                    answer = client.post(f"/review/dates/{file_id}", data={"action": "set", "local": local})
                except httpx.HTTPError:
                    return  # the server died under it
                assert answer.status_code == 303, answer.text
                acked.append((file_id, local.replace(" ", "T")))

        poster = threading.Thread(target=post_decisions, daemon=True)
        poster.start()
        target = len(acked) + rng.randint(3, 25)
        wait_for(lambda target=target: len(acked) >= target, timeout=60, interval=0.001)
        time.sleep(rng.uniform(0, 0.02))  # a random moment among the requests in flight
        server.kill()
        stop.set()
        poster.join(timeout=30)

        assert integrity(fault_app.data / "mediaparser.sqlite3") == "ok"
        decided = latest_dates(fault_app)
        state = {r["id"]: r["taken_local"] for r in fault_app.query("SELECT id, taken_local FROM files")}
        for file_id, local in decided.items():
            assert state[file_id] == local, f"file {file_id}: history says {local}, the file says {state[file_id]}"
        recorded = {(r["file_id"], json.loads(r["payload"])["local"]) for r in fault_app.query(
            "SELECT file_id, payload FROM decisions WHERE kind = 'date'")}
        assert set(acked) <= recorded, "a decision the browser saw acknowledged is missing"
    print(f"{len(acked)} acknowledged decisions over 5 kills")
