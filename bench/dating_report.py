"""How the timestamp engine does on the dating scenario suite (tests/scenarios.py): every scenario
built in a temporary folder, imported with the real CLI and a real worker, then compared with what a
careful person would answer.

    .venv/bin/python -m bench.dating_report [--processes 2] [--verbose]

Prints one row per scenario (scenario | expected | got | precision | confidence | ok), then the
three numbers the product promises: knowable files dated exactly (all of them), wrong times with
high confidence (none), unknowable files routed to review (all of them). Exits 1 when a promise
is broken, so it can gate a change.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jobs.worker import worker_command
from tests.scenarios import (
    DEFAULT_ZONE,
    REVIEW,
    Scenario,
    build_scenarios,
    describe,
    exact,
    problems,
    wrong_but_high,
)

REPO = Path(__file__).resolve().parent.parent


def import_scenarios(photos: Path, data: Path, processes: int) -> dict[str, dict[str, Any]]:
    """One real import of `photos`; returns `mediaparser files --json` by relative path."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MEDIAPARSER_DATA_DIR": str(data),
        "MEDIAPARSER_LOG_LEVEL": "WARNING",
        # Explicit, so the report does not depend on this machine's zone.
        "MEDIAPARSER_TIMEZONE": DEFAULT_ZONE,
    }
    worker = subprocess.Popen(worker_command(processes, 1), cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 60
        while len(worker_pids(data)) < processes:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the worker did not start")
            time.sleep(0.1)
        cli = [sys.executable, "-m", "mediaparser"]
        subprocess.run(
            [*cli, "import", str(photos), "--wait"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL
        )
        listing = subprocess.run(
            [*cli, "files", "--json"], cwd=REPO, env=env, check=True, capture_output=True, text=True
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    return {record["path"]: record for record in map(json.loads, listing.stdout.splitlines())}


def worker_pids(data: Path) -> list[int]:
    db = data / "mediaparser.sqlite3"
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return [row[0] for row in conn.execute("SELECT pid FROM workers")]
    except sqlite3.OperationalError:
        return []  # not migrated yet
    finally:
        conn.close()


def expected_text(scenario: Scenario) -> str:
    when = scenario.taken or "(unknown)"
    return f"{when} {scenario.offset or ''}".strip()


def got_text(record: dict[str, Any] | None) -> str:
    if record is None:
        return "(missing)"
    if record["status"] != "processed":
        return f"({record['status']})"
    return f"{record['taken'] or '-'} {record['offset'] or ''}".strip()


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def report(scenarios: list[Scenario], records: dict[str, dict[str, Any]], verbose: bool) -> int:
    rows = [["scenario", "expected", "got", "precision", "confidence", "ok"]]
    failing = []
    for scenario in scenarios:
        record = records.get(scenario.rel_path)
        found = problems(scenario, record)
        if found:
            failing.append((scenario, record, found))
        precision = (record or {}).get("precision") or "-"
        confidence = (record or {}).get("confidence") or "-"
        rows.append(
            [
                scenario.rel_path,
                expected_text(scenario),
                got_text(record),
                precision
                if precision == scenario.precision or not scenario.precision
                else f"{precision} (!)",
                f"{confidence} (want {scenario.confidence})",
                "ok" if not found else "NO",
            ]
        )
    print(table(rows))

    knowable = [s for s in scenarios if s.knowable]
    unknowable = [s for s in scenarios if not s.knowable]
    dated = sum(exact(s, records.get(s.rel_path)) for s in knowable)
    wrong_high = [s for s in scenarios if wrong_but_high(s, records.get(s.rel_path))]
    reviewed = sum((records.get(s.rel_path) or {}).get("confidence", "none") in REVIEW for s in unknowable)
    print()
    print(f"scenarios as expected:              {len(scenarios) - len(failing)}/{len(scenarios)}")
    print(f"knowable, exact local time:         {dated}/{len(knowable)}")
    print(f"wrong time with high confidence:    {len(wrong_high)} (must be 0)")
    print(f"unknowable, routed to review:       {reviewed}/{len(unknowable)}")
    if verbose and failing:
        print("\nwhat differs:")
        for scenario, record, found in failing:
            print("\n".join(["", *found, describe(scenario, record)]))
    broken = dated < len(knowable) or wrong_high or reviewed < len(unknowable)
    return 1 if broken else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="print each failing scenario with its reasons")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        photos, data = Path(tmp) / "photos", Path(tmp) / "data"
        scenarios = build_scenarios(photos)
        records = import_scenarios(photos, data, args.processes)
    sys.exit(report(scenarios, records, args.verbose))


if __name__ == "__main__":
    main()
