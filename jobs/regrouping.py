"""Updating stored groups without regrouping the whole library: after new files arrive, or after a
person separates files. The result equals a full `group` over everything. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

import numpy as np

from jobs.grouping import DEFAULTS, STILL, VIDEO, Item, Regroup, Thresholds, bounds, group
from jobs.similarity import as_hashes, close_pairs


def group_new(
    new: list[Item],
    existing: list[Item],
    thresholds: Thresholds = DEFAULTS,
    preferred_folder: str | None = None,
    separate: AbstractSet[frozenset[int]] = frozenset(),
) -> Regroup:
    """The groups to replace after `new` files joined `existing` ones (the library before them).

    Replace every stored group holding one of `Regroup.files` with `Regroup.groups`; the result is
    exactly what `group(existing + new)` would give. Cost: one scan of the new files' hashes against
    the library, then one of each file they reach, so about (new + reached) / library of a full regroup.
    """
    return regroup_around(
        [item.id for item in new], [*existing, *new], thresholds, preferred_folder, separate
    )


def regroup_around(
    seeds: Iterable[int],
    items: list[Item],
    thresholds: Thresholds = DEFAULTS,
    preferred_folder: str | None = None,
    separate: AbstractSet[frozenset[int]] = frozenset(),
) -> Regroup:
    """Regroup only the part of the library `seeds` can reach: ids of new or changed files, of a pair
    a person just separated, or of the group-mates of a deleted file. `items` is the whole library.

    Grouping decides each cluster of linked files (same bytes, or hashes within the widest distance
    any class uses) on its own, so regrouping the clusters holding the seeds gives the same answer
    as regrouping everything. Seeds no longer among `items` are kept in `files`, so their old groups
    are dropped.
    """
    ordered = sorted(items, key=lambda item: item.id)
    seed_ids = set(seeds)
    ids = np.array([item.id for item in ordered], dtype=np.int64)
    wanted = np.array(sorted(seed_ids), dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
    frontier = at[ids[at] == wanted] if len(ids) else np.empty(0, np.intp)
    reached = np.zeros(len(ordered), dtype=bool)
    reached[frontier] = True

    # Columns, built once: per-round work is then numpy only.
    phash = [item.phash for item in ordered]
    dhash = [item.dhash for item in ordered]
    hashed = np.array(
        [p is not None and d is not None for p, d in zip(phash, dhash, strict=True)], dtype=bool
    )
    phash_all = as_hashes([p or 0 for p in phash])
    dhash_all = as_hashes([d or 0 for d in dhash])
    kind = np.array([item.kind for item in ordered])
    timed = np.array([item.duration is not None for item in ordered], dtype=bool)
    codes: dict[str, int] = {}
    sha = np.array([codes.setdefault(item.sha256, len(codes)) if item.sha256 else -1 for item in ordered])

    _, _, still_phash, still_dhash, video_phash, video_dhash = bounds(thresholds)
    families = []
    for inside, max_phash, max_dhash in (
        (hashed & np.isin(kind, list(STILL)), still_phash, still_dhash),
        (hashed & (kind == VIDEO) & timed, video_phash, video_dhash),
    ):
        members = np.flatnonzero(inside)
        families.append((members, inside, phash_all[members], dhash_all[members], max_phash, max_dhash))

    while len(frontier):
        copies = sha[frontier]
        found = [np.flatnonzero(np.isin(sha, copies[copies >= 0]))]
        for members, inside, family_phash, family_dhash, max_phash, max_dhash in families:
            asking = frontier[inside[frontier]]
            if len(asking):
                _, j, _ = close_pairs(
                    phash_all[asking],
                    family_phash,
                    max_phash,
                    a2=dhash_all[asking],
                    b2=family_dhash,
                    max_distance2=max_dhash,
                )
                found.append(members[j])
        reached_now = np.unique(np.concatenate(found))
        frontier = reached_now[~reached[reached_now]]
        reached[frontier] = True

    cluster = [ordered[k] for k in np.flatnonzero(reached)]
    files = frozenset(item.id for item in cluster) | seed_ids
    return Regroup(files=files, groups=group(cluster, thresholds, preferred_folder, separate))
