"""kill -9 of the whole worker process group, again and again, during a scan, an analysis, a
duplicate grouping and an export, then a restart: in the end everything is as if nothing had
happened. Compared with a control library built from the same folders by an undisturbed worker.

The kill moments come from a seeded RNG (printed; set MEDIAPARSER_FAULT_SEED to replay one run):
each round waits until the job is in its phase, then waits a random moment more and kills.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import dramatiq

from jobs.broker import send, setup_broker
from jobs.duplicate_actors import QUEUE as MAINTENANCE
from jobs.duplicate_actors import REGROUP_ACTOR
from jobs.review import set_dates, set_discarded
from storage.db import connect
from storage.settings import load_settings
from tests.faults.conftest import FaultApp, build_tree, groups, identity, integrity
from tests.polling import wait_for

TEMP_PREFIX = ".mediaparser-"
DECIDED = {"local": "2001-02-03T04:05:06", "offset": "+01:00", "zone": "Europe/Berlin", "precision": "second"}
PHOTOS = 30
HIDDEN = 2000


def seed() -> int:
    value = int(os.environ.get("MEDIAPARSER_FAULT_SEED") or random.randrange(1 << 30))
    print(f"fault seed: {value} (MEDIAPARSER_FAULT_SEED={value} replays it)")
    return value


def import_state(app: FaultApp, root: Path) -> dict | None:
    rows = app.query("SELECT * FROM imports WHERE root = ? ORDER BY id DESC LIMIT 1", str(root))
    return dict(rows[0]) if rows else None


def regroup_pending(app: FaultApp) -> bool:
    return bool(app.broker_query("SELECT 1 FROM messages WHERE queue = 'maintenance' AND state = 'ready'"))


def ask_regroup(app: FaultApp) -> None:
    """What the end of an import does: ask the workers to group the library again."""
    previous = dramatiq.get_broker()
    broker = setup_broker(load_settings(environ=app.env, env_file=Path("/nonexistent")))
    try:
        send(MAINTENANCE, REGROUP_ACTOR)
    finally:
        broker.close()
        dramatiq.set_broker(previous)


def settled(app: FaultApp) -> bool:
    states = {r[0] for r in app.query("SELECT state FROM imports UNION SELECT state FROM exports")}
    return states <= {"done"} and app.queue_empty()


def decide(app: FaultApp, root: Path) -> tuple[int, int]:
    """A person's decisions, through jobs.review: a typed date for one file, one file set aside."""
    names = {v: k for k, v in identity(app).items()}
    dated = names[(root.name, "day1/IMG_1_001.jpg")]
    aside = names[(root.name, "day2/IMG_1_002.jpg")]
    conn = connect(app.data / "mediaparser.sqlite3")
    try:
        settings = load_settings(environ=app.env, env_file=Path("/nonexistent"))
        set_dates(conn, settings, {dated: dict(DECIDED)}, "tester")
        set_discarded(conn, [aside], True, "tester")
    finally:
        conn.close()
    result = app.cli("redate")  # decides every date again; a person's decision must win
    assert result.returncode == 0, result.stderr
    return dated, aside


def control_library(tmp_path: Path, roots: list[Path]) -> FaultApp:
    app = FaultApp(tmp_path / "control")
    app.start_workers()
    for root in roots:
        result = app.cli("import", str(root), "--wait", timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        if root == roots[0]:
            decide(app, root)
    wait_for(lambda: settled(app), timeout=120)
    app.stop()
    return app


def test_kill_9_of_workers_in_every_phase_loses_and_repeats_nothing(fault_app: FaultApp, tmp_path: Path) -> None:
    rng = random.Random(seed())
    roots = [tmp_path / "A", tmp_path / "B"]
    build_tree(roots[0], 1, PHOTOS, hidden=HIDDEN)
    build_tree(roots[1], 2, PHOTOS, hidden=HIDDEN // 3)
    control = control_library(tmp_path, roots)

    app, dest = fault_app, tmp_path / "archive"
    kills: list[str] = []
    worker = app.start_workers()
    began = time.monotonic()

    def round_(phase: str, ready: Callable[[], object], jitter: float) -> None:
        nonlocal worker
        wait_for(ready, timeout=90, interval=0.002)
        time.sleep(rng.uniform(0, jitter))  # the random moment inside the phase
        app.kill_group(worker)
        kills.append(phase)
        worker = app.start_workers()

    def in_analysis(root: Path, at_least: int) -> Callable[[], object]:
        def ready() -> object:
            row = import_state(app, root)
            return row and (row["state"] == "done" or (row["state"] == "analysing" and row["files_done"] >= at_least))

        return ready

    def import_with_kills(root: Path, analysis_rounds: int) -> None:
        started = app.cli("import", str(root))
        assert started.returncode == 0, started.stderr
        round_("scan", lambda: (import_state(app, root) or {}).get("state") == "scanning", 0.02)
        for _ in range(analysis_rounds):
            row = import_state(app, root)
            round_("analysis", in_analysis(root, row["files_done"] + rng.randint(1, 6)), 0.3)
        wait_for(lambda: import_state(app, root)["state"] == "done", timeout=120)

    import_with_kills(roots[0], 3)
    dated, aside = decide(app, roots[0])
    decisions_before = app.query("SELECT id, kind, file_id, payload FROM decisions ORDER BY id")
    # A grouping of this library takes tens of milliseconds: kill at a random moment after asking
    # for one, and count the rounds where it had not finished (its message still unacknowledged).
    while kills.count("grouping") < 5:
        wait_for(lambda: app.queue_empty(), timeout=60)
        ask_regroup(app)
        time.sleep(rng.uniform(0, 0.08))
        pending = regroup_pending(app)
        app.kill_group(worker)
        kills.append("grouping" if pending else "after grouping")
        worker = app.start_workers()
    import_with_kills(roots[1], 4)

    started = app.cli("export", str(dest))
    assert started.returncode == 0, started.stderr
    for _ in range(6):
        done = (app.query("SELECT files_done FROM exports") or [{"files_done": 0}])[0]["files_done"]
        round_(
            "export",
            lambda done=done: app.query(
                "SELECT 1 FROM exports WHERE state = 'done' OR (state = 'copying' AND files_done >= ?)",
                done + rng.randint(1, 4),
            ),
            0.2,
        )
    wait_for(lambda: settled(app), timeout=180)
    print(f"settled {time.monotonic() - began:.1f} s after the first kill round")
    phases = Counter(kills)
    print("kill -9 rounds by phase:", dict(phases))
    assert len(kills) >= 20 and all(phases[p] for p in ("scan", "analysis", "grouping", "export"))

    assert integrity(app.data / "mediaparser.sqlite3") == "ok"
    # Every file once, with everything analysis stores, and exactly what the undisturbed run stored.
    files = app.query(
        "SELECT f.id, f.status, f.sha256, f.taken_local, f.claimed_by,"
        " (SELECT count(*) FROM evidence e WHERE e.file_id = f.id) AS evidence,"
        " (SELECT count(*) FROM hashes h WHERE h.file_id = f.id) AS hashes FROM files f"
    )
    control_names = identity(control)
    ctl = {control_names[r["id"]]: r for r in control.query(
        "SELECT f.id, f.status, f.sha256, (SELECT count(*) FROM evidence e WHERE e.file_id = f.id) AS evidence,"
        " (SELECT count(*) FROM hashes h WHERE h.file_id = f.id) AS hashes FROM files f"
    )}
    names = identity(app)
    assert len(files) == len(names) == len(ctl) == 2 * (PHOTOS + 9) + HIDDEN + HIDDEN // 3
    for row in files:
        twin = ctl[names[row["id"]]]
        assert (row["status"], row["sha256"], row["evidence"], row["hashes"]) == (
            twin["status"], twin["sha256"], twin["evidence"], twin["hashes"]
        ), names[row["id"]]
        assert row["claimed_by"] is None
        if row["status"] == "processed":
            assert row["sha256"] and row["hashes"] and row["taken_local"], names[row["id"]]
    for imp in app.query("SELECT * FROM imports"):
        assert imp["files_done"] + imp["files_error"] + imp["files_skipped"] + imp["files_known"] == imp["files_total"]
    assert groups(app) == groups(control) and groups(app)

    # The person's decisions survived every kill and still apply.
    assert app.query("SELECT id, kind, file_id, payload FROM decisions ORDER BY id") == decisions_before
    assert app.query("SELECT taken_local FROM files WHERE id = ?", dated)[0][0] == DECIDED["local"]
    assert app.query("SELECT discarded FROM files WHERE id = ?", aside)[0][0] == 1

    # Every export output exactly once, whole, matching its recorded hash; nothing half-written.
    items = app.query("SELECT file_id, dest_rel_path, sha256_out, state FROM export_items")
    assert {i["state"] for i in items} <= {"verified", "existing", "held"}
    placed = [i for i in items if i["state"] != "held"]
    outputs = sorted(
        str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file() and not p.name.startswith("manifest")
    )
    assert outputs == sorted({i["dest_rel_path"] for i in placed})
    for item in placed:
        assert hashlib.sha256((dest / item["dest_rel_path"]).read_bytes()).hexdigest() == item["sha256_out"]
    assert not [p for p in dest.rglob("*") if TEMP_PREFIX in p.name or p.name.endswith("_exiftool_tmp")]
    assert aside not in {i["file_id"] for i in items}
    assert "2001/20010203_040506.jpg" in outputs
    with open(dest / "manifest.csv", newline="", encoding="utf-8") as handle:
        manifest = [r["output_path"] for r in csv.DictReader(handle)]
    # One row per output file (identical originals share one copy).
    assert sorted(manifest) == outputs
