"""The worker processes: `mediaparser worker` runs a supervisor with one child per process.

Why not the stock `dramatiq` command: under a Procfile runner (honcho) it gets SIGTERM twice
(once for itself, once through its process group), takes the second as "kill now", and in-flight
work dies; honcho then SIGKILLs everything 5 s later and restarts nothing. Here a stop signal,
however often it arrives, means one thing: take no new messages, let in-flight ones finish within
the grace period, hand whatever is left back to the queue, and exit 0. The supervisor restarts
a child that dies unexpectedly (kill -9, out of memory); its messages come back by lease expiry.

A job must never stay "running" for good because its messages were lost (dead-lettered after
killing workers, a broker wiped): the supervisor sends fresh messages for every running job when it
starts, and again for any running job that made no progress over a while. The actors skip what is
done, so an extra message costs a query.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import dramatiq

from jobs import runtime
from jobs.broker import describe, send, setup_broker
from jobs.duplicate_actors import QUEUE as DUPLICATES_QUEUE
from jobs.duplicate_actors import REGROUP_ACTOR
from jobs.exports import kick_export, running_exports
from jobs.heartbeat import Heartbeat, forget_dead_workers, forget_worker
from jobs.imports import kick_import, running_imports
from storage.datadir import ensure_data_dir
from storage.db import connect, open_database
from storage.settings import Settings

log = logging.getLogger("mediaparser.worker")

# Modules whose actors every worker loads.
BUILTIN_ACTOR_MODULES = (
    "jobs.import_actors",
    "jobs.dating_actors",
    "jobs.duplicate_actors",
    "jobs.export_actors",
)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# How long a child that keeps crashing waits before the supervisor starts it again, at most.
MAX_RESTART_DELAY_S = 30.0


def install_stop_handler() -> threading.Event:
    """Every SIGTERM/SIGINT sets one event: a second signal does not escalate to a hard kill."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if not stop.is_set():
            log.info("Received %s: finishing in-flight work, then stopping.", signal.Signals(signum).name)
        stop.set()

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    return stop


def run_worker_process(settings: Settings, threads: int, modules: Sequence[str] = ()) -> int:
    """One worker process: Dramatiq's Worker over the configured broker until told to stop."""
    stop = install_stop_handler()
    ensure_data_dir(settings)
    open_database(settings.database_path).close()
    runtime.configure(settings)
    broker = setup_broker(settings)
    for module in (*BUILTIN_ACTOR_MODULES, *modules):
        importlib.import_module(module)
    broker.add_middleware(Heartbeat(settings, threads, describe(broker)))

    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=500)
    worker.start()
    log.info("Worker %s started: %d threads on %s.", os.getpid(), threads, describe(broker))
    parent = os.getppid()
    # Also stop when the supervisor vanishes (it was SIGKILLed), rather than run orphaned.
    while not stop.wait(0.5):
        if os.getppid() != parent:
            log.warning("Supervisor is gone; stopping.")
            break
    runtime.stopping.set()
    grace_ms = int(max(settings.shutdown_grace - 1.0, 0.5) * 1000)
    worker.stop(timeout=grace_ms)
    broker.close()
    log.info("Worker %s stopped.", os.getpid())
    return 0


def worker_command(processes: int, threads: int, modules: Sequence[str] = ()) -> list[str]:
    """How to start `mediaparser worker` with this interpreter (the supervisor, tests, benchmarks)."""
    return [
        sys.executable,
        "-m",
        "mediaparser",
        "worker",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        *modules,
    ]


def redate_if_engine_changed(settings: Settings) -> None:
    """Files dated by an older engine are decided again, in the background, once per upgrade."""
    from jobs.dating_actors import QUEUE, REDATE_ACTOR, stale_count

    conn = open_database(settings.database_path)
    try:
        stale = stale_count(conn)
    finally:
        conn.close()
    if stale:
        log.info("%d files were dated by an older engine; re-dating them.", stale)
        setup_broker(settings)
        send(QUEUE, REDATE_ACTOR)


def rescue_interval(settings: Settings) -> float:
    """How long a running job may show no progress before it is sent fresh messages: by then any
    message a dead worker held has come back by lease expiry, so a still-idle job has lost its own."""
    return max(2 * settings.visibility_timeout, 5.0)


Readings = dict[tuple[str, int], tuple]


def rescue_jobs(settings: Settings, last: Readings, everything: bool) -> Readings:
    """Send fresh messages for running jobs whose progress reading equals `last` (or all of them);
    returns the readings to compare with next time."""
    conn = connect(settings.database_path)
    try:
        now = {("import", k): v for k, v in running_imports(conn).items()}
        now.update({("export", k): v for k, v in running_exports(conn).items()})
    finally:
        conn.close()
    for (kind, job_id), reading in now.items():
        if everything or last.get((kind, job_id)) == reading:
            log.info("Sending fresh messages for %s #%s (%s).", kind, job_id, reading[0])
            (kick_import if kind == "import" else kick_export)(job_id, reading[0])
    return now


def child_command(threads: int, modules: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "mediaparser", "worker", "--child", "--threads", str(threads), *modules]


def run_supervisor(settings: Settings, processes: int, threads: int, modules: Sequence[str] = ()) -> int:
    """Start `processes` children, restart the ones that die, and stop them all on a signal."""
    stop = install_stop_handler()
    ensure_data_dir(settings)
    open_database(settings.database_path).close()
    forget_dead_workers(settings)
    redate_if_engine_changed(settings)
    setup_broker(settings)
    readings = rescue_jobs(settings, {}, everything=True)
    send(DUPLICATES_QUEUE, REGROUP_ACTOR)  # a worker killed mid-grouping left its message behind
    next_rescue = time.monotonic() + rescue_interval(settings)
    command = child_command(threads, modules)
    children: dict[int, subprocess.Popen] = {slot: subprocess.Popen(command) for slot in range(processes)}
    started = dict.fromkeys(children, time.monotonic())
    delays = dict.fromkeys(children, 1.0)
    restart_at: dict[int, float] = {}
    log.info("Supervisor %s started %d worker processes.", os.getpid(), processes)

    while not stop.wait(0.2):
        if time.monotonic() >= next_rescue:
            try:
                readings = rescue_jobs(settings, readings, everything=False)
            except Exception:  # a locked or full database: try again next time, keep supervising
                log.warning("Could not check for stalled jobs; will retry.", exc_info=True)
            next_rescue = time.monotonic() + rescue_interval(settings)
        for slot, child in list(children.items()):
            if child.poll() is None:
                continue
            if slot not in restart_at:
                # A killed child could not remove its own row; one that died on its own blames its files.
                forget_worker(settings, child.pid, crashed=child.returncode != 0)
                if time.monotonic() - started[slot] > 60:
                    delays[slot] = 1.0  # it ran well for a while: a one-off crash, not a crash loop
                log.warning(
                    "Worker process %s exited with %s; restarting in %.0f s.",
                    child.pid,
                    child.returncode,
                    delays[slot],
                )
                restart_at[slot] = time.monotonic() + delays[slot]
            elif time.monotonic() >= restart_at[slot]:
                del restart_at[slot]
                children[slot] = subprocess.Popen(command)
                started[slot] = time.monotonic()
                delays[slot] = min(delays[slot] * 2, MAX_RESTART_DELAY_S)

    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + settings.shutdown_grace + 2
    for child in children.values():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            log.error("Worker process %s did not stop in time; killing it.", child.pid)
            child.kill()
            child.wait()
    log.info("Supervisor %s stopped.", os.getpid())
    return 0
