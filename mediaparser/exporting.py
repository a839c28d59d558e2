"""`mediaparser export [DEST] [--dry-run] [--wait]`: plan or start an export, and follow it."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from typing import Any

from jobs.broker import setup_broker
from jobs.exports import (
    SAMPLE_SQL,
    BadDestination,
    check_destination,
    create_export,
    export_row,
    export_settings,
)
from jobs.heartbeat import live_workers
from jobs.naming import BadTemplate, check_template
from storage.datadir import ensure_data_dir
from storage.db import open_database
from storage.settings import Settings

ENDED = ("done", "cancelled", "failed")


def run_export(
    settings: Settings,
    dest: str | None,
    dry_run: bool,
    wait: bool,
    import_id: int | None = None,
    layout: str | None = None,
    include_review: bool | None = None,
) -> int:
    ensure_data_dir(settings)
    conn = open_database(settings.database_path)
    setup_broker(settings)
    chosen = export_settings(conn, settings)
    try:
        if dest:
            chosen = replace(chosen, dest=check_destination(dest, settings.data_dir))
        if layout is not None:
            chosen = replace(chosen, template=check_template(layout))
    except (BadDestination, BadTemplate) as refused:
        print(f"mediaparser export: {refused}", file=sys.stderr)
        return 2
    if include_review is not None:
        chosen = replace(chosen, include_review=include_review)
    export_id = create_export(conn, chosen, import_id, dry_run=dry_run, queue=not dry_run)
    if dry_run:
        plan_here(settings, export_id)
        print(plan_text(export_row(conn, export_id), conn.execute(SAMPLE_SQL, (export_id, 10)).fetchall()))
        return 0
    print(f"Export #{export_id} to {chosen.dest} queued.")
    if not live_workers(conn, settings):
        print("No worker is running: start one with `mediaparser worker`; the export waits for it.")
    if not wait:
        return 0
    last = ""
    while True:
        row = export_row(conn, export_id)
        line = f"{row['state']}: {row['files_done']}/{row['files_total']} files, {row['files_error']} failed"
        if line != last:
            print(line, flush=True)
            last = line
        if row["state"] in ENDED:
            break
        time.sleep(0.5)
    print(result_text(row))
    return 0 if row["state"] == "done" and not row["files_error"] else 1


def plan_here(settings: Settings, export_id: int) -> None:
    """A dry run needs no worker: the plan is made in this process, by the worker's own code."""
    from jobs import runtime
    from jobs.export_actors import plan_export

    runtime.configure(settings)
    plan_export.fn(export_id)


def plan_text(row: Any, sample: list[Any]) -> str:
    summary: dict[str, Any] = json.loads(row["plan_summary"] or "{}")
    years = ", ".join(f"{year}: {count}" for year, count in summary.get("years", {}).items()) or "none"
    lines = [
        f"Dry run #{row['id']}: nothing was written. Export to {row['dest']} would have",
        f"  {summary.get('files', 0)} files: {summary.get('to_copy', 0)} to copy"
        f" ({summary.get('bytes', 0) / 1e6:.1f} MB), {summary.get('existing', 0)} already there",
        f"  {summary.get('held', 0)} held back for date review",
        f"  {summary.get('same_second', 0)} taken in the same second as another (named _1, _2...)",
        f"  {summary.get('extension_changed', 0)} with the extension of their real type",
        f"  {summary.get('metadata_not_written', 0)} in formats whose metadata cannot be written",
        f"  per year: {years}",
    ]
    if sample:
        lines.append("  for example:")
        lines += [f"    {r['source_path']} -> {r['dest_rel_path']}" for r in sample]
    return "\n".join(lines)


def result_text(row: Any) -> str:
    text = (
        f"Export #{row['id']} {row['state']}: {row['files_done']} of {row['files_total']} files in place,"
        f" {row['files_error']} failed, {row['bytes_done'] / 1e6:.1f} MB copied. Manifest: {row['dest']}/manifest.csv"
    )
    if row["error"]:
        text += f"\n{row['error']}"
    return text
