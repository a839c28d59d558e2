"""Import a generated tree with the real CLI, a real worker, real exiftool and ffmpeg."""

from __future__ import annotations

import json
import os
import signal

from tests.polling import wait_for
from tests.trees import build_flat_tree, build_mixed_tree


def files_by_path(app) -> dict[str, dict]:
    result = app.cli("files", "--json")
    assert result.returncode == 0, result.stderr
    return {record["path"]: record for record in map(json.loads, result.stdout.splitlines())}


def test_mixed_tree_is_analysed_with_a_readable_outcome_per_file(app, tmp_path):
    expected = build_mixed_tree(tmp_path / "photos", tmp_path / "elsewhere")
    app.start_worker()
    result = app.cli("import", str(tmp_path / "photos"), "--wait")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "done" in result.stdout

    files = files_by_path(app)
    assert set(files) == set(expected)
    for path, (status, reason) in expected.items():
        record = files[path]
        assert record["status"] == status, (path, record)
        assert reason.lower() in (record["reason"] or "").lower(), (path, record)
        if status == "processed":
            assert record["sha256"] and len(record["sha256"]) == 64
            assert record["width"] and record["height"], (path, record)
            assert record["phash"] and record["dhash"], (path, record)
    assert files["wrong/actually-png.jpg"]["type"] == "png"
    assert files["phone/IMG_5195.HEIC"]["type"] == "heic"
    assert files["videos/clip.mp4"]["type"] == "mp4"
    # Portrait photo stored with EXIF orientation 6 is reported as displayed: taller than wide.
    assert files["phone/portrait_6.jpg"]["height"] > files["phone/portrait_6.jpg"]["width"]

    # Evidence: every date tag kept with its group, once.
    rows = app.query(
        "SELECT e.source, e.local_time FROM evidence e JOIN files f ON f.id = e.file_id WHERE f.rel_path = ?",
        "2019/Summer 2019/Canon_40D.jpg",
    )
    sources = [r["source"] for r in rows]
    assert "EXIF:ExifIFD:DateTimeOriginal" in sources
    assert len(sources) == len(set(sources)), "evidence written twice"
    thumbs = app.query("SELECT thumb_path FROM files WHERE status = 'processed'")
    assert all((app.data / r["thumb_path"]).is_file() for r in thumbs)

    [job] = app.query("SELECT * FROM imports")
    assert job["state"] == "done"
    assert job["files_total"] == len(expected)
    finished = job["files_done"] + job["files_skipped"] + job["files_error"] + job["files_known"]
    assert finished == len(expected)


def test_reimporting_the_same_folder_adds_only_what_is_new(app, tmp_path):
    photos = tmp_path / "photos"
    build_flat_tree(photos, 12)
    app.start_worker()
    assert app.cli("import", str(photos), "--wait").returncode == 0
    (photos / "new.jpg").write_bytes((photos / "batch0/img_00000.jpg").read_bytes())  # same bytes, new path
    second = app.cli("import", str(photos), "--wait")
    assert second.returncode == 0, second.stdout
    assert "12 already known" in second.stdout
    assert "1 analysed" in second.stdout
    processed = app.query("SELECT rel_path FROM files WHERE status = 'processed'")
    assert len(processed) == 13, "a byte-identical copy at another path is its own file"

    # ...and the duplicate grouping after the import puts the two copies in one exact group.
    def processed_files() -> dict[str, dict]:
        result = app.cli("files", "--json", "--status", "processed")
        return {f["path"]: f for f in map(json.loads, result.stdout.splitlines())}

    files = wait_for(lambda: (f := processed_files())["new.jpg"]["exact_group"] and f)
    assert files["new.jpg"]["exact_group"] == files["batch0/img_00000.jpg"]["exact_group"] is not None
    assert sum(f["suggested_keeper"] for f in files.values() if f["exact_group"]) == 1


def test_worker_killed_mid_import_resumes_and_analyses_every_file_once(app, tmp_path):
    photos = tmp_path / "photos"
    names = build_flat_tree(photos, 300)
    app.start_worker(processes=2, threads=1)
    assert app.cli("import", str(photos)).returncode == 0
    wait_for(lambda: app.query("SELECT files_done FROM imports")[0][0] >= 40, timeout=60, interval=0.01)
    victim = sorted(app.worker_pids())[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: app.query("SELECT state FROM imports")[0][0] == "done", timeout=120)

    files = files_by_path(app)
    assert sorted(files) == sorted(names)
    assert all(f["status"] == "processed" for f in files.values())
    [job] = app.query("SELECT * FROM imports")
    assert job["files_done"] == 300, "counters count each file once"
    doubled = app.query(
        "SELECT file_id, count(*) c FROM evidence WHERE source LIKE 'File:%' GROUP BY file_id HAVING c > 1"
    )
    assert doubled == [], "a file's results were written twice"
