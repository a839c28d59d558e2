"""The library as a person filters it: one `View` (every filter, the sort and the page) parsed from a
query string and turned back into one, and the SQL that reads it.

The grid, the date-review queue, "select all matching" and their JSON twins all read through here,
so a bookmarked URL means the same files everywhere. Pages are keyset cursors on indexed sort keys
(see migration 0002), so page 1,000 costs what page 1 does.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from storage.files import core_record

CONFIDENCES = ("high", "medium", "low", "none")
PROBLEMS = ("dates", "exact", "same", "similar", "errors", "discarded")
TYPES = ("image", "video")
SORTS = {"date": "f.taken_key", "name": "f.rel_path", "size": "f.size_key", "imported": "f.id"}
ORDERS = ("asc", "desc")
PER_PAGE, MAX_PER_PAGE = 60, 500
# Counting stops here: past a thousand, "more than 1,000" says all a person needs, and an exact
# count of a broad filter would read the whole library on every page.
COUNT_CAP = 1000
# A tag on more files than this is found by walking the sort order and checking membership (the
# page fills early); a smaller one by sorting just its files.
TAG_WALK_FROM = 3000

# Must match the partial index files_date_review term for term.
NEEDS_DATE_REVIEW = (
    "f.status = 'processed' AND f.discarded = 0 AND (f.confidence IN ('low', 'none') OR f.conflict = 1)"
)
# A duplicate group waiting for a person: undecided, and still with files (a regroup can leave a
# decided group's row without members; undoing its decision must not bring an empty group back).
GROUP_IS_OPEN = "g.resolution IS NULL AND EXISTS (SELECT 1 FROM dup_members gm WHERE gm.group_id = g.id)"
# A group's suggested keeper can be kept in bulk: still one of its files, and not set aside (by
# hand, or as a copy when another group was decided), which would export one picture twice.
SUGGESTION_STANDS = """g.keeper_id IN (SELECT file_id FROM dup_members WHERE group_id = g.id)
  AND NOT EXISTS (SELECT 1 FROM files k WHERE k.id = g.keeper_id AND k.discarded = 1)"""
OPEN_GROUP = """f.id IN (SELECT m.file_id FROM dup_members m JOIN dup_groups g ON g.id = m.group_id
                 WHERE m.class = :problem AND g.resolution IS NULL)"""
PROBLEM_SQL = {
    "dates": NEEDS_DATE_REVIEW,
    "exact": OPEN_GROUP,
    "same": OPEN_GROUP,
    "similar": OPEN_GROUP,
    "errors": "f.status = 'error'",
    "discarded": "f.discarded = 1",
}

# What a tile (and a queue entry) shows. Group markers are for groups still waiting for a person.
TILE_COLUMNS = """f.id, f.import_id, f.rel_path, f.status, f.status_reason, f.size, f.real_type, f.mime,
       f.width, f.height, f.duration, f.thumb_path, f.taken_local, f.taken_offset, f.taken_zone,
       f.taken_precision, f.taken_source, f.confidence, f.conflict, f.discarded, f.camera_make, f.camera_model,
       f.taken_key, f.size_key,
       (SELECT group_concat(g.class) FROM dup_members m JOIN dup_groups g ON g.id = m.group_id
        WHERE m.file_id = f.id AND g.resolution IS NULL) AS open_groups"""


class BadFilter(ValueError):
    """A query string a person (or an old bookmark) got wrong; the message says how."""


@dataclass(frozen=True)
class View:
    import_id: int | None = None
    confidence: str | None = None
    problem: str | None = None
    tag: str | None = None
    date_from: str | None = None  # YYYY-MM-DD, inclusive
    date_to: str | None = None  # YYYY-MM-DD, inclusive
    type: str | None = None
    q: str | None = None
    sort: str = "date"
    order: str = "asc"
    after: str | None = None  # "sort key,id" of the last row of the previous page
    per: int = PER_PAGE


# The query-string names, where they differ from the field names.
PARAM_NAMES = {"import_id": "import", "date_from": "from", "date_to": "to"}
FILTER_FIELDS = ("import_id", "confidence", "problem", "tag", "date_from", "date_to", "type", "q")


def parse_view(params: dict[str, str] | Any, **defaults: Any) -> View:
    """A View from query parameters; empty values mean "not set". Raises BadFilter."""

    def get(field: str) -> str | None:
        value = (params.get(PARAM_NAMES.get(field, field)) or "").strip()
        return value or None

    view = replace(View(), **defaults)
    values: dict[str, Any] = {}
    if (text := get("import_id")) is not None:
        values["import_id"] = _whole(text, "import")
    for field, allowed in (
        ("confidence", CONFIDENCES),
        ("problem", PROBLEMS),
        ("type", TYPES),
        ("sort", tuple(SORTS)),
        ("order", ORDERS),
    ):
        if (text := get(field)) is not None:
            if text not in allowed:
                raise BadFilter(f"{field} must be one of {', '.join(allowed)}, not {text!r}")
            values[field] = text
    for field in ("date_from", "date_to"):
        if (text := get(field)) is not None:
            try:
                values[field] = date.fromisoformat(text).isoformat()
            except ValueError:
                name = PARAM_NAMES[field]
                raise BadFilter(f"{name} must be a date like 2019-07-14, not {text!r}") from None
    for field in ("tag", "q", "after"):
        if (text := get(field)) is not None:
            values[field] = text[:200]
    if (text := get("per")) is not None:
        values["per"] = min(max(_whole(text, "per"), 1), MAX_PER_PAGE)
    if values.get("after") is not None:
        cursor(values["after"])  # refuse a mangled cursor now, not as a 500 later
    return replace(view, **values)


def _whole(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadFilter(f"{name} must be a whole number, not {text!r}") from None


def query_string(view: View, **changes: Any) -> str:
    """The view (with changes) as a query string, leaving out what is default, so URLs stay short."""
    view = replace(view, **changes)
    default = View()
    pairs = []
    for field, value in asdict(view).items():
        if value is not None and value != getattr(default, field):
            pairs.append((PARAM_NAMES.get(field, field), value))
    return urlencode(pairs)


def filter_query(view: View) -> str:
    """Only the filters (not sort or page): what "select all matching" and the queues carry along."""
    return query_string(View(**{f: getattr(view, f) for f in FILTER_FIELDS}))


def is_filtered(view: View) -> bool:
    return any(getattr(view, f) is not None for f in FILTER_FIELDS)


def cursor(text: str) -> tuple[str, int]:
    """ "value,id" -> (value, id). The id never holds a comma, so the value may."""
    value, sep, last_id = text.rpartition(",")
    if not sep or not last_id.isdigit():
        raise BadFilter(f"after must be a page position from a link, not {text!r}")
    return value, int(last_id)


def cursor_for(view: View, row: Any) -> str:
    key = {"date": row["taken_key"], "name": row["rel_path"], "size": row["size_key"], "imported": ""}[view.sort]
    return f"{key},{row['id']}"


# SQL ---------------------------------------------------------------------------------------------


def where(view: View, tag_files: int = 0) -> tuple[str, dict[str, Any]]:
    """The WHERE clause and its parameters for the view's filters (not the page position).
    `tag_files` (how many files carry the tag) picks the cheaper plan for a tag filter."""
    terms = ["f.status != 'skipped'"]
    params: dict[str, Any] = {}
    if view.problem:
        terms.append(PROBLEM_SQL[view.problem])
        params["problem"] = view.problem
    if view.problem not in ("discarded", "dates"):
        # Set-aside files leave the library's views; "discarded" is where they are found again.
        terms.append("f.discarded = 0")
    if view.import_id is not None:
        terms.append("f.import_id = :import_id")
        params["import_id"] = view.import_id
    if view.confidence:
        terms.append("f.confidence = :confidence")
        params["confidence"] = view.confidence
    if view.tag:
        # "+f.id" keeps SQLite from driving the query by the tag's ids, so it walks the sort index.
        walk = "+" if tag_files > TAG_WALK_FROM else ""
        terms.append(
            f"{walk}f.id IN (SELECT ft.file_id FROM file_tags ft JOIN tags t ON t.id = ft.tag_id WHERE t.name = :tag)"
        )
        params["tag"] = view.tag
    # A date known only to the month ("2019-07") or year ("2019") stands for that whole period and
    # is in a range the period overlaps. As text it sorts before the period's first day, so the
    # bounds name those coarse keys explicitly.
    if view.date_from:
        # One index range from the year on (the page stays in index order), then the days before
        # `from` that are not those coarse keys are dropped row by row ("+": not by another index).
        terms.append(
            "f.taken_key >= :from_year"
            " AND (+f.taken_key >= :date_from OR +f.taken_key IN (:from_year, :from_month))"
        )
        params.update(date_from=view.date_from, from_year=view.date_from[:4], from_month=view.date_from[:7])
    if view.date_to:
        after = (date.fromisoformat(view.date_to) + timedelta(days=1)).isoformat()
        # The period that starts on the day after the range ("2020" after 2019-12-31) is not in it.
        starting = [after[:4] if after[5:] == "01-01" else "", after[:7] if after[8:] == "01" else ""]
        terms.append("f.taken_key < :date_to AND f.taken_key NOT IN (:to_year, :to_month)")
        params.update(date_to=after, to_year=starting[0], to_month=starting[1])
    if view.type:
        terms.append("f.mime LIKE :type")
        params["type"] = f"{view.type}/%"
    if view.q:
        terms.append(r"f.rel_path LIKE :q ESCAPE '\'")
        params["q"] = "%" + re.sub(r"([\\%_])", r"\\\1", view.q) + "%"
    return " AND ".join(terms), params


def page_sql(view: View, tag_files: int = 0) -> tuple[str, dict[str, Any]]:
    """One page of tiles (per + 1 rows: the extra one says whether there is a next page)."""
    clause, params = where(view, tag_files)
    key = SORTS[view.sort]
    direction = "DESC" if view.order == "desc" else "ASC"
    if view.after is not None:
        value, last_id = cursor(view.after)
        clause += " AND " + beyond(view, ">" if direction == "ASC" else "<", params, value, last_id)
    params["limit"] = view.per + 1
    order = f"{key} {direction}, f.id {direction}" if key != "f.id" else f"f.id {direction}"
    # The page's ids first, then its columns: a tile's group markers are read for 61 files, not for
    # every file a sort had to look at.
    sql = (
        f"SELECT {TILE_COLUMNS} FROM files f"
        f" JOIN (SELECT f.id FROM files f WHERE {clause} ORDER BY {order} LIMIT :limit) AS page ON page.id = f.id"
        f" ORDER BY {order}"
    )
    return sql, params


def count_sql(view: View, cap: int | None = COUNT_CAP, tag_files: int = 0) -> tuple[str, dict[str, Any]]:
    """How many files the view matches, counting no further than `cap` (None: all)."""
    clause, params = where(view, tag_files)
    if cap is None:
        return f"SELECT count(*) FROM files f WHERE {clause}", params
    return f"SELECT count(*) FROM (SELECT 1 FROM files f WHERE {clause} LIMIT {int(cap) + 1})", params


TAG_FILES_SQL = "SELECT count(*) FROM file_tags ft JOIN tags t ON t.id = ft.tag_id WHERE t.name = ?"


def ids_sql(view: View) -> tuple[str, dict[str, Any]]:
    """Every id the view matches, for "select all matching" actions."""
    clause, params = where(view)
    return f"SELECT f.id FROM files f WHERE {clause} ORDER BY f.id", params


def neighbour_sql(view: View, row: Any, forward: bool) -> tuple[str, dict[str, Any]]:
    """The next (or previous) file in the view's order after `row`: a queue's arrows."""
    flipped = replace(view, after=cursor_for(view, row), per=1)
    if not forward:
        flipped = replace(flipped, order="asc" if view.order == "desc" else "desc")
    return page_sql(flipped)


def position_sql(view: View, row: Any) -> tuple[str, dict[str, Any]]:
    """How many files come before `row` in the view's order (its place in a queue, from 0)."""
    clause, params = where(view)
    value, _ = cursor(cursor_for(view, row))
    before = beyond(view, ">" if view.order == "desc" else "<", params, value, row["id"])
    return f"SELECT count(*) FROM files f WHERE {clause} AND {before}", params


def beyond(view: View, op: str, params: dict[str, Any], value: str, last_id: int) -> str:
    """The keyset condition "after (value, id) in the sort order", as one index range."""
    params["after_id"] = last_id
    if view.sort == "imported":
        return f"f.id {op} :after_id"
    params["after_key"] = int(value) if view.sort == "size" and value.lstrip("-").isdigit() else value
    return f"({SORTS[view.sort]}, f.id) {op} (:after_key, :after_id)"


def tile_record(row: Any) -> dict[str, Any]:
    """A tile as JSON: what the grid shows about one file."""
    return {**core_record(row), "open_groups": sorted(set((row["open_groups"] or "").split(",")) - {""})}
