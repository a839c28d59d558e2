"""Export throughput: N unique real camera files (the corpus JPEGs, the iPhone HEIC and a few short
ffmpeg videos, each given its own capture time) imported through the real CLI and real worker
processes, then exported with `mediaparser export DEST --include-review --wait`, against a plain
`cp -r` of the same files, and `cp -r` followed by `sync`, in the same run.

    .venv/bin/python -m bench.export [--files 300] [--videos 6] [--large 0] [--processes 2] [--threads 1]
                                     [--order cp-first|export-first] [--keep]

The export writes each file to a temp name with fsync, reads it back for its SHA-256, runs one
exiftool write into it, sets its time, fsyncs, hashes it again and links it into place; `cp` does
none of that, `cp` + `sync` at least puts the bytes on disk. The page cache cannot be dropped here,
so every contender reads the same warm files (the import has just read them all), and a `sync`
before each timed run keeps one from paying for another's dirty pages. The order is printed.

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
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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
DATE_TAGS = ("DateTimeOriginal", "CreateDate", "ModifyDate")


@dataclass(frozen=True)
class Timing:
    label: str
    files: int
    size: int
    seconds: float

    def row(self) -> str:
        mb = self.size / 1e6
        return (
            f"{self.label:<28}{self.files:>6}{mb:>9.1f}{self.seconds:>9.2f}"
            f"{self.files / self.seconds:>10.1f}{mb / self.seconds:>9.1f}{self.seconds * 1000 / self.files:>10.2f}"
        )


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
    subprocess.run(
        ["exiftool", "-q", "-q", "-overwrite_original", "-r", f"-csv={table}", str(root)],
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


def timed(command: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - started


def time_cp(source: Path, target: Path, then_sync: bool) -> float:
    subprocess.run(["sync"], check=True)  # nobody else's dirty pages in this measurement
    started = time.perf_counter()
    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
    if then_sync:
        subprocess.run(["sync"], check=True)
    return time.perf_counter() - started


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def count_files(folder: Path) -> tuple[int, list[Path]]:
    """Regular files under folder (manifest.* aside), and any export temp files left."""
    count, temps = 0, []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.name.startswith(".mediaparser-") or path.name.endswith("_exiftool_tmp"):
            temps.append(path)
        elif not (path.parent == folder and path.name.startswith("manifest.")):
            count += 1
    return count, temps


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
        "--order",
        choices=["cp-first", "export-first"],
        default="cp-first",
        help="cp and cp+sync before the export (default) or after it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and print where it is")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-export-", dir=os.environ.get("TMPDIR")))
    root, data, scratch = tmp / "photos", tmp / "data", tmp / "scratch"
    dest, cp_plain, cp_synced = tmp / "export", tmp / "cp-plain", tmp / "cp-sync"
    scratch.mkdir()
    env = {
        **os.environ,
        "MEDIAPARSER_DATA_DIR": str(data),
        "MEDIAPARSER_TIMEZONE": "Europe/Berlin",
        "MEDIAPARSER_EXPORT_DIR": str(dest),
        "MEDIAPARSER_LOG_LEVEL": "WARNING",
    }
    db, broker = data / "mediaparser.sqlite3", data / "broker.sqlite3"
    worker = None
    try:
        t0 = time.perf_counter()
        paths = build_tree(root, scratch, args.files, args.videos, args.large)
        n, size = len(paths), sum(p.stat().st_size for p in paths)
        kinds: dict[str, int] = {}
        for path in paths:
            kinds[path.suffix.lower().lstrip(".")] = kinds.get(path.suffix.lower().lstrip("."), 0) + 1
        print(
            f"source: {n} files ({', '.join(f'{c} {k}' for k, c in sorted(kinds.items()))}), "
            f"{size / 1e6:.1f} MB, from {len(corpus_sources())} corpus files, built in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )

        worker = subprocess.Popen(worker_command(args.processes, args.threads), cwd=REPO, env=env)
        while len(query(db, "SELECT pid FROM workers")) < args.processes:
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited with {worker.returncode}")
            time.sleep(0.1)
        quiet = {"cwd": REPO, "env": env, "stdout": subprocess.DEVNULL}
        elapsed = timed([sys.executable, "-m", "mediaparser", "import", str(root), "--wait"], **quiet)
        [job] = query(db, "SELECT * FROM imports ORDER BY id DESC LIMIT 1")
        print(
            f"import: {job['files_done']} analysed, {job['files_error']} errors in {elapsed:.1f} s "
            f"({n / elapsed:.1f} files/s), state {job['state']}",
            flush=True,
        )
        if job["state"] != "done" or job["files_done"] != n or job["files_error"]:
            raise SystemExit("the import did not analyse every file; nothing to compare")
        wait_idle(broker)

        def run_cp() -> tuple[float, float]:
            return time_cp(root, cp_plain, then_sync=False), time_cp(root, cp_synced, then_sync=True)

        def run_export() -> float:
            subprocess.run(["sync"], check=True)
            command = [sys.executable, "-m", "mediaparser", "export", str(dest), "--include-review", "--wait"]
            return timed(command, **quiet)

        if args.order == "cp-first":
            cp_s, cp_sync_s = run_cp()
            export_s = run_export()
        else:
            export_s = run_export()
            cp_s, cp_sync_s = run_cp()

        [export] = query(db, "SELECT * FROM exports ORDER BY id DESC LIMIT 1")
        worker_s = seconds_between(export["started_at"], export["finished_at"])
        [items] = query(
            db,
            "SELECT min(finished_at) AS first, max(finished_at) AS last FROM export_items WHERE export_id = ?",
            (export["id"],),
        )
        # n - 1 gaps between the first and the last copy finishing: the copies alone, planning aside.
        copies_s = seconds_between(items["first"], items["last"]) * n / max(n - 1, 1)

        in_dest, temps = count_files(dest)
        in_cp, _ = count_files(cp_plain)
        problems = []
        if export["state"] != "done" or export["files_done"] != n or export["files_error"]:
            problems.append(
                f"export #{export['id']} {export['state']}: {export['files_done']}/{export['files_total']} "
                f"files, {export['files_error']} failed {export['error'] or ''}".strip()
            )
        if in_dest != n:
            problems.append(f"{in_dest} files in {dest}, expected {n}")
        if temps:
            problems.append(f"{len(temps)} temp files left, e.g. {temps[0]}")
        if in_cp != n:
            problems.append(f"{in_cp} files in the cp copy, expected {n}")

        order = "cp, cp+sync, export" if args.order == "cp-first" else "export, cp, cp+sync"
        print(
            f"workers: {args.processes} processes x {args.threads} threads on {os.cpu_count()} cores; "
            f"order: {order} (all read the same files, warm in the page cache from the import; "
            "`sync` before each)"
        )
        timings = [
            Timing("cp -r", n, size, cp_s),
            Timing("cp -r + sync", n, size, cp_sync_s),
            Timing("export, CLI start to end", n, size, export_s),
            Timing("export, worker (db times)", n, size, worker_s),
            Timing("export, copies only", n, size, copies_s),
        ]
        print()
        print(f"{'':<28}{'files':>6}{'MB':>9}{'seconds':>9}{'files/s':>10}{'MB/s':>9}{'ms/file':>10}")
        for timing in timings:
            print(timing.row())
        print()
        print(
            f"ratio (time) export/cp:        {export_s / cp_s:7.1f}x CLI, {worker_s / cp_s:7.1f}x worker, "
            f"{copies_s / cp_s:7.1f}x copies only"
        )
        print(
            f"ratio (time) export/(cp+sync): {export_s / cp_sync_s:7.1f}x CLI, {worker_s / cp_sync_s:7.1f}x worker, "
            f"{copies_s / cp_sync_s:7.1f}x copies only"
        )
        print(
            "(worker: exports.started_at -> finished_at, planning + copies + manifest; copies only: "
            "first to last export_items.finished_at, scaled by n/(n-1))"
        )
        if problems:
            print("NOT verified: " + "; ".join(problems))
            sys.exit(1)
        years = sum(1 for p in dest.iterdir() if p.is_dir())
        print(
            f"verified: {in_dest} files in {dest.name}/ ({years} year folders), export #{export['id']} done "
            f"with 0 failed, no .mediaparser-* temp files left"
        )
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
