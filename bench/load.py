"""Load: the web app stays quick and never fails while two workers analyse a big import.

    .venv/bin/python -m bench.load [--files 20000] [--seconds 60] [--clients 20] [--quick]

In a temp dir: a generated folder of --files small real JPEGs (bench/load_tree.py) and a smaller
"seed" folder. A real `mediaparser serve` on 127.0.0.1 (loopback only; another --host is refused)
and a real `mediaparser worker --processes 2` import the seed folder first (so the date and
duplicate queues have content, and the library has an import done), then the big one. While it is
being analysed: --idle seconds with no clients (the baseline analysis rate), --seconds with
--clients browser-like clients (bench/load_clients.py: grid pages with filters and keyset "next"
pages, the review queues, the progress fragment every second, decisions posted), then --idle
seconds without clients again, then (--paused) the same clients with the import paused, which
shows the web's own latency without the workers' competition. Every process is stopped at the
end, also on Ctrl-C or an error.

Prints per request class (page, progress fragment, decision POST) the count, p50/p95/p99/max ms,
errors (not 2xx/3xx), 5xx, and answers or log lines saying "database is locked"; decisions whose
next page does not show them (a stale read); then the analysis rate under load against the idle
rate around it, the largest WAL and the CPU each process group used. Targets: no 5xx and nothing
locked, page p95 < 100 ms, progress p95 < 20 ms. Exits 1 when one is missed (and says which), 2
when the run itself could not be made. The clients run on the same two cores as the app (a real
browser would not), and so does whatever else runs on the machine: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from bench.load_clients import LoginFailed, Recorder, post_once, run_clients
from bench.load_report import TARGETS_MS, report
from bench.load_tree import Tree, build_tree
from jobs.worker import worker_command
from storage.library import NEEDS_DATE_REVIEW

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "load-bench-password"
QUICK = {"files": 300, "seconds": 5.0, "clients": 3, "idle": 3.0, "seed_files": 100, "paused": 3.0}


class Processes:
    """The server and the workers, each in its own process group, all stopped by `stop()`."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}:\n{self.log(name)[-3000:]}")

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to each group (a worker finishes in-flight work), then SIGKILL what is left."""
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGKILL)  # also exiftool and worker children left behind
            proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # the group this script created for that process, by its id


def loopback(host: str) -> str:
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise SystemExit(f"--host {host!r} refused: the load benchmark only listens on a loopback address")


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def query(db: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not created or not migrated yet
    finally:
        conn.close()


def wait_until(what: str, predicate, procs: Processes, timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check()
        if value := predicate():
            return value
        time.sleep(0.2)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def finished(db: Path, import_id: int) -> int:
    [row] = query(
        db, "SELECT files_done + files_skipped + files_error + files_known FROM imports WHERE id = ?", import_id
    )
    return row[0]


def start_import(env: dict[str, str], folder: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "mediaparser", "import", str(folder)],
        cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    # "Import #12 of /path queued."
    return int(out.split("#", 1)[1].split()[0])


def wal_mb(db: Path) -> float:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size / 2**20 if wal.exists() else 0.0


async def watch_wal(db: Path, seconds: float) -> float:
    """The largest WAL seen while the clients run: one that only grows means checkpoints starve."""
    biggest, deadline = 0.0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        biggest = max(biggest, wal_mb(db))
        await asyncio.sleep(0.25)
    return biggest


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20_000, help="files in the import analysed under load")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of idle baseline before and after")
    parser.add_argument("--seed-files", type=int, default=600, help="files imported first, to fill the queues")
    parser.add_argument(
        "--paused", type=float, default=20.0,
        help="then the same clients this long with the import paused: the web's own latency (0: skip)",
    )
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a client's clicks (s)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (nothing else is accepted)")
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="start the workers under `nice -n N` (an experiment)"
    )
    parser.add_argument("--no-auth", action="store_true", help="run the app with MEDIAPARSER_AUTH=off")
    parser.add_argument("--quick", action="store_true", help="a smoke run: " + ", ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in QUICK.items()))
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) == parser.get_default(key):
                setattr(args, key, value)
    args.host = loopback(args.host)
    return args


@dataclass
class Window:
    """One stretch of the run: what the clients saw (if any), analysis rate, WAL and CPU use."""

    seconds: float
    rate: float
    wal_mb: float
    rec: Recorder | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # share of one core, per process group


def group_cpu(pgid: int) -> float:
    """CPU seconds used so far by the live processes of one process group (exiftool included)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measured(fn, procs: Processes, db: Path, import_id: int) -> Window:
    """Run `fn()` (clients, or an idle wait) and measure the analysis rate and CPU around it."""
    groups = {name: proc.pid for name, proc in procs.procs.items()}
    cpu0 = {name: group_cpu(pid) for name, pid in groups.items()} | {"clients": time.process_time()}
    before, started = finished(db, import_id), time.monotonic()
    rec, wal = fn()
    seconds = time.monotonic() - started
    cpu1 = {name: group_cpu(pid) for name, pid in groups.items()} | {"clients": time.process_time()}
    cpu = {name: (cpu1[name] - cpu0[name]) / seconds for name in cpu0}
    return Window(seconds, (finished(db, import_id) - before) / seconds, wal, rec, cpu)


def clients_for(args: argparse.Namespace, base: str, import_ids: list[int], db: Path, seconds: float):
    async def both() -> tuple[Recorder, float]:
        return await asyncio.gather(
            run_clients(base, PASSWORD, import_ids, args.clients, seconds, args.think), watch_wal(db, seconds)
        )

    return lambda: asyncio.run(both())


def idle_for(seconds: float, db: Path, procs: Processes):
    def wait() -> tuple[None, float]:
        wal, deadline = 0.0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            procs.check()
            wal = max(wal, wal_mb(db))
            time.sleep(0.25)
        return None, wal

    return wait


def app_env(args: argparse.Namespace, tmp: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MEDIAPARSER_DATA_DIR": str(tmp / "data"),
        "MEDIAPARSER_HOST": args.host,
        "MEDIAPARSER_PORT": str(port),
        "MEDIAPARSER_PASSWORD": PASSWORD,
        "MEDIAPARSER_IMPORT_ROOTS": str(tmp),
        "MEDIAPARSER_LOG_LEVEL": "WARNING",  # no per-request access log in the measurement
        "MEDIAPARSER_SHUTDOWN_GRACE": "2",
    }
    if args.no_auth:
        env["MEDIAPARSER_AUTH"] = "off"  # allowed on loopback; CSRF stays on
    else:
        env.pop("MEDIAPARSER_AUTH", None)
    return env


def seed_library(env: dict[str, str], seed: Tree, db: Path, procs: Processes) -> int:
    """Import the seed folder to the end, so the queues and duplicate groups have content."""
    seed_id = start_import(env, seed.root)
    started = time.monotonic()
    done = "SELECT 1 FROM imports WHERE id = ? AND state = 'done'"
    wait_until("the seed import", lambda: query(db, done, seed_id), procs, 600)
    seed_rate = seed.files / (time.monotonic() - started)
    wait_until("duplicate groups", lambda: query(db, "SELECT 1 FROM dup_groups LIMIT 1"), procs, 120)
    queued = query(db, f"SELECT count(*) FROM files f WHERE {NEEDS_DATE_REVIEW}")[0][0]
    groups = query(db, "SELECT class, count(*) FROM dup_groups GROUP BY class")
    confidence = query(db, "SELECT coalesce(confidence, status), count(*) FROM files GROUP BY 1")
    print(f"seed import #{seed_id}: {seed.files} files at {seed_rate:.1f} files/s (from an empty library);"
          f" {queued} files in the date queue, groups: {', '.join(f'{g[0]} {g[1]}' for g in groups)};"
          f" confidence: {', '.join(f'{c[0]} {c[1]}' for c in confidence)}", flush=True)
    return seed_id


def run(args: argparse.Namespace, tmp: Path) -> int:
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    seed = build_tree(tmp / "seed", args.seed_files, start=30_000)
    tree = build_tree(tmp / "photos", args.files)
    print(f"generated {seed.files + tree.files:,} JPEGs ({(seed.bytes + tree.bytes) / 2**20:.0f} MiB) in "
          f"{time.perf_counter() - t0:.1f} s; big import: {tree.undated} undated, {tree.conflicting} "
          f"conflicting, {tree.duplicates} exact copies", flush=True)
    db = tmp / "data" / "mediaparser.sqlite3"
    port = free_port(args.host)
    env = app_env(args, tmp, port)
    base = f"http://{args.host}:{port}"
    procs = Processes(env, tmp)
    windows: dict[str, Window] = {}
    try:
        procs.start("server", [sys.executable, "-m", "mediaparser", "serve", "--host", args.host, "--port", str(port)])
        nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
        procs.start("worker", nice + worker_command(args.workers, 1))
        print(f"server pid {procs.procs['server'].pid} on {base}, worker supervisor pid"
              f" {procs.procs['worker'].pid}", flush=True)
        wait_until("the server", lambda: _healthy(base), procs, 60)
        workers = "SELECT pid FROM workers"
        wait_until(f"{args.workers} workers", lambda: len(query(db, workers)) >= args.workers, procs, 60)
        seed_id = seed_library(env, seed, db, procs)

        import_id = start_import(env, tree.root)
        ids = [seed_id, import_id]
        wait_until("analysis of the big import", lambda: finished(db, import_id) >= 20, procs, 120)
        windows["idle before"] = measured(idle_for(args.idle, db, procs), procs, db, import_id)
        print(f"big import #{import_id}: idle {windows['idle before'].rate:.1f} files/s over {args.idle:.0f} s;"
              f" {args.clients} clients for {args.seconds:.0f} s ...", flush=True)
        windows["load"] = measured(clients_for(args, base, ids, db, args.seconds), procs, db, import_id)
        procs.check()
        windows["idle after"] = measured(idle_for(args.idle, db, procs), procs, db, import_id)
        state = query(db, "SELECT state, files_total FROM imports WHERE id = ?", import_id)[0]
        done = finished(db, import_id)
        if args.paused:
            pause_import(base, import_id, db, procs)
            windows["paused"] = measured(clients_for(args, base, ids, db, args.paused), procs, db, import_id)
    finally:
        procs.stop()

    logs = procs.log("server") + procs.log("worker")
    missed = report(windows, logs)
    print(f"big import at the end: {state['state']}, {done:,}/{state['files_total']:,} files;"
          f" machine load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
          " (other work on this machine shows up in the latencies)")
    print(f"\n{'PASS' if not missed else 'FAIL'}: 0 locked/5xx, page p95 < {TARGETS_MS['page']:.0f} ms,"
          f" progress p95 < {TARGETS_MS['progress']:.0f} ms (total {time.perf_counter() - t0:.0f} s)")
    for line in missed:
        print(f"  - {line}")
    return 1 if missed else 0


def pause_import(base: str, import_id: int, db: Path, procs: Processes) -> None:
    """Pause through the job page's own button, then wait for in-flight files to settle. An import
    that has already ended has nothing left to pause: no analysis runs either way."""
    state = "SELECT state FROM imports WHERE id = ?"
    if query(db, state, import_id)[0][0] in ("done", "cancelled", "failed"):
        return
    status = asyncio.run(post_once(base, PASSWORD, f"/imports/{import_id}/pause"))
    if status not in (200, 303):
        raise SystemExit(f"pausing import #{import_id} answered {status}")
    paused = "SELECT 1 FROM imports WHERE id = ? AND state = 'paused'"
    wait_until("the paused import", lambda: query(db, paused, import_id), procs, 30)

    def settled() -> bool:
        now = finished(db, import_id)
        time.sleep(1.0)
        return finished(db, import_id) == now

    wait_until("in-flight files after the pause", settled, procs, 30)


def _healthy(base: str) -> bool:
    try:
        # Any answer will do: after the login contract, /api/health may want a session.
        return httpx.get(base + "/api/health", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A SIGTERM ends the run like Ctrl-C: through the finally blocks that stop every process.
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="mp-load-") as tmp:
        try:
            return run(args, Path(tmp))
        except LoginFailed as failed:
            print(f"could not sign in: {failed}", file=sys.stderr)
            return 2
        except SystemExit as stop:
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
                return 2
            raise


if __name__ == "__main__":
    sys.exit(main())
