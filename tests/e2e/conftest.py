"""Real processes against a temporary data dir: `mediaparser worker` and the CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.worker import worker_command
from tests.polling import wait_for

REPO = Path(__file__).resolve().parents[2]


class App:
    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "MEDIAPARSER_DATA_DIR": str(self.data),
            "MEDIAPARSER_HEARTBEAT_INTERVAL": "0.5",
            "MEDIAPARSER_VISIBILITY_TIMEOUT": "5",
            "MEDIAPARSER_LOG_LEVEL": "WARNING",
        }
        self.procs: list[subprocess.Popen] = []

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mediaparser", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_worker(self, processes: int = 2, threads: int = 2) -> subprocess.Popen:
        proc = subprocess.Popen(
            worker_command(processes, threads),
            cwd=REPO,
            env=self.env,
        )
        self.procs.append(proc)
        wait_for(lambda: len(self.worker_pids()) == processes)
        return proc

    def query(self, sql: str, *params):
        conn = sqlite3.connect(self.data / "mediaparser.sqlite3", timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def worker_pids(self) -> set[int]:
        try:
            return {r[0] for r in self.query("SELECT pid FROM workers")}
        except sqlite3.OperationalError:
            return set()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def app(tmp_path: Path):
    application = App(tmp_path)
    yield application
    application.stop()
