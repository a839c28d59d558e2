"""Where the front end lives (top-level templates/ and static/) and the one Jinja environment."""

from __future__ import annotations

from pathlib import Path

from starlette.templating import Jinja2Templates

# Templates and static files sit beside the packages rather than inside `web/`, so designers can
# find them without knowing the Python layout; locate them from this file, not the working dir.
REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO_ROOT / "templates"
STATIC_DIR = REPO_ROOT / "static"


def ago(seconds: float | None) -> str:
    """A short, human duration for "last heartbeat ... ago" text: 3 s, 10 min, 2 h, 3 days."""
    if seconds is None:
        return "never"
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours = round(seconds / 3600)
    if hours < 36:
        return f"{hours} h"
    days = round(seconds / 86400)
    return f"{days} day" if days == 1 else f"{days} days"


# Jinja2Templates turns autoescaping on for .html files; keep it that way.
templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters["ago"] = ago
