"""Where runtime data lives under MEDIAPARSER_DATA_DIR.

data/
  mediaparser.sqlite3   the library: imports, files, evidence, groups, decisions
  broker.sqlite3        the job queue (built-in SQLite broker only)
  uploads/              files received from browsers, one folder per import
  thumbs/               WebP thumbnails and video frames
  previews/             large WebP pictures for the file page, made on first view of a HEIC, TIFF...
  export/               the default export destination
  tmp/                  scratch space for atomic writes that cross folders
  trash/                originals a person moved out after a verified export, by export and import
"""

from __future__ import annotations

from pathlib import Path

from storage.settings import Settings

UPLOADS, THUMBS, EXPORT, SCRATCH = "uploads", "thumbs", "export", "tmp"
PREVIEWS, TRASH = "previews", "trash"
SUBDIRS = (UPLOADS, THUMBS, PREVIEWS, EXPORT, SCRATCH, TRASH)


def broker_path(settings: Settings) -> Path:
    return settings.data_dir / "broker.sqlite3"


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / UPLOADS


def scratch_dir(data_dir: Path) -> Path:
    """Temporary files of our own (extracted previews, links for odd names); never the originals' folders."""
    return data_dir / SCRATCH


def previews_dir(data_dir: Path) -> Path:
    """Browser-showable copies of pictures a browser cannot show itself; any of them may be deleted."""
    return data_dir / PREVIEWS


def export_dir(settings: Settings) -> Path:
    return settings.export_dir or settings.data_dir / EXPORT


def trash_dir(settings: Settings) -> Path:
    return settings.data_dir / TRASH


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data dir and its sub-folders; idempotent."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for name in SUBDIRS:
        (settings.data_dir / name).mkdir(exist_ok=True)
    return settings.data_dir
