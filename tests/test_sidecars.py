"""jobs/sidecars.py: Takeout and XMP sidecar names as real exports write them, and Takeout evidence."""

from __future__ import annotations

import json
import unicodedata

import pytest

from jobs.sidecars import (
    find_sidecar,
    find_takeout_json,
    split_extension,
    takeout_evidence,
    takeout_json_candidates,
    takeout_problem,
    xmp_sidecar_candidates,
)

EVIDENCE_KEYS = {"source", "raw", "local_time", "utc_offset", "is_utc", "precision", "detail"}
LONG_45 = "Screenshot_20190704-183512_Samsung Internet.jpg"[:41] + ".jpg"  # 45 characters


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# Each case: the media file, the folder's other names, the sidecar Takeout gave it (or None).
NAMING_CASES = [
    # Short names, both schemes.
    ("IMG_1234.jpg", {"IMG_1234.jpg.json"}, "IMG_1234.jpg.json"),
    ("IMG_1234.jpg", {"IMG_1234.jpg.supplemental-metadata.json"}, "IMG_1234.jpg.supplemental-metadata.json"),
    ("VID_20200930_155021.mp4", {"VID_20200930_155021.mp4.json"}, "VID_20200930_155021.mp4.json"),
    # Uploaded without an extension: the JSON has none either.
    ("Family picnic.jpg", {"Family picnic.json"}, "Family picnic.json"),
    # supplemental-metadata clipped so that the JSON name is 51 characters (names from real exports).
    (
        "Screenshot_2017-07-05-10-05-26.png",
        {"Screenshot_2017-07-05-10-05-26.png.supplementa.json"},
        "Screenshot_2017-07-05-10-05-26.png.supplementa.json",
    ),
    (
        "Screenshot_20241227_105539_Edge.jpg",
        {"Screenshot_20241227_105539_Edge.jpg.supplement.json"},
        "Screenshot_20241227_105539_Edge.jpg.supplement.json",
    ),
    (
        "D7157814-D2D5-4A62-AFCE-9CF465CB7D66.jpeg",
        {"D7157814-D2D5-4A62-AFCE-9CF465CB7D66.jpeg.supp.json"},
        "D7157814-D2D5-4A62-AFCE-9CF465CB7D66.jpeg.supp.json",
    ),
    (
        "PXL_20230612_101530123.MP.jpg",
        {"PXL_20230612_101530123.MP.jpg.supplemental-met.json"},
        "PXL_20230612_101530123.MP.jpg.supplemental-met.json",
    ),
    (
        "IMG_20200101_1234567890123456789.jpg",
        {"IMG_20200101_1234567890123456789.jpg.supplemen.json"},
        "IMG_20200101_1234567890123456789.jpg.supplemen.json",
    ),
    # A suffix cut shorter than the rule needs still names this file alone; the rule's own cut wins.
    (
        "IMG_20200101.jpg",
        {"IMG_20200101.jpg.supplemental-metad.json"},
        "IMG_20200101.jpg.supplemental-metad.json",
    ),
    (
        "IMG_20200101_12345678901.jpg",
        {"IMG_20200101_12345678901.jpg.suppleme.json", "IMG_20200101_12345678901.jpg.supplemental-meta.json"},
        "IMG_20200101_12345678901.jpg.supplemental-meta.json",
    ),
    ("x" * 40 + ".jpg", {"x" * 40 + ".jpg.s.json"}, "x" * 40 + ".jpg.s.json"),
    # 45 characters: only the dot of ".supplemental-metadata" fits.
    (LONG_45, {LONG_45 + "..json"}, LONG_45 + "..json"),
    # Long names: the media name itself is cut at 46 characters (real exports).
    (
        "Urlaub in Knaufspesch in der Schneifel (38).JPG",
        {"Urlaub in Knaufspesch in der Schneifel (38).JP.json"},
        "Urlaub in Knaufspesch in der Schneifel (38).JP.json",
    ),
    (
        "Screenshot_20220207_102421_com.snapchat.android.jpg",
        {"Screenshot_20220207_102421_com.snapchat.androi.json"},
        "Screenshot_20220207_102421_com.snapchat.androi.json",
    ),
    # Duplicates: the counter moves after the extension, and never borrows the original's sidecar.
    ("image(1).jpg", {"image.jpg.json", "image.jpg(1).json"}, "image.jpg(1).json"),
    ("image(11).jpg", {"image.jpg(11).json"}, "image.jpg(11).json"),
    (
        "image(1).png",
        {"image.png.supplemental-metadata.json", "image.png.supplemental-metadata(1).json"},
        "image.png.supplemental-metadata(1).json",
    ),
    (
        "image(1).png",
        {"image.png.supplemental-metadata.json", "image(1).png.supplemental-metadata.json"},
        "image(1).png.supplemental-metadata.json",
    ),
    ("image(2).jpg", {"image.jpg.json", "image.jpg(1).json"}, None),
    (
        "IMG_20200920_131207_HDR(1).jpg",
        {"IMG_20200920_131207_HDR.jpg.supplemental-metad(1).json"},
        "IMG_20200920_131207_HDR.jpg.supplemental-metad(1).json",
    ),
    (
        "Urlaub in Knaufspesch in der Schneifel 2019(1).JPG",
        {"Urlaub in Knaufspesch in der Schneifel 2019.JP(1).json"},
        "Urlaub in Knaufspesch in der Schneifel 2019.JP(1).json",
    ),
    # Edited copies use the original's sidecar, in any language, whatever the Unicode form.
    ("IMG_1234-edited.jpg", {"IMG_1234.jpg", "IMG_1234.jpg.json"}, "IMG_1234.jpg.json"),
    (
        "IMG_1234-bearbeitet.jpg",
        {"IMG_1234.jpg.supplemental-metadata.json"},
        "IMG_1234.jpg.supplemental-metadata.json",
    ),
    ("IMG_1234-modifié.jpg", {"IMG_1234.jpg.json"}, "IMG_1234.jpg.json"),
    (nfd("IMG_1234-modifié.jpg"), {"IMG_1234.jpg.json"}, "IMG_1234.jpg.json"),
    ("IMG_1234-editado.jpg", {"IMG_1234.jpg.json"}, "IMG_1234.jpg.json"),
    ("IMG_1234-ha editado.jpg", {"IMG_1234.jpg.json"}, "IMG_1234.jpg.json"),
    ("IMG_1234-modificato.HEIC", {"IMG_1234.HEIC.json"}, "IMG_1234.HEIC.json"),
    ("IMG_1234-EDITED.jpg", {"IMG_1234.jpg.json"}, "IMG_1234.jpg.json"),
    ("IMG_1234-edited(1).jpg", {"IMG_1234.jpg.json", "IMG_1234.jpg(1).json"}, "IMG_1234.jpg(1).json"),
    ("IMG_1234(1)-edited.jpg", {"IMG_1234.jpg.json", "IMG_1234.jpg(1).json"}, "IMG_1234.jpg(1).json"),
    # Case and Unicode form differ after copying through other file systems.
    ("img_1234.jpg", {"IMG_1234.JPG.json"}, "IMG_1234.JPG.json"),
    ("IMG_1234.JPG", {"IMG_1234.jpg.supplemental-metadata.json"}, "IMG_1234.jpg.supplemental-metadata.json"),
    (nfd("Café.jpg"), {"Café.jpg.json"}, "Café.jpg.json"),
    # An exact match wins over a case-insensitive one earlier in the order.
    ("IMG.jpg", {"IMG.JPG.json", "IMG.jpg.supplemental-metadata.json"}, "IMG.jpg.supplemental-metadata.json"),
    # Dots inside the name.
    ("IMG.2019.07.04.jpg", {"IMG.2019.07.04.jpg.json"}, "IMG.2019.07.04.jpg.json"),
    ("IMG.2019.07.04.jpg", {"IMG.2019.07.04.json"}, "IMG.2019.07.04.json"),
    ("IMG.2019.07.04.jpg", {"IMG.2019.07.json", "IMG.2019.json"}, None),
    # No extension at all (legacy uploads).
    ("03.03.13 - 1", {"03.03.13 - 1.json"}, "03.03.13 - 1.json"),
    # Nothing there, or only a sibling's sidecar.
    ("IMG_1234.jpg", set(), None),
    ("IMG_1234.jpg", {"IMG_1235.jpg.json", "metadata.json"}, None),
    ("IMG_1234.MP4", {"IMG_1234.MP4.jpg.json"}, None),
]


@pytest.mark.parametrize(("media", "siblings", "expected"), NAMING_CASES)
def test_find_takeout_json(media: str, siblings: set[str], expected: str | None) -> None:
    assert find_takeout_json(media, siblings | {media}) == expected


def test_takeouts_own_names_come_first_and_the_bare_stem_last() -> None:
    candidates = takeout_json_candidates("IMG_1234.jpg")
    assert candidates[:3] == [
        "IMG_1234.jpg.json",
        "IMG_1234.jpg.supplemental-metadata.json",
        "IMG_1234.jpg.supplemental-metadat.json",
    ]
    assert candidates[-2:] == ["IMG_1234.jpg..json", "IMG_1234.json"]
    assert len(candidates) == len(set(candidates))


def test_the_file_itself_wins_over_a_duplicate_or_an_original() -> None:
    candidates = takeout_json_candidates("IMG_1234-edited(1).jpg")
    assert candidates.index("IMG_1234-edited(1).jpg.json") < candidates.index("IMG_1234-edited.jpg(1).json")
    assert candidates.index("IMG_1234-edited.jpg(1).json") < candidates.index("IMG_1234.jpg(1).json")
    assert "IMG_1234.jpg.json" not in candidates  # another photo's sidecar


@pytest.mark.parametrize("length", range(1, 90))
def test_clipped_names_are_prefixes_of_the_full_name_and_fit_takeouts_limit(length: int) -> None:
    media = "p" * length + ".jpg"
    for candidate in takeout_json_candidates(media):
        assert len(candidate) <= 51
        stem = candidate.removesuffix(".json")
        assert (media + ".supplemental-metadata").startswith(stem) or (media.removesuffix(".jpg")) == stem


def test_every_truncation_of_supplemental_metadata_is_produced_for_some_length() -> None:
    seen = set()
    for length in range(1, 60):
        for candidate in takeout_json_candidates("p" * length + ".jpg"):
            seen.add(candidate.removesuffix(".json").lstrip("p").removeprefix(".jpg"))
    for cut in range(len(".supplemental-metadata") + 1):
        assert ".supplemental-metadata"[:cut] in seen


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG.2019.07.04.jpg", ("IMG.2019.07.04", ".jpg")),
        ("clip.MP4", ("clip", ".MP4")),
        ("PXL_1.MP.jpg", ("PXL_1.MP", ".jpg")),
        ("03.03.13 - 1", ("03.03.13 - 1", "")),
        (".hidden", (".hidden", "")),
        ("noext", ("noext", "")),
    ],
)
def test_split_extension(name: str, expected: tuple[str, str]) -> None:
    assert split_extension(name) == expected


def test_xmp_candidates_name_the_file_before_the_pair() -> None:
    assert xmp_sidecar_candidates("IMG_1234.CR2") == [
        "IMG_1234.CR2.xmp",
        "IMG_1234.CR2.XMP",
        "IMG_1234.xmp",
        "IMG_1234.XMP",
    ]
    assert xmp_sidecar_candidates("scan") == ["scan.xmp", "scan.XMP"]
    siblings = {"IMG_1234.CR2", "IMG_1234.JPG", "img_1234.Xmp"}
    assert find_sidecar(xmp_sidecar_candidates("IMG_1234.CR2"), siblings) == "img_1234.Xmp"


# Evidence ------------------------------------------------------------------------------------------

# Shaped like a real export (values from a Pixel photo taken 2020-09-20 13:12:07 in Moscow).
REAL = {
    "title": "IMG_20200920_131207.jpg",
    "description": "",
    "imageViews": "9",
    "creationTime": {"timestamp": "1600598769", "formatted": "Sep 20, 2020, 10:46:09 AM UTC"},
    "photoTakenTime": {"timestamp": "1600596727", "formatted": "Sep 20, 2020, 10:12:07 AM UTC"},
    "geoData": {"latitude": 55.269422999999996, "longitude": 37.665591, "altitude": 214.492},
    "geoDataExif": {"latitude": 55.269422999999996, "longitude": 37.665591, "altitude": 214.492},
    "url": "https://photos.google.com/photo/AF1Qip",
    "googlePhotosOrigin": {"mobileUpload": {"deviceType": "ANDROID_PHONE"}},
}


def sidecar(**changes: object) -> str:
    data = dict(REAL)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return json.dumps(data)


def by_source(rows: list[dict]) -> dict[str, dict]:
    return {row["source"]: row for row in rows}


def test_real_sidecar_gives_the_capture_time_in_utc_and_the_position() -> None:
    rows = takeout_evidence(json.dumps(REAL))
    assert all(set(row) == EVIDENCE_KEYS for row in rows)
    assert by_source(rows) == {
        "Takeout:photoTakenTime": {
            "source": "Takeout:photoTakenTime",
            "raw": "1600596727",
            "local_time": "2020-09-20T10:12:07",
            "utc_offset": "+00:00",
            "is_utc": 1,
            "precision": "second",
            "detail": None,
        },
        "Takeout:geoData": {
            "source": "Takeout:geoData",
            "raw": "55.269422999999996,37.665591",
            "local_time": None,
            "utc_offset": None,
            "is_utc": 0,
            "precision": None,
            "detail": {"lat": 55.269422999999996, "lon": 37.665591},
        },
    }
    assert takeout_problem(json.dumps(REAL)) is None


def test_upload_time_is_not_evidence() -> None:
    text = sidecar(photoTakenTime=None, geoData=None, geoDataExif=None)
    assert takeout_evidence(text) == []
    assert takeout_problem(text) == "Takeout sidecar has no photoTakenTime"


@pytest.mark.parametrize("timestamp", ["1600596727", 1600596727, 1600596727.0, " 1600596727 "])
def test_timestamp_as_string_or_number(timestamp: object) -> None:
    rows = by_source(takeout_evidence(sidecar(photoTakenTime={"timestamp": timestamp})))
    assert rows["Takeout:photoTakenTime"]["local_time"] == "2020-09-20T10:12:07"
    assert rows["Takeout:photoTakenTime"]["raw"] == str(timestamp)


@pytest.mark.parametrize(
    ("taken", "problem"),
    [
        (
            {"timestamp": "0"},
            "Takeout sidecar's photoTakenTime is 0, which Takeout writes when the date is unknown",
        ),
        (
            {"timestamp": 0},
            "Takeout sidecar's photoTakenTime is 0, which Takeout writes when the date is unknown",
        ),
        (
            {"timestamp": "-86400"},
            "Takeout sidecar's photoTakenTime is not a plausible date (before 1970 or after 2099)",
        ),
        (
            {"timestamp": "99999999999"},
            "Takeout sidecar's photoTakenTime is not a plausible date (before 1970 or after 2099)",
        ),
        ({"timestamp": "1e400"}, "Takeout sidecar's photoTakenTime is not a number"),
        ({"timestamp": "NaN"}, "Takeout sidecar's photoTakenTime is not a number"),
        ({"timestamp": "yesterday"}, "Takeout sidecar's photoTakenTime is not a number"),
        ({"timestamp": None}, "Takeout sidecar's photoTakenTime is not a number"),
        ({"timestamp": True}, "Takeout sidecar's photoTakenTime is not a number"),
        ({"timestamp": ["1600596727"]}, "Takeout sidecar's photoTakenTime is not a number"),
        ({"formatted": "Sep 20, 2020, 10:12:07 AM UTC"}, "Takeout sidecar has no photoTakenTime"),
        ("1600596727", "Takeout sidecar has no photoTakenTime"),
    ],
)
def test_unusable_capture_times_give_no_time_row_and_a_reason(taken: object, problem: str) -> None:
    text = sidecar(photoTakenTime=taken)
    assert "Takeout:photoTakenTime" not in by_source(takeout_evidence(text))
    assert takeout_problem(text) == problem


def test_position_without_a_time_still_tells_the_zone() -> None:
    rows = takeout_evidence(sidecar(photoTakenTime={"timestamp": "0"}))
    assert [row["source"] for row in rows] == ["Takeout:geoData"]


@pytest.mark.parametrize(
    ("geo", "geo_exif", "expected"),
    [
        ({"latitude": 0.0, "longitude": 0.0}, {"latitude": 0.0, "longitude": 0.0}, None),
        ({"latitude": 0.0, "longitude": 0.0}, {"latitude": 52.52, "longitude": 13.405}, (52.52, 13.405)),
        (
            {"latitude": -33.8688, "longitude": 151.2093},
            {"latitude": 0.0, "longitude": 0.0},
            (-33.8688, 151.2093),
        ),
        # The person's correction in geoData beats the camera's position.
        (
            {"latitude": 48.8566, "longitude": 2.3522},
            {"latitude": 52.52, "longitude": 13.405},
            (48.8566, 2.3522),
        ),
        ({"latitude": "40.7128", "longitude": "-74.006"}, None, (40.7128, -74.006)),
        ({"latitude": 0.0, "longitude": -74.006}, None, (0.0, -74.006)),  # on the equator is real
        ({"latitude": 123.0, "longitude": 13.4}, None, None),
        ({"latitude": 52.5, "longitude": 213.4}, None, None),
        ({"latitude": "north", "longitude": 13.4}, None, None),
        ({"latitude": 52.5}, None, None),
        ("52.52,13.405", None, None),
    ],
)
def test_geodata(geo: object, geo_exif: object, expected: tuple[float, float] | None) -> None:
    rows = by_source(takeout_evidence(sidecar(geoData=geo, geoDataExif=geo_exif)))
    if expected is None:
        assert "Takeout:geoData" not in rows
    else:
        lat, lon = expected
        assert rows["Takeout:geoData"]["detail"] == {"lat": lat, "lon": lon}
        assert rows["Takeout:geoData"]["raw"] == f"{lat},{lon}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Takeout sidecar is not valid JSON"),
        ("{", "Takeout sidecar is not valid JSON"),
        ('{"photoTakenTime": {"timestamp": "1600596727"}', "Takeout sidecar is not valid JSON"),
        ("<html>Service unavailable</html>", "Takeout sidecar is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "Takeout sidecar is not valid JSON"),
        (b"\xff\xfe{}", "Takeout sidecar is not valid JSON"),
        (
            '[{"photoTakenTime": {"timestamp": "1600596727"}}]',
            "Takeout sidecar is JSON but not an object of photo details",
        ),
        ('"1600596727"', "Takeout sidecar is JSON but not an object of photo details"),
        ("null", "Takeout sidecar is JSON but not an object of photo details"),
    ],
)
def test_broken_sidecars_give_nothing_and_never_raise(text: str | bytes, problem: str) -> None:
    assert takeout_evidence(text) == []
    assert takeout_problem(text) == problem


def test_bytes_with_a_byte_order_mark_are_read() -> None:
    text = "\ufeff" + json.dumps(REAL)
    assert len(takeout_evidence(text)) == 2
    assert len(takeout_evidence(text.encode("utf-8"))) == 2
