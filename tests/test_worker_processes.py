"""Real `mediaparser worker` processes on the real SQLite broker: kill -9, SIGTERM, restarts."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import dramatiq
import pytest

from jobs.brokers.sqlite import SQLiteBroker
from jobs.worker import worker_command
from storage.db import open_database, utc_now
from tests.broker_actors import results_connection
from tests.polling import wait_for

REPO = Path(__file__).resolve().parent.parent


class Library:
    """A data dir with a broker to send test messages and a results file the actors write."""

    def __init__(self, root: Path, **env: str) -> None:
        self.root = root
        self.results = str(root / "results.sqlite3")
        results_connection(self.results).close()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "MEDIAPARSER_DATA_DIR": str(root / "data"),
            "MEDIAPARSER_VISIBILITY_TIMEOUT": "2",
            "MEDIAPARSER_HEARTBEAT_INTERVAL": "0.5",
            "MEDIAPARSER_LOG_LEVEL": "WARNING",
            **env,
        }
        self.processes: list[subprocess.Popen] = []
        (root / "data").mkdir()
        self.broker = SQLiteBroker(root / "data" / "broker.sqlite3", visibility_timeout=2)
        self.broker.declare_queue("test")

    def start_worker(self, processes: int, threads: int) -> subprocess.Popen:
        command = worker_command(processes, threads, ["tests.broker_actors"])
        proc = subprocess.Popen(command, cwd=REPO, env=self.env)
        self.processes.append(proc)
        return proc

    def send(self, n: int, seconds: float) -> None:
        self.broker.enqueue(
            dramatiq.Message(
                queue_name="test", actor_name="record", args=(self.results, n, seconds), kwargs={}, options={}
            )
        )

    def runs(self, phase: str) -> list[tuple[int, int]]:
        conn = sqlite3.connect(self.results, timeout=30)
        try:
            return conn.execute("SELECT n, pid FROM runs WHERE phase = ? ORDER BY at", (phase,)).fetchall()
        finally:
            conn.close()

    def worker_pids(self) -> set[int]:
        db = self.root / "data" / "mediaparser.sqlite3"
        if not db.exists():
            return set()
        conn = sqlite3.connect(db, timeout=30)
        try:
            return {pid for (pid,) in conn.execute("SELECT pid FROM workers")}
        except sqlite3.OperationalError:  # schema not created yet
            return set()
        finally:
            conn.close()

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for pid in self.worker_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def library(tmp_path: Path):
    created: list[Library] = []

    def make(**env: str) -> Library:
        lib = Library(tmp_path, **env)
        created.append(lib)
        return lib

    yield make
    for lib in created:
        lib.stop_all()


def test_200_messages_survive_a_worker_process_killed_mid_message(library):
    lib = library()
    for n in range(200):
        lib.send(n, 0.03)
    supervisor = lib.start_worker(processes=2, threads=2)
    pids = wait_for(lambda: len(lib.worker_pids()) == 2 and lib.worker_pids())

    # Kill one worker process while it is inside a message (started, not done).
    def victim_mid_message():
        done = set(lib.runs("done"))
        in_flight = [(n, pid) for n, pid in lib.runs("start") if (n, pid) not in done and pid in pids]
        return in_flight[-1] if in_flight else None

    killed_n, killed_pid = wait_for(victim_mid_message, interval=0.005)
    os.kill(killed_pid, signal.SIGKILL)

    wait_for(lambda: {n for n, _ in lib.runs("done")} == set(range(200)), timeout=60)
    done = lib.runs("done")
    assert {n for n, _ in done} == set(range(200)), "a message was lost"
    # The message that was cut short ran to completion in another (or a restarted) process.
    assert any(n == killed_n and pid != killed_pid for n, pid in done)
    # The supervisor replaced the killed process.
    wait_for(lambda: killed_pid not in lib.worker_pids() and len(lib.worker_pids()) == 2, timeout=20)
    wait_for(lambda: lib.broker.stats() == {"ready": 0, "delayed": 0, "running": 0, "dead": 0}, timeout=10)

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=15) == 0
    assert lib.worker_pids() == set(), "stopped workers leave no heartbeat behind"


def test_sigterm_twice_lets_in_flight_work_finish_and_exits_cleanly(library):
    lib = library(MEDIAPARSER_SHUTDOWN_GRACE="4")
    supervisor = lib.start_worker(processes=1, threads=1)
    [child] = wait_for(lambda: lib.worker_pids())
    lib.send(1, 1.5)
    wait_for(lambda: lib.runs("start"))
    # A Procfile runner signals the supervisor and, through the process group, the child too.
    supervisor.send_signal(signal.SIGTERM)
    os.kill(child, signal.SIGTERM)
    os.kill(child, signal.SIGTERM)
    started = time.monotonic()
    assert supervisor.wait(timeout=10) == 0
    assert time.monotonic() - started < 5, "must stop before honcho's 5 s SIGKILL"
    assert lib.runs("done") == [(1, child)], "in-flight message finished, once"
    assert lib.broker.stats() == {"ready": 0, "delayed": 0, "running": 0, "dead": 0}


def test_sigterm_hands_unfinished_work_back_to_the_queue_at_once(library):
    lib = library(MEDIAPARSER_SHUTDOWN_GRACE="1.5", MEDIAPARSER_VISIBILITY_TIMEOUT="600")
    supervisor = lib.start_worker(processes=1, threads=1)
    wait_for(lambda: lib.worker_pids())
    lib.send(7, 30)
    wait_for(lambda: lib.runs("start"))
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=10) == 0
    assert lib.runs("done") == []
    # Not stuck behind a 10-minute lease: ready for the next worker right away.
    assert lib.broker.stats() == {"ready": 1, "delayed": 0, "running": 0, "dead": 0}
    assert lib.worker_pids() == set()


def test_a_restarted_supervisor_clears_heartbeats_of_processes_that_are_gone(library):
    lib = library()
    db = lib.root / "data" / "mediaparser.sqlite3"
    conn = open_database(db)
    ghost = 2**22 + 12345  # above the default pid_max, so no such process
    conn.execute(
        "INSERT INTO workers VALUES (?, ?, ?, 1, 'sqlite', ?, ?)",
        (
            f"{socket.gethostname()}:{ghost}",
            socket.gethostname(),
            ghost,
            utc_now(),
            utc_now(),
        ),
    )
    conn.close()
    supervisor = lib.start_worker(processes=1, threads=1)
    wait_for(lambda: lib.worker_pids() and ghost not in lib.worker_pids())
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=15) == 0
