"""`mediaparser files`: the library's file list, as JSON Lines or a readable table."""

from __future__ import annotations

import json
import sys

from storage.db import open_database
from storage.files import FILES_PAGE_SQL, MAX_PAGE, file_record, page_params
from storage.settings import Settings


def print_files(settings: Settings, import_id: int | None, status: str | None, as_json: bool) -> int:
    conn = open_database(settings.database_path)
    after = 0
    out = sys.stdout
    try:
        while True:
            rows = conn.execute(FILES_PAGE_SQL, page_params(after, MAX_PAGE, import_id, status)).fetchall()
            for row in rows:
                record = file_record(row)
                if as_json:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                else:
                    detail = record["reason"] or f"{record['type']} {record['width']}x{record['height']}"
                    out.write(f"{record['id']:>7}  {record['status']:<9}  {record['path']}  ({detail})\n")
            if len(rows) < MAX_PAGE:
                return 0
            after = rows[-1]["id"]
    finally:
        conn.close()
