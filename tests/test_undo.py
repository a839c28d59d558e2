"""Undo as "as if that decision had never been made", and changing one's mind about a duplicate group,
on the real database (tests/review_fixtures.py arranges the library; the web app runs for the queue).

Each state a person sees (set aside or not, tagged or not, a file's date, a group's resolution) must
follow the decisions still in force, whatever order they are undone in."""

from __future__ import annotations

import json

import pytest

from jobs import duplicates, review, tagging
from jobs.corrections import BadCorrection
from jobs.decisions import new_batch
from storage.db import transaction
from tests.review_fixtures import add_file, add_group, build


@pytest.fixture
def lib(library):
    return build(library)


def aside(conn, file_id: int) -> int:
    return conn.execute("SELECT discarded FROM files WHERE id = ?", (file_id,)).fetchone()[0]


def taken(conn, file_id: int) -> str:
    return conn.execute("SELECT taken_local FROM files WHERE id = ?", (file_id,)).fetchone()[0]


def resolution(conn, group_id: int) -> str | None:
    return conn.execute("SELECT resolution FROM dup_groups WHERE id = ?", (group_id,)).fetchone()[0]


def set_date(conn, settings, file_id: int, local: str) -> str:
    return review.set_dates(conn, settings, {file_id: {"local": local, "offset": "+02:00"}}, "anna")


def first_of(conn, batch: str) -> int:
    return conn.execute("SELECT min(id) FROM decisions WHERE batch = ?", (batch,)).fetchone()[0]


def undo_batch(conn, settings, batch: str) -> str:
    undo_batch_id, _ = review.undo(conn, settings, first_of(conn, batch), "anna")
    return undo_batch_id


def keep(conn, settings, group: int, keeper: int) -> str:
    batch = new_batch()
    duplicates.keep(conn, settings, group, keeper, "anna", batch)
    return batch


def has_tag(conn, file_id: int, name: str) -> bool:
    return bool(
        conn.execute(
            "SELECT count(*) FROM file_tags ft JOIN tags t ON t.id = ft.tag_id"
            " WHERE ft.file_id = ? AND t.name = ?",
            (file_id, name),
        ).fetchone()[0]
    )


def third_copy(conn, lib) -> int:
    """A third member of the exact group, so a hand-made choice and a group's choice can differ."""
    with transaction(conn):
        file_id = add_file(conn, lib.import_id, "Backup/IMG_0001.jpg")
        conn.execute(
            "INSERT INTO dup_members (group_id, file_id, class, distance) VALUES (?, ?, 'exact', 0)",
            (lib.groups["exact"], file_id),
        )
    return file_id


# 1. Changing one's mind in a decided group --------------------------------------------------------


def test_keeping_another_file_of_a_kept_group_swaps_the_keeper_and_undo_restores_each_step(
    web_client, lib, library, web_settings
):
    group = lib.groups["exact"]
    a, b = lib.ids["Holiday/IMG_0001.jpg"], lib.ids["Copies/IMG_0001.jpg"]
    web_client.post(f"/review/duplicates/{group}", data={"action": "keep", "file": str(a)})
    assert (aside(library, a), aside(library, b)) == (0, 1)
    # The person changes their mind on the decided group: B is the one to export now.
    second = web_client.post(
        f"/review/duplicates/{group}", data={"action": "keep", "file": str(b)}, follow_redirects=False
    )
    assert second.status_code == 303
    assert (aside(library, a), aside(library, b)) == (1, 0), "exactly one of the two is exported"
    assert resolution(library, group) == "kept"
    payload = json.loads(
        library.execute("SELECT payload FROM decisions WHERE kind = 'keep' ORDER BY id DESC").fetchone()[0]
    )
    assert (payload["discarded"], payload["undiscarded"]) == ([a], [b])

    undo_batch(library, web_settings, second.headers["location"].split("done=")[1])
    assert (aside(library, a), aside(library, b)) == (0, 1), "back to keeping A"
    assert resolution(library, group) == "kept"


def test_keeping_the_same_file_again_changes_nothing_and_says_so(lib, library, web_settings):
    group, a = lib.groups["exact"], lib.ids["Holiday/IMG_0001.jpg"]
    keep(library, web_settings, group, a)
    with pytest.raises(ValueError, match="already the file kept"):
        keep(library, web_settings, group, a)
    assert library.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1


def test_the_kept_file_is_never_left_set_aside(lib, library, web_settings):
    group, a, b = lib.groups["exact"], lib.ids["Holiday/IMG_0001.jpg"], lib.ids["Copies/IMG_0001.jpg"]
    by_hand, _ = review.set_discarded(library, [a], True, "anna")
    kept = keep(library, web_settings, group, a)
    assert (aside(library, a), aside(library, b)) == (0, 1)
    undo_batch(library, web_settings, kept)
    assert (aside(library, a), aside(library, b)) == (1, 0), "A was set aside by hand before the keep"
    undo_batch(library, web_settings, by_hand)
    assert (aside(library, a), aside(library, b)) == (0, 0)


def test_a_copy_set_aside_by_another_groups_keep_is_not_kept_twice(lib, library, web_settings, web_client):
    """An exact copy set aside when its exact group was decided, in a same-picture group too: keeping
    it there would export the picture twice. The person is told which group decided it, and keeping
    the suggested files in bulk passes that group by."""
    exact, a, a_copy = lib.groups["exact"], lib.ids["Holiday/IMG_0001.jpg"], lib.ids["Copies/IMG_0001.jpg"]
    other = add_file(library, lib.import_id, "Holiday/IMG_0001 edited.jpg")
    same = add_group(library, "same", [a_copy, other], a_copy)
    keep(library, web_settings, exact, a)
    assert aside(library, a_copy) == 1
    with pytest.raises(ValueError, match=f"duplicate group #{exact} was decided"):
        keep(library, web_settings, same, a_copy)
    assert aside(library, a_copy) == 1 and resolution(library, same) is None
    # Through the queue: the same group's page again, saying why, and nothing changed.
    page = web_client.post(f"/review/duplicates/{same}", data={"action": "keep", "file": str(a_copy)})
    assert page.status_code == 400 and f"duplicate group #{exact} was decided" in page.text
    assert 'role="alert"' in page.text and f'action="/review/duplicates/{same}"' in page.text
    assert duplicates.keep_suggested(library, web_settings, "same", "anna", new_batch()) == 1  # the other same group
    assert resolution(library, same) is None and aside(library, a_copy) == 1


@pytest.mark.parametrize("action", ["keep_all", "not_duplicates"])
def test_keep_all_or_not_duplicates_on_a_kept_group_brings_back_what_the_keep_set_aside(
    lib, library, web_settings, action
):
    group, a, b = lib.groups["exact"], lib.ids["Holiday/IMG_0001.jpg"], lib.ids["Copies/IMG_0001.jpg"]
    c = third_copy(library, lib)
    review.set_discarded(library, [c], True, "anna")
    keep(library, web_settings, group, a)
    assert (aside(library, a), aside(library, b), aside(library, c)) == (0, 1, 1)
    batch = new_batch()
    getattr(duplicates, action)(library, group, "anna", batch)
    assert resolution(library, group) == action
    assert (aside(library, a), aside(library, b), aside(library, c)) == (0, 0, 1), (
        "B back; C was aside by hand"
    )
    undo_batch(library, web_settings, batch)
    assert resolution(library, group) == "kept"
    assert (aside(library, a), aside(library, b), aside(library, c)) == (0, 1, 1)


# 2. Undo of a keep brings back only what that keep set aside ---------------------------------------


def test_undoing_a_keep_leaves_a_file_set_aside_by_hand_before_it(lib, library, web_settings):
    group, a, b = lib.groups["exact"], lib.ids["Holiday/IMG_0001.jpg"], lib.ids["Copies/IMG_0001.jpg"]
    c = third_copy(library, lib)
    review.set_discarded(library, [b], True, "anna")
    kept = keep(library, web_settings, group, a)
    payload = json.loads(library.execute("SELECT payload FROM decisions WHERE kind = 'keep'").fetchone()[0])
    assert payload["discarded"] == [c], "only what the keep newly set aside"
    undo_batch(library, web_settings, kept)
    assert (aside(library, a), aside(library, b), aside(library, c)) == (0, 1, 0)
    assert resolution(library, group) is None


# 3. Undo of an older decision follows the latest one still in force -------------------------------


def test_undoing_an_older_set_aside_keeps_the_latest_set_aside(lib, library, web_settings):
    f = lib.ids["Similar/a.jpg"]
    first, _ = review.set_discarded(library, [f], True, "anna")
    review.set_discarded(library, [f], False, "anna")
    last, _ = review.set_discarded(library, [f], True, "anna")
    done = undo_batch(library, web_settings, first)
    assert aside(library, f) == 1, "the latest decision still says set aside"
    note = json.loads(library.execute("SELECT payload FROM decisions WHERE batch = ?", (done,)).fetchone()[0])
    assert note == {"superseded_by": first_of(library, last)}, "the undo says a later decision still decides"
    undo_batch(library, web_settings, last)
    assert aside(library, f) == 0, "the bring-back is the latest in force now"


def test_undoing_an_older_tag_keeps_the_latest_tag(lib, library, web_settings):
    f = lib.ids["Similar/a.jpg"]
    first, untag, last = new_batch(), new_batch(), new_batch()
    tagging.add_tags(library, [f], ["x"], "anna", first)
    tagging.remove_tags(library, [f], ["x"], "anna", untag)
    tagging.add_tags(library, [f], ["x"], "anna", last)
    undo_batch(library, web_settings, first)
    assert has_tag(library, f, "x"), "the latest decision still says tagged"
    undo_batch(library, web_settings, last)
    assert not has_tag(library, f, "x"), "the untag is the latest in force now"
    undo_batch(library, web_settings, untag)
    assert not has_tag(library, f, "x"), "no decision left: as before the first tag"


def test_undoing_the_removal_of_a_folder_tag_puts_it_back_as_a_folder_tag(lib, library, web_settings):
    f, removed = lib.ids["Holiday/IMG_0001.jpg"], new_batch()
    tagging.remove_tags(library, [f], ["Holiday"], "anna", removed)
    assert not has_tag(library, f, "Holiday")
    undo_batch(library, web_settings, removed)
    origin = library.execute("SELECT origin FROM file_tags WHERE file_id = ?", (f,)).fetchone()[0]
    assert origin == "folder"


# 4. Dates under a later shift ----------------------------------------------------------------------


def test_undoing_a_date_under_a_later_shift_is_refused_with_what_to_undo_first(lib, library, web_settings):
    f = lib.ids["Holiday/IMG_0002.jpg"]
    engine = taken(library, f)
    dated = set_date(library, web_settings, f, "2001-01-01T10:00:00")
    shifted, _ = review.shift_dates(library, web_settings, [f], 60, "anna")
    assert taken(library, f) == "2001-01-01T11:00:00"
    rows = library.execute("SELECT count(*) FROM decisions").fetchone()[0]
    with pytest.raises(review.CannotUndo, match=r"Holiday/IMG_0002\.jpg was shifted by \+1 h 00 min later"):
        undo_batch(library, web_settings, dated)
    assert library.execute("SELECT count(*) FROM decisions").fetchone()[0] == rows, "nothing recorded"
    assert taken(library, f) == "2001-01-01T11:00:00"
    # In the order the sentence asks for, both undo, and the engine's own date is back.
    undo_batch(library, web_settings, shifted)
    assert taken(library, f) == "2001-01-01T10:00:00"
    undo_batch(library, web_settings, dated)
    assert taken(library, f) == engine


def test_undoing_a_date_under_a_later_date_keeps_the_later_and_says_so(lib, library, web_settings):
    f = lib.ids["Holiday/IMG_0002.jpg"]
    first = set_date(library, web_settings, f, "2001-01-01T10:00:00")
    last = set_date(library, web_settings, f, "2002-02-02T10:00:00")
    done = undo_batch(library, web_settings, first)
    assert taken(library, f) == "2002-02-02T10:00:00"
    note = json.loads(library.execute("SELECT payload FROM decisions WHERE batch = ?", (done,)).fetchone()[0])
    assert note == {"superseded_by": first_of(library, last)}


def test_a_shift_under_a_later_date_can_be_undone(lib, library, web_settings):
    f = lib.ids["Holiday/IMG_0002.jpg"]
    shifted, _ = review.shift_dates(library, web_settings, [f], 60, "anna")
    set_date(library, web_settings, f, "2002-02-02T10:00:00")
    undo_batch(library, web_settings, shifted)
    assert taken(library, f) == "2002-02-02T10:00:00"


# 5. Groups left without members by a regroup --------------------------------------------------------


@pytest.mark.parametrize("action", ["keep", "not_duplicates"])
def test_undo_after_a_regroup_never_serves_an_empty_group(web_client, lib, library, web_settings, action):
    group, a = lib.groups["exact"], lib.ids["Holiday/IMG_0001.jpg"]
    response = web_client.post(
        f"/review/duplicates/{group}", data={"action": action, "file": str(a)}, follow_redirects=False
    )
    duplicates.regroup(library)  # the fixture's files have no hashes: every group loses its members
    undo_batch(library, web_settings, response.headers["location"].split("done=")[1])
    assert aside(library, lib.ids["Copies/IMG_0001.jpg"]) == 0
    api = web_client.get("/api/review/duplicates?class=exact").json()
    assert api["group"] is None and not api["open"].get("exact")
    bookmarked = web_client.get(f"/api/review/duplicates?class=exact&group={group}").json()
    assert bookmarked["group"] is None, "a group without files is skipped, not shown empty"
    assert "Keep this one" not in web_client.get(f"/review/duplicates?class=exact&group={group}").text
    assert duplicates.keep_suggested(library, web_settings, "exact", "anna", new_batch()) == 0
    with pytest.raises(ValueError, match="no files"):
        duplicates.keep_all(library, group, "anna")


# 6. A shift of nothing --------------------------------------------------------------------------------


def test_a_zero_shift_is_refused_for_every_caller(web_client, lib, library, web_settings):
    f = lib.ids["Holiday/IMG_0002.jpg"]
    with pytest.raises(BadCorrection, match="zero"):
        review.shift_dates(library, web_settings, [f], 0, "anna")
    page = web_client.post(f"/review/dates/{f}", data={"action": "shift", "minutes": "0"})
    assert page.status_code == 400 and "zero" in page.text
    assert library.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_the_pages_say_when_an_undo_was_refused_or_changed_nothing(lib, library, web_settings, web_client):
    f = lib.ids["Holiday/IMG_0002.jpg"]
    back = f"/review/dates?file={f}"
    dated = set_date(library, web_settings, f, "2001-01-01T10:00:00")
    shifted, _ = review.shift_dates(library, web_settings, [f], 60, "anna")
    refused = web_client.post(f"/decisions/{first_of(library, dated)}/undo", data={"back": back})
    assert refused.status_code == 200 and "Not undone: a later clock shift" in refused.text
    assert taken(library, f) == "2001-01-01T11:00:00"
    undo_batch(library, web_settings, shifted)
    later = set_date(library, web_settings, f, "2002-02-02T10:00:00")
    page = web_client.post(f"/decisions/{first_of(library, dated)}/undo", data={"back": back}).text
    assert f"a later decision (#{first_of(library, later)}) still decides it" in page
    assert taken(library, f) == "2002-02-02T10:00:00"
