"""The dating scenario suite (tests/scenarios.py) through one real import: real worker, real
exiftool, the real CLI. Each scenario is checked on its own; then the product's global rules."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import App
from tests.scenarios import (
    DEFAULT_ZONE,
    REVIEW,
    Scenario,
    build_scenarios,
    describe,
    problems,
    scenarios,
    wrong_but_high,
)

# Scenarios the engine gets wrong today: rel_path -> diagnosis. Strict, so a fix shows up as an
# unexpected pass and the entry must go. The global rules below skip these (they fail here already).
KNOWN_ENGINE_BUGS: dict[str, str] = {}
DECISION_FIELDS = (
    "taken",
    "offset",
    "zone",
    "precision",
    "date_source",
    "offset_source",
    "confidence",
    "conflict",
    "reasons",
)


@dataclass
class Imported:
    app: App
    photos: Path
    scenarios: list[Scenario]
    records: dict[str, dict[str, Any]]


def files_by_path(app: App) -> dict[str, dict[str, Any]]:
    result = app.cli("files", "--json")
    assert result.returncode == 0, result.stderr
    return {record["path"]: record for record in map(json.loads, result.stdout.splitlines())}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """One import of every scenario, shared by the tests below (building and importing ~70 files
    once costs ~20 s; once per scenario would cost half an hour)."""
    root = tmp_path_factory.mktemp("dating")
    photos = root / "photos"
    built = build_scenarios(photos)
    app = App(root)
    # Explicit, so the expectations do not depend on the machine's zone.
    app.env["MEDIAPARSER_TIMEZONE"] = DEFAULT_ZONE
    try:
        app.start_worker()
        result = app.cli("import", str(photos), "--wait", timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        yield Imported(app, photos, built, files_by_path(app))
    finally:
        app.stop()


def params() -> list[Any]:
    return [
        pytest.param(
            scenario,
            id=scenario.rel_path,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_ENGINE_BUGS[scenario.rel_path])]
            if scenario.rel_path in KNOWN_ENGINE_BUGS
            else [],
        )
        for scenario in scenarios()
    ]


@pytest.mark.parametrize("scenario", params())
def test_scenario_is_dated_as_a_person_would(imported: Imported, scenario: Scenario) -> None:
    record = imported.records.get(scenario.rel_path)
    found = problems(scenario, record)
    assert not found, "\n".join([*found, describe(scenario, record)])


def test_scenarios_are_consistent() -> None:
    """A knowable scenario names its exact time; an unknowable one expects review."""
    for scenario in scenarios():
        if scenario.knowable:
            assert scenario.taken and scenario.precision == "second", scenario
            assert scenario.confidence in ("high", "medium"), scenario
        else:
            assert scenario.confidence == "review", scenario
    paths = [s.rel_path for s in scenarios()]
    assert len(paths) == len(set(paths))
    assert set(KNOWN_ENGINE_BUGS) <= set(paths), "a known bug names no scenario"


def test_no_wrong_time_is_high_confidence(imported: Imported) -> None:
    wrong = [
        describe(s, imported.records.get(s.rel_path))
        for s in imported.scenarios
        if s.rel_path not in KNOWN_ENGINE_BUGS and wrong_but_high(s, imported.records.get(s.rel_path))
    ]
    assert not wrong, "wrong time with high confidence:\n" + "\n".join(wrong)


def test_every_file_whose_date_cannot_be_known_goes_to_review(imported: Imported) -> None:
    missed = [
        describe(s, record)
        for s in imported.scenarios
        if not s.knowable
        and s.rel_path not in KNOWN_ENGINE_BUGS
        and ((record := imported.records.get(s.rel_path)) is None or record["confidence"] not in REVIEW)
    ]
    assert not missed, "not routed to review:\n" + "\n".join(missed)


# A reason that labels a time "(UTC)" must show the time the source wrote, or a person checking
# the decision against the file (or the name) sees a different number: rel_path -> what it wrote.
UTC_AS_WRITTEN = {
    "names/PXL_20210704_183045123.jpg": "2021-07-04 18:30:45",
    "takeout/IMG_0001.jpg": "2019-07-22 22:30:45",
    "videos/apple_utc.mp4": "2019-07-28 16:30:45",
    "nothing/scan_0002.jpg": "2012-05-05 12:00:00",
}
# rel_path -> diagnosis, as KNOWN_ENGINE_BUGS, for the reasons checks below.
KNOWN_REASON_BUGS: dict[str, str] = {}


def reason_params(paths: list[str]) -> list[Any]:
    return [
        pytest.param(
            path,
            id=path,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_REASON_BUGS[path])]
            if path in KNOWN_REASON_BUGS
            else [],
        )
        for path in paths
    ]


@pytest.mark.parametrize("path", reason_params(list(UTC_AS_WRITTEN)))
def test_reasons_show_a_utc_source_as_written(imported: Imported, path: str) -> None:
    record = imported.records[path]
    lines = [line for line in record["reasons"] if "(UTC)" in line]
    assert lines and all(UTC_AS_WRITTEN[path] in line for line in lines), (
        f"{path}: the source wrote {UTC_AS_WRITTEN[path]} UTC; reasons: {record['reasons']}"
    )


@pytest.mark.parametrize("path", reason_params(["videos/canon_local.mp4"]))
def test_reasons_do_not_call_a_local_time_utc(imported: Imported, path: str) -> None:
    record = imported.records[path]
    contradictory = [line for line in record["reasons"] if "(UTC)" in line and "local time" in line]
    assert not contradictory, f"{path}: {contradictory}"


def test_redate_gives_the_same_decisions_without_reading_a_file(imported: Imported) -> None:
    """`mediaparser redate` re-runs the engine over stored evidence only: with every original
    deleted it still works, and it decides exactly what the import decided (twice over)."""
    before = {path: [r[k] for k in DECISION_FIELDS] for path, r in imported.records.items()}
    shutil.rmtree(imported.photos)
    for _ in range(2):
        result = imported.app.cli("redate")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Dated" in result.stdout, result.stdout
        after = {path: [r[k] for k in DECISION_FIELDS] for path, r in files_by_path(imported.app).items()}
        changed = {
            path: {
                name: (was, now)
                for name, was, now in zip(DECISION_FIELDS, before[path], after[path], strict=True)
                if was != now
            }
            for path in before
            if after.get(path) != before[path]
        }
        assert not changed, f"redate changed {len(changed)} decisions: {changed}"
