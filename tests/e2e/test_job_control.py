"""Pause, resume and cancel against a real worker: what a person sees on the job page."""

from __future__ import annotations

import time

import pytest

from jobs.broker import setup_broker
from jobs.imports import cancel_import, pause_import, resume_import
from storage.db import connect
from storage.settings import Settings
from tests.polling import wait_for
from tests.trees import build_flat_tree


@pytest.fixture
def running_import(app, tmp_path):
    photos = tmp_path / "photos"
    build_flat_tree(photos, 400)
    app.start_worker(processes=2, threads=1)
    broker = setup_broker(Settings(data_dir=app.data))
    assert app.cli("import", str(photos)).returncode == 0
    wait_for(lambda: done(app) >= 20, interval=0.01)
    conn = connect(app.data / "mediaparser.sqlite3")
    yield conn
    conn.close()
    broker.close()


def done(app) -> int:
    return app.query("SELECT files_done FROM imports WHERE id = 1")[0][0]


def test_pause_stops_new_files_within_two_seconds_and_resume_finishes_the_job(app, running_import):
    assert pause_import(running_import, 1)
    time.sleep(2)  # the promise under test is "within two seconds": let them pass, then watch
    at_two_seconds = done(app)
    time.sleep(2)
    assert done(app) == at_two_seconds, "files kept being analysed after the pause"
    assert at_two_seconds < 400
    assert app.query("SELECT state FROM imports")[0][0] == "paused"

    assert resume_import(running_import, 1)
    wait_for(lambda: app.query("SELECT state FROM imports")[0][0] == "done", timeout=120)
    assert done(app) == 400
    assert app.query("SELECT count(*) FROM files WHERE status = 'processed'")[0][0] == 400


def test_cancel_stops_and_keeps_what_was_done(app, running_import):
    assert cancel_import(running_import, 1)
    time.sleep(2)
    kept = done(app)
    time.sleep(1)
    assert done(app) == kept < 400
    [job] = app.query("SELECT * FROM imports")
    assert job["state"] == "cancelled"
    processed = app.query("SELECT count(*) FROM files WHERE status = 'processed'")[0][0]
    pending = app.query("SELECT count(*) FROM files WHERE status = 'pending'")[0][0]
    assert processed == kept and processed + pending == 400, "analysed files stay; the rest stay listed"
