"""Date evidence read from file names and folder names. Pure: no file, clock or database.

A name is weaker than an embedded date but often the only one (WhatsApp strips metadata, scans
have none), and the timestamp engine takes what it gets here at face value. So every pattern is
bounded by delimiters, every field is range-checked, and a name whose most specific shape holds
impossible fields yields nothing rather than a shorter date guessed from part of it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

MIN_YEAR, MAX_YEAR = 1826, 2100  # the oldest surviving photograph; "not after now" is the engine's job
EPOCH = datetime(1970, 1, 1)
# A 13-digit run outside these bounds is an id or a phone number, not a capture time. (Thirteen
# digits start in September 2001; shorter runs are too easily phone numbers to read as epochs.)
EPOCH_FIRST, EPOCH_END = datetime(2000, 1, 1), datetime(2100, 1, 1)
WIDTH = {"year": 4, "month": 7, "day": 10, "minute": 16, "second": 19}
FORCE = re.compile(r"\[force\]", re.IGNORECASE)

# A digit run counts only whole: not glued to more digits, to a '+' (phone numbers) or across a
# decimal point (version strings such as 1.20190704).
L = r"(?<![0-9+])(?<![0-9]\.)"
R = r"(?![0-9])(?!\.[0-9])"
# Bare digit runs (no inner separators) must also stand apart from letters, so that hex ids such as
# a3f20190704b never read as dates; Oppo and Huawei glue IMG/VID straight onto the digits.
LC = r"(?:(?<![0-9a-z+])(?<![0-9]\.)|(?<=IMG|VID|PIC))"
RC = r"(?![0-9a-z])(?!\.[0-9])"
YMD = r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})"
HMS = r"(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})"
Y_M_D = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
SPACE = "[ \u00a0\u202f]"  # newer macOS puts a narrow no-break space before AM/PM
MAC = L + Y_M_D + SPACE + r"at" + SPACE + r"(?P<h>\d{1,2})\.(?P<mi>\d{2})\.(?P<s>\d{2})"

# (pattern id, regex, is UTC), most specific first: the first pattern that matches decides.
# "{prefix}" in an id is filled from the name: IMG_, VID_, PANO_ and MVIMG_ share one layout.
NAME_PATTERNS = [
    ("PXL", r"PXL_" + YMD + "_" + HMS + r"(?P<ms>\d{3})" + R, True),
    (
        "BURST",
        r"(?:IMG_(?P<burst>\d{5})_)?BURST" + YMD + HMS + r"(?P<ms>\d{3})?" + R + r"(?P<cover>_COVER)?",
        False,
    ),
    (
        "{prefix}_YYYYMMDD_HHMMSS",
        r"(?P<prefix>IMG|VID|PANO|MVIMG)_" + YMD + "_" + HMS + r"(?:_(?:BURST)?(?P<burst>\d{3}))?" + R,
        False,
    ),
    ("Screenshot_12h", MAC + SPACE + r"*(?P<ampm>[ap]m)(?![a-z])", False),
    ("Screenshot_24h", MAC + R, False),
    ("signal", r"signal-" + Y_M_D + "-" + HMS + R, False),
    ("Dropbox", L + Y_M_D + r" (?P<h>\d{2})\.(?P<mi>\d{2})\.(?P<s>\d{2})" + R, False),
    ("YYYY-MM-DD-HH-MM-SS", L + Y_M_D + r"[-_](?P<h>\d{2})-(?P<mi>\d{2})-(?P<s>\d{2})" + R, False),
    (
        "YYYY_MM_DD_HH_MM_SS",
        L + r"(?P<y>\d{4})_(?P<mo>\d{2})_(?P<d>\d{2})_(?P<h>\d{2})_(?P<mi>\d{2})_(?P<s>\d{2})" + R,
        False,
    ),
    ("YYYYMMDD-HHMMSS", L + YMD + "-" + HMS + R, False),
    ("YYYYMMDD_HHMMSS", L + YMD + "_" + HMS + r"(?:_(?P<burst>\d{3}))?" + R, False),
    ("YYYYMMDDHHMMSS", LC + YMD + HMS + RC, False),
    ("WhatsApp", r"(?:IMG|VID|AUD|PTT|STK|DOC)-" + YMD + r"-WA\d+", False),
    ("epoch_ms", r"^(?:FB_IMG_|received_|mmexport|wx_camera_)?(?P<epoch>\d{13})" + RC, True),
    ("YYYY-MM-DD", L + Y_M_D + R, False),
    ("YYYY_MM_DD", L + r"(?P<y>\d{4})_(?P<mo>\d{2})_(?P<d>\d{2})" + R, False),
    ("YYYYMMDD", LC + YMD + RC, False),
]
# ASCII: \d must not accept other scripts' digits, which int() would happily read.
NAME_TABLE = [(pid, re.compile(regex, re.IGNORECASE | re.ASCII), utc) for pid, regex, utc in NAME_PATTERNS]

# Folder components: a date at the start, then nothing or separators and text (not more digits,
# which would make it a range or a timestamp we do not read).
TAIL = r"(?:[\s_\-.,]+[^\d\s_\-.,].*)?"
FOLDER_DATES = [
    (
        "YYYY-MM-DD",
        re.compile(r"(?P<y>\d{4})(?P<sep>[-_.])(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})" + TAIL, re.ASCII | re.S),
    ),
    ("YYYYMMDD", re.compile(YMD + TAIL, re.ASCII | re.S)),
    ("YYYY-MM", re.compile(r"(?P<y>\d{4})[-_.](?P<mo>\d{2})" + TAIL, re.ASCII | re.S)),
]
MONTH_NAMES = {
    1: "january jan januar jänner janvier enero januari",
    2: "february feb februar février fevrier febrero februari",
    3: "march mar märz maerz marz mars marzo maart",
    4: "april apr avril abril",
    5: "may mai mayo mei",
    6: "june jun juni juin junio",
    7: "july jul juli juillet julio",
    8: "august aug août aout agosto augustus",
    9: "september sep sept septembre septiembre setiembre",
    10: "october oct oktober okt octobre octubre",
    11: "november nov novembre noviembre",
    12: "december dec dezember dez décembre decembre diciembre",
}
MONTHS = {name: number for number, names in MONTH_NAMES.items() for name in names.split()}
# A year beside these words dates the copy or a boundary, not the photos inside.
NOT_CAPTURE = {"backup", "backups", "export", "exports", "import", "imports", "sync", "upload", "uploads"}
NOT_CAPTURE |= {"before", "after", "since", "until"}
NOT_CAPTURE |= {"bis", "ab", "avant", "après", "depuis", "antes", "desde"}  # German, French, Spanish
YEAR = re.compile(r"\d{4}", re.ASCII)
TOKEN = re.compile(r"[^\W_]+")


def has_force_marker(name: str) -> bool:
    """`[FORCE]` anywhere in the name: the original CLI's "this name's date wins outright"."""
    return FORCE.search(name) is not None


def name_evidence(file_name: str) -> list[dict[str, Any]]:
    """At most one row: the most specific date pattern in the file name, if its fields are valid."""
    force = has_force_marker(file_name)
    # A space, not nothing, so that removing the marker never glues two digit runs into one.
    text = FORCE.sub(" ", file_name).strip()
    for pattern_id, regex, utc in NAME_TABLE:
        match = regex.search(text)
        if match is None:
            continue
        parsed = _name_moment(match.groupdict())
        if parsed is None:
            return []
        moment, precision, with_ms = parsed
        pattern_id = pattern_id.format(prefix=(match.groupdict().get("prefix") or "").upper())
        detail: dict[str, Any] = {}
        if match.groupdict().get("burst"):
            detail["burst"] = int(match["burst"])
        if match.groupdict().get("cover"):
            detail["cover"] = True
        if force:
            detail["force"] = True
        return [_row(f"Name:{pattern_id}", file_name, moment, precision, utc=utc, ms=with_ms, detail=detail)]
    return []


def folder_evidence(rel_dir: str) -> list[dict[str, Any]]:
    """One row per folder component that names a date (year, month or day), deepest first."""
    rows = []
    for component in reversed(rel_dir.split("/")):
        found = _folder_date(unicodedata.normalize("NFC", component).strip())
        if found is not None:
            pattern_id, moment, precision = found
            rows.append(_row(f"Folder:{pattern_id}", component, moment, precision))
    return rows


def _name_moment(groups: dict[str, str | None]) -> tuple[datetime, str, bool] | None:
    """(moment, precision, has milliseconds) from a name's fields, None if any is out of range."""
    if groups.get("epoch"):
        moment = EPOCH + timedelta(milliseconds=int(groups["epoch"]))
        return (moment, "second", True) if EPOCH_FIRST <= moment < EPOCH_END else None
    hour = groups.get("h")
    if hour is None:
        moment = _moment(groups["y"], groups["mo"], groups["d"])
        return (moment, "day", False) if moment else None
    hour_value = int(hour)
    if groups.get("ampm"):
        if not 1 <= hour_value <= 12:
            return None
        hour_value = hour_value % 12 + (12 if groups["ampm"].lower() == "pm" else 0)
    ms = groups.get("ms")
    moment = _moment(groups["y"], groups["mo"], groups["d"], hour_value, groups["mi"], groups["s"])
    if moment is None:
        return None
    return moment + timedelta(milliseconds=int(ms or 0)), "second", ms is not None


def _moment(year: str | int, month: str | int, day: str | int = 1, *hms: str | int) -> datetime | None:
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        return None
    try:
        # datetime itself rejects month 13, 30 February, hour 24 and second 60.
        return datetime(int(year), int(month), int(day), *(int(part) for part in hms))
    except ValueError:
        return None


def _folder_date(component: str) -> tuple[str, datetime, str] | None:
    for pattern_id, regex in FOLDER_DATES:
        match = regex.fullmatch(component)
        if match:
            moment = _moment(match["y"], match["mo"], match.groupdict().get("d") or 1)
            return (pattern_id, moment, "month" if pattern_id == "YYYY-MM" else "day") if moment else None
    return _folder_words(component)


def _folder_words(component: str) -> tuple[str, datetime, str] | None:
    """ "2019", "Photos from 2019", "July 2019", "2019 Juli", "Summer 2015", "Holiday 2017 Italy".

    Exactly one year among plain words; any other digits (a counter, a second year, "100CANON")
    mean the component is not a date we can read.
    """
    tokens = TOKEN.findall(component)
    years = [index for index, token in enumerate(tokens) if YEAR.fullmatch(token)]
    if len(years) != 1 or any(not token.isalpha() for i, token in enumerate(tokens) if i != years[0]):
        return None
    index = years[0]
    moment = _moment(tokens[index], 1)
    words = [token.casefold() for token in tokens]
    if moment is None or NOT_CAPTURE.intersection(words):
        return None
    if len(tokens) == 1:
        return "YYYY", moment, "year"
    if words == ["photos", "from", words[index]]:
        return "Takeout", moment, "year"
    named = [word for word in words if word in MONTHS]
    neighbours = {words[i] for i in (index - 1, index + 1) if 0 <= i < len(words)}
    # Two month names ("July-August 2019") are a span: the year is all we know.
    if len(named) == 1 and named[0] in neighbours:
        return "Month_YYYY", moment.replace(month=MONTHS[named[0]]), "month"
    return "words_YYYY", moment, "year"


def _row(
    source: str,
    raw: str,
    moment: datetime,
    precision: str,
    *,
    utc: bool = False,
    ms: bool = False,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    text = moment.isoformat(timespec="milliseconds")
    return {
        "source": source,
        "raw": raw,
        "local_time": text if ms else text[: WIDTH[precision]],
        "utc_offset": "+00:00" if utc else None,
        "is_utc": int(utc),
        "precision": precision,
        "detail": detail or None,
    }
