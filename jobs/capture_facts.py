"""Per-file facts the look-alike test compares in bulk (numpy): aspect ratio, duration, and the
camera-original capture time at the precision it was written. Pure."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jobs.grouping import Item


def facts_of(ranked: list[Item], times: list[tuple[int, int, int] | None]) -> dict[str, np.ndarray]:
    return {
        "aspect": np.array(
            [item.width / item.height if item.width and item.height else np.nan for item in ranked],
            dtype=float,
        ),
        "duration": np.array(
            [item.duration if item.duration is not None else np.nan for item in ranked], dtype=float
        ),
        "known": np.array([time is not None for time in times], dtype=bool),
        "second": np.array([time[0] if time else 0 for time in times], dtype=np.int64),
        "micro": np.array([time[1] if time else 0 for time in times], dtype=np.int64),
        "digits": np.array([time[2] if time else 0 for time in times], dtype=np.int64),
    }


_SECONDS = re.compile(r"\d\d:\d\d:\d\d")
_FRACTION = re.compile(r"\d\d:\d\d:\d\d[.,](\d+)")


def capture_time(text: str | None) -> tuple[int, int, int] | None:
    """(wall-clock second, microseconds, digits of sub-second written), or None when unknown.

    Wall clock, not the instant: a camera writes local time, and a copy may gain or lose an offset.
    """
    # A day or a minute is no evidence of one capture: only times given to the second count.
    if not text or not _SECONDS.search(text):
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    fraction = _FRACTION.search(text)
    digits = min(len(fraction.group(1)), 6) if fraction else 0
    second = moment.toordinal() * 86_400 + moment.hour * 3_600 + moment.minute * 60 + moment.second
    return second, moment.microsecond, digits


def times_agree(facts: dict[str, np.ndarray], i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(equal, different) original times per pair; neither when a side has none.

    Compared at the coarser precision of the two: a copy that kept .12 of .123 s, or dropped the
    sub-seconds, still carries the same time.
    """
    both = facts["known"][i] & facts["known"][j]
    digits = np.minimum(facts["digits"][i], facts["digits"][j])
    unit = 10 ** (6 - digits)
    equal = (
        both
        & (facts["second"][i] == facts["second"][j])
        & (facts["micro"][i] // unit == facts["micro"][j] // unit)
    )
    return equal, both & ~equal


def aspects_agree(aspect: np.ndarray, i: np.ndarray, j: np.ndarray, tolerance: float) -> np.ndarray:
    # Unknown sizes (NaN) never agree: a same-picture claim needs the shape as a second signal.
    wide, narrow = np.maximum(aspect[i], aspect[j]), np.minimum(aspect[i], aspect[j])
    with np.errstate(invalid="ignore"):
        return wide / narrow - 1 <= tolerance + 1e-9
