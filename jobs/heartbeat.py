"""Workers say they are alive by writing a row in the `workers` table every few seconds.

It is a Dramatiq middleware so that it works the same whichever broker is in use.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
from datetime import UTC, datetime

import dramatiq
from dramatiq.middleware import Middleware

from jobs import runtime
from storage.db import connect, transaction, utc_now
from storage.settings import Settings

log = logging.getLogger(__name__)


# A worker that missed a couple of beats (a slow batch, a busy disk) is not dead yet.
MISSED_BEATS_ALLOWED = 3


def alive_since(heartbeat_interval: float, now: float | None = None) -> str:
    """The oldest `seen_at` (ISO UTC text, comparable in SQL) that still counts as alive."""
    moment = (time.time() if now is None else now) - MISSED_BEATS_ALLOWED * heartbeat_interval
    return datetime.fromtimestamp(moment, UTC).isoformat()


# A claimed row (a file to analyse, a copy to export) names its claimant "host:pid:token#thread"
# (runtime.claimant): the thread, so two threads of one process never hold the same row; the
# process start, whose heartbeat says whether the claim is still alive.
# Parameters, in order: the claimant, alive_since(...).
CLAIM_IS_FREE = (
    "(claimed_by IS NULL OR claimed_by = ?"
    " OR substr(claimed_by, 1, instr(claimed_by || '#', '#') - 1) NOT IN (SELECT id FROM workers WHERE seen_at > ?))"
)


def live_workers(conn: sqlite3.Connection, settings: Settings) -> int:
    return conn.execute(
        "SELECT count(*) FROM workers WHERE seen_at > ?", (alive_since(settings.heartbeat_interval),)
    ).fetchone()[0]


class Heartbeat(Middleware):
    def __init__(self, settings: Settings, threads: int, broker_name: str) -> None:
        self.settings = settings
        self.threads = threads
        self.broker_name = broker_name
        self.worker_id = runtime.worker_id()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.beat(started=True)
        self.thread = threading.Thread(target=self.loop, name="heartbeat", daemon=True)
        self.thread.start()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Only now: in-flight work has finished or been given up. Forgetting the row earlier (in
        # before_worker_shutdown) let other workers take files and copies this one was still
        # writing, and sweep its export temp files from under it.
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=2)
        forget_worker(self.settings, os.getpid())

    def loop(self) -> None:
        while not self.stopping.wait(self.settings.heartbeat_interval):
            try:
                self.beat()
            except Exception:  # a missed beat must never take the worker down
                log.warning("Heartbeat failed; will retry.", exc_info=True)

    def beat(self, started: bool = False) -> None:
        now = utc_now()
        conn = connect(self.settings.database_path)
        try:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO workers (id, hostname, pid, threads, broker, started_at, seen_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at"
                    + (", started_at = excluded.started_at" if started else ""),
                    (
                        self.worker_id,
                        socket.gethostname(),
                        os.getpid(),
                        self.threads,
                        self.broker_name,
                        now,
                        now,
                    ),
                )
        finally:
            conn.close()


def forget_worker(settings: Settings, pid: int, crashed: bool = False) -> None:
    """Remove the heartbeat row of a worker process on this host that has stopped or died; its
    claims are free from then on. When the process crashed on its own (not stopped, not killed with
    its supervisor), the files it was analysing are blamed once each: see import_actors.MAX_CLAIMS."""
    host = socket.gethostname()
    conn = connect(settings.database_path)
    try:
        with transaction(conn):
            if crashed:
                conn.execute(
                    "UPDATE files SET claims = claims + 1 WHERE status = 'pending' AND claimed_by LIKE ?",
                    (f"{host}:{pid}:%",),
                )
            conn.execute("DELETE FROM workers WHERE hostname = ? AND pid = ?", (host, pid))
    finally:
        conn.close()


def forget_dead_workers(settings: Settings) -> None:
    """Drop heartbeat rows of processes on this host that no longer exist (a machine restart, or
    a supervisor that was SIGKILLed with its children), so pages do not list ghosts."""
    conn = connect(settings.database_path)
    try:
        rows = conn.execute("SELECT pid FROM workers WHERE hostname = ?", (socket.gethostname(),)).fetchall()
    finally:
        conn.close()
    for (pid,) in rows:
        if not runtime.process_exists(pid):
            forget_worker(settings, pid)
