"""Export throughput: N unique real camera files (the corpus JPEGs, the iPhone HEIC and a few short
ffmpeg videos, each given its own capture time) imported through the real CLI and real worker
processes, then exported with `mediaparser export DEST --include-review --wait`, against a plain
`cp -r` of the same files, and `cp -r` followed by `sync`, in the same run.

    .venv/bin/python -m bench.export [--files 300] [--videos 6] [--large 0] [--processes 2] [--threads 1]
                                     [--rounds 3] [--order cp-first|export-first] [--keep]

The export writes each file to a temp name with fsync, reads it back for its SHA-256, runs one
exiftool write into it, sets its time, fsyncs, hashes it again and links it into place; `cp` does
none of that, `cp` + `sync` at least puts the bytes on disk. The page cache cannot be dropped here,
so every contender reads the same warm files (the import has just read them all), and a `sync`
before each timed run keeps one from paying for another's dirty pages. Each of `--rounds` rounds
runs cp, cp + sync and the export (in the printed order) into new folders; medians are shown.

The corpus files are small (most under 200 kB), so MB/s mostly reflects per-file costs; `--large K`
makes K of the N files 12-megapixel camera-like JPEGs (as in bench.ingest) for a realistic size.

Prints files, MB (10^6 bytes), seconds, files/s, MB/s and ms per file for each, the time ratios
export/cp and export/(cp+sync), and checks the export: N files in DEST (manifest.* aside), no
`.mediaparser-*` temp files left. Exits 1 when the import or the export is not complete.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from jobs.worker import worker_command
from tests.corpus import CORPUS
from tests.trees import make_video

REPO = Path(__file__).resolve().parent.parent
# Real camera JPEGs that import cleanly; `corrupted.jpg` and `invalid/` are there to fail.
SKIP = {"corrupted.jpg"}
FIRST_CAPTURE = datetime(2016, 3, 5, 8, 0, 0)
# Odd enough that no two files share a second, in local or (videos) UTC time: about 2 days apart.
STEP = timedelta(days=2, hours=3, minutes=17, seconds=11)
# A name taken by another file of the same second gets `_1`, `_2`: YYYYMMDD_HHMMSS_n.
SAME_SECOND = re.compile(r"\d{8}_\d{6}_\d+")
DATE_TAGS = ("DateTimeOriginal", "CreateDate", "ModifyDate")
STALE_TAGS = (
    "XMP-exif:DateTimeDigitized",
    "XMP-photoshop:DateCreated",
    "XMP-xmp:MetadataDate",
    "XMP-xmpMM:HistoryWhen",
    "GPS:GPSDateStamp",
    "GPS:GPSTimeStamp",
)
# The table's rows.
CP, CP_SYNC = "cp -r", "cp -r + sync"
CLI, WORKER, COPIES = "export, CLI start to end", "export, worker (db times)", "export, copies only"


def corpus_sources() -> list[Path]:
    jpegs = sorted(
        p for p in (CORPUS / "jpg").rglob("*.jpg") if p.name not in SKIP and "invalid" not in p.parts
    )
    return [*jpegs, CORPUS / "heic" / "IMG_5195.HEIC"]


def build_tree(root: Path, scratch: Path, files: int, videos: int, large: int) -> list[Path]:
    """`files` files under root, each with its own capture time (so its own export name) and bytes."""
    sources = corpus_sources()
    videos = min(videos, files)
    large = min(large, files - videos)
    plain = files - videos - large
    paths: list[Path] = []
    for n in range(plain):
        source = sources[n % len(sources)]
        path = root / f"card{n // 100:02d}" / f"{source.stem}_{n:05d}{source.suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        paths.append(path)
    if large:
        from bench.ingest import twelve_megapixel_jpeg

        big = twelve_megapixel_jpeg()
        for n in range(large):
            path = root / "DCIM" / f"IMG_{n:05d}.JPG"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(big)
            paths.append(path)
    if videos:
        clip = make_video(scratch / "clip.mp4", seconds=2.0, size="640x480")
        for n in range(videos):
            path = root / "videos" / f"VID_{n:04d}.mp4"
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(clip, path)
            paths.append(path)
    # One exiftool run writes every file's own dates (and a JPEG comment) from a CSV.
    table = scratch / "dates.csv"
    with open(table, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["SourceFile", *DATE_TAGS, "Comment"])
        for n, path in enumerate(paths):
            stamp = (FIRST_CAPTURE + n * STEP).strftime("%Y:%m:%d %H:%M:%S")
            comment = f"bench export {n}" if path.suffix.lower() in (".jpg", ".jpeg") else ""
            out.writerow([str(path), *[stamp] * len(DATE_TAGS), comment])
    # Some camera files carry more dates (a stale XMP DateTimeDigitized with an offset, GPS time in
    # UTC) that the dating engine may prefer or find in conflict: those are removed.
    stale = [f"-{tag}=" for tag in STALE_TAGS]
    subprocess.run(
        ["exiftool", "-q", "-q", "-overwrite_original", "-r", f"-csv={table}", *stale, str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return paths


def query(db: Path, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    if not db.exists():  # not created yet by the worker (connecting would create it)
        return []
    conn = sqlite3.connect(db, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def wait_idle(broker: Path, timeout: float = 120.0) -> None:
    """Until the worker has no message left (the duplicate regroup sent after an import)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(broker, "SELECT count(*) FROM messages WHERE state = 'ready'")
        if rows and rows[0][0] == 0:
            return
        time.sleep(0.2)
    raise SystemExit("the worker did not go idle after the import")


def start_worker(env: dict[str, str], db: Path, processes: int, threads: int) -> subprocess.Popen:
    worker = subprocess.Popen(worker_command(processes, threads), cwd=REPO, env=env)
    while len(query(db, "SELECT pid FROM workers")) < processes:
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited with {worker.returncode}")
        time.sleep(0.1)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def cli(env: dict[str, str], *args: str) -> tuple[float, int]:
    """Run `mediaparser ARGS` (output hidden); its wall time and exit code."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mediaparser", *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started, done.returncode


def time_cp(source: Path, target: Path, then_sync: bool) -> float:
    subprocess.run(["sync"], check=True)  # nobody else's dirty pages in this measurement
    started = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    if then_sync:
        subprocess.run(["sync"], check=True)
    return time.perf_counter() - started


def seconds_between(start: str | None, end: str | None) -> float:
    if not start or not end:  # an export that never started or finished: verification says why
        return float("nan")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def count_files(folder: Path) -> tuple[int, int, list[Path]]:
    """Files under folder (manifest.* aside), how many of them carry a same-second `_n`, and any
    export temp files left."""
    count, same_second, temps = 0, 0, []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.name.startswith(".mediaparser-") or path.name.endswith("_exiftool_tmp"):
            temps.append(path)
        elif not (path.parent == folder and path.name.startswith("manifest.")):
            count += 1
            same_second += bool(SAME_SECOND.fullmatch(path.stem))
    return count, same_second, temps


def export_times(db: Path, n: int) -> tuple[sqlite3.Row, float, float]:
    """The last export's row, its worker time (started_at -> finished_at: planning, copies,
    manifest) and its copies alone (first to last item finished, n - 1 gaps scaled to n)."""
    [export] = query(db, "SELECT * FROM exports ORDER BY id DESC LIMIT 1")
    [items] = query(
        db,
        "SELECT min(finished_at) AS first, max(finished_at) AS last FROM export_items WHERE export_id = ?",
        (export["id"],),
    )
    worker_s = seconds_between(export["started_at"], export["finished_at"])
    copies_s = seconds_between(items["first"], items["last"]) * n / max(n - 1, 1)
    return export, worker_s, copies_s


def check_export(export: sqlite3.Row, code: int, dest: Path, n: int) -> tuple[list[str], int]:
    """What is wrong with one export (nothing, when verified), and its same-second names."""
    in_dest, same_second, temps = count_files(dest)
    problems = []
    if code or export["state"] != "done" or export["files_done"] != n or export["files_error"]:
        problems.append(
            f"export #{export['id']} {export['state']} (exit {code}): {export['files_done']}/"
            f"{export['files_total']} files, {export['files_error']} failed {export['error'] or ''}".strip()
        )
    if in_dest != n:
        problems.append(f"{in_dest} files in {dest}, expected {n}")
    if temps:
        problems.append(f"{len(temps)} temp files left in {dest}, e.g. {temps[0].name}")
    return problems, same_second


def one_round(
    k: int, env: dict[str, str], db: Path, root: Path, tmp: Path, n: int, cp_first: bool
) -> tuple[dict[str, float], list[str], int]:
    """cp, cp + sync and an export of the same files, each to a new folder: their seconds, what
    failed verification, and the export's same-second names."""
    dest = tmp / f"export-{k}"
    seconds: dict[str, float] = {}

    def run_cp() -> None:
        seconds[CP] = time_cp(root, tmp / f"cp-{k}", then_sync=False)
        seconds[CP_SYNC] = time_cp(root, tmp / f"cp-sync-{k}", then_sync=True)

    if cp_first:
        run_cp()
    subprocess.run(["sync"], check=True)
    seconds[CLI], code = cli(env, "export", str(dest), "--include-review", "--wait")
    if not cp_first:
        run_cp()
    export, seconds[WORKER], seconds[COPIES] = export_times(db, n)
    problems, same_second = check_export(export, code, dest, n)
    for name in (f"cp-{k}", f"cp-sync-{k}"):
        if (copied := count_files(tmp / name)[0]) != n:
            problems.append(f"{copied} files in the {name} copy, expected {n}")
    return seconds, problems, same_second


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=300, help="files in all (default 300)")
    parser.add_argument("--videos", type=int, default=6, help="of them, 2 s 640x480 MP4s (default 6)")
    parser.add_argument(
        "--large", type=int, default=0, help="of them, 12-megapixel camera-like JPEGs (default 0)"
    )
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2, a 2-core box)")
    parser.add_argument("--threads", type=int, default=1, help="threads per process (default 1)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of cp, cp + sync and export, medians shown (default 3)"
    )
    parser.add_argument(
        "--order",
        choices=["cp-first", "export-first"],
        default="cp-first",
        help="in each round, cp and cp + sync before the export (default) or after it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and print where it is")
    args = parser.parse_args()
    if min(args.files, args.processes, args.threads, args.rounds) < 1 or min(args.videos, args.large) < 0:
        parser.error("--files, --processes, --threads and --rounds must be at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="bench-export-", dir=os.environ.get("TMPDIR")))
    root, data, scratch = tmp / "photos", tmp / "data", tmp / "scratch"
    scratch.mkdir()
    env = {
        **os.environ,
        "MEDIAPARSER_DATA_DIR": str(data),
        "MEDIAPARSER_TIMEZONE": "Europe/Berlin",
        "MEDIAPARSER_LOG_LEVEL": "WARNING",
    }
    db = data / "mediaparser.sqlite3"
    worker = None
    try:
        t0 = time.perf_counter()
        paths = build_tree(root, scratch, args.files, args.videos, args.large)
        n, size = len(paths), sum(p.stat().st_size for p in paths)
        kinds = Counter(p.suffix.lower().lstrip(".") for p in paths)
        print(
            f"source: {n} files ({', '.join(f'{c} {k}' for k, c in sorted(kinds.items()))}) from "
            f"{len(corpus_sources())} corpus files, {size / 1e6:.1f} MB, built in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )

        worker = start_worker(env, db, args.processes, args.threads)
        elapsed, _ = cli(env, "import", str(root), "--wait")
        [job] = query(db, "SELECT * FROM imports ORDER BY id DESC LIMIT 1")
        print(
            f"import: {job['files_done']} analysed, {job['files_error']} errors, state {job['state']}, "
            f"in {elapsed:.1f} s ({n / elapsed:.1f} files/s)",
            flush=True,
        )
        if job["state"] != "done" or job["files_done"] != n or job["files_error"]:
            raise SystemExit("the import did not analyse every file; nothing to export")
        wait_idle(data / "broker.sqlite3")

        runs: dict[str, list[float]] = {}
        problems: list[str] = []
        same_second = 0
        for k in range(1, args.rounds + 1):
            seconds, failed, same = one_round(k, env, db, root, tmp, n, args.order == "cp-first")
            for label, value in seconds.items():
                runs.setdefault(label, []).append(value)
            problems += failed
            same_second = max(same_second, same)
            print(
                f"round {k}: " + ", ".join(f"{label} {seconds[label]:.3f} s" for label in (CP, CP_SYNC, CLI)),
                flush=True,
            )
        median = {label: statistics.median(values) for label, values in runs.items()}

        order = "cp, cp + sync, export" if args.order == "cp-first" else "export, cp, cp + sync"
        print(
            f"\nworkers: {args.processes} processes x {args.threads} threads on {os.cpu_count()} cores; "
            f"{args.rounds} rounds, each in the order {order}, each to new folders;\nall read the same "
            "files, warm in the page cache from the import, with a `sync` before each. Medians:"
        )
        mb = size / 1e6
        print(f"\n{'':<28}{'files':>6}{'MB':>9}{'seconds':>9}{'files/s':>10}{'MB/s':>9}{'ms/file':>10}")
        for label in (CP, CP_SYNC, CLI, WORKER, COPIES):
            t = median[label]
            print(f"{label:<28}{n:>6}{mb:>9.1f}{t:>9.3f}{n / t:>10.1f}{mb / t:>9.1f}{t * 1000 / n:>10.2f}")
        print()
        for name, base in (("export/cp", median[CP]), ("export/(cp+sync)", median[CP_SYNC])):
            print(
                f"{'ratio (time) ' + name + ':':<32}{median[CLI] / base:7.1f}x CLI {median[WORKER] / base:7.1f}x "
                f"worker {median[COPIES] / base:7.1f}x copies only"
            )
        print(
            "(CLI: Python start-up and a 0.5 s progress poll included; worker: exports.started_at ->\n"
            " finished_at, planning + copies + manifest; copies only: first to last item finished, x n/(n-1))"
        )
        if problems:
            print("NOT verified: " + "; ".join(problems))
            raise SystemExit(1)
        print(
            f"verified: {args.rounds} exports, each done with {n} files in DEST, 0 failed, "
            f"{same_second} same-second names, no .mediaparser-* temp files left"
        )
    finally:
        if worker is not None:
            stop_worker(worker)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
