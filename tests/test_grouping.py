"""Duplicate grouping: exact, same picture, similar; no chains, no overlaps, the keeper explained."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from jobs import grouping, regrouping
from jobs.grouping import Group, Item, Thresholds
from jobs.hashing import hamming, to_signed64
from jobs.keepers import keeper_key

# The cases below are built around these round bounds; the calibrated defaults (wider, measured on
# real photos by bench/duplicates_quality.py) are exercised by that benchmark and the e2e tests.
DEFAULTS = Thresholds(6, 8, 16, 20, 0.03, 0.5, same_time_factor=1.5)


def group(items, thresholds=DEFAULTS, *args, **kwargs):
    return grouping.group(items, thresholds, *args, **kwargs)


def group_new(new, existing, thresholds=DEFAULTS, *args, **kwargs):
    return regrouping.group_new(new, existing, thresholds, *args, **kwargs)


def regroup_around(seeds, items, thresholds=DEFAULTS, *args, **kwargs):
    return regrouping.regroup_around(seeds, items, thresholds, *args, **kwargs)


BASE = 0x0123_4567_89AB_CDEF


def near(bits: int, base: int = BASE) -> int:
    """`base` with its lowest `bits` bits flipped: near(a) and near(b) are |a - b| bits apart."""
    return base ^ ((1 << bits) - 1)


def photo(file_id: int, phash: int | None = BASE, dhash: int | None = None, **changes) -> Item:
    """A plain 4000 x 3000 photo; hashes given unsigned, stored signed as SQLite would."""
    dhash = phash if dhash is None else dhash
    fields = {
        "id": file_id,
        "sha256": f"{file_id:064x}",
        "phash": None if phash is None else to_signed64(phash),
        "dhash": None if dhash is None else to_signed64(dhash),
        "width": 4000,
        "height": 3000,
        "kind": "image",
        "duration": None,
        "original_time": None,
        "size": 2_000_000,
        "real_type": "jpeg",
        "has_original_date": False,
        "camera": None,
        "software": None,
        "tags": 20,
        "imported_at": "2024-05-01T10:00:00",
        "path": f"Phone/{file_id}.jpg",
    }
    fields.update(changes)
    return Item(**fields)


def video(file_id: int, phash: int = BASE, duration: float | None = 12.0, **changes) -> Item:
    return photo(file_id, phash, kind="video", duration=duration, width=1920, height=1080, **changes)


def by_kind(groups: list[Group], kind: str) -> list[set[int]]:
    return [{member for member, _ in found.members} for found in groups if found.kind == kind]


def only(groups: list[Group], kind: str) -> Group:
    found = [g for g in groups if g.kind == kind]
    assert len(found) == 1, groups
    return found[0]


# Exact copies ---------------------------------------------------------------------------------------


def test_identical_bytes_form_one_exact_group() -> None:
    items = [
        photo(1, sha256="s", path="Downloads/a.jpg"),
        photo(2, sha256="s", path="Family/b.jpg"),
        photo(3, sha256="s", path="Takeout/c.jpg"),
        photo(4, near(40), sha256="t"),
        photo(5, BASE ^ (((1 << 24) - 1) << 40), sha256=None),  # 24 bits from 1-3, 64 from 4
    ]
    groups = group(items)
    assert groups == [
        Group("exact", 1, [(1, 0), (2, 0), (3, 0)], 1, "all else equal; imported first"),
    ]
    preferred = only(group(items, preferred_folder="Family"), "exact")
    assert (preferred.keeper, preferred.keeper_reason) == (2, "all else equal; in your preferred folder")
    assert preferred.members == [(2, 0), (1, 0), (3, 0)]


def test_identical_bytes_count_as_one_for_the_other_classes() -> None:
    items = [
        photo(1, sha256="s"),
        photo(2, sha256="s"),
        photo(3, near(2), width=2000, height=1500),  # the same picture, re-encoded smaller
        photo(4, near(12), original_time="2020-01-01T10:00:00", has_original_date=True),  # a retake
    ]
    groups = group(items)
    assert by_kind(groups, "exact") == [{1, 2}]
    assert by_kind(groups, "same") == [{1, 3}]
    assert by_kind(groups, "similar") == [{1, 4}]


def test_files_without_hashes_only_join_exact_groups() -> None:
    items = [photo(1, None, sha256="s"), photo(2, None, sha256="s"), photo(3, None)]
    assert [g.kind for g in group(items)] == ["exact"]


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        group([photo(1), photo(1)])


# Same picture or similar ----------------------------------------------------------------------------


def test_a_chain_never_becomes_one_same_picture_group() -> None:
    # A~B and B~C are 4 bits apart, A and C 8 (beyond the same-picture 6): A, the best, takes B;
    # C is not pulled in through B. It still looks like A, so it is similar to A's group.
    items = [
        photo(1, near(0)),
        photo(2, near(4), width=2000, height=1500),
        photo(3, near(8), width=1000, height=750),
    ]
    groups = group(items)
    assert only(groups, "same").members == [(1, 0), (2, 4)]
    assert only(groups, "similar").members == [(1, 0), (3, 8)]


def test_the_representative_may_gather_both_ends_of_a_chain_it_is_close_to() -> None:
    # B in the middle is the best: A and C are each 4 bits from B, so all three are B's.
    items = [
        photo(1, near(0), width=2000, height=1500),
        photo(2, near(4)),
        photo(3, near(8), width=1000, height=750),
    ]
    assert only(group(items), "same").members == [(2, 0), (1, 4), (3, 4)]


def test_burst_frames_are_similar_not_the_same_picture() -> None:
    items = [
        photo(1, near(0), original_time="2019-07-04T18:30:45.000", has_original_date=True),
        photo(2, near(2), original_time="2019-07-04T18:30:45.500", has_original_date=True),
        photo(3, near(1), original_time="2019-07-04T18:30:46.000", has_original_date=True),
    ]
    groups = group(items)
    assert by_kind(groups, "same") == []
    assert by_kind(groups, "similar") == [{1, 2, 3}]


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [
        ("2019-07-04T18:30:45.000", "2019-07-04T18:30:45.000", "same"),  # one capture
        (None, None, "similar"),  # 8 bits is beyond 6 without the times' support
        ("2019-07-04T18:30:45.000", None, "similar"),  # a stripped copy: no support either
        ("2019-07-04T18:30:45.000", "2019-07-04T18:30:47.000", "similar"),  # two captures
    ],
)
def test_equal_original_times_loosen_the_same_picture_bound(
    first: str | None, second: str | None, kind: str
) -> None:
    items = [photo(1, near(0), original_time=first), photo(2, near(8), original_time=second)]
    assert [g.kind for g in group(items)] == [kind]


def test_equal_times_loosen_only_so_far() -> None:
    moment = "2019-07-04T18:30:45"
    items = [photo(1, near(0), original_time=moment), photo(2, near(10), original_time=moment)]
    assert [g.kind for g in group(items)] == ["similar"]
    day = "2019-07-04"  # equal, but not precise enough to call them one capture
    items = [photo(1, near(0), original_time=day), photo(2, near(8), original_time=day)]
    assert [g.kind for g in group(items)] == ["similar"]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("2019-07-04T18:30:45.120", "2019-07-04T18:30:45", True),  # sub-seconds dropped by a copy
        ("2019-07-04T18:30:45.12", "2019-07-04T18:30:45.123", True),  # fewer digits kept
        ("2019-07-04T18:30:45+02:00", "2019-07-04T18:30:45", True),  # wall clock, offset or not
        ("2019-07-04 18:30:45", "2019-07-04T18:30:45", True),
        ("2019-07-04T18:30:45.120", "2019-07-04T18:30:45.620", False),
        ("2019-07-04T18:30:45", "2019-07-04T18:30:46", False),
        ("not a date", "2019-07-04T18:30:46", True),  # unreadable: no evidence either way
        ("2019-07-04", "2019-07-05", True),  # a day is no evidence of one capture, nor of two
    ],
)
def test_original_times_compared_at_the_coarser_precision(first: str, second: str, same: bool) -> None:
    items = [photo(1, near(0), original_time=first), photo(2, near(3), original_time=second)]
    assert [g.kind for g in group(items)] == ["same" if same else "similar"]


@pytest.mark.parametrize(
    ("width", "height", "kind"),
    [
        (4000, 3000, "same"),
        (3900, 3000, "same"),  # 2.6% narrower: a small crop or border
        (3000, 4000, "similar"),  # turned: the displayed shapes differ
        (4000, 2250, "similar"),  # 16:9 cut from 4:3: an edit, not a copy
        (None, None, "similar"),  # no shape to confirm with
    ],
)
def test_aspect_ratio_must_agree_for_the_same_picture(
    width: int | None, height: int | None, kind: str
) -> None:
    items = [photo(1, near(0)), photo(2, near(1), width=width, height=height, size=100)]
    assert [g.kind for g in group(items)] == [kind]


def test_dhash_must_agree_too() -> None:
    items = [photo(1, near(0), dhash=near(0)), photo(2, near(1), dhash=near(9))]
    assert [g.kind for g in group(items)] == ["similar"]
    items = [photo(1, near(0), dhash=near(0)), photo(2, near(1), dhash=near(21))]
    assert group(items) == []


def test_same_picture_members_agree_on_their_capture_time() -> None:
    # The representative has lost its date; two different captures both match it. Only one may
    # join: otherwise the group would call two captures the same picture.
    items = [
        photo(1, near(0), width=8000, height=6000),
        photo(2, near(1), original_time="2019-07-04T18:30:45.000"),
        photo(3, near(2), original_time="2019-07-04T18:30:45.500"),
    ]
    groups = group(items)
    assert by_kind(groups, "same") == [{1, 2}]
    assert by_kind(groups, "similar") == [{1, 3}]


def test_a_stripped_copy_stays_with_its_own_capture() -> None:
    # The burst frame is the better file (larger), so it is visited first; the stripped copy is
    # within reach of both, but it is the original's copy (1 bit) rather than the frame's (4).
    items = [
        photo(1, near(0), original_time="2019-07-04T18:30:45.00", has_original_date=True),
        photo(2, near(3), original_time="2019-07-04T18:30:45.50", has_original_date=True, size=3_000_000),
        photo(3, near(1), size=500_000),
    ]
    groups = group(items)
    assert by_kind(groups, "same") == [{1, 3}]
    assert by_kind(groups, "similar") == [{2, 1}]


def test_thresholds_decide_and_are_applied_afresh() -> None:
    items = [photo(1, near(0)), photo(2, near(5))]
    assert [g.kind for g in group(items)] == ["same"]
    strict = replace(DEFAULTS, same_phash=4, same_dhash=4)
    assert [g.kind for g in group(items, strict)] == ["similar"]
    assert group(items, Thresholds(2, 2, 4, 4, 0.03, 0.5)) == []


# A person's "not duplicates" -------------------------------------------------------------------------


def test_separated_pairs_never_share_a_group() -> None:
    items = [photo(1, near(0)), photo(2, near(1), size=10), photo(3, near(2), size=5)]
    groups = group(items, separate={frozenset({1, 2})})
    assert by_kind(groups, "same") == [{1, 3}]
    for members in by_kind(groups, "same") + by_kind(groups, "similar"):
        assert not {1, 2} <= members


def test_separating_identical_copies_splits_them() -> None:
    items = [photo(1, sha256="s"), photo(2, sha256="s"), photo(3, sha256="s")]
    groups = group(items, separate={frozenset({1, 2})})
    assert by_kind(groups, "exact") == [{1, 3}]
    assert all(not {1, 2} <= members for members in by_kind(groups, "same") + by_kind(groups, "similar"))


def test_separation_carries_over_to_identical_copies() -> None:
    # 2 is a byte copy of 1; a person said 2 is not 3, so 1 is not 3 either.
    items = [photo(1, sha256="s"), photo(2, sha256="s"), photo(3, near(1))]
    groups = group(items, separate={frozenset({2, 3})})
    assert by_kind(groups, "exact") == [{1, 2}]
    assert by_kind(groups, "same") == [] and by_kind(groups, "similar") == []


# The keeper -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("better", "preferred", "reason"),
    [
        ({"width": 8000, "height": 6000}, None, "most pixels (8000 x 6000)"),
        ({"has_original_date": True}, None, "same pixels; has the camera's original date"),
        ({"size": 3_140_000}, None, "same pixels and dates; larger file (3.1 MB)"),
        ({"path": "Family/2019/x.jpg"}, "Family", "all else equal; in your preferred folder"),
        ({"path": "Family/2019/x.jpg"}, "Family/", "all else equal; in your preferred folder"),
        ({"imported_at": "2024-04-01T10:00:00"}, None, "all else equal; imported first"),
    ],
)
def test_keeper_rule_and_its_reason(better: dict, preferred: str | None, reason: str) -> None:
    # The better file has the higher id, so only the rule can put it first.
    items = [photo(1, near(0)), photo(2, near(1), **better)]
    found = only(group(items, preferred_folder=preferred), "same")
    assert (found.keeper, found.representative, found.keeper_reason) == (2, 2, reason)
    assert found.members == [(2, 0), (1, 1)]


def test_keeper_rule_order() -> None:
    def best(*items: Item, preferred: str | None = None) -> int:
        return min(items, key=lambda item: keeper_key(item, preferred)).id

    # Pixels beat the original date, which beats size, which beats the folder, which beats import order.
    assert best(photo(1, width=8000, height=6000), photo(2, has_original_date=True)) == 1
    assert best(photo(1, has_original_date=True), photo(2, size=9_000_000)) == 1
    assert best(photo(1, size=9_000_000), photo(2, path="Family/x.jpg"), preferred="Family") == 1
    assert best(photo(1, imported_at="2030-01-01"), photo(2, path="Family/x.jpg"), preferred="Family") == 2
    assert best(photo(1, imported_at="2030-01-01"), photo(2)) == 2
    assert best(photo(1), photo(2)) == 1  # all equal: the lower id
    # A folder prefix is a whole folder: "Family2" is not inside "Family".
    assert best(photo(1, path="Family2/x.jpg"), photo(2, path="Family/y.jpg"), preferred="Family") == 2
    assert best(photo(1, path="Family2/x.jpg"), photo(2, path="Other/y.jpg"), preferred="Family") == 1


def test_the_reason_compares_with_the_runner_up() -> None:
    items = [
        photo(1, near(0), width=8000, height=6000, size=1_000_000),
        photo(2, near(1), width=8000, height=6000, size=900_000),
        photo(3, near(2), width=100, height=75),
    ]
    found = only(group(items), "same")
    assert (found.keeper, found.keeper_reason) == (1, "same pixels and dates; larger file (1.0 MB)")


# Videos -----------------------------------------------------------------------------------------------


def test_videos_are_the_same_by_duration_and_frame_hash() -> None:
    items = [
        video(1, near(0), 12.0),
        video(2, near(2), 12.4),  # re-encoded: 0.4 s and 2 bits off
        video(3, near(1), 13.0),  # a second longer than 1: another clip
        video(4, near(12), 12.0),  # another scene: videos have no "similar"
        video(5, near(0), None),  # no duration, no claim
        photo(6, near(0), width=1920, height=1080),  # a photo of the same scene is not the video
        video(7, near(30), 5.0, sha256="v"),
        video(8, near(30), 5.0, sha256="v"),
    ]
    groups = group(items)
    assert by_kind(groups, "exact") == [{7, 8}]
    assert by_kind(groups, "same") == [{1, 2}]
    assert by_kind(groups, "similar") == []


# Whole libraries ------------------------------------------------------------------------------------

TIMES = [None, None, "2019-07-04T18:30:45", "2019-07-04T18:30:46", "2020-02-02T08:00:00"]
SHAPES = [(4000, 3000), (2000, 1500), (3000, 4000), (4000, 2250), (None, None)]


def library(seed: int, count: int = 160, scenes: int = 4) -> tuple[list[Item], set[frozenset[int]]]:
    """Random files around a few hashes (many look-alikes), byte copies, videos and separations."""
    rng = random.Random(seed)
    centres = [rng.getrandbits(64) for _ in range(scenes)]
    items: list[Item] = []
    for file_id in range(1, count + 1):
        if items and rng.random() < 0.1:
            items.append(replace(rng.choice(items), id=file_id, path=f"Copies/{file_id}"))
            continue
        centre = rng.choice(centres)
        phash = near(rng.randrange(12), centre) ^ (1 << rng.randrange(20, 64))
        width, height = rng.choice(SHAPES)
        original_time = rng.choice(TIMES)
        kind = rng.choice(["image", "image", "image", "raw", "video"])
        items.append(
            photo(
                file_id,
                phash,
                phash ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64)),
                kind=kind,
                duration=rng.choice([10.0, 10.3, 11.0]) if kind == "video" else None,
                width=width,
                height=height,
                original_time=original_time,
                has_original_date=original_time is not None,
                size=rng.choice([1_000_000, 2_000_000]),
                imported_at=rng.choice(["2024-01-01", "2024-02-01"]),
                path=rng.choice(["Family/", "Phone/"]) + str(file_id),
            )
        )
    separate = {frozenset(rng.sample(range(1, count + 1), 2)) for _ in range(count // 4)}
    return items, separate


def is_same(a: Item, b: Item, t: Thresholds = DEFAULTS) -> bool:
    """The same-picture rule for one pair, written out plainly (times here are all whole seconds)."""
    if a.original_time and b.original_time and a.original_time != b.original_time:
        return False
    factor = t.same_time_factor if a.original_time and a.original_time == b.original_time else 1
    if hamming(a.phash, b.phash) > int(t.same_phash * factor) or hamming(a.dhash, b.dhash) > int(
        t.same_dhash * factor
    ):
        return False
    if a.kind == "video" or b.kind == "video":
        return a.kind == b.kind and abs(a.duration - b.duration) <= t.video_duration_tolerance
    if not (a.width and b.width):
        return False
    ratios = sorted([a.width / a.height, b.width / b.height])
    return ratios[1] / ratios[0] - 1 <= t.aspect_tolerance


@pytest.mark.parametrize("seed", range(12))
def test_groups_keep_every_promise(seed: int) -> None:
    items, separate = library(seed)
    by_id = {item.id: item for item in items}
    groups = group(items, separate=separate, preferred_folder="Family")
    for kind in ("exact", "same", "similar"):
        members = [member for found in groups if found.kind == kind for member, _ in found.members]
        assert len(members) == len(set(members)), f"a file in two {kind} groups"
    # Members other than the representative stand behind it in the next classes.
    copies = {member for found in groups if found.kind == "exact" for member, _ in found.members[1:]}
    pictures = {member for found in groups if found.kind == "same" for member, _ in found.members[1:]}
    for found in groups:
        ids = [member for member, _ in found.members]
        rep = by_id[found.representative]
        assert len(ids) >= 2 and found.members[0] == (rep.id, 0) and found.keeper == rep.id
        assert min(ids, key=lambda i: keeper_key(by_id[i], "Family")) == rep.id
        assert found.keeper_reason
        for pair in separate:
            assert not pair <= set(ids)
        for member, distance in found.members[1:]:
            item = by_id[member]
            assert distance == hamming(item.phash, rep.phash)
            if found.kind == "exact":
                assert item.sha256 == rep.sha256
            elif found.kind == "same":
                assert is_same(rep, item), (rep, item)
                assert not {member, rep.id} & copies
            else:
                assert item.kind != "video" and rep.kind != "video"
                assert distance <= DEFAULTS.similar_phash
                assert hamming(item.dhash, rep.dhash) <= DEFAULTS.similar_dhash
                assert not {member, rep.id} & (copies | pictures)
        if found.kind == "same":
            times = {by_id[i].original_time for i in ids} - {None}
            assert len(times) <= 1, "two captures called the same picture"


@pytest.mark.parametrize("seed", range(4))
def test_the_same_answer_whatever_the_input_order(seed: int) -> None:
    items, separate = library(seed)
    expected = group(items, separate=separate)
    for shuffle in range(3):
        shuffled = items[:]
        random.Random(shuffle).shuffle(shuffled)
        assert group(shuffled, separate=set(separate)) == expected


def canonical(groups: list[Group]) -> set[tuple]:
    return {(g.kind, g.representative, tuple(g.members), g.keeper, g.keeper_reason) for g in groups}


@pytest.mark.parametrize("seed", range(8))
def test_group_new_gives_what_a_full_regroup_gives(seed: int) -> None:
    # Many scenes, so the update reaches only part of the library.
    items, separate = library(seed, 200, scenes=40)
    existing, new = items[:170], items[170:]
    full = group(items, separate=separate)
    update = group_new(new, existing, separate=separate)
    assert {item.id for item in new} <= update.files < {item.id for item in items}
    for found in full:
        ids = {member for member, _ in found.members}
        assert ids <= update.files or not ids & update.files, "a stored group straddles the update"
    touched = [g for g in full if {m for m, _ in g.members} & update.files]
    assert canonical(update.groups) == canonical(touched)


def test_regroup_around_a_new_separation() -> None:
    items, separate = library(3, 200)
    same = [g for g in group(items, separate=separate) if g.kind == "same"]
    pair = frozenset(member for member, _ in same[0].members[:2])
    separate = separate | {pair}
    full = group(items, separate=separate)
    update = regroup_around(pair, items, separate=separate)
    assert pair <= update.files
    touched = [g for g in full if {m for m, _ in g.members} & update.files]
    assert canonical(update.groups) == canonical(touched)
    assert all(not pair <= {m for m, _ in g.members} for g in update.groups)


def test_a_new_file_reaches_groups_through_its_neighbours() -> None:
    # The new file links to 2 only; 2's cluster includes 1 and 3, which must be regrouped with it.
    existing = [photo(1, near(0)), photo(2, near(4), size=10), photo(3, near(8), size=5), photo(4, near(40))]
    new = [photo(5, near(12), width=9000, height=6750)]
    update = group_new(new, existing)
    assert update.files == {1, 2, 3, 5}
    assert canonical(update.groups) == canonical(group(existing + new))


def test_a_deleted_seed_is_kept_in_files() -> None:
    update = regroup_around([99], [photo(1)])
    assert update.files == {99} and update.groups == []
