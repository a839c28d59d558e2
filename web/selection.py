"""POST /selection: one action on the files picked in the grid (or every file matching its filter):
accept their dates, shift them, tag, untag, set aside, bring back. Then back where the person was,
with a message and an Undo button (`done=BATCH`)."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from jobs import review, tagging
from jobs.corrections import BadCorrection, shift_minutes
from jobs.decisions import new_batch
from storage.library import BadFilter, ids_sql, parse_view
from storage.settings import Settings
from web.history import REFUSALS
from web.responses import actor, safe_back, see_other, with_params
from web.writes import write

ACTIONS = ("accept", "shift", "tag", "untag", "discard", "undiscard")


class Refused(ValueError):
    """The form cannot be done as sent; the code names the REFUSALS sentence."""

    def __init__(self, code: str) -> None:
        assert code in REFUSALS
        super().__init__(code)


def chosen_ids(conn: sqlite3.Connection, form: FormData) -> list[int]:
    if form.get("all") == "1":
        try:
            view = parse_view(dict(parse_qsl(str(form.get("filter") or ""))))
        except BadFilter:
            raise Refused("filter") from None
        return [r[0] for r in conn.execute(*ids_sql(view))]
    ids = []
    for value in form.getlist("ids"):
        if str(value).isdigit():
            ids.append(int(value))
    return ids


def apply(conn: sqlite3.Connection, settings: Settings, form: FormData, who: str) -> str:
    """Do the action on the chosen files; returns the batch that records it."""
    action = str(form.get("action") or "")
    if action not in ACTIONS:
        raise Refused("action")
    ids = chosen_ids(conn, form)
    if not ids:
        raise Refused("none")
    if action == "accept":
        batch, _ = review.accept_current(conn, settings, ids, who)
    elif action == "shift":
        try:
            minutes = shift_minutes(str(form.get("minutes") or ""))
        except BadCorrection:
            raise Refused("shift") from None
        if minutes == 0:
            raise Refused("zero")
        batch, _ = review.shift_dates(conn, settings, ids, minutes, who)
    elif action in ("tag", "untag"):
        names = tagging.tag_names(str(form.get("tag") or ""))
        if not names:
            raise Refused("tag")
        batch = new_batch()
        change = tagging.add_tags if action == "tag" else tagging.remove_tags
        change(conn, ids, names, who, batch)
    else:
        batch, _ = review.set_discarded(conn, ids, action == "discard", who)
    return batch


async def selection(request: Request) -> Response:
    async with request.form() as form:
        back = safe_back(str(form.get("back") or ""), "/library")
        try:
            batch = await write(request.app, apply, request.app.state.settings, form, actor(request))
        except Refused as refused:
            return see_other(with_params(back, done=None, refused=str(refused)))
    return see_other(with_params(back, done=batch, refused=None))
