"""Fault injection against the real processes: worker process groups started in their own session
so a test can SIGKILL the whole group at once, small generated trees, and readers of what a person
would see afterwards (files, groups, exports, decisions)."""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import signal
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from jobs.worker import worker_command
from tests.e2e.conftest import REPO, App
from tests.polling import wait_for
from tests.trees import corpus

ZONE = "Europe/Berlin"
REAL = ("jpg/Canon_40D.jpg", "jpg/Nikon_D70.jpg", "jpg/Pentax_K10D.jpg", "heic/IMG_5195.HEIC")


class FaultApp(App):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.env["MEDIAPARSER_TIMEZONE"] = ZONE
        # Short, so messages a killed worker held come back within a round.
        self.env["MEDIAPARSER_VISIBILITY_TIMEOUT"] = "3"

    def start_workers(self, processes: int = 2, threads: int = 1) -> subprocess.Popen:
        """A supervisor and its children in a session of their own; returns once all beat."""
        before = self.worker_ids()
        proc = subprocess.Popen(worker_command(processes, threads), cwd=REPO, env=self.env, start_new_session=True)
        self.procs.append(proc)
        wait_for(lambda: len(self.worker_ids() - before) >= processes, timeout=60)
        return proc

    def worker_ids(self) -> set[str]:
        try:
            return {r[0] for r in self.query("SELECT id FROM workers")}
        except sqlite3.OperationalError:
            return set()

    def kill_group(self, proc: subprocess.Popen) -> None:
        """kill -9 of the supervisor and every child, at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def broker_query(self, sql: str, *params):
        conn = sqlite3.connect(self.data / "broker.sqlite3", timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def queue_empty(self) -> bool:
        return self.broker_query("SELECT count(*) FROM messages WHERE state = 'ready'")[0][0] == 0


@pytest.fixture
def fault_app(tmp_path: Path):
    application = FaultApp(tmp_path / "app")
    yield application
    for proc in application.procs:
        application.kill_group(proc)


def smooth_jpeg(target: Path, seed: int, when: datetime | None, size: tuple[int, int] = (240, 180)) -> None:
    """A distinct picture (random blobs, so its hashes survive resizing) with its capture time."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (8, 6), rng.randbytes(8 * 6 * 3))
    image = small.resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    if when is not None:
        exif.get_ifd(0x8769).update({0x9003: when.strftime("%Y:%m:%d %H:%M:%S"), 0x9011: "+02:00"})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())


def build_tree(root: Path, seed: int, photos: int, hidden: int = 0) -> None:
    """`photos` dated pictures in a few folders, exact copies and resized copies of some (duplicate
    groups), real camera files, and `hidden` hidden files the scan skips (a longer scan)."""
    start = datetime(2019, 7, 1, 9, 0, 0) + timedelta(days=seed % 50)
    for n in range(photos):
        smooth_jpeg(root / f"day{n % 3}" / f"IMG_{seed}_{n:03d}.jpg", seed * 1000 + n, start + timedelta(minutes=7 * n))
    for n in range(3):
        (root / "copies").mkdir(exist_ok=True)
        shutil.copyfile(root / f"day{n % 3}" / f"IMG_{seed}_{n:03d}.jpg", root / "copies" / f"copy_{n}.jpg")
    for n in range(3, 5):
        smooth_jpeg(root / "small" / f"small_{n}.jpg", seed * 1000 + n, start + timedelta(minutes=7 * n), (120, 90))
    for rel in REAL:
        target = root / "camera" / f"{seed}_{Path(rel).name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(corpus(rel), target)
    if hidden:
        (root / "notes").mkdir()
        for n in range(hidden):
            (root / "notes" / f".n{n:05d}").write_bytes(b"x")


def identity(app: App) -> dict[int, tuple[str, str]]:
    """File id -> (import root's name, relative path): the same file in two libraries."""
    rows = app.query("SELECT f.id, i.root, f.rel_path FROM files f JOIN imports i ON i.id = f.import_id")
    return {r["id"]: (Path(r["root"]).name, r["rel_path"]) for r in rows}


def groups(app: App) -> set[tuple[str, frozenset]]:
    names = identity(app)
    members: dict[int, set] = {}
    kinds = {}
    for r in app.query("SELECT g.id, g.class, m.file_id FROM dup_groups g JOIN dup_members m ON m.group_id = g.id"):
        members.setdefault(r["id"], set()).add(names[r["file_id"]])
        kinds[r["id"]] = r["class"]
    return {(kinds[g], frozenset(files)) for g, files in members.items()}


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
