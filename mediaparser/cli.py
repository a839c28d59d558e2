"""`mediaparser serve | worker | doctor | import | export | files | redate`: one sub-command each."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from storage.settings import Settings, load_settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s",
        stream=sys.stderr,
    )


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import UnsafeSettings, create_app

    host, port = args.host or settings.host, args.port or settings.port
    settings = replace(settings, host=host, port=port)
    try:
        app = create_app(settings)
    except UnsafeSettings as error:
        print(f"MediaParser did not start: {error}", file=sys.stderr)
        return 2
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"MediaParser is running at http://{shown}:{port}/", flush=True)
    if host in ("0.0.0.0", "::"):
        print(
            "It accepts connections from your home network too: open http://<this machine's address>:"
            f"{port}/ on another device.",
            flush=True,
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
        server_header=False,
    )
    return 0


def cmd_password(settings: Settings, args: argparse.Namespace) -> int:
    import getpass

    from storage import credentials
    from storage.db import open_database

    conn = open_database(settings.database_path)
    try:
        if args.sign_out:
            count = credentials.end_all_sessions(conn)
            print(f"Signed out {count} browser(s).")
            return 0
        password = getpass.getpass("New password: ")
        problem = credentials.password_problem(password)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        if getpass.getpass("The same again: ") != password:
            print("The two passwords differ; nothing was changed.", file=sys.stderr)
            return 1
        credentials.set_password(conn, password)
    finally:
        conn.close()
    print("The password is changed; every browser must sign in again.")
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from jobs.worker import run_supervisor, run_worker_process

    if args.child:
        return run_worker_process(settings, args.threads, args.modules)
    return run_supervisor(settings, args.processes, args.threads, args.modules)


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    from jobs.doctor import run_checks

    results = run_checks(settings)
    width = max(len(check.name) for check in results)
    for check in results:
        mark = "ok  " if check.ok else "FAIL"
        print(f"{mark}  {check.name.ljust(width)}  {check.detail}")
        if not check.ok and check.fix:
            print(f"      {' ' * width}  -> {check.fix}")
    failed = [check.name for check in results if not check.ok]
    print(
        "\nAll good: MediaParser can run here."
        if not failed
        else f"\n{len(failed)} problem(s): {', '.join(failed)}."
    )
    return 1 if failed else 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from mediaparser.importing import run_import

    return run_import(settings, Path(args.path), wait=args.wait)


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from mediaparser.exporting import run_export

    return run_export(
        settings,
        args.dest,
        dry_run=args.dry_run,
        wait=args.wait,
        import_id=args.import_id,
        layout=args.layout,
        include_review=args.include_review,
    )


def cmd_files(settings: Settings, args: argparse.Namespace) -> int:
    from mediaparser.listing import print_files

    return print_files(settings, import_id=args.import_id, status=args.status, as_json=args.json)


def cmd_redate(settings: Settings, args: argparse.Namespace) -> int:
    from jobs.dating import redate_all
    from storage.db import open_database

    conn = open_database(settings.database_path)
    try:
        count = redate_all(conn, settings)
        needs = conn.execute(
            "SELECT count(*) FROM files WHERE status = 'processed' AND (confidence IN ('low', 'none') OR conflict)"
        ).fetchone()[0]
    finally:
        conn.close()
    print(f"Dated {count} files again from their stored evidence; {needs} need a person's review.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mediaparser",
        description="Organize a family's photos and videos into a correctly dated archive.",
        epilog="Configuration comes from MEDIAPARSER_* environment variables or a .env file; see the README.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app", description="Run the web app (uvicorn).")
    serve.add_argument(
        "--host", help="address to listen on (default 127.0.0.1; 0.0.0.0 for the home network)"
    )
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.set_defaults(func=cmd_serve)

    password = commands.add_parser(
        "password",
        help="choose a new password",
        description="Choose a new password for the web app (for when it is forgotten), which signs every "
        "browser out. Stored only as a slow hash.",
    )
    password.add_argument("--sign-out", action="store_true", help="only sign every browser out")
    password.set_defaults(func=cmd_password)

    cores = os.cpu_count() or 1
    worker = commands.add_parser(
        "worker",
        help="run background workers",
        description="Run the background workers that import, analyse and export. Stops cleanly on "
        "SIGTERM or Ctrl-C: in-flight work finishes or goes back to the queue.",
    )
    worker.add_argument(
        "--processes", type=int, default=cores, help=f"worker processes (default: one per core, {cores})"
    )
    # Analysis is CPU-bound Python that holds the GIL: measured, a second thread in one process
    # made imports slower (21.8 vs 23.1 files/s), a second process nearly doubled them (38.8).
    worker.add_argument("--threads", type=int, default=1, help="threads per process (default 1)")
    worker.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    worker.add_argument("modules", nargs="*", metavar="MODULE", help="extra modules with actors to load")
    worker.set_defaults(func=cmd_worker)

    doctor = commands.add_parser(
        "doctor",
        help="check this machine",
        description="Check exiftool, ffmpeg, the HEIC decoder, the data dir, the database and the broker.",
    )
    doctor.set_defaults(func=cmd_doctor)

    importing = commands.add_parser(
        "import",
        help="import a folder",
        description="Import every photo and video under PATH (any folder you "
        "can read). Originals are only read, never changed. A worker must be running to do the work.",
    )
    importing.add_argument("path", metavar="PATH", help="the folder to import")
    importing.add_argument("--wait", action="store_true", help="show progress and wait until the import ends")
    importing.set_defaults(func=cmd_import)

    export = commands.add_parser(
        "export",
        help="export organized copies",
        description="Copy every file that is not discarded into DEST as YYYY/YYYYMMDD_HHMMSS.ext, "
        "with the decided time and your tags written into the copies (never into the originals). "
        "Without DEST, the folder chosen in the settings (MEDIAPARSER_EXPORT_DIR by default).",
    )
    export.add_argument("dest", nargs="?", metavar="DEST", help="the folder to export to")
    export.add_argument(
        "--dry-run", action="store_true", help="show what would be written, write nothing (no worker needed)"
    )
    export.add_argument("--wait", action="store_true", help="show progress and wait until the export ends")
    export.add_argument("--import", dest="import_id", type=int, help="only the files of this import")
    export.add_argument("--layout", help="folder layout, e.g. YYYY/ (default) or YYYY/YYYY-MM/")
    export.add_argument(
        "--include-review",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also export files still waiting for date review (default: the saved setting, off)",
    )
    export.set_defaults(func=cmd_export)

    files = commands.add_parser(
        "files",
        help="list the library's files",
        description="List every file of the library with what analysis found.",
    )
    files.add_argument("--json", action="store_true", help="one JSON object per line (JSON Lines)")
    files.add_argument("--import", dest="import_id", type=int, help="only files of this import")
    files.add_argument(
        "--status", choices=["pending", "processed", "error", "skipped"], help="only this status"
    )
    files.set_defaults(func=cmd_files)

    redate = commands.add_parser(
        "redate",
        help="re-decide every file's date",
        description="Run the timestamp "
        "engine again over the stored evidence of the whole library (no file is re-read). "
        "Your own date decisions are kept.",
    )
    redate.set_defaults(func=cmd_redate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings)
    return args.func(settings, args)
