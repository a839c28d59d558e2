"""The Procfile under honcho, as `scripts/start` runs it: web answers, a worker beats, stop is clean."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)
    except OSError:
        return None


def test_honcho_runs_web_and_worker_and_stops_them_cleanly(tmp_path):
    port = free_port()
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "MEDIAPARSER_DATA_DIR": str(tmp_path / "data"),
        "MEDIAPARSER_PORT": str(port),
        "MEDIAPARSER_HEARTBEAT_INTERVAL": "0.5",
        # This test is about the processes; sign-in is tested in tests/test_web_access.py.
        "MEDIAPARSER_AUTH": "off",
    }
    honcho = subprocess.Popen(
        [f"{bindir}/honcho", "start", "-f", "Procfile"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            health = get_json(f"http://127.0.0.1:{port}/api/health")
            if health and health["alive"] and len(health["workers"]) == (os.cpu_count() or 1):
                break
            time.sleep(0.2)
        assert health and health["alive"], f"no live worker seen: {health}"

        honcho.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output, _ = honcho.communicate(timeout=15)
        elapsed = time.monotonic() - started
    finally:
        if honcho.poll() is None:
            honcho.kill()
            honcho.wait()
    assert f"MediaParser is running at http://127.0.0.1:{port}/" in output
    assert elapsed < 5, f"took {elapsed:.1f} s: honcho would have SIGKILLed the workers\n{output}"
    assert "SIGKILL" not in output, output
    assert "Worker" in output and "stopped" in output
