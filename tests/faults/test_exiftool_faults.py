"""exiftool hanging on one file, or dying on another, in the middle of a real import.

The worker finds `exiftool` first on a PATH whose `exiftool` is the real one started with a
-config file; that config defines a composite tag whose Perl code sleeps for an hour when the file
is named hang-here*, and kills exiftool itself (SIGKILL, as a crash would) on crash-here*. Every
other file is read by the same real exiftool as usual. The worker gives up on a call after 3 s
(tests/hostile/short_exiftool_timeout.py), kills that exiftool and starts another."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from tests.hostile.conftest import HostileApp
from tests.polling import wait_for
from tests.trees import corpus

FAULTS_CONFIG = """%Image::ExifTool::UserDefined = (
    'Image::ExifTool::Composite' => {
        MediaParserFault => {
            Require => 'FileName',
            ValueConv => q{
                sleep 3600 if $val =~ /^hang-here/;
                kill 'KILL', $$ if $val =~ /^crash-here/;
                return undef;
            },
        },
    },
);
1;
"""
GOOD = ["Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg", "Olympus_C8080WZ.jpg"]
BUDGET_S = 60  # two 3 s timeouts (the batch, then the file alone) and a crash, with room to spare


def faulty_exiftool(folder: Path) -> Path:
    """A folder to put first on PATH, holding an `exiftool` that runs the real one with the config."""
    folder.mkdir(parents=True)
    config = folder / "faults.config"
    config.write_text(FAULTS_CONFIG)
    real = shutil.which("exiftool")
    script = folder / "exiftool"
    script.write_text(f'#!/bin/sh\nexec "{real}" -config "{config}" "$@"\n')
    script.chmod(0o755)
    return folder


def exiftools_with(config_folder: Path) -> list[int]:
    """Pids of running exiftool processes started through the faulty wrapper."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if str(config_folder).encode() in cmdline:
                pids.append(int(entry))
    return pids


def test_an_exiftool_that_hangs_or_dies_costs_only_its_file(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in GOOD:
        shutil.copyfile(corpus(f"jpg/{name}"), photos / name)
    shutil.copyfile(corpus("jpg/Fujifilm_FinePix_E500.jpg"), photos / "hang-here.jpg")
    shutil.copyfile(corpus("jpg/Canon_40D.jpg"), photos / "crash-here.jpg")
    wrapper = faulty_exiftool(tmp_path / "bin")
    app = HostileApp(tmp_path, modules=("tests.hostile.short_exiftool_timeout",))
    app.env["PATH"] = f"{wrapper}{os.pathsep}{app.env['PATH']}"
    try:
        app.start_worker(processes=1, threads=1)
        started = time.monotonic()
        result = app.cli("import", str(photos), "--wait", timeout=BUDGET_S * 3)
        seconds = time.monotonic() - started
        assert result.returncode == 0, result.stdout + result.stderr
        files = app.files()
        [job] = app.query("SELECT state FROM imports")
        lingering = exiftools_with(wrapper)
    finally:
        app.stop()

    assert job["state"] == "done"
    assert seconds < BUDGET_S, seconds
    hung, crashed = files["hang-here.jpg"], files["crash-here.jpg"]
    assert hung["status"] == "error", hung
    assert "exiftool did not answer within 3 s" in hung["reason"], hung
    assert crashed["status"] == "error", crashed
    assert "exiftool stopped unexpectedly (it crashed)" in crashed["reason"], crashed
    for name in GOOD:
        assert files[name]["status"] == "processed" and files[name]["reason"] is None, files[name]
        assert files[name]["camera"], files[name]  # read by exiftool, not just decoded
    # The hung exiftool was killed, not left sleeping: at most the worker's one live exiftool remains,
    # and it goes with the worker (exiftool itself would wait on its closed stdin forever).
    assert len(lingering) <= 1, lingering
    wait_for(lambda: not exiftools_with(wrapper), timeout=10)
