"""Load: the web app stays quick and never fails while two workers analyse a big import.

    .venv/bin/python -m bench.load [--files 20000] [--seconds 60] [--clients 20] [--quick]

In a temp dir: a generated folder of --files small real JPEGs (bench/load_tree.py) and a smaller
"seed" folder. A real `mediaparser serve` on 127.0.0.1 (loopback only; another --host is refused)
and a real `mediaparser worker --processes 2` import the seed folder first (so the date and
duplicate queues have content, and the library has an import done), then the big one. While it is
being analysed: --idle seconds with no clients (the baseline analysis rate), --seconds with
--clients browser-like clients (bench/load_clients.py: grid pages with filters and keyset "next"
pages, the review queues, the progress fragment every second, decisions posted), then --idle
seconds without clients again. Every process is stopped at the end, also on Ctrl-C or an error.

Prints per request class (page, progress fragment, decision POST) the count, p50/p95/p99/max ms,
errors (not 2xx/3xx), 5xx, and answers or log lines saying "database is locked"; then the
analysis rate under load against the idle rate around it. Targets: no 5xx and nothing locked,
page p95 < 100 ms, progress p95 < 20 ms. Exits 1 when one is missed (and says which), 2 when the
run itself could not be made.
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
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.load_clients import LOCKED, LoginFailed, Recorder, Sample, run_clients
from bench.load_tree import build_tree
from jobs.worker import worker_command

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "load-bench-password"
TARGETS_MS = {"page": 100.0, "progress": 20.0}
CLASSES = ("page", "progress", "decision")
QUICK = {"files": 300, "seconds": 5.0, "clients": 3, "idle": 3.0, "seed_files": 100}


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


def rate_over(db: Path, import_id: int, seconds: float, procs: Processes) -> float:
    before, started = finished(db, import_id), time.monotonic()
    while time.monotonic() - started < seconds:
        procs.check()
        time.sleep(0.25)
    return (finished(db, import_id) - before) / (time.monotonic() - started)


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def is_error(s: Sample) -> bool:
    return not isinstance(s.status, int) or s.status >= 400


def report_requests(rec: Recorder, seconds: float) -> dict[str, dict]:
    print(f"\n{'class':<10} {'count':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}"
          f" {'errors':>6} {'5xx':>4} {'locked':>6}")
    summary = {}
    for kind in CLASSES:
        samples = [s for s in rec.samples if s.kind == kind]
        times = [s.ms for s in samples]
        row = {
            "count": len(samples),
            "p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99),
            "max": max(times, default=float("nan")),
            "errors": sum(is_error(s) for s in samples),
            "5xx": sum(isinstance(s.status, int) and s.status >= 500 for s in samples),
            "locked": sum(s.locked for s in samples),
        }
        summary[kind] = row
        print(f"{kind:<10} {row['count']:>6} {row['count'] / seconds:>6.1f} {row['p50']:>7.1f} {row['p95']:>7.1f}"
              f" {row['p99']:>7.1f} {row['max']:>7.1f} {row['errors']:>6} {row['5xx']:>4} {row['locked']:>6}")
    print("\nby request (ms):")
    for label in sorted({s.label for s in rec.samples}):
        samples = [s for s in rec.samples if s.label == label]
        times = [s.ms for s in samples]
        statuses = Counter(s.status for s in samples)
        print(f"  {label:<22} {len(samples):>6}  p50 {pct(times, 50):7.1f}  p95 {pct(times, 95):7.1f}"
              f"  p99 {pct(times, 99):7.1f}  max {max(times):7.1f}   "
              + " ".join(f"{code}x{n}" for code, n in sorted(statuses.items(), key=str)))
    if rec.notes:
        print("  notes: " + ", ".join(f"{k} x{n}" for k, n in rec.notes.items()))
    return summary


def judge(summary: dict[str, dict], rec_unseen: int, log_locked: int, log_errors: int) -> list[str]:
    missed = []
    for kind in CLASSES:
        row = summary[kind]
        if not row["count"]:
            missed.append(f"no {kind} request was made")
        if row["5xx"] or row["locked"]:
            missed.append(f"{kind}: {row['5xx']} 5xx, {row['locked']} 'database is locked' answers")
    for kind, target in TARGETS_MS.items():
        if summary[kind]["p95"] >= target:
            missed.append(f"{kind} p95 {summary[kind]['p95']:.1f} ms >= {target:.0f} ms")
    if rec_unseen:
        missed.append(f"{rec_unseen} decisions were missing from the page their redirect led to (stale reads)")
    if log_locked:
        missed.append(f"{log_locked} log lines say '{LOCKED}'")
    if log_errors:
        missed.append(f"{log_errors} tracebacks in the server/worker logs")
    return missed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20_000, help="files in the import analysed under load")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds of idle baseline before and after")
    parser.add_argument("--seed-files", type=int, default=600, help="files imported first, to fill the queues")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a client's clicks (s)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (nothing else is accepted)")
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


def run(args: argparse.Namespace, tmp: Path) -> int:
    t0 = time.perf_counter()
    seed = build_tree(tmp / "seed", args.seed_files, start=30_000)
    tree = build_tree(tmp / "photos", args.files)
    print(f"generated {seed.files + tree.files:,} JPEGs ({(seed.bytes + tree.bytes) / 2**20:.0f} MiB) in "
          f"{time.perf_counter() - t0:.1f} s; big import: {tree.undated} undated, {tree.conflicting} "
          f"conflicting, {tree.duplicates} exact copies", flush=True)
    data = tmp / "data"
    db = data / "mediaparser.sqlite3"
    port = free_port(args.host)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MEDIAPARSER_DATA_DIR": str(data),
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
    procs = Processes(env, tmp)
    try:
        procs.start("server", [sys.executable, "-m", "mediaparser", "serve", "--host", args.host, "--port", str(port)])
        procs.start("worker", worker_command(args.workers, 1))
        base = f"http://{args.host}:{port}"
        print(f"server pid {procs.procs['server'].pid} on {base}, worker supervisor pid"
              f" {procs.procs['worker'].pid}", flush=True)
        wait_until("the server", lambda: _healthy(base), procs, 60)
        wait_until(f"{args.workers} workers", lambda: len(query(db, "SELECT pid FROM workers")) >= args.workers,
                   procs, 60)
        seed_id = start_import(env, seed.root)
        started = time.monotonic()
        wait_until("the seed import", lambda: query(db, "SELECT 1 FROM imports WHERE id = ? AND state = 'done'",
                                                     seed_id), procs, 600)
        seed_rate = seed.files / (time.monotonic() - started)
        wait_until("duplicate groups", lambda: query(db, "SELECT 1 FROM dup_groups LIMIT 1"), procs, 120)
        queued = query(db, "SELECT count(*) FROM files WHERE status = 'processed' AND discarded = 0"
                       " AND (confidence IN ('low', 'none') OR conflict = 1)")[0][0]
        groups = query(db, "SELECT class, count(*) FROM dup_groups GROUP BY class")
        confidence = query(db, "SELECT coalesce(confidence, status), count(*) FROM files GROUP BY 1")
        print(f"seed import #{seed_id}: {seed.files} files at {seed_rate:.1f} files/s (from an empty library);"
              f" {queued} files in the date queue, groups: {', '.join(f'{g[0]} {g[1]}' for g in groups)};"
              f" confidence: {', '.join(f'{c[0]} {c[1]}' for c in confidence)}",
              flush=True)

        import_id = start_import(env, tree.root)
        wait_until("analysis of the big import", lambda: finished(db, import_id) >= 20, procs, 120)
        idle_before = rate_over(db, import_id, args.idle, procs)
        print(f"big import #{import_id}: idle {idle_before:.1f} files/s over {args.idle:.0f} s; "
              f"{args.clients} clients for {args.seconds:.0f} s ...", flush=True)
        before, load_started = finished(db, import_id), time.monotonic()
        rec = asyncio.run(run_clients(base, PASSWORD, [seed_id, import_id], args.clients, args.seconds, args.think))
        load_seconds = time.monotonic() - load_started
        load_rate = (finished(db, import_id) - before) / load_seconds
        procs.check()
        idle_after = rate_over(db, import_id, args.idle, procs)
        state = query(db, "SELECT state, files_total FROM imports WHERE id = ?", import_id)[0]
        done = finished(db, import_id)
    finally:
        procs.stop()

    summary = report_requests(rec, load_seconds)
    logs = procs.log("server") + procs.log("worker")
    log_locked = sum(LOCKED in line for line in logs.splitlines())
    log_errors = logs.count("Traceback")
    idle = (idle_before + idle_after) / 2
    print(f"\nanalysis (2 workers): idle {idle:.1f} files/s (before {idle_before:.1f}, after {idle_after:.1f}),"
          f" under load {load_rate:.1f} files/s; ratio load/idle {load_rate / idle if idle else float('nan'):.2f}")
    if state["state"] != "analysing":
        print("  (the import was not analysing to the end: these rates understate the workers; use more --files)")
    print(f"decisions not shown on the page after them (stale reads): {rec.unseen}")
    print(f"big import at the end: {state['state']}, {done:,}/{state['files_total']:,} files;"
          f" log lines with '{LOCKED}': {log_locked}, tracebacks: {log_errors}")
    missed = judge(summary, rec.unseen, log_locked, log_errors)
    print(f"\n{'PASS' if not missed else 'FAIL'}: 0 locked/5xx, page p95 < {TARGETS_MS['page']:.0f} ms,"
          f" progress p95 < {TARGETS_MS['progress']:.0f} ms (total {time.perf_counter() - t0:.0f} s)")
    for line in missed:
        print(f"  - {line}")
    if log_errors or log_locked:
        print("\nlast log lines:\n" + "\n".join(logs.splitlines()[-40:]))
    return 1 if missed else 0


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
