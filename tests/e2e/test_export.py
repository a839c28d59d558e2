"""Export end to end: a real import by a real worker, then `mediaparser export` into a folder, the
copies read back with the real exiftool, a re-run, a kill -9 in the middle, and a destination
that fills up. The originals' bytes and times are checked unchanged after everything."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from jobs.worker import worker_command
from tests.e2e.conftest import REPO, App
from tests.polling import wait_for
from tests.scenarios import DEFAULT_ZONE, photo, png, video
from tests.trees import corpus, make_video

TEMP_PREFIX = ".mediaparser-"


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under root: its SHA-256 and mtime in ns."""
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def read_back(path: Path) -> dict:
    out = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", "-n", str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)[0]


def import_and_wait(app: App, root: Path) -> None:
    result = app.cli("import", str(root), "--wait", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def export(app: App, dest: Path, *args: str) -> subprocess.CompletedProcess:
    return app.cli("export", str(dest), *args, timeout=300)


def build_mixed(root: Path) -> None:
    (root / "Holiday Rome").mkdir(parents=True)
    photo("-DateTimeOriginal=2019:07:14 15:03:09", "-OffsetTimeOriginal=+02:00")(root / "Holiday Rome/IMG_1000.jpg")
    # Two frames of one second, the later one first by name: sub-seconds decide the order.
    photo("-DateTimeOriginal=2019:07:14 15:03:10", "-OffsetTimeOriginal=+02:00", "-SubSecTimeOriginal=80")(
        root / "Holiday Rome/IMG_1001.jpg"
    )
    photo("-DateTimeOriginal=2019:07:14 15:03:10", "-OffsetTimeOriginal=+02:00", "-SubSecTimeOriginal=20")(
        root / "Holiday Rome/IMG_1002.jpg"
    )
    (root / "phone").mkdir()
    shutil.copyfile(corpus("heic/IMG_5195.HEIC"), root / "phone/IMG_5195.HEIC")
    (root / "names").mkdir()
    png()(root / "names/Screenshot_20190713-183045.png")
    png()(root / "names/Screenshot_20190716-101010.jpg")  # a PNG under a .jpg name
    (root / "videos").mkdir()
    keys = ("-QuickTime:CreateDate=2019:07:26 16:30:45", "-QuickTime:MediaCreateDate=2019:07:26 16:30:45",
            "-Keys:CreationDate=2019:07:27 01:30:45+09:00", "-Make=Apple", "-Model=iPhone 8")
    video(*keys)(root / "videos/clip.mp4")
    video(*keys[:2], "-Keys:CreationDate=2019:07:27 01:30:46+09:00")(root / "videos/clip.mov")
    make_video(root / "videos/VID_20190801_101010.avi")  # exiftool cannot write AVI: named and timed only
    (root / "unsure").mkdir()
    photo()(root / "unsure/IMG-20190715-WA0001.jpg")  # the day only: waits for date review


@pytest.fixture
def app_berlin(app: App) -> App:
    app.env["MEDIAPARSER_TIMEZONE"] = DEFAULT_ZONE
    return app


def test_export_writes_verified_dated_tagged_copies_and_a_rerun_adds_nothing(app_berlin: App, tmp_path: Path) -> None:
    app = app_berlin
    root, dest = tmp_path / "photos", tmp_path / "archive"
    build_mixed(root)
    originals = snapshot(root)
    app.start_worker(processes=1, threads=2)
    import_and_wait(app, root)

    dry = export(app, dest, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nothing was written" in dry.stdout and "1 held back for date review" in dry.stdout
    assert not dest.exists() or not any(dest.iterdir())

    run = export(app, dest, "--wait")
    assert run.returncode == 0, run.stdout + run.stderr
    written = snapshot(dest)
    names = {n for n in written if not n.startswith("manifest")}
    assert names == {
        "2019/20190714_150309.jpg",
        "2019/20190714_150310.jpg",
        "2019/20190714_150310_1.jpg",
        "2021/20210411_154753.heic",
        "2019/20190713_183045.png",
        "2019/20190716_101010.png",
        "2019/20190727_013045.mp4",
        "2019/20190727_013046.mov",
        "2019/20190801_101010.avi",
    }
    # The frame with sub-seconds .20 comes first.
    assert read_back(dest / "2019/20190714_150310.jpg")["ExifIFD:SubSecTimeOriginal"] == 20

    jpeg = read_back(dest / "2019/20190714_150309.jpg")
    assert jpeg["ExifIFD:DateTimeOriginal"] == "2019:07:14 15:03:09"
    assert jpeg["ExifIFD:OffsetTimeOriginal"] == "+02:00"
    assert "Holiday Rome" in str(jpeg["IPTC:Keywords"]) and "Holiday Rome" in str(jpeg["XMP-dc:Subject"])
    heic = read_back(dest / "2021/20210411_154753.heic")
    assert heic["ExifIFD:DateTimeOriginal"] == "2021:04:11 15:47:53"
    assert heic["ExifIFD:OffsetTimeOriginal"] == "-05:00"
    screenshot = read_back(dest / "2019/20190713_183045.png")
    assert "2019:07:13 18:30:45" in json.dumps(screenshot)
    for name, local in (("2019/20190727_013045.mp4", "01:30:45"), ("2019/20190727_013046.mov", "01:30:46")):
        movie = read_back(dest / name)
        assert movie["Keys:CreationDate"] == f"2019:07:27 {local}+09:00"
        assert movie["QuickTime:CreateDate"] == f"2019:07:26 16:30:{local[-2:]}"  # UTC
        assert movie["Track1:MediaCreateDate"] == f"2019:07:26 16:30:{local[-2:]}"
        assert movie["QuickTime:Duration"] > 0
    # File times are the capture instants.
    taken = datetime(2019, 7, 14, 13, 3, 9, tzinfo=UTC).timestamp()
    assert (dest / "2019/20190714_150309.jpg").stat().st_mtime == pytest.approx(taken)
    avi_taken = datetime(2019, 8, 1, 8, 10, 10, tzinfo=UTC).timestamp()  # 10:10:10 in Berlin
    assert (dest / "2019/20190801_101010.avi").stat().st_mtime == pytest.approx(avi_taken)

    with open(dest / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 9 and {r["output_path"] for r in rows} == names
    row = next(r for r in rows if r["output_path"] == "2019/20190714_150309.jpg")
    assert row["source_path"].endswith("Holiday Rome/IMG_1000.jpg") and row["offset"] == "+02:00"
    assert row["sha256_output"] == written["2019/20190714_150309.jpg"][0]
    assert "EXIF:DateTimeOriginal" in row["written"] and row["tags"] == "Holiday Rome"
    avi = next(r for r in rows if r["output_path"].endswith(".avi"))
    assert avi["written"].startswith("not written: exiftool cannot write AVI files")
    assert len((dest / "manifest.jsonl").read_text().splitlines()) == 9

    again = export(app, dest, "--wait")
    assert again.returncode == 0, again.stdout + again.stderr
    assert snapshot(dest) == written  # nothing new, nothing rewritten, manifest untouched
    assert "9 of 9 files in place" in again.stdout
    assert snapshot(root) == originals


def noise_jpeg(target: Path, when: datetime, seed: int) -> None:
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (900, 700), rng.randbytes(900 * 700 * 3))
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: when.strftime("%Y:%m:%d %H:%M:%S"), 0x9011: "+02:00"})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    target.write_bytes(buffer.getvalue())
    os.utime(target, (when.timestamp(), when.timestamp()))


def build_many(root: Path, count: int) -> None:
    root.mkdir(parents=True)
    for index in range(count):
        noise_jpeg(root / f"IMG_{index:04d}.jpg", datetime(2020, 5, 1, 10, index // 60, index % 60), index)


def outputs(dest: Path) -> list[Path]:
    return [p for p in dest.rglob("*") if p.is_file() and not p.name.startswith("manifest")]


def kill_workers(app: App) -> None:
    for pid in app.worker_pids():
        os.kill(pid, signal.SIGKILL)
    for proc in app.procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kill_9_mid_export_then_resume_gives_every_file_once_verified(app_berlin: App, tmp_path: Path) -> None:
    app = app_berlin
    root, dest = tmp_path / "photos", tmp_path / "archive"
    build_many(root, 60)
    originals = snapshot(root)
    app.start_worker(processes=1, threads=1)
    import_and_wait(app, root)
    started = export(app, dest)
    assert started.returncode == 0, started.stderr
    wait_for(lambda: app.query("SELECT files_done FROM exports")[0][0] >= 3, timeout=60, interval=0.01)
    kill_workers(app)
    assert app.query("SELECT files_done FROM exports")[0][0] < 60, "the export ended before the kill"

    app.start_worker(processes=1, threads=1)
    wait_for(lambda: app.query("SELECT state FROM exports")[0][0] == "done", timeout=120)
    items = app.query("SELECT dest_rel_path, sha256_out, state FROM export_items")
    assert {i["state"] for i in items} == {"verified"} and len(items) == 60
    files = outputs(dest)
    assert sorted(str(p.relative_to(dest)) for p in files) == sorted(i["dest_rel_path"] for i in items)
    assert not [p for p in dest.rglob(TEMP_PREFIX + "*")]
    hashes = {i["dest_rel_path"]: i["sha256_out"] for i in items}
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashes[str(path.relative_to(dest))]
    with open(dest / "manifest.csv", newline="", encoding="utf-8") as handle:
        sources = [r["source_path"] for r in csv.DictReader(handle)]
    assert len(sources) == len(set(sources)) == 60
    assert snapshot(root) == originals


def can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


RESUMER = """import sys
from pathlib import Path
from jobs.broker import setup_broker
from jobs.exports import resume_export
from storage.db import connect
from storage.settings import Settings
setup_broker(Settings(data_dir=Path(sys.argv[1])))
print(resume_export(connect(Path(sys.argv[1]) / "mediaparser.sqlite3"), int(sys.argv[2])))
"""


@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs unshare to mount a small tmpfs as the destination")
def test_a_destination_that_fills_up_fails_clearly_with_no_partial_file_then_resumes(
    app_berlin: App, tmp_path: Path
) -> None:
    app = app_berlin
    root, dest = tmp_path / "photos", tmp_path / "small"
    build_many(root, 40)
    originals = snapshot(root)
    dest.mkdir()
    # The worker runs in its own mount namespace where `dest` is a 24 MB tmpfs; the test reads that
    # view through /proc/PID/root.
    command = " ".join(f"'{part}'" for part in worker_command(1, 1))
    worker = subprocess.Popen(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64m tmpfs '{dest}' && exec {command}"],
        cwd=REPO,
        env=app.env,
    )
    app.procs.append(worker)
    wait_for(lambda: app.worker_pids())
    seen = Path(f"/proc/{worker.pid}/root") / dest.relative_to("/")
    wait_for(lambda: os.path.ismount(seen))
    # Other things fill the disk: 24 MB stay free, too little for the 25 MB of photos.
    filler = seen / "someone else's backup"
    filler.write_bytes(b"\0" * (shutil.disk_usage(seen).free - (24 << 20)))
    import_and_wait(app, root)
    run = export(app, dest, "--wait")
    assert run.returncode == 1
    assert "full" in run.stdout and "resume" in run.stdout
    row = app.query("SELECT state, error, files_done FROM exports")[0]
    assert row["state"] == "failed" and 0 < row["files_done"] < 40
    items = {i["dest_rel_path"]: i for i in app.query("SELECT * FROM export_items")}
    files = [p for p in outputs(seen) if p != filler]
    assert len(files) == row["files_done"]
    assert not [p for p in seen.rglob(TEMP_PREFIX + "*")]
    for path in files:
        item = items[str(path.relative_to(seen))]
        assert item["state"] == "verified"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item["sha256_out"]
    assert sum(1 for i in items.values() if i["state"] == "planned") == 40 - row["files_done"]
    assert snapshot(root) == originals

    # Room is made; resuming finishes the export: every photo once, verified, nothing half-written.
    filler.unlink()
    export_id = app.query("SELECT id FROM exports")[0]["id"]
    resumed = subprocess.run(
        [sys.executable, "-c", RESUMER, str(app.data), str(export_id)], env=app.env, cwd=REPO,
        capture_output=True, text=True, timeout=60,
    )
    assert resumed.stdout.strip() == "True", resumed.stderr
    wait_for(lambda: app.query("SELECT state FROM exports")[0]["state"] == "done", timeout=120)
    final = app.query("SELECT * FROM exports")[0]
    assert final["files_done"] == 40 and final["error"] is None
    files = outputs(seen)
    assert len(files) == 40
    assert not [p for p in seen.rglob(TEMP_PREFIX + "*")]
    items = {i["dest_rel_path"]: i for i in app.query("SELECT * FROM export_items")}
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == items[str(path.relative_to(seen))]["sha256_out"]
    assert snapshot(root) == originals
