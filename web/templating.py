"""Where the front end lives (top-level templates/ and static/) and the one Jinja environment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from jobs.evidence import label_of
from jobs.reasons import human_size
from storage.files import camera_name

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


def duration(seconds: float | None) -> str:
    """Elapsed time or an ETA, precise enough to watch: 45 s, 3 min 20 s, 1 h 05 min, 2 days 3 h."""
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} day{'s' if days != 1 else ''} {hours} h"


def eta(seconds: float | None) -> str:
    """Time left, as coarse as the estimate is: seconds would only flicker every poll."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min"


def when(iso: str | None) -> str:
    """A stored UTC timestamp in the server's local time, for people: 2024-06-01 14:05."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def number(value: int | float | None) -> str:
    """Thousands separated with a thin space, readable in any language: 12 345."""
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def page_context(request: Request) -> dict[str, Any]:
    """What every page needs from the guard (web/guard.py): the CSRF token its forms and HTMX send,
    and whether a sign-out button belongs in the header."""
    state = request.scope.get("state", {})
    signed_in = state.get("signed_in", False)
    # Signed out (the sign-in and set-up pages), the links would only lead back to sign-in.
    show_nav = signed_in or not state.get("auth", True)
    return {"csrf_token": state.get("csrf_token", ""), "signed_in": signed_in, "show_nav": show_nav}


# Jinja2Templates turns autoescaping on for .html files; keep it that way.
templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[page_context])
# Templates change with a new release, never while serving: no stat() of the file on every render.
templates.env.auto_reload = False
templates.env.filters["ago"] = ago
templates.env.filters["duration"] = duration
templates.env.filters["eta"] = eta
templates.env.filters["when"] = when
templates.env.filters["number"] = number
templates.env.filters["size"] = human_size
templates.env.globals["source_label"] = label_of
templates.env.globals["camera_name"] = camera_name

# What each import state means to a person; the badge text and the first line of the job panel.
templates.env.globals["state_labels"] = {
    "queued": "Waiting for a worker",
    "receiving": "Receiving files",
    "scanning": "Scanning the folder",
    "analysing": "Analysing",
    "planning": "Planning",
    "copying": "Copying",
    "paused": "Paused",
    "done": "Done",
    "cancelled": "Cancelled",
    "failed": "Failed",
}
