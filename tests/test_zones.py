"""jobs/zones.py against the real tz database and the real tzfpy boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from jobs.zones import (
    FOLD_NOTE,
    GAP_NOTE,
    format_offset,
    is_zone,
    offset_from_pair,
    parse_offset,
    resolve_offset,
    system_zone,
    utc_to_local,
    zone_at,
    zone_from_etc,
)

D = datetime
H = timedelta(hours=1)
M = timedelta(minutes=1)
FOLD_HOUR = FOLD_NOTE.format(span="hour")
GAP_HOUR = GAP_NOTE.format(span="hour")


# Zone from a GPS position ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "zone", "summer_offset"),
    [
        (52.5200, 13.4050, "Europe/Berlin", "+02:00"),
        (40.7128, -74.0060, "America/New_York", "-04:00"),
        (-33.8688, 151.2093, "Australia/Sydney", "+10:00"),  # July is winter there
        (22.5726, 88.3639, "Asia/Kolkata", "+05:30"),
        (27.7172, 85.3240, "Asia/Kathmandu", "+05:45"),
        (21.3069, -157.8583, "Pacific/Honolulu", "-10:00"),
        (-31.5553, 159.0821, "Australia/Lord_Howe", "+10:30"),
    ],
)
def test_zone_at_cities(lat: float, lon: float, zone: str, summer_offset: str) -> None:
    assert zone_at(lat, lon) == zone
    assert resolve_offset(D(2019, 7, 4, 12, 0), zone) == (summer_offset, None)


def test_zone_at_open_sea_is_a_nautical_zone() -> None:
    zone = zone_at(30.0, -40.0)  # mid-Atlantic
    assert zone == "Etc/GMT+3"
    assert resolve_offset(D(2019, 7, 4, 12, 0), zone) == ("-03:00", None)  # POSIX signs are inverted


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (0.0, 0.0),
        (91.0, 0.0),
        (-90.5, 10.0),
        (10.0, 180.5),
        (10.0, -181.0),
        (float("nan"), 1.0),
        (1.0, float("inf")),
    ],
)
def test_zone_at_no_position(lat: float, lon: float) -> None:
    assert zone_at(lat, lon) is None


# Offsets of wall-clock times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "local", "expected"),
    [
        # Clocks went forward at 02:00 to 03:00 (or 02:30 on Lord Howe): these times never happened.
        ("Europe/Berlin", D(2019, 3, 31, 2, 30), ("+01:00", GAP_HOUR)),
        ("America/New_York", D(2019, 3, 10, 2, 30), ("-05:00", GAP_HOUR)),
        ("Australia/Sydney", D(2019, 10, 6, 2, 30), ("+10:00", GAP_HOUR)),
        ("Australia/Lord_Howe", D(2019, 10, 6, 2, 15), ("+10:30", GAP_NOTE.format(span="half hour"))),
        # Clocks went back: these times happened twice; the earlier (summer) offset is assumed.
        ("Europe/Berlin", D(2019, 10, 27, 2, 30), ("+02:00", FOLD_HOUR)),
        ("America/New_York", D(2019, 11, 3, 1, 30), ("-04:00", FOLD_HOUR)),
        ("Australia/Sydney", D(2019, 4, 7, 2, 30), ("+11:00", FOLD_HOUR)),
        ("Australia/Lord_Howe", D(2019, 4, 7, 1, 45), ("+11:00", FOLD_NOTE.format(span="half hour"))),
        # Just outside the changes: ordinary times.
        ("Europe/Berlin", D(2019, 3, 31, 1, 59, 59), ("+01:00", None)),
        ("Europe/Berlin", D(2019, 3, 31, 3, 0), ("+02:00", None)),
        ("Europe/Berlin", D(2019, 10, 27, 1, 59, 59), ("+02:00", None)),
        ("Europe/Berlin", D(2019, 10, 27, 3, 0), ("+01:00", None)),
        ("Australia/Lord_Howe", D(2019, 10, 6, 2, 30), ("+11:00", None)),
        ("Australia/Lord_Howe", D(2019, 4, 7, 2, 0), ("+10:30", None)),
        # Southern summer, zones without daylight saving, and history.
        ("Australia/Sydney", D(2020, 1, 1, 0, 30), ("+11:00", None)),
        ("Asia/Kolkata", D(2020, 1, 1, 0, 30), ("+05:30", None)),
        ("Asia/Kathmandu", D(1985, 6, 1, 12, 0), ("+05:30", None)),  # before Nepal moved to +05:45
        ("Europe/Berlin", D(1890, 1, 1, 12, 0), ("+00:53:28", None)),  # local mean time
        ("UTC", D(2019, 10, 27, 2, 30), ("+00:00", None)),
    ],
)
def test_resolve_offset(zone: str, local: datetime, expected: tuple[str, str | None]) -> None:
    assert resolve_offset(local, zone) == expected


def test_resolve_offset_refuses_aware_times() -> None:
    with pytest.raises(ValueError):
        resolve_offset(D(2019, 7, 4, 12, 0, tzinfo=UTC), "Europe/Berlin")


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Berlin", D(2020, 1, 1, 0, 30)),
        ("Europe/London", D(2019, 12, 31, 23, 30)),
        ("America/New_York", D(2019, 12, 31, 18, 30)),
        ("Asia/Kolkata", D(2020, 1, 1, 5, 0)),
        ("Asia/Kathmandu", D(2020, 1, 1, 5, 15)),
        ("Australia/Sydney", D(2020, 1, 1, 10, 30)),
        ("Australia/Lord_Howe", D(2020, 1, 1, 10, 30)),
        ("Pacific/Honolulu", D(2019, 12, 31, 13, 30)),
        ("Pacific/Kiritimati", D(2020, 1, 1, 13, 30)),
        ("Pacific/Pago_Pago", D(2019, 12, 31, 12, 30)),
    ],
)
def test_new_years_eve_across_zones(zone: str, expected: datetime) -> None:
    utc = D(2019, 12, 31, 23, 30)
    local = utc_to_local(utc, zone)
    assert local == expected
    assert utc_to_local(utc.replace(tzinfo=UTC), zone) == expected
    offset, note = resolve_offset(local, zone)
    assert note is None
    assert local - utc == parse_offset(offset)


def test_utc_to_local_converts_aware_times_first() -> None:
    eight_pm_in_paris = D(2019, 7, 4, 20, 0, tzinfo=timezone(2 * H))
    assert utc_to_local(eight_pm_in_paris, "America/New_York") == D(2019, 7, 4, 14, 0)


def test_every_hour_of_a_year_round_trips_through_utc() -> None:
    # Local -> offset -> UTC -> local must come back, except in the skipped hour.
    for zone in ("Europe/Berlin", "Australia/Lord_Howe", "America/St_Johns"):
        moment = D(2019, 1, 1)
        while moment.year == 2019:
            offset, note = resolve_offset(moment, zone)
            delta = parse_offset(offset)
            assert delta is not None
            back = utc_to_local(moment - delta, zone)
            assert back == moment or (note is not None and "skipped" in note)
            moment += timedelta(minutes=30)


# Offset implied by the same instant written twice --------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "utc", "expected"),
    [
        (D(2019, 7, 4, 20, 30), D(2019, 7, 4, 18, 30), 2 * H),
        (D(2019, 7, 4, 20, 31, 10), D(2019, 7, 4, 18, 30), 2 * H),  # camera clock 70 s fast
        (D(2019, 7, 4, 20, 28, 5), D(2019, 7, 4, 18, 30), 2 * H),  # or slow
        (D(2019, 7, 4, 18, 15, 40), D(2019, 7, 4, 12, 30), 5 * H + 45 * M),  # Kathmandu
        (D(2019, 7, 4, 18, 0), D(2019, 7, 4, 12, 30), 5 * H + 30 * M),  # Kolkata
        (D(2019, 7, 4, 3, 0), D(2019, 7, 4, 12, 30), -(9 * H + 30 * M)),  # Marquesas
        (D(2020, 1, 1, 0, 30), D(2019, 12, 31, 23, 30), H),  # across midnight and the year
        (D(2019, 12, 31, 20, 30), D(2019, 12, 31, 23, 30), -3 * H),
        (D(2020, 1, 1, 13, 30), D(2019, 12, 31, 23, 30), 14 * H),  # Kiritimati, the furthest ahead
        (D(2019, 7, 4, 0, 0), D(2019, 7, 4, 12, 0), -12 * H),
        (D(2019, 7, 4, 12, 0), D(2019, 7, 4, 12, 0, 30), timedelta(0)),
        # Aware values: the wall clock is read as it is, UTC is converted.
        (D(2019, 7, 4, 20, 30, tzinfo=UTC), D(2019, 7, 4, 20, 30, tzinfo=timezone(2 * H)), 2 * H),
    ],
)
def test_offset_from_pair(local: datetime, utc: datetime, expected: timedelta) -> None:
    assert offset_from_pair(local, utc) == expected


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (D(2019, 7, 4, 20, 37), D(2019, 7, 4, 18, 30)),  # 7 minutes off the grid: not the same instant
        (D(2019, 7, 4, 20, 32, 30), D(2019, 7, 4, 18, 30)),  # just past the tolerance
        (D(2019, 7, 5, 20, 30), D(2019, 7, 4, 18, 30)),  # a day apart
        (D(2019, 7, 4, 14, 15), D(2019, 7, 4, 0, 0)),  # 14:15 ahead: no such zone
        (D(2019, 7, 4, 0, 0), D(2019, 7, 4, 15, 0)),
        (D(1980, 1, 1), D(2019, 7, 4, 18, 30)),  # a reset camera clock
        (D(2019, 7, 4, 20, 30), None),
        ("2019-07-04 20:30:00", D(2019, 7, 4, 18, 30)),
    ],
)
def test_offset_from_pair_garbage(local: object, utc: object) -> None:
    assert offset_from_pair(local, utc) is None  # type: ignore[arg-type]


def test_offset_from_pair_tolerance_can_be_widened() -> None:
    assert offset_from_pair(D(2019, 7, 4, 20, 35), D(2019, 7, 4, 18, 30), tolerance=5 * M) == 2 * H


# Offsets as text ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+0200", 2 * H),
        ("+02:00", 2 * H),
        ("+02", 2 * H),
        (" +01:00 ", H),
        ("Z", timedelta(0)),
        ("z", timedelta(0)),
        ("+00:00", timedelta(0)),
        ("-00:00", timedelta(0)),
        ("-03:30", -(3 * H + 30 * M)),
        ("-0330", -(3 * H + 30 * M)),
        ("\u221203:00", -3 * H),  # a typographic minus sign
        ("+05:45", 5 * H + 45 * M),
        ("+00:53:28", timedelta(minutes=53, seconds=28)),
        ("+00:20", 20 * M),
        ("+14:00", 14 * H),
        ("-14:00", -14 * H),
        ("+14:01", None),
        ("-14:30", None),
        ("+15:00", None),
        ("+02:60", None),
        ("+2:00", None),
        ("02:00", None),
        ("+02:0", None),
        ("GMT+2", None),
        ("", None),
        ("   ", None),
        ("+", None),
        (None, None),
        (7200, None),
    ],
)
def test_parse_offset(text: object, expected: timedelta | None) -> None:
    assert parse_offset(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (5 * H + 30 * M, "+05:30"),
        (-3 * H, "-03:00"),
        (timedelta(0), "+00:00"),
        (-30 * M, "-00:30"),
        (-(9 * H + 30 * M), "-09:30"),
        (14 * H, "+14:00"),
        (timedelta(minutes=53, seconds=28), "+00:53:28"),
    ],
)
def test_format_offset(delta: timedelta, text: str) -> None:
    assert format_offset(delta) == text


def test_every_minute_offset_round_trips() -> None:
    for minutes in range(-14 * 60, 14 * 60 + 1):
        delta = timedelta(minutes=minutes)
        text = format_offset(delta)
        assert parse_offset(text) == delta
        assert parse_offset(text.replace(":", "")) == delta
        assert format_offset(parse_offset(text)) == text  # type: ignore[arg-type]


# The machine's zone -----------------------------------------------------------------------------------------


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    folder = tmp_path / "etc"
    folder.mkdir()
    return folder


def test_configured_zone_wins(etc: Path) -> None:
    (etc / "localtime").symlink_to("/usr/share/zoneinfo/Europe/Berlin")
    assert system_zone("Asia/Kathmandu", etc=etc) == "Asia/Kathmandu"


@pytest.mark.parametrize(
    "configured", ["Mars/Olympus_Mons", "", "localtime", "Europe", "../etc/passwd", "/etc/localtime"]
)
def test_unusable_configured_zone_falls_back_to_the_machine(etc: Path, configured: str) -> None:
    (etc / "localtime").symlink_to("/usr/share/zoneinfo/Europe/Berlin")
    assert system_zone(configured, etc=etc) == "Europe/Berlin"


@pytest.mark.parametrize(
    ("target", "zone"),
    [
        ("/usr/share/zoneinfo/Europe/Berlin", "Europe/Berlin"),
        ("../usr/share/zoneinfo/America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("/usr/share/zoneinfo/posix/Asia/Kolkata", "Asia/Kolkata"),
        ("/usr/share/zoneinfo/right/Australia/Lord_Howe", "Australia/Lord_Howe"),
        ("/var/db/timezone/zoneinfo/Pacific/Honolulu", "Pacific/Honolulu"),  # macOS
        ("/usr/share/zoneinfo/Etc/UTC", "Etc/UTC"),
    ],
)
def test_zone_from_the_localtime_link(etc: Path, target: str, zone: str) -> None:
    (etc / "localtime").symlink_to(target)  # the target need not exist: only its name is read
    (etc / "timezone").write_text("Asia/Tokyo\n")
    assert zone_from_etc(etc) == zone
    assert system_zone(None, etc=etc) == zone


def test_copied_localtime_falls_back_to_etc_timezone(etc: Path) -> None:
    (etc / "localtime").write_bytes(b"TZif2 copied, not linked")
    (etc / "timezone").write_text("America/New_York\n")
    assert system_zone(etc=etc) == "America/New_York"


def test_link_to_no_zone_falls_back_to_etc_timezone(etc: Path) -> None:
    (etc / "localtime").symlink_to("/usr/share/zoneinfo/Nowhere/Special")
    (etc / "timezone").write_text("Europe/Lisbon")
    assert system_zone(etc=etc) == "Europe/Lisbon"


@pytest.mark.parametrize("content", [b"", b"\n", b"not a zone\n", b"Europe\n", b"\xff\xfe\x00garbage"])
def test_nothing_usable_is_utc(etc: Path, content: bytes) -> None:
    (etc / "timezone").write_bytes(content)
    assert system_zone(etc=etc) == "UTC"


def test_empty_etc_is_utc(etc: Path) -> None:
    assert zone_from_etc(etc) is None
    assert system_zone(etc=etc) == "UTC"
    assert system_zone(etc=etc / "missing") == "UTC"


def test_this_machine_has_a_zone() -> None:
    assert is_zone(system_zone())


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/Berlin", True),
        ("Etc/GMT+3", True),
        ("UTC", True),
        ("Europe/Kyiv", True),
        ("Europe", False),
        ("localtime", False),
        ("Factory", False),
        ("", False),
        ("../../etc/passwd", False),
        ("Mars/Olympus_Mons", False),
    ],
)
def test_is_zone(name: str, known: bool) -> None:
    assert is_zone(name) is known
