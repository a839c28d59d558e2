"""`mediaparser doctor` on this machine, and what it says when a tool is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage.db import latest_version

REPO = Path(__file__).resolve().parent.parent


def doctor(tmp_path: Path, path: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MEDIAPARSER_DATA_DIR": str(tmp_path / "data"), "PATH": path}
    return subprocess.run(
        [sys.executable, "-m", "mediaparser", "doctor"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_doctor_passes_on_a_set_up_machine_and_reports_versions(tmp_path):
    result = doctor(tmp_path, os.environ["PATH"])
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("exiftool", "ffmpeg", "HEIC decoder", "data dir", "database", "broker"):
        assert f"ok    {name}" in result.stdout
    assert f"schema v{latest_version()}, wal mode" in result.stdout
    assert "All good" in result.stdout


def test_doctor_fails_with_a_fix_when_exiftool_is_missing(tmp_path):
    # A PATH with python's folder only: exiftool and ffmpeg cannot be found.
    result = doctor(tmp_path, str(Path(sys.executable).parent))
    assert result.returncode == 1
    assert "FAIL  exiftool" in result.stdout
    assert "apt-get install libimage-exiftool-perl" in result.stdout
    assert "problem(s): exiftool, ffmpeg." in result.stdout
