"""One folder import holding every kind of hostile input beside a few good files, through the real
CLI and a real worker (real exiftool, ffmpeg, SQLite), then an export of the library.

For each hostile input: the file is skipped or in error with a readable reason, the import ends
'done', the good files are analysed as usual, and nothing outside the data dir and the export dir
was written (the tree around them is snapshotted before and after, byte for byte)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.conftest import HostileApp, changes, snapshot
from tests.hostile.tree import GOOD, ODD_NAMES, ODD_VIDEOS, Expected, build_hostile_tree
from tests.trees import make_video

GROWING = "growing/still-copying.mp4"
# The whole import, two 10 GiB sparse files included, on two shared cores.
IMPORT_BUDGET_S = 60


@dataclass
class Run:
    app: HostileApp
    base: Path
    root: Path
    outside: Path
    export: Path
    expected: Expected
    files: dict[str, dict]
    job: dict
    import_seconds: float
    around_import: list[str]
    around_export: list[str]
    export_files: list[Path]
    export_output: str


def appender(path: Path) -> subprocess.Popen:
    """Another program still writing the file while it is imported (a copy in progress)."""
    code = (
        "import sys, time\n"
        "with open(sys.argv[1], 'ab', buffering=0) as f:\n"
        "    while True:\n"
        "        f.write(b'\\0' * 512)\n"
        "        time.sleep(0.002)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code, str(path)])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("hostile")
    root, outside = base / "photos", base / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes((Path(__file__).parent / "tree.py").read_bytes()[:100])
    (outside / "decoy.txt").write_text("must stay as it is\n")
    expected = build_hostile_tree(root, outside)
    make_video(root / GROWING)
    app = HostileApp(base)
    try:
        yield imported_and_exported(app, base, expected)
    finally:
        app.stop()


def imported_and_exported(app: HostileApp, base: Path, expected: Expected) -> Run:
    root, export = base / "photos", base / "export"
    app.start_worker()
    writer = appender(root / GROWING)
    try:
        watched = {app.data, export, root / GROWING}
        before = snapshot(base, watched)
        started = time.monotonic()
        result = app.cli("import", str(root), "--wait", timeout=IMPORT_BUDGET_S * 3)
        import_seconds = time.monotonic() - started
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        writer.kill()
        writer.wait()
    after_import = snapshot(base, watched)
    exported = app.cli("export", str(export), "--include-review", "--wait", timeout=180)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    after_export = snapshot(base, watched)
    [job] = app.query("SELECT * FROM imports")
    return Run(
        app=app,
        base=base,
        root=root,
        outside=base / "outside",
        export=export,
        expected=expected,
        files=app.files(),
        job=dict(job),
        import_seconds=import_seconds,
        around_import=changes(before, after_import),
        around_export=changes(after_import, after_export),
        export_files=sorted(p for p in export.rglob("*") if p.is_file()),
        export_output=exported.stdout,
    )


def check(run: Run, paths: list[str]) -> None:
    """Each path has the expected status and a reason containing the expected fragment."""
    problems = []
    for path in paths:
        status, reason = run.expected[path]
        record = run.files.get(path)
        if record is None:
            problems.append(f"{path!r}: not recorded at all")
        elif record["status"] != status or reason.lower() not in (record["reason"] or "").lower():
            problems.append(
                f"{path!r}: {record['status']} ({record['reason']}), expected {status} ({reason})"
            )
    assert not problems, "\n".join(problems)


def under(run: Run, prefix: str) -> list[str]:
    return [p for p in run.expected if p.startswith(prefix)]


def test_the_import_completes_with_every_file_accounted_for(run: Run) -> None:
    assert run.job["state"] == "done", run.job
    assert set(run.expected) | {GROWING} == set(run.files), set(run.expected) ^ set(run.files)
    finished = (
        run.job["files_done"] + run.job["files_skipped"] + run.job["files_error"] + run.job["files_known"]
    )
    assert finished == run.job["files_total"] == len(run.files)
    assert run.import_seconds < IMPORT_BUDGET_S


def test_good_files_are_analysed_normally(run: Run) -> None:
    check(run, list(GOOD))
    for path, real_type in GOOD.items():
        record = run.files[path]
        assert record["type"] == real_type
        assert record["width"] and record["height"] and record["phash"] and len(record["sha256"]) == 64
    assert run.files["good/Canon_40D.jpg"]["taken"].startswith("2008-05-30T15:56:01")


def test_zero_byte_files_are_errors(run: Run) -> None:
    check(run, under(run, "zero/"))


def test_truncated_jpeg_heic_and_mp4_are_errors(run: Run) -> None:
    check(run, under(run, "truncated/"))
    assert (
        "truncated" in run.files["truncated/cut.mp4"]["reason"]
        or "cut short" in run.files["truncated/cut.mp4"]["reason"]
    )


def test_random_bytes_with_photo_extensions_are_errors(run: Run) -> None:
    check(run, under(run, "random/"))


def test_a_png_named_jpg_is_analysed_as_the_png_it_is(run: Run) -> None:
    check(run, ["wrong/really-a-png.jpg"])
    assert run.files["wrong/really-a-png.jpg"]["type"] == "png"
    assert (run.files["wrong/really-a-png.jpg"]["width"], run.files["wrong/really-a-png.jpg"]["height"]) == (
        40,
        30,
    )


def test_decompression_bombs_are_refused_without_decoding(run: Run) -> None:
    check(run, under(run, "bomb/"))
    assert "100000 x 100000" in run.files["bomb/huge.png"]["reason"]


def test_deeply_nested_folders(run: Run) -> None:
    check(run, under(run, "deep/") + [p for p in run.expected if p.startswith("nnnn")])


def test_long_unicode_newline_and_space_names_are_read_as_names(run: Run) -> None:
    odd = [p for p in ODD_NAMES if not p.split("/")[-1].startswith(("-", "#"))]
    check(run, odd + ["names/video\nline.mp4", "names/latin1-\\xe9t\\xe9.jpg"])
    for path in odd:
        assert run.files[path]["type"] == "jpeg" and run.files[path]["width"], path


def test_names_starting_with_a_dash_are_never_options(run: Run) -> None:
    dashed = [p for p in ODD_NAMES + ODD_VIDEOS if p.split("/")[-1].startswith(("-", "#")) or "/-" in p]
    check(run, dashed)
    assert run.files["names/-i.mp4"]["duration"], run.files["names/-i.mp4"]
    # exiftool read the file, not "-ver": its tags are those of the JPEG that is there.
    assert run.app.query(
        "SELECT 1 FROM file_metadata m JOIN files f ON f.id = m.file_id WHERE f.rel_path = ?"
        " AND m.tags LIKE '%JFIF%'",
        "names/-ver.jpg",
    )


def test_symlink_loops_and_links_out_of_the_tree_are_skipped(run: Run) -> None:
    check(run, under(run, "links/"))
    assert not [p for p in run.files if p.startswith("links/up/")], "a link to the parent was walked"


def test_a_named_pipe_with_a_photo_name_is_skipped_without_blocking(run: Run) -> None:
    check(run, ["special/pipe.jpg"])


def test_ten_gigabyte_sparse_files_are_refused_at_a_bounded_cost(run: Run) -> None:
    check(run, under(run, "sparse/"))
    assert run.files["sparse/zeros.jpg"]["sha256"] is None, "10 GiB of zeros were hashed"


def test_a_takeout_json_that_is_not_json(run: Run) -> None:
    check(run, under(run, "takeout/"))
    assert "IMG_20190704_183045.jpg.json" in run.files["takeout/IMG_20190704_183045.jpg"]["reason"]


def test_a_file_that_changes_while_being_read_is_an_error_to_redo(run: Run) -> None:
    record = run.files[GROWING]
    assert record["status"] == "error", record
    assert "changed while it was being" in record["reason"] and "next import" in record["reason"]


def test_nothing_outside_the_data_dir_is_written_by_the_import(run: Run) -> None:
    assert run.around_import == []
    assert (run.outside / "decoy.txt").read_text() == "must stay as it is\n"


def test_the_export_writes_only_into_the_export_dir(run: Run) -> None:
    assert run.around_export == []
    assert run.export_files, run.export_output
    for path in run.export_files:
        assert path.resolve().is_relative_to(run.export.resolve())
    names = [p.name for p in run.export_files]
    assert not [n for n in names if n.startswith(".mediaparser-") or n.endswith("_exiftool_tmp")], names
