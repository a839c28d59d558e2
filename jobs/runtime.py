"""What actors need inside a worker process: its settings, a database connection per thread,
its identity, and whether it has been asked to stop."""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import threading

from storage.db import connect
from storage.settings import Settings

_settings: Settings | None = None
_local = threading.local()
# Set on SIGTERM: long-running actors stop taking new files and hand the rest back.
stopping = threading.Event()
# Drawn once per process start: after a container restart a new worker may get the pid a dead one
# had, and the dead one's claims must not look like its own or like a live worker's.
_START_TOKEN = secrets.token_hex(4)


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings
    # A connection this thread opened under an earlier configuration points at the old library.
    conn = getattr(_local, "conn", None)
    if conn is not None:
        conn.close()
        _local.conn = None


def settings() -> Settings:
    if _settings is None:
        raise RuntimeError("jobs.runtime.configure(settings) was not called in this process")
    return _settings


def db() -> sqlite3.Connection:
    """This thread's connection to the library (migrated by the process at start-up)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = connect(settings().database_path)
    return conn


def claimant() -> str:
    """Who holds a claimed row: this process and this thread (see heartbeat.CLAIM_IS_FREE)."""
    return f"{worker_id()}#{threading.get_ident()}"


def worker_id() -> str:
    """"host:pid:token", the heartbeat row's id, so a claim by a dead worker can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}:{_START_TOKEN}"


def process_exists(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (a reused pid counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True
