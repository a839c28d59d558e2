"""jobs.names: every pattern with its exact row, names that must not date, folders, [FORCE], and
properties over arbitrary text and over random times written in every pattern."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jobs.names import MAX_YEAR, MIN_YEAR, folder_evidence, has_force_marker, name_evidence

# No deadline: a slow CI machine is not a bug in the parser.
PROPERTY = settings(max_examples=300, deadline=None)
KEYS = {"source", "raw", "local_time", "utc_offset", "is_utc", "precision", "detail"}
EPOCH = datetime(1970, 1, 1)


def expected(source: str, raw: str, local_time: str, precision: str, utc: bool = False, detail=None) -> dict:
    return {
        "source": source,
        "raw": raw,
        "local_time": local_time,
        "utc_offset": "+00:00" if utc else None,
        "is_utc": int(utc),
        "precision": precision,
        "detail": detail,
    }


T = "2019-07-04T18:30:45"
D = "2019-07-04"
NAMES = [
    # (file name, pattern id, local_time, precision, utc, detail)
    ("IMG_20190704_183045.jpg", "IMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("img_20190704_183045.JPG", "IMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("IMG_20190704_183045", "IMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("VID_20190704_183045.mp4", "VID_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("PANO_20190704_183045.jpg", "PANO_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("MVIMG_20190704_183045.jpg", "MVIMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("IMG_20190704_183045_BURST002_COVER.jpg", "IMG_YYYYMMDD_HHMMSS", T, "second", False, {"burst": 2}),
    ("IMG_20190704_183045(1).jpg", "IMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("IMG_20190704_183045-edited.jpg", "IMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("IMG_20190704_183045 copy.jpg", "IMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    ("IMG_20190704_183045~2.jpg", "IMG_YYYYMMDD_HHMMSS", T, "second", False, None),
    (
        "00000IMG_00000_BURST20190704183045_COVER.jpg",
        "BURST",
        T,
        "second",
        False,
        {"burst": 0, "cover": True},
    ),
    ("00003IMG_00003_BURST20190704183045123.jpg", "BURST", T + ".123", "second", False, {"burst": 3}),
    ("20190704_183045.jpg", "YYYYMMDD_HHMMSS", T, "second", False, None),
    ("20190704_183045_001.jpg", "YYYYMMDD_HHMMSS", T, "second", False, {"burst": 1}),
    ("20190704_183045(1).jpg", "YYYYMMDD_HHMMSS", T, "second", False, None),
    ("Screenshot_20190704-183045.png", "YYYYMMDD-HHMMSS", T, "second", False, None),
    ("Screenshot_20190704-183045_WhatsApp.jpg", "YYYYMMDD-HHMMSS", T, "second", False, None),
    ("PXL_20210704_183045123.jpg", "PXL", "2021-07-04T18:30:45.123", "second", True, None),
    ("PXL_20210704_183045123.MP.jpg", "PXL", "2021-07-04T18:30:45.123", "second", True, None),
    ("PXL_20210704_183045123.NIGHT.jpg", "PXL", "2021-07-04T18:30:45.123", "second", True, None),
    ("PXL_20210704_183045123_NIGHT.jpg", "PXL", "2021-07-04T18:30:45.123", "second", True, None),
    ("PXL_20210704_183045123.PORTRAIT.jpg", "PXL", "2021-07-04T18:30:45.123", "second", True, None),
    ("20190704183045.jpg", "YYYYMMDDHHMMSS", T, "second", False, None),
    ("IMG20190704183045.jpg", "YYYYMMDDHHMMSS", T, "second", False, None),
    ("VID20190704183045.mp4", "YYYYMMDDHHMMSS", T, "second", False, None),
    ("2019-07-04-18-30-45.jpg", "YYYY-MM-DD-HH-MM-SS", T, "second", False, None),
    ("photo_2019-07-04_18-30-45.jpg", "YYYY-MM-DD-HH-MM-SS", T, "second", False, None),
    ("2019-07-04 18.30.45.jpg", "Dropbox", T, "second", False, None),
    ("2019-07-04 18.30.45-1.jpg", "Dropbox", T, "second", False, None),
    ("signal-2021-07-04-183045.jpg", "signal", "2021-07-04T18:30:45", "second", False, None),
    ("signal-2021-07-04-183045_001.jpg", "signal", "2021-07-04T18:30:45", "second", False, None),
    ("Screenshot 2019-07-04 at 18.30.45.png", "Screenshot_24h", T, "second", False, None),
    ("Screen Shot 2019-07-04 at 6.30.45 PM.png", "Screenshot_12h", T, "second", False, None),
    ("Screen Shot 2019-07-04 at 6.30.45 AM.png", "Screenshot_12h", D + "T06:30:45", "second", False, None),
    ("Screenshot 2019-07-04 at 6.30.45\u202fPM.png", "Screenshot_12h", T, "second", False, None),
    (
        "Screenshot 2019-07-04 at 12.05.09\u202fAM.png",
        "Screenshot_12h",
        D + "T00:05:09",
        "second",
        False,
        None,
    ),
    (
        "Screenshot 2019-07-04 at 12.05.09\u202fPM (2).png",
        "Screenshot_12h",
        D + "T12:05:09",
        "second",
        False,
        None,
    ),
    ("Screen Shot 2019-07-04 at 11.59.59 pm.png", "Screenshot_12h", D + "T23:59:59", "second", False, None),
    # WhatsApp Desktop and Web name their downloads the same way.
    ("WhatsApp Image 2019-07-04 at 18.30.45 (1).jpeg", "Screenshot_24h", T, "second", False, None),
    ("WhatsApp Image 2019-07-04 at 6.30.45\u202fPM.jpeg", "Screenshot_12h", T, "second", False, None),
    ("IMG-20190704-WA0001.jpg", "WhatsApp", D, "day", False, None),
    ("VID-20190704-WA0012.mp4", "WhatsApp", D, "day", False, None),
    ("AUD-20190704-WA0003.opus", "WhatsApp", D, "day", False, None),
    ("PTT-20190704-WA0004.opus", "WhatsApp", D, "day", False, None),
    ("IMG-20190704-WA0001 (1).jpg", "WhatsApp", D, "day", False, None),
    ("FB_IMG_1562265045123.jpg", "epoch_ms", T + ".123", "second", True, None),
    ("received_1562265045123.jpeg", "epoch_ms", T + ".123", "second", True, None),
    ("1562265045123.jpg", "epoch_ms", T + ".123", "second", True, None),
    ("mmexport1562265045123.jpg", "epoch_ms", T + ".123", "second", True, None),
    ("2019_07_04_18_30_45.jpg", "YYYY_MM_DD_HH_MM_SS", T, "second", False, None),
    ("2019-07-04.jpg", "YYYY-MM-DD", D, "day", False, None),
    ("Beach 2019-07-04 (1).jpg", "YYYY-MM-DD", D, "day", False, None),
    ("2019_07_04", "YYYY_MM_DD", D, "day", False, None),
    ("2019_07_04.png", "YYYY_MM_DD", D, "day", False, None),
    ("20190704", "YYYYMMDD", D, "day", False, None),
    ("20190704.jpg", "YYYYMMDD", D, "day", False, None),
    ("IMG_20190704.jpg", "YYYYMMDD", D, "day", False, None),
    ("2020-02-29.jpg", "YYYY-MM-DD", "2020-02-29", "day", False, None),
    ("1826-01-01.tif", "YYYY-MM-DD", "1826-01-01", "day", False, None),
    ("IMG_20190704_183045 [FORCE].jpg", "IMG_YYYYMMDD_HHMMSS", T, "second", False, {"force": True}),
    ("[force]2019-07-04.jpg", "YYYY-MM-DD", D, "day", False, {"force": True}),
    ("[FORCE] 1562265045123.jpg", "epoch_ms", T + ".123", "second", True, {"force": True}),
    ("20190704_183045_002[Force].jpg", "YYYYMMDD_HHMMSS", T, "second", False, {"burst": 2, "force": True}),
]


@pytest.mark.parametrize(("name", "pattern_id", "local_time", "precision", "utc", "detail"), NAMES)
def test_each_name_pattern_gives_its_exact_row(name, pattern_id, local_time, precision, utc, detail):
    assert name_evidence(name) == [expected(f"Name:{pattern_id}", name, local_time, precision, utc, detail)]


NOT_DATES = [
    "DSC_1234.jpg",
    "IMG_1234.JPG",
    "P1010001.JPG",
    "12345678.jpg",
    "IMG_99999999_999999.jpg",
    "20191332_101010.jpg",
    "20190230_101010.jpg",  # 30 February
    "20190229.jpg",  # not a leap year
    "IMG_20190704_243045.jpg",  # hour 24
    "IMG_20190704_186045.jpg",  # minute 60
    "IMG_20190704_183060.jpg",  # second 60
    "IMG_20190704_256199.jpg",  # a valid date is not read out of an impossible timestamp
    "Screen Shot 2019-07-04 at 13.30.45 PM.png",  # 12-hour clock hour 13
    "Screen Shot 2019-07-04 at 0.30.45 AM.png",  # 12-hour clock hour 0
    "Screenshot 2019-07-04 at 24.00.00.png",
    "1825-12-31.jpg",
    "2101-01-01.jpg",
    "v1.2.3.jpg",
    "setup-2.10.4.exe",
    "app-1.20190704.apk",
    "release-20190704.1.zip",
    "+491701234567.jpg",
    "+4915112345678.jpg",
    "12345678901234567890.jpg",
    "123456789012345.jpg",
    "0123456789.jpg",
    "9999999999999.jpg",  # epoch ms in 2286
    "0000000000001.jpg",  # epoch ms in 1970
    "0946684799999.jpg",  # one millisecond before 2000
    "a3f20190704b9.jpg",  # a hex id
    "1562265045123abc.jpg",
    "IMG-99999999-WA0001.jpg",
    "PXL_20211332_183045123.jpg",
    "",
    "[FORCE]",
    "holiday.jpg",
]


@pytest.mark.parametrize("name", NOT_DATES)
def test_names_that_are_not_dates_give_no_row(name):
    assert name_evidence(name) == []


FOLDERS = [
    # (component, pattern id, local_time, precision)
    ("2019", "YYYY", "2019", "year"),
    ("2019-07", "YYYY-MM", "2019-07", "month"),
    ("2019_07", "YYYY-MM", "2019-07", "month"),
    ("2019.07", "YYYY-MM", "2019-07", "month"),
    ("2019-07 Italy", "YYYY-MM", "2019-07", "month"),
    ("2019-07-04", "YYYY-MM-DD", "2019-07-04", "day"),
    ("2019-07-04 Beach day", "YYYY-MM-DD", "2019-07-04", "day"),
    ("2019_07_04_Wedding", "YYYY-MM-DD", "2019-07-04", "day"),
    ("2019.07.04", "YYYY-MM-DD", "2019-07-04", "day"),
    ("20190704 Zoo", "YYYYMMDD", "2019-07-04", "day"),
    ("Photos from 2019", "Takeout", "2019", "year"),
    ("July 2019", "Month_YYYY", "2019-07", "month"),
    ("2019 July", "Month_YYYY", "2019-07", "month"),
    ("Jan 2019", "Month_YYYY", "2019-01", "month"),
    ("Sept. 2019", "Month_YYYY", "2019-09", "month"),
    ("Juli 2019", "Month_YYYY", "2019-07", "month"),
    ("März 2019", "Month_YYYY", "2019-03", "month"),
    ("Ma\u0308rz 2019", "Month_YYYY", "2019-03", "month"),  # macOS stores names decomposed
    ("janvier 2020", "Month_YYYY", "2020-01", "month"),
    ("août 2020", "Month_YYYY", "2020-08", "month"),
    ("enero 2021", "Month_YYYY", "2021-01", "month"),
    ("januari 2021", "Month_YYYY", "2021-01", "month"),
    ("Holiday July 2017 Italy", "Month_YYYY", "2017-07", "month"),
    ("Summer 2015", "words_YYYY", "2015", "year"),
    ("Christmas 2018", "words_YYYY", "2018", "year"),
    ("Holiday 2017 Italy", "words_YYYY", "2017", "year"),
    ("Summer_2015", "words_YYYY", "2015", "year"),
    ("July-August 2019", "words_YYYY", "2019", "year"),  # a span: the month is not known
]


@pytest.mark.parametrize(("component", "pattern_id", "local_time", "precision"), FOLDERS)
def test_each_folder_pattern_gives_its_exact_row(component, pattern_id, local_time, precision):
    assert folder_evidence(component) == [expected(f"Folder:{pattern_id}", component, local_time, precision)]


@pytest.mark.parametrize(
    "component",
    [
        "",
        "DCIM",
        "100CANON",
        "Camera",
        "New folder (2)",
        "Backup 1234",
        "Backup 2019",
        "1999-2001",
        "2019 - 2020",
        "Trip 2019 day 2",
        "2019-13",
        "2019-02-30",
        "2019-07-04-2019-07-10",
        "1825",
        "2101",
        "12345",
        "v2019.1",
        "WhatsApp Images",
        "Before 2010",
    ],
)
def test_folders_without_a_date_give_no_row(component):
    assert folder_evidence(component) == []


def test_folder_rows_come_deepest_first_one_per_dated_component():
    rows = folder_evidence("Photos/2019/July 2019/2019-07-04 Zoo/Camera")
    assert [(row["raw"], row["local_time"], row["precision"]) for row in rows] == [
        ("2019-07-04 Zoo", "2019-07-04", "day"),
        ("July 2019", "2019-07", "month"),
        ("2019", "2019", "year"),
    ]


@pytest.mark.parametrize(
    ("name", "marked"),
    [
        ("IMG_1234 [FORCE].jpg", True),
        ("[force]x.jpg", True),
        ("a[Force]b", True),
        ("FORCE.jpg", False),
        ("", False),
    ],
)
def test_force_marker_is_found_anywhere_whatever_the_case(name, marked):
    assert has_force_marker(name) is marked


def test_force_marker_alone_does_not_make_a_date():
    assert name_evidence("holiday [FORCE].jpg") == []


def test_removing_the_force_marker_never_glues_digits_together():
    assert name_evidence("2019[FORCE]0704.jpg") == []


# Properties ----------------------------------------------------------------------------------------

WIDTH = {"year": 4, "month": 7, "day": 10, "minute": 16, "second": 19}
FORMAT = {
    "year": "%Y",
    "month": "%Y-%m",
    "day": "%Y-%m-%d",
    "minute": "%Y-%m-%dT%H:%M",
    "second": "%Y-%m-%dT%H:%M:%S",
}


def assert_sound(rows: list[dict[str, Any]]) -> None:
    """Every row is well formed and its time is inside the accepted range."""
    for row in rows:
        assert set(row) == KEYS
        text = row["local_time"]
        assert len(text) in (WIDTH[row["precision"]], 23)
        parsed = datetime.strptime(text, FORMAT[row["precision"]] + (".%f" if len(text) == 23 else ""))
        assert MIN_YEAR <= parsed.year <= MAX_YEAR
        assert row["is_utc"] in (0, 1)
        assert row["utc_offset"] == ("+00:00" if row["is_utc"] else None)
        assert row["detail"] is None or (isinstance(row["detail"], dict) and row["detail"])


@PROPERTY
@given(st.text())
def test_arbitrary_text_never_crashes_nor_gives_an_out_of_range_date(text):
    rows = name_evidence(text)
    assert len(rows) <= 1
    assert_sound(rows)
    folders = folder_evidence(text)
    assert all(row["precision"] in ("year", "month", "day") for row in folders)
    assert_sound(folders)


PREFIXES = [
    "",
    "IMG_",
    "VID-",
    "PXL_",
    "signal-",
    "FB_IMG_",
    "Screenshot_",
    "Screen Shot ",
    "[FORCE]",
    "00000IMG_00000_BURST",
]
# Loose characters, and digit runs of any length glued by the separators the patterns use, so that
# many samples have the shape of a pattern with random (mostly impossible) fields.
digit_runs = st.lists(
    st.tuples(
        st.sampled_from(["", "_", "-", ".", " ", " at ", "\u202f", "+", "-WA", "[FORCE]"]),
        st.text(alphabet="0123456789", min_size=1, max_size=17),
    ),
    max_size=6,
).map(lambda parts: "".join(separator + digits for separator, digits in parts))
digits_and_separators = st.one_of(
    st.text(alphabet="0123456789_-. :+()[]APMWat\u202f", max_size=40), digit_runs
)


@PROPERTY
@given(st.sampled_from(PREFIXES), digits_and_separators, st.sampled_from(["", ".jpg", ".MP.jpg", " (1).png"]))
def test_digit_and_separator_soup_never_gives_an_out_of_range_date(prefix, body, extension):
    rows = name_evidence(prefix + body + extension)
    assert len(rows) <= 1
    assert_sound(rows)
    assert_sound(folder_evidence(body.replace(".", "/")))


@PROPERTY
@given(
    st.integers(min_value=9, max_value=40).flatmap(
        lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
    )
)
def test_long_digit_runs_are_ids_not_dates(digits):
    rows = name_evidence(digits + ".jpg")
    if len(digits) == 13:  # the only long run with a meaning: epoch milliseconds, within 2000..2100
        assert rows == [] or rows[0]["source"] == "Name:epoch_ms"
        assert rows == [] or "2000" <= rows[0]["local_time"] < "2100"
    elif len(digits) != 14:
        assert rows == []


def _h12(moment: datetime) -> str:
    return f"{moment.hour % 12 or 12}.{moment:%M.%S}"


def _ampm(moment: datetime) -> str:
    return "PM" if moment.hour >= 12 else "AM"


# pattern id -> (writer, precision, carries milliseconds)
FORMATS: dict[str, tuple[Callable[[datetime], str], str, bool]] = {
    "PXL": (lambda m: f"PXL_{m:%Y%m%d_%H%M%S}{m.microsecond // 1000:03d}.MP.jpg", "second", True),
    "BURST": (lambda m: f"00000IMG_00000_BURST{m:%Y%m%d%H%M%S}_COVER.jpg", "second", False),
    "IMG_YYYYMMDD_HHMMSS": (lambda m: f"IMG_{m:%Y%m%d_%H%M%S}.jpg", "second", False),
    "VID_YYYYMMDD_HHMMSS": (lambda m: f"vid_{m:%Y%m%d_%H%M%S}.mp4", "second", False),
    "PANO_YYYYMMDD_HHMMSS": (lambda m: f"PANO_{m:%Y%m%d_%H%M%S}.jpg", "second", False),
    "MVIMG_YYYYMMDD_HHMMSS": (lambda m: f"MVIMG_{m:%Y%m%d_%H%M%S}.jpg", "second", False),
    "Screenshot_12h": (
        lambda m: f"Screen Shot {m:%Y-%m-%d} at {_h12(m)}\u202f{_ampm(m)}.png",
        "second",
        False,
    ),
    "Screenshot_24h": (lambda m: f"Screenshot {m:%Y-%m-%d} at {m:%H.%M.%S}.png", "second", False),
    "signal": (lambda m: f"signal-{m:%Y-%m-%d-%H%M%S}_001.jpg", "second", False),
    "Dropbox": (lambda m: f"{m:%Y-%m-%d %H.%M.%S}-1.jpg", "second", False),
    "YYYY-MM-DD-HH-MM-SS": (lambda m: f"{m:%Y-%m-%d-%H-%M-%S}.jpg", "second", False),
    "YYYY_MM_DD_HH_MM_SS": (lambda m: f"{m:%Y_%m_%d_%H_%M_%S}.jpg", "second", False),
    "YYYYMMDD-HHMMSS": (lambda m: f"Screenshot_{m:%Y%m%d-%H%M%S}_WhatsApp.jpg", "second", False),
    "YYYYMMDD_HHMMSS": (lambda m: f"{m:%Y%m%d_%H%M%S}_007.jpg", "second", False),
    "YYYYMMDDHHMMSS": (lambda m: f"IMG{m:%Y%m%d%H%M%S}.jpg", "second", False),
    "WhatsApp": (lambda m: f"IMG-{m:%Y%m%d}-WA0042.jpg", "day", False),
    "epoch_ms": (lambda m: f"received_{(m - EPOCH) // timedelta(milliseconds=1)}.jpeg", "second", True),
    "YYYY-MM-DD": (lambda m: f"{m:%Y-%m-%d}-edited.jpg", "day", False),
    "YYYY_MM_DD": (lambda m: f"{m:%Y_%m_%d}.jpg", "day", False),
    "YYYYMMDD": (lambda m: f"IMG_{m:%Y%m%d}.jpg", "day", False),
}


def format_name(moment: datetime, pattern_id: str) -> str:
    return FORMATS[pattern_id][0](moment)


times = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59, 999999)
).map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))


@PROPERTY
@given(times, st.sampled_from(sorted(FORMATS)), st.sampled_from([None, "start", "end"]))
def test_any_time_written_in_a_pattern_reads_back_exactly(moment, pattern_id, force):
    if pattern_id == "epoch_ms":
        assume(moment >= EPOCH + timedelta(milliseconds=10**12))  # the first 13-digit millisecond, in 2001
    _, precision, with_ms = FORMATS[pattern_id]
    name = format_name(moment, pattern_id)
    if force == "start":
        name = "[FORCE]" + name
    elif force == "end":
        stem, extension = name.rsplit(".", 1)
        name = f"{stem}[FORCE].{extension}"
    [row] = name_evidence(name)
    text = moment.isoformat(timespec="milliseconds")
    assert row["source"] == f"Name:{pattern_id}"
    assert row["local_time"] == (text if with_ms else text[: WIDTH[precision]])
    assert row["precision"] == precision
    assert row["is_utc"] == int(pattern_id in ("PXL", "epoch_ms"))
    assert bool((row["detail"] or {}).get("force")) is (force is not None)


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
FOLDER_FORMATS: dict[str, tuple[Callable[[datetime], str], str]] = {
    "YYYY": (lambda m: f"{m:%Y}", "year"),
    "Takeout": (lambda m: f"Photos from {m:%Y}", "year"),
    "words_YYYY": (lambda m: f"Summer {m:%Y} Italy", "year"),
    "YYYY-MM": (lambda m: f"{m:%Y_%m}", "month"),
    "Month_YYYY": (lambda m: f"{MONTHS[m.month - 1]} {m:%Y}", "month"),
    "YYYY-MM-DD": (lambda m: f"{m:%Y-%m-%d} Beach day", "day"),
    "YYYYMMDD": (lambda m: f"{m:%Y%m%d}_Wedding", "day"),
}


@PROPERTY
@given(times, st.sampled_from(sorted(FOLDER_FORMATS)))
def test_any_date_written_in_a_folder_pattern_reads_back_exactly(moment, pattern_id):
    write, precision = FOLDER_FORMATS[pattern_id]
    [row] = folder_evidence(f"Import/{write(moment)}/DCIM")
    assert row["source"] == f"Folder:{pattern_id}"
    assert row["local_time"] == moment.isoformat()[: WIDTH[precision]]
    assert row["precision"] == precision


# pattern id -> name layout with raw fields, so that impossible fields are written too
LAYOUTS = {
    "PXL": "PXL_{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}000.jpg",
    "BURST": "00000IMG_00000_BURST{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}_COVER.jpg",
    "IMG_YYYYMMDD_HHMMSS": "IMG_{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}.jpg",
    "Screenshot_12h": "Screen Shot {y:04}-{mo:02}-{d:02} at {h}.{mi:02}.{s:02} {ampm}.png",
    "Screenshot_24h": "Screenshot {y:04}-{mo:02}-{d:02} at {h:02}.{mi:02}.{s:02}.png",
    "signal": "signal-{y:04}-{mo:02}-{d:02}-{h:02}{mi:02}{s:02}.jpg",
    "Dropbox": "{y:04}-{mo:02}-{d:02} {h:02}.{mi:02}.{s:02}.jpg",
    "YYYY-MM-DD-HH-MM-SS": "{y:04}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}.jpg",
    "YYYY_MM_DD_HH_MM_SS": "{y:04}_{mo:02}_{d:02}_{h:02}_{mi:02}_{s:02}.jpg",
    "YYYYMMDD-HHMMSS": "Screenshot_{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}.png",
    "YYYYMMDD_HHMMSS": "{y:04}{mo:02}{d:02}_{h:02}{mi:02}{s:02}_001.jpg",
    "YYYYMMDDHHMMSS": "{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}.jpg",
    "WhatsApp": "IMG-{y:04}{mo:02}{d:02}-WA0001.jpg",
    "YYYY-MM-DD": "{y:04}-{mo:02}-{d:02}.jpg",
    "YYYY_MM_DD": "{y:04}_{mo:02}_{d:02}.jpg",
    "YYYYMMDD": "IMG_{y:04}{mo:02}{d:02}.jpg",
}
near_years = st.one_of(st.integers(0, 9999), st.integers(MIN_YEAR - 3, MAX_YEAR + 3))


def written_time(fields: dict[str, Any], precision: str) -> str | None:
    """The time the fields name, or None when any of them is out of range."""
    hour = fields["h"]
    if "ampm" in fields:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if fields["ampm"] == "PM" else 0)
    if not MIN_YEAR <= fields["y"] <= MAX_YEAR:
        return None
    try:
        moment = datetime(fields["y"], fields["mo"], fields["d"], hour, fields["mi"], fields["s"])
    except ValueError:
        return None
    return moment.isoformat()[: WIDTH[precision]]


@PROPERTY
@given(
    st.sampled_from(sorted(LAYOUTS)),
    st.fixed_dictionaries(
        {
            "y": near_years,
            "mo": st.integers(0, 13),
            "d": st.integers(0, 32),
            "h": st.integers(0, 25),
            "mi": st.integers(0, 61),
            "s": st.integers(0, 61),
        }
    ),
    st.sampled_from(["AM", "PM"]),
)
def test_a_pattern_with_any_impossible_field_gives_no_row_at_all(pattern_id, fields, ampm):
    if pattern_id == "Screenshot_12h":
        fields = {**fields, "ampm": ampm}
    precision = "day" if pattern_id in ("WhatsApp", "YYYY-MM-DD", "YYYY_MM_DD", "YYYYMMDD") else "second"
    if precision == "day":
        fields = {**fields, "h": 0, "mi": 0, "s": 0}
    rows = name_evidence(LAYOUTS[pattern_id].format(**fields))
    time = written_time(fields, precision)
    if time is None:
        assert rows == []
    else:
        assert [row["local_time"][:19] for row in rows] == [time]
        assert rows[0]["source"] == f"Name:{pattern_id}"


@PROPERTY
@given(
    near_years,
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["{y:04}", "{y:04}_{mo:02}", "{y:04}-{mo:02}-{d:02} Trip"]),
)
def test_a_folder_with_any_impossible_field_gives_no_row(year, month, day, layout):
    rows = folder_evidence(layout.format(y=year, mo=month, d=day))
    precision = {1: "year", 2: "month", 3: "day"}[layout.count("{")]
    fields = {"y": year, "mo": month if precision != "year" else 1, "d": day if precision == "day" else 1}
    time = written_time({**fields, "h": 0, "mi": 0, "s": 0}, precision)
    assert [row["local_time"] for row in rows] == ([time] if time else [])
