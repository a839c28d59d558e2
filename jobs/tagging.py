"""Tags: the ones an import proposes from folder and file names, and the ones a person adds or removes.

The pure part reads names and returns tag names; the database part writes them. A proposed tag is
the machine's guess and writes no decision; a person's tag or untag is an append-only decision row
that an undo takes back: the pair then follows the decisions still in force (`settle_tags`).

A tag name is NFC text of at most 60 characters, without control characters and without commas:
the web takes a typed "beach, Anna" as two tags, so a tag with a comma in it could never be typed.
Text such as `<` or `"` stays as it is; the web escapes it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable

from jobs.decisions import IN_FORCE, chunks, record_files
from jobs.names import MONTHS
from storage.db import transaction, utc_now

MAX_TAG_LENGTH = 60
FOLDER_NAME_LIMIT = 255

# Folder names that say where the files came from rather than what is in them. Compared casefolded,
# after dates and a trailing counter such as "(2)" are taken off; add to the list freely.
GENERIC_FOLDERS = frozenset(
    name.strip().casefold()
    for line in """
    DCIM, Camera, Cameras, Camera Roll, Camera Uploads, Kamera, Pictures, My Pictures, Saved Pictures
    Photos, My Photos, Photos from, Photo, Images, Image, Bilder, Fotos, Foto, Videos, Video
    My Videos, Movies, Movie, Media, My Media, WhatsApp, WhatsApp Images, WhatsApp Video
    WhatsApp Animated Gifs, WhatsApp Documents, WhatsApp Stickers, WhatsApp Audio, Telegram
    Telegram Images, Telegram Video, Signal, Sent, Private, Screenshots, Screenshot, Screen Recordings
    Download, Downloads, Takeout, Google Photos, iCloud, iCloud Photos, OneDrive, Dropbox
    Google Drive, Backup, Backups, Upload, Uploads, Export, Exports, Import, Imports, New folder
    Neuer Ordner, Nouveau dossier, Nueva carpeta, Untitled, Untitled folder, Misc, tmp, temp
    Originals, Original, Edited, Thumbnails, Thumbs, RAW, JPG, JPEG, HEIC, PNG, MOV, MP4, Desktop
    Documents, My Documents, Home, Users, iPhone, Android, Phone, Handy, SD Card, sdcard
    Internal storage, Facebook, Instagram, Messenger, Snapchat, All Photos, Recents, Recently Deleted
    @eaDir, .thumbnails, .trashes, lost+found
    """.splitlines()
    for name in line.split(",")
    if name.strip()
)
# Whole-name shapes that are machine-made: DCF camera folders (100APPLE, 101_PANA, 100NCD90), ids and
# hashes, Apple Photos library packages and their one-character shard folders.
GENERIC_PATTERNS = [
    re.compile(r"[0-9]{3}[A-Z0-9_]{5}", re.IGNORECASE | re.ASCII),
    re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE),
    re.compile(r"(?=.*[0-9])[0-9a-f]{16,}", re.IGNORECASE),
    re.compile(r".*\.(?:photoslibrary|photolibrary|aplibrary|migratedphotolibrary)", re.IGNORECASE),
    re.compile(r"[A-Za-z0-9]"),
]

BRACES = re.compile(r"\{([^{}]*)\}")
# Characters between a date and the words of a folder name, and around the name as a whole.
SEP = r"[\s_\-\u2013\u2014.,;:~+/|()\[\]]"
EDGE_CHARS = " _-\u2013\u2014.,:"
BRACKETS = ("()", "[]")
YEAR = r"(?:1[89]|2[01])[0-9]{2}"
ANCHOR = (
    rf"{YEAR}(?:[-_.][0-9]{{1,2}}){{0,2}}"  # 2019, 2019-07, 2019_07_14
    rf"|{YEAR}[01][0-9][0-3][0-9]"  # 20190714
    rf"|[0-9]{{1,2}}[-_./][0-9]{{1,2}}[-_./](?:{YEAR}|[0-9]{{2}})"  # 14.07.2019, 7/14/19
)
MONTH_WORD = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
PART = rf"(?:(?P<anchor>{ANCHOR})|(?P<month>(?:{MONTH_WORD})\.?)|(?P<day>[0-9]{{1,2}}(?:st|nd|rd|th|\.)?))"
LEADING_PART = re.compile(rf"^{SEP}*{PART}(?={SEP}|$)", re.IGNORECASE)
TRAILING_PART = re.compile(rf"(?:^|(?<={SEP})){PART}{SEP}*$", re.IGNORECASE)
COUNTER = re.compile(r"(?:\s*\(\d+\)|\s+\d+|\s+copy)+$", re.IGNORECASE)
WORD = re.compile(r"[^\W_]+")
ORDINAL = re.compile(r"[0-9]+(?:st|nd|rd|th)?", re.IGNORECASE)
# Invisible characters that reorder or hide text; zero-width joiners are kept (emoji need them).
HIDDEN = {0x200E, 0x200F, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


# Pure part ---------------------------------------------------------------------------------


def clean_name(text: str) -> str:
    """One tag name from raw text: NFC, control characters gone, whitespace runs as one space,
    at most MAX_TAG_LENGTH characters. Empty when nothing is left."""
    return clean_text(text)[:MAX_TAG_LENGTH].strip()


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    # str.split() without arguments splits on every Unicode space, tab, newline and separator.
    text = " ".join(text.split())
    return "".join(
        ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs", "Co") and ord(ch) not in HIDDEN
    )


def tag_names(text: str) -> list[str]:
    """A person's typed "beach, Anna, beach" as clean unique names (line breaks separate too)."""
    return unique(clean_name(part) for part in re.split(r"[,\n\r]", text))


def proposed_tags(rel_path: str) -> list[tuple[str, str]]:
    """(name, origin) pairs for a file at rel_path (relative to the import root, '/' separated):
    meaningful folder names ('folder'), outermost first, then `{a,b}` groups in the file name ('name')."""
    *folders, file_name = rel_path.split("/")
    found: list[tuple[str, str]] = []
    for folder in folders:
        found += [(name, "folder") for name in folder_tags(folder)]
    for group in BRACES.findall(file_name):
        found += [(name, "name") for name in tag_names(group)]
    seen: set[str] = set()
    result = []
    for name, origin in found:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            result.append((name, origin))
    return result


def folder_tags(folder: str) -> list[str]:
    """The tags one folder name gives: none for a generic or date-only name; a comma makes two."""
    # Not cut to a tag's length yet, so a long name loses its dates first; capped at what file
    # systems allow, as an uploaded path is whatever the browser sent.
    text = clean_text(folder[:FOLDER_NAME_LIMIT])
    if is_generic(text):
        return []
    names = []
    for part in text.split(","):
        name = trim(clean_name(strip_dates(part).replace("_", " ")))
        if name and not is_generic(name) and not only_date_words(name):
            names.append(name)
    return unique(names)


def strip_dates(text: str) -> str:
    """Take date parts off both ends: "2019-07-14 - Beach" -> "Beach", "Summer 2015" -> "Summer",
    "14 July 2019 Rome" -> "Rome". A run of parts goes only if it holds a real date (a year, or a
    full numeric date), so "Anna 5" keeps its 5; a bare number goes only beside a month name."""
    text = _strip_edge(text, LEADING_PART, leading=True)
    return trim(_strip_edge(text, TRAILING_PART, leading=False))


def trim(text: str) -> str:
    """Separators off both ends, and a bracket left without its partner: "Rome (" -> "Rome", while
    "Anna (5)" stays."""
    while True:
        before = text
        text = text.strip(EDGE_CHARS)
        for opening, closing in BRACKETS:
            if text.endswith(opening) or (
                text.endswith(closing) and text.count(opening) < text.count(closing)
            ):
                text = text[:-1]
            if text.startswith(closing) or (
                text.startswith(opening) and text.count(opening) > text.count(closing)
            ):
                text = text[1:]
        if text == before:
            return text


def _strip_edge(text: str, pattern: re.Pattern[str], *, leading: bool) -> str:
    parts: list[tuple[str, int]] = []  # (kind, where the text is cut after taking this part)
    rest = text
    while rest:
        match = pattern.search(rest)
        if match is None:
            break
        kind = next(k for k in ("anchor", "month", "day") if match.group(k))
        rest = rest[match.end() :] if leading else rest[: match.start()]
        parts.append((kind, len(text) - len(rest)))
    cut_to = 0  # how many characters go
    for index, (kind, cut) in enumerate(parts):
        if not any(k == "anchor" for k, _ in parts[: index + 1]):
            continue
        beside_month = any(parts[i][0] == "month" for i in (index - 1, index + 1) if 0 <= i < len(parts))
        if kind != "day" or beside_month:
            cut_to = cut
    return text[cut_to:] if leading else text[: len(text) - cut_to]


def is_generic(name: str) -> bool:
    """A camera, phone, app or backup folder name, a machine-made id, or nothing but digits and
    punctuation."""
    if not any(ch.isalpha() for ch in name):
        return True
    if any(pattern.fullmatch(name) for pattern in GENERIC_PATTERNS):
        return True
    base = trim(COUNTER.sub("", name)).casefold()
    return base in GENERIC_FOLDERS or name.casefold() in GENERIC_FOLDERS


def only_date_words(name: str) -> bool:
    """ "July", "07 Juli", "July 14th": month names and numbers only."""
    return all(ORDINAL.fullmatch(word) or word.casefold() in MONTHS for word in WORD.findall(name))


def unique(names: Iterable[str]) -> list[str]:
    """Non-empty names, first spelling kept, repeats dropped case-insensitively."""
    seen: set[str] = set()
    result = []
    for name in names:
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    return result


# Database part -----------------------------------------------------------------------------

# For the web's tag field: names starting with :q first, then names containing it, most used first.
# instr() rather than LIKE, so a typed % or _ is just a character.
SUGGEST_SQL = """
SELECT t.name, count(ft.file_id) AS files
FROM tags t LEFT JOIN file_tags ft ON ft.tag_id = t.id
WHERE instr(lower(t.name), lower(:q)) > 0
GROUP BY t.id
ORDER BY instr(lower(t.name), lower(:q)) = 1 DESC, files DESC, t.name COLLATE NOCASE
LIMIT :limit
"""
# Every tag in use with how many files (not set aside) carry it, most used first.
TAG_COUNTS_SQL = """
SELECT t.name, count(*) AS files
FROM tags t JOIN file_tags ft ON ft.tag_id = t.id JOIN files f ON f.id = ft.file_id
WHERE f.discarded = 0
GROUP BY t.id
ORDER BY files DESC, t.name COLLATE NOCASE
"""


def save_proposed_tags(conn: sqlite3.Connection, file_id: int, rel_path: str) -> None:
    """The folder and name tags for a newly analysed file. Runs inside the caller's transaction."""
    for name, origin in proposed_tags(rel_path):
        tag_id, _ = tag_row(conn, name)
        conn.execute(
            "INSERT OR IGNORE INTO file_tags (file_id, tag_id, origin) VALUES (?, ?, ?)",
            (file_id, tag_id, origin),
        )


def add_tags(
    conn: sqlite3.Connection, file_ids: list[int], names: list[str], actor: str, batch: str | None = None
) -> int:
    """Tag the files with each name they do not carry yet (under any origin), one 'tag' decision per
    pair added. One transaction; returns how many (file, tag) pairs were added."""
    names = unique(clean_name(name) for name in names)
    if not names or not file_ids:
        return 0
    added, now = 0, utc_now()
    with transaction(conn):
        for name in names:
            tag_id, stored_name = tag_row(conn, name)
            for chunk in chunks(file_ids):
                marks = ",".join("?" * len(chunk))
                new = [
                    row[0]
                    for row in conn.execute(
                        f"SELECT id FROM files WHERE id IN ({marks}) AND NOT EXISTS"
                        " (SELECT 1 FROM file_tags WHERE file_id = files.id AND tag_id = ?)",
                        (*chunk, tag_id),
                    )
                ]
                conn.executemany(
                    "INSERT INTO file_tags (file_id, tag_id, origin) VALUES (?, ?, 'user')",
                    [(file_id, tag_id) for file_id in new],
                )
                record_files(
                    conn, "tag", [(file_id, {"tag": stored_name}) for file_id in new], actor, batch, now
                )
                added += len(new)
    return added


def remove_tags(
    conn: sqlite3.Connection, file_ids: list[int], names: list[str], actor: str, batch: str | None = None
) -> int:
    """Take each name off the files that carry it, whatever its origin; one 'untag' decision per pair
    records the origin so an undo puts back exactly what was there. Returns the pairs removed."""
    names = unique(clean_name(name) for name in names)
    if not names or not file_ids:
        return 0
    removed, now = 0, utc_now()
    with transaction(conn):
        for name in names:
            found = conn.execute("SELECT id, name FROM tags WHERE name = ?", (name,)).fetchone()
            if found is None:
                continue
            tag_id, stored_name = found
            for chunk in chunks(file_ids):
                marks = ",".join("?" * len(chunk))
                gone = conn.execute(
                    f"DELETE FROM file_tags WHERE tag_id = ? AND file_id IN ({marks}) RETURNING file_id, origin",
                    (tag_id, *chunk),
                ).fetchall()
                pairs = [(f, {"tag": stored_name, "origin": origin}) for f, origin in gone]
                record_files(conn, "untag", pairs, actor, batch, now)
                removed += len(gone)
    return removed


TAG_HISTORY_SQL = f"""
SELECT d.id, d.kind, d.file_id, d.payload, {IN_FORCE} AS in_force FROM decisions d
WHERE d.kind IN ('tag', 'untag') AND d.file_id IN ({{marks}}) ORDER BY d.id
"""


def settle_tags(
    conn: sqlite3.Connection, pairs: Iterable[tuple[int, str]], ignoring: Collection[int] = ()
) -> dict[tuple[int, str], int]:
    """Put each (file id, tag name) as the decisions in force say, the ids in `ignoring` counted as
    undone: the latest tag or untag decides; with none, the pair is as before its first decision (an
    untag's recorded origin comes back, a tagged file had not carried it). Returns, per pair given,
    the id of the decision that decides it, when one does. Runs inside the caller's transaction."""
    wanted = dict.fromkeys(pairs)
    ids: dict[str, int | None] = {}  # the tags table compares names without case: ask it, not Python

    def tag_id(name: str) -> int | None:
        if name not in ids:
            found = conn.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()
            ids[name] = found[0] if found else None
        return ids[name]

    keys = {(file_id, tag_id(name)): (file_id, name) for file_id, name in wanted}
    history: dict[tuple[int, str], list[sqlite3.Row]] = defaultdict(list)
    for chunk in chunks(file_id for file_id, _ in wanted):
        for row in conn.execute(TAG_HISTORY_SQL.format(marks=",".join("?" * len(chunk))), chunk):
            pair = keys.get((row["file_id"], tag_id(json.loads(row["payload"])["tag"])))
            if pair is not None:
                history[pair].append(row)
    deciding = {}
    for file_id, name in wanted:
        rows = history[(file_id, name)]
        in_force = [r for r in rows if r["in_force"] and r["id"] not in ignoring]
        if in_force:
            deciding[(file_id, name)] = in_force[-1]["id"]
            if in_force[-1]["kind"] == "tag":
                restore_tag(conn, file_id, name, "user")
            else:
                drop_tag(conn, file_id, name)
        elif rows and rows[0]["kind"] == "untag":
            # None in force: the first decision took the tag off, so it comes back as it was.
            restore_tag(conn, file_id, name, json.loads(rows[0]["payload"]).get("origin", "user"))
        else:
            drop_tag(conn, file_id, name)
    return deciding


def restore_tag(conn: sqlite3.Connection, file_id: int, name: str, origin: str) -> None:
    """Put a removed tag back with its origin (undo of an untag). Runs inside the caller's transaction."""
    tag_id, _ = tag_row(conn, name)
    conn.execute(
        "INSERT OR IGNORE INTO file_tags (file_id, tag_id, origin) VALUES (?, ?, ?)",
        (file_id, tag_id, origin),
    )


def drop_tag(conn: sqlite3.Connection, file_id: int, name: str) -> None:
    """Take a tag off one file (undo of a tag). Runs inside the caller's transaction."""
    conn.execute(
        "DELETE FROM file_tags WHERE file_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)",
        (file_id, name),
    )


def tag_row(conn: sqlite3.Connection, name: str) -> tuple[int, str]:
    """(id, stored spelling) of the tag, created if new. The name column compares without case, so
    "beach" finds an existing "Beach" and keeps that spelling."""
    conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
    row = conn.execute("SELECT id, name FROM tags WHERE name = ?", (name,)).fetchone()
    return row[0], row[1]
