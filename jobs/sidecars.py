"""Which sidecar file belongs to a media file, and what a Google Takeout sidecar says about it.

Pure: the caller lists a folder's file names and reads the file chosen here. Google never documented
Takeout's naming; these rules come from real exports (tests/test_sidecars.py has the cases):

- `IMG.jpg` is described by `IMG.jpg.json` (before 2024) or `IMG.jpg.supplemental-metadata.json`.
- A JSON name is at most 51 characters and `.json` is never cut: Takeout clips `IMG.jpg` or
  `IMG.jpg.supplemental-metadata` to 46 characters, then appends `.json`. Hence `.supplemental-me.json`,
  `.s.json`, even `..json`, and `A very long file name that goes on and on for.json`.
- A duplicate `IMG(1).jpg` keeps its counter outside the clipping, after it: `IMG.jpg(1).json`,
  `IMG.jpg.supplemental-metadata(1).json`.
- An edited copy `IMG-edited.jpg` (or a localized suffix) has no sidecar of its own: the original's applies.
- A file uploaded without an extension got one on download but its sidecar did not: `IMG.json`.

Matching only works from the media name to the sidecar name (clipping loses characters), so every
function here derives candidate names and looks them up, never the reverse.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

# Characters kept before ".json"; the whole sidecar name is then at most 51.
TAKEOUT_CLIP = 46
SUPPLEMENTAL = ".supplemental-metadata"
# Google Photos' "edited" suffix in the languages seen in real exports. Longest first, so "-ha editado"
# is removed whole rather than leaving "-ha" behind.
EDITED_SUFFIXES = tuple(
    sorted(
        (
            "-edited",
            "-bearbeitet",
            "-modifié",
            "-editado",
            "-ha editado",
            "-modificato",
            "-bewerkt",
            "-edytowane",
            "-editat",
            "-отредактировано",
            "-編集済み",
            "-已编辑",
            "-편집됨",
        ),
        key=len,
        reverse=True,
    )
)
COUNTER = re.compile(r"^(?P<core>.+?)(?P<counter>\(\d+\))$")
# A short alphanumeric tail counts as an extension; "03.03.13 - 1" has none.
EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
# photoTakenTime 0 is how Takeout writes "unknown"; past 2100 it is a corrupt value, not a photo.
LATEST_EPOCH = 4102444800


# Finding the sidecar ------------------------------------------------------------------------------


def split_extension(name: str) -> tuple[str, str]:
    """ "IMG.2019.07.04.jpg" -> ("IMG.2019.07.04", ".jpg"); a name without an extension keeps it all."""
    match = EXTENSION.search(name)
    if match is None or match.start() == 0:
        return name, ""
    return name[: match.start()], match.group()


def takeout_json_candidates(media_name: str) -> list[str]:
    """The names Google Takeout may have given this media file's JSON sidecar, most specific first.

    Takeout's own cuts come first, then shorter cuts of the suffix, then the bare stem (`IMG.json`),
    which names no extension and so is the one most likely to belong to a sibling.
    """
    names: list[str] = []
    shorter_cuts: list[str] = []
    stems: list[str] = []
    for original in _originals(media_name):
        stem, ext = split_extension(original)
        core, counter = _split_counter(stem)
        forms = [(original, "")] + ([(core + ext, counter)] if counter else [])
        for base, count in forms:
            names.append(base[:TAKEOUT_CLIP] + count + ".json")
            names.append((base + SUPPLEMENTAL)[:TAKEOUT_CLIP] + count + ".json")
            # Some tools report suffixes cut shorter than the 51-character rule needs; a cut that keeps the
            # whole media name can only belong to this file, so those are a safe fallback.
            longest = min(len(SUPPLEMENTAL), TAKEOUT_CLIP - len(base))
            shorter_cuts += [base + SUPPLEMENTAL[:cut] + count + ".json" for cut in range(longest - 1, 0, -1)]
        if ext:
            stems.append(core[:TAKEOUT_CLIP] + counter + ".json")
    return list(dict.fromkeys(names + shorter_cuts + stems))


def xmp_sidecar_candidates(media_name: str) -> list[str]:
    """XMP sidecar names for this file, most specific first.

    `IMG.CR2.xmp` (darktable, digiKam) names its file; `IMG.xmp` (Lightroom) may have been written for
    the RAW or the JPEG of a pair, so it comes second.
    """
    stem, ext = split_extension(media_name)
    names = [media_name + ".xmp", media_name + ".XMP"]
    if ext:
        names += [stem + ".xmp", stem + ".XMP"]
    return names


def find_sidecar(candidates: list[str], siblings: set[str]) -> str | None:
    """The first candidate present among the folder's names: exactly, else ignoring case and Unicode form
    (macOS stores accented names decomposed, Takeout writes them composed)."""
    for name in candidates:
        if name in siblings:
            return name
    folded: dict[str, str] = {}
    for sibling in sorted(siblings):
        folded.setdefault(_fold(sibling), sibling)
    for name in candidates:
        if (match := folded.get(_fold(name))) is not None:
            return match
    return None


def find_takeout_json(media_name: str, siblings: set[str]) -> str | None:
    """The Takeout JSON sidecar of `media_name` among its folder's file names, or None."""
    return find_sidecar(takeout_json_candidates(media_name), siblings)


def _originals(media_name: str) -> list[str]:
    """The media names whose sidecar may describe this file: itself, then the original it was edited from."""
    stem, ext = split_extension(media_name)
    core, counter = _split_counter(stem)
    unedited = _strip_edited(core)
    return [media_name] if unedited is None else [media_name, unedited + counter + ext]


def _split_counter(stem: str) -> tuple[str, str]:
    match = COUNTER.match(stem)
    return (match["core"], match["counter"]) if match else (stem, "")


def _strip_edited(stem: str) -> str | None:
    stem = unicodedata.normalize("NFC", stem)
    for suffix in EDITED_SUFFIXES:
        if len(stem) > len(suffix) and stem[-len(suffix) :].casefold() == suffix:
            return stem[: -len(suffix)]
    return None


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


# Reading the sidecar --------------------------------------------------------------------------------


def takeout_problem(json_text: str | bytes) -> str | None:
    """Why this sidecar gives no capture time, as a sentence for a person; None when it gives one."""
    data, problem = _load(json_text)
    if data is None:
        return problem
    return _taken_time(data)[1]


def takeout_evidence(json_text: str | bytes) -> list[dict[str, Any]]:
    """Evidence rows from a Takeout sidecar: the capture time (UTC) and the position, each when usable.

    `creationTime` is when the file was uploaded, not taken, so it is not evidence. A position without a
    usable time still counts: it tells the zone. Never raises; `takeout_problem` says what was wrong.
    """
    data, _ = _load(json_text)
    if data is None:
        return []
    rows = []
    epoch, _ = _taken_time(data)
    if epoch is not None:
        moment = datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)
        rows.append(
            {
                "source": "Takeout:photoTakenTime",
                "raw": str(data["photoTakenTime"]["timestamp"]),
                "local_time": moment.isoformat(timespec="seconds"),
                "utc_offset": "+00:00",
                "is_utc": 1,
                "precision": "second",
                "detail": None,
            }
        )
    # geoData is Google's best knowledge (the camera's, or the person's correction); geoDataExif is the
    # camera's alone, so it only stands in when geoData is empty.
    position = _position(data.get("geoData")) or _position(data.get("geoDataExif"))
    if position is not None:
        lat, lon = position
        rows.append(
            {
                "source": "Takeout:geoData",
                "raw": f"{lat},{lon}",
                "local_time": None,
                "utc_offset": None,
                "is_utc": 0,
                "precision": None,
                "detail": {"lat": lat, "lon": lon},
            }
        )
    return rows


def _load(json_text: str | bytes) -> tuple[dict[str, Any] | None, str | None]:
    try:
        if isinstance(json_text, bytes):
            json_text = json_text.decode("utf-8")
        data = json.loads(json_text.lstrip("\ufeff"))
    except (ValueError, TypeError, RecursionError):
        return None, "Takeout sidecar is not valid JSON"
    if not isinstance(data, dict):
        return None, "Takeout sidecar is JSON but not an object of photo details"
    return data, None


def _taken_time(data: dict[str, Any]) -> tuple[int | None, str | None]:
    taken = data.get("photoTakenTime")
    if not isinstance(taken, dict) or "timestamp" not in taken:
        return None, "Takeout sidecar has no photoTakenTime"
    epoch = _number(taken["timestamp"])
    if epoch is None:
        return None, "Takeout sidecar's photoTakenTime is not a number"
    if epoch == 0:
        return None, "Takeout sidecar's photoTakenTime is 0, which Takeout writes when the date is unknown"
    if not 0 < epoch < LATEST_EPOCH:
        return None, "Takeout sidecar's photoTakenTime is not a plausible date (before 1970 or after 2099)"
    return int(epoch), None


def _position(block: Any) -> tuple[float, float] | None:
    if not isinstance(block, dict):
        return None
    lat, lon = _number(block.get("latitude")), _number(block.get("longitude"))
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None  # 0,0 is what Takeout writes when there is no position
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _number(value: Any) -> float | None:
    """A JSON number or a number written as a string (Takeout writes timestamps as strings)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
