"""Where runtime data lives under MEDIAPARSER_DATA_DIR.

data/
  mediaparser.sqlite3   the library: imports, files, evidence, groups, decisions
  broker.sqlite3        the job queue (built-in SQLite broker only)
  uploads/              files received from browsers, one folder per import
  thumbs/               WebP thumbnails and video frames
  export/               the default export destination
  tmp/                  scratch space for atomic writes that cross folders
"""

from __future__ import annotations

from pathlib import Path

from storage.settings import Settings

SUBDIRS = ("uploads", "thumbs", "export", "tmp")


def database_path(settings: Settings) -> Path:
    return settings.database_path


def broker_path(settings: Settings) -> Path:
    return settings.data_dir / "broker.sqlite3"


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def thumbs_dir(settings: Settings) -> Path:
    return settings.data_dir / "thumbs"


def export_dir(settings: Settings) -> Path:
    return settings.export_dir or settings.data_dir / "export"


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data dir and its sub-folders; idempotent."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for name in SUBDIRS:
        (settings.data_dir / name).mkdir(exist_ok=True)
    return settings.data_dir
