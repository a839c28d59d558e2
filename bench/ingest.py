"""Import throughput: N realistic 12-megapixel JPEGs (with EXIF) plus some HEIC through the real
CLI and real worker processes, against exiftool alone reading the same files in the same run.

    .venv/bin/python -m bench.ingest [--files 1000] [--heic 20] [--processes 2] [--threads 2]

Prints files/s end to end, the exiftool-only rate and their ratio, and each worker's peak RSS.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import exiftool
import numpy as np
from PIL import Image

from jobs.worker import worker_command

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "real"


def twelve_megapixel_jpeg() -> bytes:
    """A camera-like 4000x3000 JPEG: a real photo scaled up, with sensor-like noise and its EXIF."""
    source = Image.open(CORPUS / "jpg" / "Canon_40D.jpg")
    exif = source.getexif()
    big = source.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(1).integers(-6, 7, (3000, 4000, 3), dtype=np.int16)
    pixels = np.clip(np.asarray(big, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a unique COM segment, so every file has its own SHA-256."""
    payload = text.encode()
    segment = b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + segment + jpeg[2:]


def build_tree(root: Path, files: int, heic: int, distinct: int | None = None) -> list[Path]:
    base = twelve_megapixel_jpeg()
    paths = []
    for n in range(files):
        path = root / f"DCIM/{n // 250:03d}CANON/IMG_{n:05d}.JPG"
        path.parent.mkdir(parents=True, exist_ok=True)
        if distinct and n >= distinct:
            os.link(paths[n % distinct], path)
        else:
            path.write_bytes(with_comment(base, f"bench {n}"))
        paths.append(path)
    for n in range(heic):
        path = root / f"iPhone/IMG_{n:04d}.HEIC"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / "heic" / "IMG_5195.HEIC", path)
        paths.append(path)
    return paths


def exiftool_rate(paths: list[Path]) -> float:
    started = time.perf_counter()
    with exiftool.ExifToolHelper(common_args=["-G0:1", "-a", "-n", "-j"]) as tool:
        for start in range(0, len(paths), 8):
            tool.execute_json(*map(str, paths[start : start + 8]))
    return len(paths) / (time.perf_counter() - started)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_import(
    root: Path, data: Path, processes: int, threads: int
) -> tuple[float, list[float], sqlite3.Row]:
    env = {**os.environ, "MEDIAPARSER_DATA_DIR": str(data), "MEDIAPARSER_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen(
        worker_command(processes, threads),
        cwd=REPO,
        env=env,
    )
    db = data / "mediaparser.sqlite3"
    try:
        while not db.exists() or len(query(db, "SELECT pid FROM workers")) < processes:
            time.sleep(0.1)
        pids = [r[0] for r in query(db, "SELECT pid FROM workers")]
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "mediaparser", "import", str(root), "--wait"],
            cwd=REPO,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - started
        rss = [peak_rss_mb(pid) for pid in pids]
        [job] = query(db, "SELECT * FROM imports ORDER BY id DESC LIMIT 1")
        return elapsed, rss, job
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def query(db: Path, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--heic", type=int, default=20)
    parser.add_argument(
        "--distinct",
        type=int,
        help="distinct JPEGs; the rest are hard links to them, so "
        "a 20,000-file memory run needs no 30 GB of disk (default: all distinct)",
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        root, data = Path(tmp) / "photos", Path(tmp) / "data"
        t0 = time.perf_counter()
        paths = build_tree(root, args.files, args.heic, args.distinct)
        print(
            f"generated {len(paths)} files ({sum(p.stat().st_size for p in paths) / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - t0:.0f} s"
        )
        baseline = exiftool_rate(paths)
        elapsed, rss, job = run_import(root, data, args.processes, args.threads)
    rate = len(paths) / elapsed
    print(f"workers: {args.processes} processes x {args.threads} threads")
    print(
        f"import end to end:   {rate:7.1f} files/s ({elapsed:.1f} s, state {job['state']}, "
        f"{job['files_done']} analysed, {job['files_error']} errors)"
    )
    print(f"exiftool alone:      {baseline:7.1f} files/s (one persistent process, batches of 8)")
    print(f"ratio import/exiftool: {rate / baseline:5.2f}")
    print(f"worker peak RSS:     {', '.join(f'{mb:.0f} MB' for mb in rss)}")


if __name__ == "__main__":
    main()
