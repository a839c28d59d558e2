"""The load benchmark in its quick mode, so it cannot rot: real server, real workers, real clients.

Timing is for the benchmark itself (`python -m bench.load`); here it only has to run to the end and
measure every request class. Exit 1 means "ran, but a target was missed", which a shared,
busy test machine may well cause; 2 or a traceback means the benchmark itself is broken.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^(page|progress|decision)\s+(\d+)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s", re.MULTILINE)


def test_quick_load_run_measures_pages_progress_and_decisions():
    run = subprocess.run(
        [sys.executable, "-m", "bench.load", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode in (0, 1), output
    assert "Traceback" not in output, output
    rows = {m.group(1): m.groups()[1:] for m in ROW.finditer(run.stdout)}
    assert set(rows) == {"page", "progress", "decision"}, output
    for kind, (count, p50, p95, p99) in rows.items():
        assert int(count) > 0, f"no {kind} request was measured:\n{output}"
        assert 0 < float(p50) <= float(p95) <= float(p99), output
    assert re.search(r"idle [\d.]+ files/s .* under load [\d.]+ files/s; ratio load/idle [\d.]+", run.stdout), output
    assert re.search(r"import paused .*: page p50 [\d.]+ p95 [\d.]+ ms", run.stdout), output
    assert re.search(r"^(PASS|FAIL): ", run.stdout, re.MULTILINE), output
    # Everything it started is gone: the server and the worker supervisor it named have exited.
    pids = re.search(r"server pid (\d+) .* worker supervisor pid (\d+)", run.stdout)
    assert pids, output
    for pid in pids.groups():
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} is still running"
