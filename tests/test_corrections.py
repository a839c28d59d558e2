"""A person's date corrections as payloads: typed times, shifts and picked candidates."""

from __future__ import annotations

import pytest

from jobs.corrections import BadCorrection, from_evidence, shift_minutes, shifted, typed_time


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("63", 63), ("-63", -63), ("+1h03m", 63), ("1 h 3 min", 63), ("-2d", -2880), ("−45m", -45), ("+90s", 2)],
)
def test_shift_minutes(text, minutes):
    assert shift_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "soon", "1x", "h", "+"])
def test_shift_minutes_refuses_what_is_not_a_shift(text):
    with pytest.raises(BadCorrection):
        shift_minutes(text)


def test_typed_time_in_a_zone_takes_that_days_offset():
    summer = typed_time("2019-07-14 15:03", "Europe/Rome", None, None)
    winter = typed_time("2019-01-14T15:03:09", "Europe/Rome", None, None)
    assert summer == {
        "local": "2019-07-14T15:03",
        "offset": "+02:00",
        "zone": "Europe/Rome",
        "precision": "minute",
    }
    assert (winter["local"], winter["offset"], winter["precision"]) == (
        "2019-01-14T15:03:09",
        "+01:00",
        "second",
    )


def test_typed_time_without_a_zone_keeps_the_files_zone_or_offset():
    assert typed_time("2019-07-14 15:03", "", "Asia/Tokyo", "+09:00")["offset"] == "+09:00"
    assert typed_time("2019-07-14 15:03", "", None, "-03:00") == {
        "local": "2019-07-14T15:03",
        "offset": "-03:00",
        "zone": None,
        "precision": "minute",
    }
    assert typed_time("2019-07-14", "+0530", None, None) == {
        "local": "2019-07-14",
        "offset": "+05:30",
        "zone": None,
        "precision": "day",
    }


@pytest.mark.parametrize(
    ("text", "zone", "why"),
    [
        ("2019-02-30", "", "not a real date"),
        ("14/07/2019", "", "type the date"),
        ("2019-07-14", "Mars/Base", "neither"),
    ],
)
def test_typed_time_explains_mistakes(text, zone, why):
    with pytest.raises(BadCorrection, match=why):
        typed_time(text, zone, None, None)


def test_shift_across_a_dst_change_keeps_the_place_and_takes_the_new_offset():
    moved = shifted("2019-03-31T01:30:00", "+01:00", "Europe/Rome", "second", 120)
    assert moved == {
        "local": "2019-03-31T03:30:00",
        "offset": "+02:00",
        "zone": "Europe/Rome",
        "precision": "second",
    }
    assert shifted("2019-07-14", None, None, "day", 1440)["local"] == "2019-07-15"
    assert shifted("2019-12-31T23:30:00", "+00:00", None, None, 60)["local"] == "2020-01-01T00:30:00"


def test_a_utc_candidate_lands_in_the_files_zone_or_stays_utc():
    assert from_evidence("2019-07-14T09:05:00", None, True, "second", "Europe/Rome") == {
        "local": "2019-07-14T11:05:00",
        "offset": "+02:00",
        "zone": "Europe/Rome",
        "precision": "second",
    }
    assert from_evidence("2019-07-14T09:05:00", None, True, "second", None)["offset"] == "+00:00"
    assert (
        from_evidence("2019-07-14T09:05:00", "-04:00", False, "second", "Europe/Rome")["offset"] == "-04:00"
    )
    assert from_evidence("2019-07", None, False, "month", None)["local"] == "2019-07"
