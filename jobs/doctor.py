"""`mediaparser doctor`: is everything MediaParser needs present and working on this machine?"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from jobs.broker import describe, make_broker
from storage.atomic import atomic_write_bytes
from storage.datadir import ensure_data_dir, scratch_dir
from storage.db import latest_version, open_database, schema_version
from storage.settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def first_line(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=True)
    return (result.stdout or result.stderr).strip().splitlines()[0]


def check_exiftool(settings: Settings) -> Check:
    if not shutil.which("exiftool"):
        return Check("exiftool", False, "not found", "install it: apt-get install libimage-exiftool-perl")
    return Check("exiftool", True, f"version {first_line(['exiftool', '-ver'])}")


def check_ffmpeg(settings: Settings) -> Check:
    if not shutil.which("ffmpeg"):
        return Check("ffmpeg", False, "not found", "install it: apt-get install ffmpeg")
    return Check("ffmpeg", True, first_line(["ffmpeg", "-hide_banner", "-version"]))


def check_heic(settings: Settings) -> Check:
    try:
        import pi_heif

        pi_heif.register_heif_opener()
    except Exception as error:  # a broken wheel raises anything from ImportError to OSError
        return Check("HEIC decoder", False, f"pi-heif unusable: {error}", "reinstall: pip install pi-heif")
    return Check("HEIC decoder", True, f"pi-heif {pi_heif.__version__}, libheif {pi_heif.libheif_version()}")


def check_data_dir(settings: Settings) -> Check:
    try:
        ensure_data_dir(settings)
        probe = scratch_dir(settings.data_dir) / "doctor-probe"
        atomic_write_bytes(probe, b"ok")
        probe.unlink()
    except OSError as error:
        return Check(
            "data dir",
            False,
            f"{settings.data_dir}: {error.strerror or error}",
            "set MEDIAPARSER_DATA_DIR to a folder you can write to",
        )
    free = shutil.disk_usage(settings.data_dir).free / 2**30
    return Check("data dir", True, f"{settings.data_dir} writable, {free:.1f} GiB free")


def check_database(settings: Settings) -> Check:
    try:
        conn = open_database(settings.database_path)
        try:
            version = schema_version(conn)
            files = conn.execute("SELECT count(*) FROM files").fetchone()[0]
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            conn.close()
    except Exception as error:
        return Check("database", False, f"{settings.database_path}: {error}")
    ok = version == latest_version() and mode == "wal"
    return Check("database", ok, f"schema v{version}, {mode} mode, {files} files")


def check_broker(settings: Settings) -> Check:
    try:
        broker = make_broker(settings)
        stats = broker.stats() if hasattr(broker, "stats") else None
        ping = getattr(getattr(broker, "client", None), "ping", None)
        if ping:
            ping()
        broker.close()
    except Exception as error:
        return Check(
            "broker",
            False,
            f"{settings.broker_url or 'sqlite'}: {error}",
            "check MEDIAPARSER_BROKER_URL and that the server is running",
        )
    counts = ", ".join(f"{v} {k}" for k, v in stats.items()) if stats else "reachable"
    letters = broker.dead_letters(limit=5) if stats and stats["dead"] else []
    # Dead letters are work that failed for good; show the latest so nobody has to open the queue.
    details = "".join(f"\n  dead: {d['actor']}{tuple(d['args'])}: {last_line(d['reason'])}" for d in letters)
    return Check("broker", True, f"{describe(broker)}: {counts}{details}")


def last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1][:200] if lines else ""


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_exiftool,
    check_ffmpeg,
    check_heic,
    check_data_dir,
    check_database,
    check_broker,
)


def run_checks(settings: Settings) -> list[Check]:
    results = []
    for check in CHECKS:
        try:
            results.append(check(settings))
        except Exception as error:  # a check that crashes is a failed check, not a crashed doctor
            results.append(Check(check.__name__.removeprefix("check_"), False, str(error)))
    return results
